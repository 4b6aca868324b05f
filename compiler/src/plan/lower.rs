//! Lowering a quantized graph to a [`BlockPlan`]: roles, steps, the merged range checks, then the
//! same-table merge of function lookups ([`merge_lookups`]).
//!
//! | op | step | range checks (limbs of `T` bits) |
//! |---|---|---|
//! | `Rescale`, `DivConst` | committed `[y, r]` | `y` signed; `0 ≤ r < d` exactly (`r ≥ 0` and `d − 1 − r ≥ 0` unless `d` is a power of two) |
//! | `DivRound` | committed `[y, r, d̄]` | `y` signed; `r ≥ 0`; `2d̄ − 1 − r ≥ 0` |
//! | `Sqrt` | committed `[y, e]` | `y` signed; `e ≥ 0`; `2y − e ≥ 0` |
//! | `ReduceMax` (one axis) | committed `[y, D, S]` | `D ≥ 0` (`S` binary by a zero check) |
//! | `ArgMax` (one axis) | committed `[i, m, D, S]` | `D ≥ 0`; `0 ≤ i < K`; `m` within `x`'s interval |
//! | `Lookup` | committed `[y]` | none: the table's merged function lookup |
//! | `Clamp`, `MaxPool` | committed | the differences |
//! | `ReduceSum`, `Slice`, `Transpose`, `Reshape`, `Concat`, `Gather` (constant indices), two-tensor `MatMul`, broadcasting `Add`/`Sub`/`Mul` | derived | none |
//!
//! `x − broadcast(max(x))` is the linear form `−D` of the max's relation, so the clamp that
//! follows it in a softmax reads committed tensors only.

use tracing::info;

use super::bounds::step_bound;
use super::interval::{Interval, Intervals, bits_for};
use super::steps::arg_max::ArgMax;
use super::steps::clamp::Clamp;
use super::steps::div_round::DivRound;
use super::steps::division::{DivConst, Rescale};
use super::steps::lookup::Lookup;
use super::steps::max_pool::MaxPool;
use super::steps::reduce_max::ReduceMax;
use super::steps::sqrt::Sqrt;
use super::steps::{axis_sum, batched_matmul, conv, hadamard, linear, maps, matmul, sum_pool};
use super::{
    BlockPlan, Lin, PLAN_VERSION, PlanError, RANGE_TABLE_BITS, RangeCheck, Ref, Role, Step,
    merge_lookups,
};
use crate::ir::Window;
use crate::quant::QuantizedModel;
use crate::quant::qop::{QId, QNode, QOp, Table};

/// Options of [`lower`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LowerOptions {
    /// Model name recorded in the plan.
    pub model: String,
    /// Commit the model inputs instead of making them public.
    pub private_input: bool,
}

/// The lowering's state, which the step files' `lower` functions extend.
pub(crate) struct Lowering<'a> {
    pub nodes: &'a [QNode],
    pub tables: &'a [Table],
    pub roles: Vec<Role>,
    pub steps: Vec<Step>,
    pub checks: Vec<RangeCheck>,
    pub intervals: Intervals,
    /// Per lowered node, the bound on its entries ([`step_bound`]).
    pub bounds: Vec<Option<Interval>>,
    pub activation_bits: u32,
}

