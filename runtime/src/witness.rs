//! Witness generation: every node's value from the reference interpreter, then the tensors the
//! prover commits (rescale and division remainders, square-root residues, clamp stages, max
//! differences and selectors, lookup outputs), the limbs of every range check and the range
//! table's multiplicities, and the multiplicities of each merged function lookup (one vector per
//! table, over all its nodes).

use std::collections::BTreeMap;

use rayon::prelude::*;
use tessera_blocks::block::Block;
use tessera_blocks::elementwise::{Broadcast, BroadcastSpec};
use tessera_blocks::lookup::{self, Table};
use tessera_blocks::permutation::{StructuredMap, StructuredMapSpec, WindowAxis};
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::Tensor;
use tessera_compiler::plan::{BlockPlan, Lin, Ref, Step};
use tessera_compiler::quant::run_quantized;

use crate::error::Error;

/// Everything the prover knows.
pub(crate) struct Witness {
    /// Per node.
    pub values: Vec<IntTensor>,
    /// Committed tensors by reference.
    pub committed: BTreeMap<Ref, IntTensor>,
    /// Per range check, its limbs (least significant first).
    pub limbs: Vec<Vec<IntTensor>>,
    /// How often each range-table row is looked up.
    pub multiplicities: Vec<u64>,
    /// Per [`tessera_compiler::plan::FunctionLookup`] of the plan, how often each row of its
    /// padded table is looked up by all its nodes.
    pub function_multiplicities: Vec<Vec<u64>>,
}

pub(crate) fn to_int(t: &Tensor<i64>) -> Result<IntTensor, Error> {
    Ok(IntTensor::new(t.shape().to_vec(), t.data().to_vec())?)
}

/// `Σ c_i·t_i + constant` entrywise.
pub(crate) fn eval_lin(
    committed: &BTreeMap<Ref, IntTensor>,
    lin: &Lin,
    shape: &[usize],
    with_constant: bool,
) -> Result<IntTensor, Error> {
    let len: usize = shape.iter().product();
    let k = if with_constant { lin.constant } else { 0 };
    let mut out = vec![k; len];
    for (r, c) in &lin.terms {
        let t = committed.get(r).ok_or_else(|| Error::Witness {
            node: format!("node #{}", r.node),
            reason: format!("committed slot {} is missing", r.slot),
        })?;
        if t.data().len() != len {
            return Err(Error::Witness {
                node: format!("node #{}", r.node),
                reason: "a linear form mixes shapes".into(),
            });
        }
        for (o, x) in out.iter_mut().zip(t.data()) {
            *o += c * x;
        }
    }
    Ok(IntTensor::new(shape.to_vec(), out)?)
}

/// The view of tap `k` of a `kernel` window with `stride` over `[B, C, H, W]`.
pub(crate) fn pool_tap(
    in_shape: &[usize],
    out_shape: &[usize],
    kernel: [usize; 2],
    stride: [usize; 2],
    pads: [usize; 2],
    dilation: [usize; 2],
    k: usize,
) -> StructuredMapSpec {
    let (ky, kx) = (k / kernel[1], k % kernel[1]);
    let axis = |axis: usize, offset: usize| WindowAxis {
        axis,
        offset,
        stride: stride[axis - 2],
        dilation: dilation[axis - 2],
        pad_before: pads[axis - 2],
        out_len: out_shape[axis],
    };
    StructuredMapSpec::window(in_shape, &[axis(2, ky), axis(3, kx)])
}

/// The range table `[0, 2^T)`.
pub(crate) fn range_table(plan: &BlockPlan) -> Result<Table, Error> {
    Ok(Table::range(0, 1i64 << plan.range_table_bits)?)
}

/// Function table `t` of the plan's graph, as the lookup block's two-column table.
pub(crate) fn function_table(plan: &BlockPlan, t: usize) -> Result<Table, Error> {
    let qt = plan
        .graph
        .tables
        .get(t)
        .ok_or_else(|| Error::Input(format!("the plan has no table {t}")))?;
    let label =
        format!("{:?} [{}, {}] {}→{} bits", qt.func, qt.lo, qt.hi(), qt.in_bits, qt.out_bits);
    Ok(Table::function(&label, qt.lo, qt.hi() + 1, qt.values.clone())?)
}

