//! Calibration: runs the float model on sample inputs to find value ranges, the constants'
//! values, and the scale bits `s`.

use std::collections::{HashMap, HashSet};

use crate::error::QuantError;
use crate::interp::run_float;
use crate::ir::{Graph, NodeIndex, Op, ValueRef};
use crate::tensor::{Tensor, numel};

/// Where calibration inputs come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Calibration {
    /// A fixed synthetic sample: `samples` inputs with entries uniform in `[lo, hi)` drawn from a
    /// seeded SplitMix64 stream (deterministic; no OS randomness).
    Synthetic {
        /// Number of sample inputs.
        samples: usize,
        /// Seed of the stream.
        seed: u64,
        /// Smallest entry.
        lo: f64,
        /// Largest entry (exclusive).
        hi: f64,
    },
    /// Caller-supplied inputs: one `Vec` of graph inputs per sample.
    Samples(Vec<Vec<Tensor<f64>>>),
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration::Synthetic { samples: 8, seed: 0x7e55e7a, lo: -1.0, hi: 1.0 }
    }
}

impl Calibration {
    /// Calibration samples from JSON, for a graph with one input: either a list of flat inputs
    /// `[[x0, x1, …], …]` or a test-set object `{"examples": [{"input": [x0, x1, …]}, …]}` (the
    /// format of `models/*/test_set.json`). Each flat input is reshaped to the graph's input shape.
    pub fn from_json(json: &str, graph: &Graph) -> Result<Self, QuantError> {
        let bad = |reason: String| QuantError::CalibrationData { reason };
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        let list = match &value {
            serde_json::Value::Array(a) => a.clone(),
            serde_json::Value::Object(o) => match o.get("examples") {
                Some(serde_json::Value::Array(ex)) => ex
                    .iter()
                    .map(|e| e.get("input").cloned().unwrap_or(serde_json::Value::Null))
                    .collect(),
                _ => return Err(bad("expected an \"examples\" array".into())),
            },
            _ => return Err(bad("expected an array or an object".into())),
        };
        let [(name, idx)] = graph.inputs() else {
            return Err(bad(format!(
                "JSON calibration needs a graph with one input, found {}",
                graph.inputs().len()
            )));
        };
        let shape = graph.shape(ValueRef::first(*idx)).map_err(|e| bad(e.to_string()))?.to_vec();
        let whole: usize = shape.iter().product();
        let batch = shape.first().copied().unwrap_or(1).max(1);
        let mut flat = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let data: Vec<f64> = serde_json::from_value(item.clone())
                .map_err(|e| bad(format!("sample {i}: {e}")))?;
            flat.push(data);
        }
        // Samples of one example each (a test set) fill batches of the compiled batch size, the
        // last one completed with the first examples; samples of a whole batch stay as they are.
        let per_example = whole / batch;
        let grouped: Vec<Vec<f64>> = if batch > 1 && flat.iter().all(|d| d.len() == per_example) {
            let n = flat.len().div_ceil(batch);
            (0..n)
                .map(|b| {
                    (0..batch).flat_map(|j| flat[(b * batch + j) % flat.len()].clone()).collect()
                })
                .collect()
        } else {
            flat
        };
        let mut samples = Vec::with_capacity(grouped.len());
        for (i, data) in grouped.into_iter().enumerate() {
            let t = Tensor::new(shape.clone(), data)
                .map_err(|e| bad(format!("sample {i} for input {name}: {e}")))?;
            samples.push(vec![t]);
        }
        if samples.is_empty() {
            return Err(bad("no samples".into()));
        }
        Ok(Calibration::Samples(samples))
    }
}

/// SplitMix64: a tiny, well-known deterministic generator.
struct SplitMix(u64);

impl SplitMix {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What calibration learned.
#[derive(Clone, Debug, Default)]
pub struct CalibrationResult {
    /// Float `[min, max]` of every value over all samples.
    pub ranges: HashMap<ValueRef, (f64, f64)>,
    /// Nodes whose value does not depend on any graph input.
    pub const_valued: HashSet<NodeIndex>,
    /// Values of the constant-valued nodes.
    pub consts: HashMap<ValueRef, Tensor<f64>>,
    /// Largest |value| among input-dependent values.
    pub max_abs: f64,
    /// The sample inputs used (to replay them through the quantized model).
    pub samples: Vec<Vec<Tensor<f64>>>,
}

/// Runs calibration.
pub fn calibrate(graph: &Graph, cal: &Calibration) -> Result<CalibrationResult, QuantError> {
    let samples = match cal {
        Calibration::Samples(s) => s.clone(),
        Calibration::Synthetic { samples, seed, lo, hi } => {
            let mut rng = SplitMix(*seed);
            (0..*samples)
                .map(|_| {
                    graph
                        .inputs()
                        .iter()
                        .map(|(_, idx)| {
                            let shape = graph
                                .shape(ValueRef::first(*idx))
                                .map(<[usize]>::to_vec)
                                .unwrap_or_default();
                            let data = (0..numel(&shape))
                                .map(|_| lo + (hi - lo) * rng.next_unit())
                                .collect();
                            Tensor::new(shape, data)
                                .map_err(|e| QuantError::CalibrationData { reason: e.to_string() })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    if samples.is_empty() {
        return Err(QuantError::CalibrationData { reason: "no samples".into() });
    }
    let order = graph.topo_order().map_err(crate::error::EvalError::from)?;
    let mut const_valued = HashSet::new();
    for &idx in &order {
        let n = graph.node(idx).map_err(crate::error::EvalError::from)?;
        let is_const = match n.op {
            Op::Input { .. } => false,
            _ => n.inputs.iter().all(|v| const_valued.contains(&v.node)),
        };
        if is_const {
            const_valued.insert(idx);
        }
    }
    let mut out = CalibrationResult { const_valued, ..Default::default() };
    for (i, s) in samples.iter().enumerate() {
        let run = run_float(graph, s)?;
        for (v, t) in run.values {
            if out.const_valued.contains(&v.node) {
                if i == 0 {
                    out.consts.insert(v, t);
                }
                continue;
            }
            let (lo, hi) = t
                .data()
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            out.max_abs = out.max_abs.max(lo.abs()).max(hi.abs());
            let e = out.ranges.entry(v).or_insert((lo, hi));
            *e = (e.0.min(lo), e.1.max(hi));
        }
    }
    out.samples = samples;
    Ok(out)
}

/// Largest `s ≤ max_bits` such that `2 · max_abs · 2^s < 2^(activation_bits − 1)`, at least
/// `min_bits`.
pub fn choose_scale_bits(max_abs: f64, activation_bits: u32, min_bits: u32, max_bits: u32) -> u32 {
    let headroom = (2.0 * max_abs.max(1e-9)).log2().ceil() as i64;
    let s = activation_bits as i64 - 1 - headroom;
    s.clamp(min_bits as i64, max_bits as i64) as u32
}