/// Lowers `model` (compiled for its batch size) to a block plan.
pub fn lower(model: &QuantizedModel, options: &LowerOptions) -> Result<BlockPlan, PlanError> {
    let g = &model.graph;
    let activation_bits = model.report.activation_bits.clamp(2, 40);
    let mut l = Lowering {
        nodes: &g.nodes,
        tables: &g.tables,
        roles: Vec::with_capacity(g.nodes.len()),
        steps: Vec::with_capacity(g.nodes.len()),
        checks: Vec::new(),
        intervals: Intervals::default(),
        bounds: Vec::with_capacity(g.nodes.len()),
        activation_bits,
    };
    for (id, node) in g.nodes.iter().enumerate() {
        let (role, step) = l.node(id, node, options.private_input)?;
        let own = l.intervals.of(&Lin::of(Ref { node: id, slot: 0 }));
        let bound = step_bound(id, &step, l.nodes, &l.bounds, own, l.act());
        l.bounds.push(bound);
        l.roles.push(role);
        l.steps.push(step);
    }
    let batch = g
        .inputs
        .first()
        .and_then(|(_, id, _)| g.nodes.get(*id))
        .and_then(|n| n.shape.first().copied())
        .unwrap_or(1);
    drop_implied_quotient_checks(&mut l.checks, &l.steps);
    let function_lookups = merge_lookups(&l.steps);
    let plan = BlockPlan {
        version: PLAN_VERSION,
        model: options.model.clone(),
        batch,
        graph: g.clone(),
        roles: l.roles,
        steps: l.steps,
        range_checks: l.checks,
        function_lookups,
        range_table_bits: RANGE_TABLE_BITS,
        activation_bits,
        scale_bits: model.report.scale_bits,
        report: model.report.to_string(),
    };
    plan.validate()?;
    info!(
        nodes = plan.graph.nodes.len(),
        committed = plan.committed_tensors(),
        range_checks = plan.range_checks.len(),
        function_lookups = plan.function_lookups.len(),
        "lowered"
    );
    Ok(plan)
}