/// `x` broadcast (numpy rules, aligned right) to `shape`.
pub(crate) fn broadcast_to(x: &IntTensor, shape: &[usize]) -> Result<IntTensor, Error> {
    let spec =
        BroadcastSpec { in_shape: ranked(x.shape(), shape.len()), out_shape: shape.to_vec() };
    let x = IntTensor::new(spec.in_shape.clone(), x.data().to_vec())?;
    Ok(Broadcast::eval(&spec, &[x])?.remove(0))
}

/// `shape` left-padded with ones to `rank` axes.
pub(crate) fn ranked(shape: &[usize], rank: usize) -> Vec<usize> {
    let mut s = vec![1; rank.saturating_sub(shape.len())];
    s.extend_from_slice(shape);
    s
}

/// Runs the plan on quantized inputs and derives every committed tensor.
pub(crate) fn generate(plan: &BlockPlan, inputs: &[Tensor<i64>]) -> Result<Witness, Error> {
    let _span = tracing::info_span!("witness").entered();
    let values = run_quantized(&plan.graph, inputs, None)
        .map_err(|e| Error::Input(e.to_string()))?
        .iter()
        .map(to_int)
        .collect::<Result<Vec<_>, _>>()?;
    let mut committed = BTreeMap::new();
    for (id, step) in plan.steps.iter().enumerate() {
        let node = &plan.graph.nodes[id];
        let bad = |reason: String| Error::Witness { node: format!("node {}", node.name), reason };
        let at = |slot| Ref { node: id, slot };
        match step {
            Step::Input { private: true } => {
                committed.insert(at(0), values[id].clone());
            }
            Step::Rescale { input, shift } => {
                let (x, y) = (&values[*input], &values[id]);
                let half = 1i64 << (shift - 1);
                let r: Vec<i64> =
                    x.data().iter().zip(y.data()).map(|(x, y)| x + half - (y << shift)).collect();
                if let Some(bad_r) = r.iter().find(|r| **r < 0 || **r >= 1i64 << shift) {
                    return Err(bad(format!("rescale remainder {bad_r} outside [0, 2^{shift})")));
                }
                committed.insert(at(0), y.clone());
                committed.insert(at(1), IntTensor::new(node.shape.clone(), r)?);
            }
            Step::Clamp { input, lo, hi } => {
                committed.insert(at(0), values[id].clone());
                if let (Some(lo), Some(_)) = (lo, hi) {
                    let a = eval_lin(&committed, input, &node.shape, true)?;
                    let w = a.data().iter().map(|v| (*v).max(*lo)).collect();
                    committed.insert(at(1), IntTensor::new(node.shape.clone(), w)?);
                }
            }
            Step::MaxPool { input, kernel, stride, pads, dilation, pad_value } => {
                let in_shape = plan.graph.nodes[node.inputs[0]].shape.clone();
                // The taps of `x − pad_value` (a padded tap reads 0), so d = y − pad_value − tap.
                let shifted = input.clone().plus(-pad_value);
                let a = eval_lin(&committed, &shifted, &in_shape, true)?;
                let y = values[id].clone();
                for k in 0..kernel[0] * kernel[1] {
                    let spec =
                        pool_tap(&in_shape, &node.shape, *kernel, *stride, *pads, *dilation, k);
                    let view = StructuredMap::eval(&spec, std::slice::from_ref(&a))?;
                    let d = y
                        .data()
                        .iter()
                        .zip(view[0].data())
                        .map(|(y, x)| y - pad_value - x)
                        .collect();
                    committed.insert(at(1 + k), IntTensor::new(node.shape.clone(), d)?);
                }
                committed.insert(at(0), y);
            }
            Step::DivConst { input, divisor } => {
                let (x, y, d) = (&values[*input], &values[id], *divisor);
                let mut r = Vec::with_capacity(x.data().len());
                for (x, y) in x.data().iter().zip(y.data()) {
                    // In i128: the remainder of a saturated quotient may not fit.
                    let v = *x as i128 + (d / 2) as i128 - d as i128 * *y as i128;
                    if v < 0 || v >= d as i128 {
                        return Err(bad(format!("remainder {v} outside [0, {d})")));
                    }
                    r.push(v as i64);
                }
                committed.insert(at(0), y.clone());
                committed.insert(at(1), IntTensor::new(node.shape.clone(), r)?);
            }
            Step::DivRound { input, divisor, shift } => {
                let (x, y) = (&values[*input], &values[id]);
                let dd = broadcast_to(&values[*divisor], &node.shape)?;
                let mut r = Vec::with_capacity(y.data().len());
                for ((x, y), d) in x.data().iter().zip(y.data()).zip(dd.data()) {
                    // 2·x·2^s + d − 2·d·y, in i128 so no intermediate overflows.
                    let v = 2 * (*x as i128) * (1i128 << shift) + *d as i128
                        - 2 * (*d as i128) * (*y as i128);
                    if *d <= 0 || v < 0 || v >= 2 * (*d as i128) {
                        return Err(bad(format!("remainder {v} outside [0, 2·{d})")));
                    }
                    r.push(v as i64);
                }
                committed.insert(at(0), y.clone());
                committed.insert(at(1), IntTensor::new(node.shape.clone(), r)?);
                committed.insert(at(2), dd);
            }
            Step::Sqrt { input } => {
                let (x, y) = (&values[*input], &values[id]);
                let e: Vec<i64> = x
                    .data()
                    .iter()
                    .zip(y.data())
                    .map(|(x, y)| y.checked_mul(*y).and_then(|yy| x.checked_sub(yy)))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad("square overflows".into()))?;
                committed.insert(at(0), y.clone());
                committed.insert(at(1), IntTensor::new(node.shape.clone(), e)?);
            }
            Step::ReduceMax { input, axis } => {
                let (x, y) = (&values[*input], &values[id]);
                let in_shape = x.shape().to_vec();
                let k = in_shape.get(*axis).copied().ok_or_else(|| bad("max axis".into()))?;
                let inner: usize = in_shape[axis + 1..].iter().product();
                let mut d = vec![0i64; x.data().len()];
                let mut sel = vec![0i64; x.data().len()];
                // Line (o, b) of the reduced axis: entries (o·k + j)·inner + b, maximum y[o·inner + b].
                for (line, m) in y.data().iter().enumerate() {
                    let (o, b) = (line / inner.max(1), line % inner.max(1));
                    let at_j = |j: usize| (o * k + j) * inner + b;
                    for j in 0..k {
                        d[at_j(j)] = m - x.data()[at_j(j)];
                    }
                    let hit = (0..k)
                        .find(|j| x.data()[at_j(*j)] == *m)
                        .ok_or_else(|| bad(format!("line {line}: the maximum is not an entry")))?;
                    sel[at_j(hit)] = 1;
                }
                committed.insert(at(0), y.clone());
                committed.insert(at(1), IntTensor::new(in_shape.clone(), d)?);
                committed.insert(at(2), IntTensor::new(in_shape, sel)?);
            }
            Step::Lookup { .. } => {
                committed.insert(at(0), values[id].clone());
            }
            _ => {}
        }
    }
    let mut w = Witness {
        values,
        committed,
        limbs: Vec::new(),
        multiplicities: Vec::new(),
        function_multiplicities: Vec::new(),
    };
    range_witness(plan, &mut w)?;
    function_witness(plan, &mut w)?;
    Ok(w)
}

