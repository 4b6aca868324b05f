//! `quantize`: calibrate a float graph, choose the scale bits, lower every op to the integer IR.

use std::collections::HashMap;

use tracing::{info, instrument};

use super::{Calibration, CompileReport, QuantizedModel, builder, calibrate, report};
use crate::error::{EvalError, QuantError};
use crate::ir::Graph;
use crate::quant::builder::Builder;
use crate::quant::lower::Lowering;
use crate::quant::qop::{Encoding, QGraph, QOp};

/// Quantization settings.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantConfig {
    /// Calibration inputs.
    pub calibration: Calibration,
    /// Largest scale bits `s` to use.
    pub max_scale_bits: u32,
    /// Smallest scale bits `s` to accept.
    pub min_scale_bits: u32,
    /// Bits of a canonical activation (sign included): calibrated values times `2^s` must fit.
    pub activation_bits: u32,
}

impl Default for QuantConfig {
    fn default() -> Self {
        Self {
            calibration: Calibration::default(),
            max_scale_bits: 12,
            min_scale_bits: 4,
            activation_bits: 24,
        }
    }
}

/// Quantizes a float graph. The scale bits start from the calibrated float range
/// ([`calibrate::choose_scale_bits`]); while a range-checked integer of the calibration inputs
/// (a rescale's quotient, a clamp, a division or a table output) exceeds the activation range,
/// the scale drops by the bits it exceeds by, down to `min_scale_bits`; past that the compile
/// fails naming the node ([`QuantError::Range`]).
#[instrument(skip_all)]
pub fn quantize(graph: &Graph, config: &QuantConfig) -> Result<QuantizedModel, QuantError> {
    let cal = calibrate::calibrate(graph, &config.calibration)?;
    let mut bits = calibrate::choose_scale_bits(
        cal.max_abs,
        config.activation_bits,
        config.min_scale_bits,
        config.max_scale_bits,
    );
    let limit = 1i64 << (config.activation_bits - 1);
    loop {
        let model = quantize_at(graph, config, &cal, bits)?;
        let worst = model
            .report
            .checks
            .iter()
            .map(|c| (c, c.output.0.unsigned_abs().max(c.output.1.unsigned_abs())))
            .max_by_key(|(_, v)| *v);
        let Some((check, value)) = worst.filter(|(_, v)| *v >= limit as u64) else {
            return Ok(model);
        };
        // Each scale bit halves the values: drop the bits the worst one exceeds by.
        let over = (64 - value.leading_zeros()) + 1 - config.activation_bits;
        if bits <= config.min_scale_bits {
            return Err(QuantError::Range {
                node: check.node.clone(),
                op: check.op,
                value: value.min(i64::MAX as u64) as i64,
                bits: config.activation_bits,
                scale_bits: bits,
            });
        }
        info!(scale_bits = bits, node = %check.node, "calibrated values overflow: fewer scale bits");
        bits = bits.saturating_sub(over.max(1)).max(config.min_scale_bits);
    }
}