impl Lowering<'_> {
    fn node(&mut self, id: QId, node: &QNode, private: bool) -> Result<(Role, Step), PlanError> {
        let unsupported = |reason: &str| PlanError::Unsupported {
            node: node.label(),
            op: node.op.name(),
            reason: reason.to_string(),
        };
        let arg =
            |k: usize| node.inputs.get(k).copied().ok_or_else(|| unsupported("missing input"));
        let act = self.act();
        Ok(match &node.op {
            QOp::Input { .. } => {
                if private {
                    let x = Ref { node: id, slot: 0 };
                    self.signed_check(id, x);
                    self.intervals.set(x, act);
                    (Role::PrivateInput, Step::Input { private: true, committed: false })
                } else {
                    (Role::PublicInput, Step::Input { private: false, committed: false })
                }
            }
            QOp::Const(t) => match t.data() {
                [k] => (Role::Scalar(*k), Step::Data),
                _ => (Role::Weight, Step::Data),
            },
            QOp::Gemm { trans_a, trans_b } => {
                if *trans_a {
                    return Err(unsupported("a transposed left operand"));
                }
                let (x, w) = (arg(0)?, arg(1)?);
                self.expect_tensor(node, x)?;
                if self.roles[w] != Role::Weight || self.nodes[w].shape.len() != 2 {
                    return Err(unsupported("the right operand must be a constant matrix"));
                }
                (
                    Role::Derived,
                    Step::Matmul(matmul::Matmul { input: x, weight: w, trans_weight: *trans_b }),
                )
            }
            QOp::MatMul => {
                let (x, w) = (arg(0)?, arg(1)?);
                self.expect_tensor(node, x)?;
                if self.roles[w] == Role::Weight && self.nodes[w].shape.len() == 2 {
                    return Ok((
                        Role::Derived,
                        Step::Matmul(matmul::Matmul { input: x, weight: w, trans_weight: false }),
                    ));
                }
                self.expect_tensor(node, w)?;
                let (a, b) = (&self.nodes[x].shape, &self.nodes[w].shape);
                let r = a.len();
                let ok = r >= 2
                    && b.len() == r
                    && a[..r - 2] == b[..r - 2]
                    && a[r - 1] == b[r - 2]
                    && node.shape[..r - 1] == a[..r - 1]
                    && node.shape[r - 1] == b[r - 1];
                if !ok {
                    return Err(unsupported("a batched product needs equal head axes"));
                }
                (
                    Role::Derived,
                    Step::BatchedMatmul(batched_matmul::BatchedMatmul { left: x, right: w }),
                )
            }
            QOp::Conv { window, group } => {
                let (x, w) = (arg(0)?, arg(1)?);
                self.expect_tensor(node, x)?;
                if window.kernel.len() != 2 || self.roles[w] != Role::Weight {
                    return Err(unsupported("only 2-D convolutions with constant weights"));
                }
                let two = |v: &[usize]| [v[0], v[1]];
                let step = Step::Conv(conv::Conv {
                    input: x,
                    weight: w,
                    kernel: two(&window.kernel),
                    stride: two(&window.strides),
                    pads: [
                        window.pads_begin[0],
                        window.pads_begin[1],
                        window.pads_end[0],
                        window.pads_end[1],
                    ],
                    dilation: two(&window.dilations),
                    group: *group,
                });
                (Role::Derived, step)
            }
            QOp::Add | QOp::Sub => {
                let sign = if matches!(node.op, QOp::Add) { 1 } else { -1 };
                let (a, b) = (arg(0)?, arg(1)?);
                let same = |j: QId| self.nodes[j].shape == node.shape;
                let step = match (self.roles[a], self.roles[b]) {
                    (Role::Scalar(k), _) if self.is_tensor(b) && same(b) => {
                        Step::Linear(linear::Linear { terms: vec![(b, sign)], constant: k })
                    }
                    (_, Role::Scalar(k)) if self.is_tensor(a) && same(a) => {
                        Step::Linear(linear::Linear { terms: vec![(a, 1)], constant: sign * k })
                    }
                    (Role::Weight, _) if sign == 1 && self.is_tensor(b) && same(b) => {
                        Step::BiasAdd(linear::BiasAdd { input: b, bias: a, sign })
                    }
                    (_, Role::Weight) if self.is_tensor(a) && same(a) => {
                        Step::BiasAdd(linear::BiasAdd { input: a, bias: b, sign })
                    }
                    _ if self.is_tensor(a) && self.is_tensor(b) && same(a) && same(b) => {
                        Step::Linear(linear::Linear { terms: vec![(a, 1), (b, sign)], constant: 0 })
                    }
                    _ if self.is_tensor(a) && same(a) && self.broadcasts(b, &node.shape) => {
                        Step::BiasAdd(linear::BiasAdd { input: a, bias: b, sign })
                    }
                    _ if sign == 1
                        && self.is_tensor(b)
                        && same(b)
                        && self.broadcasts(a, &node.shape) =>
                    {
                        Step::BiasAdd(linear::BiasAdd { input: b, bias: a, sign })
                    }
                    _ => return Err(unsupported("this broadcast between operands")),
                };
                (Role::Derived, step)
            }
            QOp::Mul => {
                let (a, b) = (arg(0)?, arg(1)?);
                let same = |j: QId| self.nodes[j].shape == node.shape;
                let step = match (self.roles[a], self.roles[b]) {
                    (Role::Scalar(k), _) if self.is_tensor(b) && same(b) => {
                        Step::Linear(linear::Linear { terms: vec![(b, k)], constant: 0 })
                    }
                    (_, Role::Scalar(k)) if self.is_tensor(a) && same(a) => {
                        Step::Linear(linear::Linear { terms: vec![(a, k)], constant: 0 })
                    }
                    _ if self.is_tensor(a) && self.is_tensor(b) && same(a) && same(b) => {
                        Step::Hadamard(hadamard::Hadamard { left: a, right: b })
                    }
                    _ if self.is_tensor(a) && same(a) && self.broadcasts(b, &node.shape) => {
                        Step::Hadamard(hadamard::Hadamard { left: a, right: b })
                    }
                    _ if self.is_tensor(b) && same(b) && self.broadcasts(a, &node.shape) => {
                        Step::Hadamard(hadamard::Hadamard { left: b, right: a })
                    }
                    _ => return Err(unsupported("this broadcast between operands")),
                };
                (Role::Derived, step)
            }
            QOp::Rescale { shift } => Rescale::lower(self, id, node, *shift)?,
            QOp::Clamp { lo, hi } => Clamp::lower(self, id, node, *lo, *hi)?,
            QOp::MaxPool { window } => MaxPool::lower(self, id, node, window)?,
            QOp::SumPool { window } => {
                let x = arg(0)?;
                self.expect_tensor(node, x)?;
                let Some([kernel, stride, pads, dilation]) = pool_geometry(window) else {
                    return Err(unsupported("only 2-D pooling with pads below the window"));
                };
                (
                    Role::Derived,
                    Step::SumPool(sum_pool::SumPool { input: x, kernel, stride, pads, dilation }),
                )
            }
            QOp::ReduceSum { axes } => {
                let x = arg(0)?;
                self.expect_tensor(node, x)?;
                (Role::Derived, Step::AxisSum(axis_sum::AxisSum { input: x, axes: axes.clone() }))
            }
            QOp::DivConst { divisor } => DivConst::lower(self, id, node, *divisor)?,
            QOp::DivRound { shift } => DivRound::lower(self, id, node, *shift)?,
            QOp::Sqrt => Sqrt::lower(self, id, node)?,
            QOp::ReduceMax { axis } => ReduceMax::lower(self, id, node, *axis)?,
            QOp::ArgMax { axis, last } => ArgMax::lower(self, id, node, *axis, *last)?,
            QOp::Lookup { table } => Lookup::lower(self, id, node, *table)?,
            QOp::Slice { axes } => {
                let x = arg(0)?;
                self.expect_tensor(node, x)?;
                let rank = self.nodes[x].shape.len();
                if axes.iter().any(|a| a.step <= 0 || a.start < 0 || a.axis >= rank) {
                    return Err(unsupported("only slices with positive steps"));
                }
                (Role::Derived, Step::Slice(maps::Slice { input: x, axes: axes.clone() }))
            }
            QOp::Gather { axis, indices } => {
                let x = arg(0)?;
                self.expect_tensor(node, x)?;
                let n = self.nodes[x].shape.get(*axis).copied();
                if n.is_none_or(|n| indices.data().iter().any(|i| *i >= n)) {
                    return Err(unsupported("an index or axis out of range"));
                }
                (Role::Derived, Step::Gather(maps::Gather { input: x, axis: *axis }))
            }
            QOp::Concat { axis } => {
                let axis = *axis;
                if node.inputs.is_empty() || axis >= node.shape.len() {
                    return Err(unsupported("a concatenation without inputs or axis"));
                }
                let mut total = 0;
                for &x in &node.inputs {
                    self.expect_tensor(node, x)?;
                    let s = &self.nodes[x].shape;
                    let fits = s.len() == node.shape.len()
                        && s.iter()
                            .zip(&node.shape)
                            .enumerate()
                            .all(|(a, (x, y))| a == axis || x == y);
                    if !fits {
                        return Err(unsupported("inputs whose shapes differ off the axis"));
                    }
                    total += s[axis];
                }
                if total != node.shape[axis] {
                    return Err(unsupported("inputs that do not fill the output"));
                }
                (Role::Derived, Step::Concat(maps::Concat { inputs: node.inputs.clone(), axis }))
            }
            QOp::Transpose { perm } => {
                let x = arg(0)?;
                self.expect_tensor(node, x)?;
                let mut sorted = perm.clone();
                sorted.sort_unstable();
                if sorted != (0..self.nodes[x].shape.len()).collect::<Vec<_>>() {
                    return Err(unsupported("not a permutation"));
                }
                (Role::Derived, Step::Transpose(maps::Transpose { input: x, perm: perm.clone() }))
            }
            QOp::Reshape => {
                let x = arg(0)?;
                self.expect_tensor(node, x)?;
                (Role::Derived, Step::Reshape(maps::Reshape { input: x }))
            }
        })
    }

    /// Whether node `j` (not a scalar) broadcasts to `shape` (numpy rules, aligned right).
    pub(crate) fn broadcasts(&self, j: QId, shape: &[usize]) -> bool {
        let s = &self.nodes[j].shape;
        !matches!(self.roles[j], Role::Scalar(_))
            && s.len() <= shape.len()
            && s.iter().rev().zip(shape.iter().rev()).all(|(a, b)| *a == 1 || a == b)
    }

    /// `0 ≤ r < d` exactly: one check for a power of two, else `r ≥ 0` and `d − 1 − r ≥ 0`.
    pub(crate) fn remainder_checks(&mut self, node: QId, r: Ref, d: i64) {
        if d == 1 {
            self.exact_check(node, Lin::of(r), 0);
        } else if d.count_ones() == 1 {
            self.exact_check(node, Lin::of(r), d.trailing_zeros());
        } else {
            self.loose_check(node, Lin::of(r), d as i128 - 1);
            let rest = Lin { terms: vec![(r, -1)], constant: d - 1 };
            self.loose_check(node, rest, d as i128 - 1);
        }
    }

    /// The activation range `[−2^{A−1}, 2^{A−1})`.
    pub(crate) fn act(&self) -> Interval {
        let half = 1i128 << (self.activation_bits - 1);
        Interval::new(-half, half - 1)
    }

    fn is_tensor(&self, j: QId) -> bool {
        !matches!(self.roles[j], Role::Scalar(_) | Role::Weight)
    }

    /// An error naming `node`: the prover cannot prove it as it is.
    pub(crate) fn unsupported(&self, node: &QNode, reason: &str) -> PlanError {
        PlanError::Unsupported {
            node: node.label(),
            op: node.op.name(),
            reason: reason.to_string(),
        }
    }

    /// Input `k` of `node`.
    pub(crate) fn arg(&self, node: &QNode, k: usize) -> Result<QId, PlanError> {
        node.inputs.get(k).copied().ok_or_else(|| self.unsupported(node, "missing input"))
    }

    /// Node `j` must be a computed tensor (no weight, no scalar).
    pub(crate) fn expect_tensor(&self, node: &QNode, j: QId) -> Result<(), PlanError> {
        if self.is_tensor(j) {
            Ok(())
        } else {
            Err(self.unsupported(node, "a constant operand here"))
        }
    }

    /// Node `j`'s value as a linear form over committed tensors, which `node` needs.
    ///
    /// A public input read this way (directly or through a linear form) becomes committed too:
    /// its step commits `[x]`, which the schedule binds to the public values.
    pub(crate) fn committed_form(&mut self, node: &QNode, j: QId) -> Result<Lin, PlanError> {
        self.commit_public_inputs(j);
        self.affine(j).ok_or_else(|| {
            self.unsupported(node, "its input must be a committed tensor or a linear form of them")
        })
    }

    /// Marks the public inputs that node `j`'s value is a linear form of as committed.
    fn commit_public_inputs(&mut self, j: QId) {
        match (&self.roles[j], &self.steps[j]) {
            (Role::PublicInput, _) => {
                self.steps[j] = Step::Input { private: false, committed: true };
                // Public inputs lie in the activation range (the CLI refuses others; an input
                // beyond it only makes honest proving fail a range check sized by this).
                let act = self.act();
                self.intervals.set(Ref { node: j, slot: 0 }, act);
            }
            (Role::Derived, Step::Linear(linear::Linear { terms, .. })) => {
                let terms: Vec<QId> = terms.iter().map(|(t, _)| *t).collect();
                terms.into_iter().for_each(|t| self.commit_public_inputs(t));
            }
            _ => {}
        }
    }

    /// The bound on node `j`'s entries, if known.
    pub(crate) fn bound(&self, j: QId) -> Option<Interval> {
        self.bounds.get(j).copied().flatten()
    }

    /// The value of node `j` as a linear form over committed tensors, if it is one.
    fn affine(&self, j: QId) -> Option<Lin> {
        match (&self.roles[j], &self.steps[j]) {
            (Role::Committed | Role::PrivateInput, _)
            | (Role::PublicInput, Step::Input { committed: true, .. }) => {
                Some(Lin::of(Ref { node: j, slot: 0 }))
            }
            // x − broadcast(max(x)) is −D of the max's relation.
            (Role::Derived, Step::BiasAdd(linear::BiasAdd { input, bias, sign: -1 })) if matches!(self.steps.get(*bias), Some(Step::ReduceMax(m)) if m.input == *input) => {
                Some(Lin { terms: vec![(Ref { node: *bias, slot: 1 }, -1)], constant: 0 })
            }
            (Role::Derived, Step::Linear(linear::Linear { terms, constant })) => {
                let mut acc = Lin { terms: vec![], constant: *constant };
                for (t, c) in terms {
                    acc = acc.combine(1, &self.affine(*t)?, *c);
                }
                Some(acc)
            }
            _ => None,
        }
    }

    /// `v ∈ [−2^{A−1}, 2^{A−1})` for a committed `v`.
    pub(crate) fn signed_check(&mut self, node: QId, v: Ref) {
        let half = 1i64 << (self.activation_bits - 1);
        self.exact_check(node, Lin::of(v).plus(half), self.activation_bits);
    }

    /// `v ∈ [0, 2^bits)` exactly: the top limb has the bits the others leave.
    pub(crate) fn exact_check(&mut self, node: QId, value: Lin, bits: u32) {
        let t = RANGE_TABLE_BITS;
        let limbs = bits.div_ceil(t).max(1);
        let top_bits = bits - t * (limbs - 1);
        self.checks.push(RangeCheck { node, value, limbs, top_bits });
    }

    /// `v ∈ [0, 2^{T·L})` for the smallest `L` with `max < 2^{T·L}`: enough to prove `v ≥ 0`.
    pub(crate) fn loose_check(&mut self, node: QId, value: Lin, max: i128) {
        let limbs = bits_for(max).div_ceil(RANGE_TABLE_BITS).max(1);
        self.checks.push(RangeCheck { node, value, limbs, top_bits: RANGE_TABLE_BITS });
    }
}