/// The `(x, y)` columns of every node of a merged function lookup, from `committed`.
pub(crate) fn function_vectors(
    plan: &BlockPlan,
    committed: &BTreeMap<Ref, IntTensor>,
    nodes: &[usize],
) -> Result<Vec<Vec<IntTensor>>, Error> {
    nodes
        .iter()
        .map(|&id| {
            let (Some(Step::Lookup { input, .. }), Some(node)) =
                (plan.steps.get(id), plan.graph.nodes.get(id))
            else {
                return Err(Error::Input(format!("node #{id} is not a lookup")));
            };
            let x = eval_lin(committed, input, &node.shape, true)?;
            let y = committed.get(&Ref { node: id, slot: 0 }).ok_or_else(|| Error::Witness {
                node: format!("node {}", node.name),
                reason: "the lookup output is missing".into(),
            })?;
            Ok(vec![x, y.clone()])
        })
        .collect()
}

/// The multiplicities of every merged function lookup, from `w.committed`.
pub(crate) fn function_witness(plan: &BlockPlan, w: &mut Witness) -> Result<(), Error> {
    w.function_multiplicities = plan
        .function_lookups
        .iter()
        .map(|f| {
            let table = function_table(plan, f.table)?;
            let vectors = function_vectors(plan, &w.committed, &f.nodes)?;
            lookup::multiplicities(&table, &vectors).map_err(|e| Error::Witness {
                node: format!("function lookup of table {}", f.table),
                reason: e.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(())
}

/// The limbs of every range check and the range table's multiplicities, from `w.committed`.
pub(crate) fn range_witness(plan: &BlockPlan, w: &mut Witness) -> Result<(), Error> {
    let committed = &w.committed;
    let t = plan.range_table_bits;
    let limbs = plan
        .range_checks
        .par_iter()
        .map(|c| {
            let shape = plan.lin_shape(&c.value, c.node);
            let v = eval_lin(committed, &c.value, &shape, true)?;
            lookup::decompose(&v, t, c.limbs as usize, 0).map_err(|e| Error::Witness {
                node: format!("node {}", plan.graph.nodes[c.node].name),
                reason: format!("range check: {e}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (c, ls) in plan.range_checks.iter().zip(&limbs) {
        let top = ls.last().map(|l| l.data());
        if top.is_some_and(|top| top.iter().any(|x| *x >> c.top_bits != 0)) {
            let bits = t * (c.limbs - 1) + c.top_bits;
            return Err(Error::Witness {
                node: format!("node {}", plan.graph.nodes[c.node].name),
                reason: format!("range check: a value is outside [0, 2^{bits})"),
            });
        }
    }
    let table = range_table(plan)?;
    let multiplicities = if limbs.is_empty() {
        vec![0; 1 << table.num_vars()]
    } else {
        let mut looked_up: Vec<Vec<IntTensor>> = Vec::new();
        for (c, ls) in plan.range_checks.iter().zip(&limbs) {
            looked_up.extend(ls.iter().map(|l| vec![l.clone()]));
            if let (Some(shift), Some(top)) = (c.top_shift(t), ls.last()) {
                looked_up.push(vec![plus(top, shift)?]);
            }
        }
        lookup::multiplicities(&table, &looked_up)
            .map_err(|e| Error::Witness { node: "range lookup".into(), reason: e.to_string() })?
    };
    w.limbs = limbs;
    w.multiplicities = multiplicities;
    Ok(())
}

/// The range lookup's looked-up vectors: per check, limb 0 minus the check's constant (the
/// committed combination `C_0`, see the schedule), then its other limbs, then (when the top limb
/// has fewer than `T` bits) the top limb's column once more; one column each.
pub(crate) fn range_vectors(
    plan: &BlockPlan,
    limbs: &[Vec<IntTensor>],
) -> Result<Vec<Vec<IntTensor>>, Error> {
    let mut out = Vec::new();
    for (c, ls) in plan.range_checks.iter().zip(limbs) {
        let Some((first, rest)) = ls.split_first() else {
            return Err(Error::Input("a range check without limbs".into()));
        };
        let base = limb_base(first, c.value.constant)?;
        out.extend(std::iter::once(&base).chain(rest).map(|l| vec![l.clone()]));
        if c.top_shift(plan.range_table_bits).is_some() {
            out.push(vec![rest.last().unwrap_or(&base).clone()]);
        }
    }
    Ok(out)
}

/// `x + k` entrywise.
fn plus(x: &IntTensor, k: i64) -> Result<IntTensor, Error> {
    let data = x.data().iter().map(|v| v + k).collect();
    Ok(IntTensor::new(x.shape().to_vec(), data)?)
}

/// `limb_0 − constant` entrywise: the tensor committed in `C_0`.
pub(crate) fn limb_base(limb0: &IntTensor, constant: i64) -> Result<IntTensor, Error> {
    let data = limb0.data().iter().map(|x| x - constant).collect();
    Ok(IntTensor::new(limb0.shape().to_vec(), data)?)
}