/// Quantizes at scale bits `bits`.
fn quantize_at(
    graph: &Graph,
    config: &QuantConfig,
    cal: &calibrate::CalibrationResult,
    bits: u32,
) -> Result<QuantizedModel, QuantError> {
    let mut l = Lowering {
        b: Builder::new(graph, bits, &cal.consts, &cal.ranges),
        map: HashMap::new(),
        const_valued: cal.const_valued.clone(),
    };
    let unit = l.b.unit();
    for (name, idx) in graph.inputs() {
        let shape = graph
            .shape(crate::ir::ValueRef::first(*idx))
            .map(<[usize]>::to_vec)
            .unwrap_or_default();
        let index = l.b.q.inputs.len();
        // Integer inputs are taken as they are; real inputs as round(x · 2^s).
        let integer = matches!(
            graph.node(*idx).map(|n| &n.op),
            Ok(crate::ir::Op::Input { elem: crate::ir::ElemType::Integer, .. })
        );
        let scale = if integer { 1.0 } else { unit };
        let id = l.b.push(name, QOp::Input { index }, Vec::new(), shape);
        l.b.q.inputs.push((name.clone(), id, Encoding { scale, zero: 0 }));
        l.map.insert(crate::ir::ValueRef::first(*idx), builder::QVal { id, scale, zero: 0 });
    }
    let order = graph.topo_order().map_err(EvalError::from)?;
    for idx in order {
        if cal.const_valued.contains(&idx) {
            continue;
        }
        let node = graph.node(idx).map_err(EvalError::from)?;
        if matches!(node.op, crate::ir::Op::Input { .. }) {
            continue;
        }
        let outs = l.lower(node)?;
        for (port, v) in outs.into_iter().enumerate() {
            l.map.insert(crate::ir::ValueRef { node: idx, port }, v);
        }
    }
    let mut outputs = Vec::new();
    for (name, v) in graph.outputs() {
        let q = l.value(*v)?;
        // An ONNX output holding quantized integers (QuantizeLinear, possibly through layout ops)
        // is those integers, not the real value they encode.
        let enc = if integer_valued(graph, *v) {
            Encoding { scale: 1.0, zero: 0 }
        } else {
            Encoding { scale: q.scale, zero: q.zero }
        };
        outputs.push((name.clone(), q.id, enc));
    }
    l.b.q.outputs = outputs;
    let q = prune(l.b.q);
    let mut model = QuantizedModel { graph: q, report: CompileReport::default() };
    model.report = report::build(&model, bits, config.activation_bits, &cal.samples)?;
    // Accuracy against the float model on the calibration inputs.
    for s in &cal.samples {
        let (float, quant) = (crate::interp::eval_float(graph, s)?, model.run(s)?);
        for (f, q) in float.iter().zip(&quant) {
            for (a, b) in f.data().iter().zip(q.data()) {
                let r = &mut model.report;
                r.max_output_error = r.max_output_error.max((a - b).abs());
                r.output_range = (r.output_range.0.min(*a), r.output_range.1.max(*a));
            }
        }
    }
    info!(scale_bits = bits, nodes = model.graph.nodes.len(), "quantized");
    Ok(model)
}

/// Whether a float value holds the integers of a QuantizeLinear (directly or through ops that
/// only move or select elements).
fn integer_valued(graph: &Graph, v: crate::ir::ValueRef) -> bool {
    use crate::ir::Op;
    let mut cur = v;
    loop {
        let Ok(n) = graph.node(cur.node) else { return false };
        match &n.op {
            Op::QuantizeLinear(_) => return true,
            // A constant is quantized as the real value it holds (an integer constant's real
            // value is its integers): its encoding dequantizes it, whatever its type.
            Op::Constant { .. } => return false,
            Op::Reshape { .. }
            | Op::Flatten { .. }
            | Op::Squeeze { .. }
            | Op::Unsqueeze { .. }
            | Op::Identity
            | Op::Transpose { .. }
            | Op::Slice { .. }
            | Op::Split { .. }
            | Op::Gather { .. }
            | Op::MaxPool { .. } => match n.inputs.first() {
                Some(&i) => cur = i,
                None => return false,
            },
            _ => return false,
        }
    }
}

/// Removes nodes no output depends on (inputs are kept) and renumbers the rest.
fn prune(q: QGraph) -> QGraph {
    let mut live = vec![false; q.nodes.len()];
    for (_, id, _) in q.outputs.iter().chain(&q.inputs) {
        live[*id] = true;
    }
    for i in (0..q.nodes.len()).rev() {
        if live[i] {
            for &j in &q.nodes[i].inputs {
                live[j] = true;
            }
        }
    }
    let mut new_id = vec![usize::MAX; q.nodes.len()];
    let mut nodes = Vec::new();
    for (i, mut n) in q.nodes.into_iter().enumerate() {
        if live[i] {
            n.inputs = n.inputs.iter().map(|&j| new_id[j]).collect();
            new_id[i] = nodes.len();
            nodes.push(n);
        }
    }
    let remap = |v: Vec<(String, usize, Encoding)>| {
        v.into_iter().map(|(n, id, e)| (n, new_id[id], e)).collect()
    };
    QGraph { nodes, tables: q.tables, inputs: remap(q.inputs), outputs: remap(q.outputs) }
}