/// A 2-D pooling window's kernel, strides, pads before and dilations; `None` unless every pad is
/// below the dilated kernel's extent (so every window holds a real tap) and no size is zero.
pub(crate) fn pool_geometry(window: &Window) -> Option<[[usize; 2]; 4]> {
    let two = |v: &[usize]| match v {
        [a, b] => Some([*a, *b]),
        _ => None,
    };
    let (k, s, d) = (two(&window.kernel)?, two(&window.strides)?, two(&window.dilations)?);
    let (before, after) = (two(&window.pads_begin)?, two(&window.pads_end)?);
    let fits = (0..2).all(|a| {
        k[a] >= 1
            && s[a] >= 1
            && d[a] >= 1
            && before[a].max(after[a]) < (k[a] - 1).saturating_mul(d[a]).saturating_add(1)
    });
    fits.then_some([k, s, before, d])
}

/// Drops the activation-range check of a rescale quotient `y` that a clamp with a lower bound
/// reads as `±y + c`: the clamp's own checks `w − a ∈ [0, 2^B)` and `w − lo ∈ [0, 2^B)` already
/// bound `|y| < 2^{B+1} + |c| + |lo|`, so `2^s·y + r` and `x + 2^{s−1}` are integers far below
/// `p/2` and equal in the field only if equal as integers — which, with `0 ≤ r < 2^s` (still
/// checked), fixes `y`. The CNN's ReLUs save two limbs per activation this way.
fn drop_implied_quotient_checks(checks: &mut Vec<RangeCheck>, steps: &[Step]) {
    let bounded: Vec<QId> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Clamp(Clamp { input, lo: Some(_), .. }) => match input.terms.as_slice() {
                [(r, c)] if r.slot == 0 && c.abs() == 1 => Some(r.node),
                _ => None,
            },
            _ => None,
        })
        .filter(|&j| matches!(steps.get(j), Some(Step::Rescale(_))))
        .collect();
    checks.retain(|c| {
        let quotient_only =
            matches!(c.value.terms.as_slice(), [(r, 1)] if r.node == c.node && r.slot == 0);
        !(quotient_only && bounded.contains(&c.node))
    });
}

#[cfg(test)]
#[path = "lower_tests.rs"]
mod tests;
