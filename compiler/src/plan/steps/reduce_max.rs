//! **Max over one axis** (kept with extent 1): `D = broadcast(y) − x ≥ 0` (range-checked), a
//! one-hot selector `S` per reduced line, and `Σ_k S_k·D_k = 0` per line — so exactly one
//! selected entry per line, it equals `y`, and `y` is at least every entry.
//!
//! Slots `[y, D, S]` (`D` and `S` have the input's shape). Range check: `D ≥ 0`.
//!
//! Transcript: `ρ` (`max point`); send `D̃(ρ)` and `B = broadcast(y)~(ρ)` (`max evals`); the
//! broadcast proof reducing `B` to a claim on `y`; the claim `x̃(ρ) = B − D̃(ρ)` goes to `x`'s
//! producer; the zero product `S∘(S − 1) = 0`; at a fresh `ρ'` (`max selector sum point`) the
//! axis sum `Σ_k S = 1` per reduced line; at a fresh `ρ''` (`max selected difference point`) the
//! axis sum `Σ_k S_k·D_k = 0` per line with the product claim of `S∘D`.

use ark_ff::Zero;
use serde::{Deserialize, Serialize};
use tessera_blocks::Fr;
use tessera_blocks::block::Block;
use tessera_blocks::claim::TensorClaim;
use tessera_blocks::elementwise::{AxisSum, AxisSumSpec, Broadcast, BroadcastSpec, Instance};
use tessera_blocks::lookup::table::shape_mask_eval;
use tessera_blocks::tensor::IntTensor;

use super::{
    Committed, Ctx, Node, StepError, StepKind, VIRTUAL, VIRTUAL_LEFT, eval_refs, num_vars,
    single_claim, slot, zero_product,
};
use crate::plan::interval::Interval;
use crate::plan::lower::Lowering;
use crate::plan::witness::broadcast_to;
use crate::plan::{Lin, PlanError, Ref, Role, Step};
use crate::quant::qop::{QId, QNode};

/// The slots of a max over an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `y` (the node's value).
    Max,
    /// `D = broadcast(y) − x`.
    Diff,
    /// `S`, one-hot per line.
    Selector,
}

impl From<Slot> for usize {
    fn from(s: Slot) -> usize {
        s as usize
    }
}

/// Number of committed slots.
pub const SLOTS: usize = 3;

/// `y = max_axis(x)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReduceMax {
    /// `x`.
    pub input: QId,
    /// The reduced axis.
    pub axis: usize,
}

impl ReduceMax {
    /// Lowers a max over an axis: the step and the range check of `D`.
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
        axis: usize,
    ) -> Result<(Role, Step), PlanError> {
        let x = l.arg(node, 0)?;
        l.expect_tensor(node, x)?;
        let rank = l.nodes[x].shape.len();
        if axis >= rank || node.shape.len() != rank {
            return Err(l.unsupported(node, "an axis out of range"));
        }
        let ix = l.intervals.of(&Lin::of(Ref { node: x, slot: 0 }));
        let ix = match (l.roles[x], ix) {
            (Role::Committed | Role::PrivateInput, Some(i)) => i,
            _ => l.act(),
        };
        let at = |s: Slot| Ref::new(id, s);
        let spread = (ix.hi - ix.lo).max(1);
        l.loose_check(id, Lin::of(at(Slot::Diff)), spread);
        l.intervals.set(at(Slot::Max), ix);
        l.intervals.set(at(Slot::Diff), Interval::new(0, spread));
        l.intervals.set(at(Slot::Selector), Interval::new(0, 1));
        Ok((Role::Committed, Step::ReduceMax(ReduceMax { input: x, axis })))
    }
}

impl StepKind for ReduceMax {
    const KIND: &'static str = "ReduceMax";

    /// `D` and `S` have the input's shape.
    fn slot_node(&self, id: QId, slot: usize) -> QId {
        if slot > 0 { self.input } else { id }
    }

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    fn slots(&self) -> usize {
        SLOTS
    }

    /// `[y, D, S]`, `S` selecting the first maximal entry of each line.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        _: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        let (x, y) = (n.value(values, self.input)?, n.value(values, n.id)?);
        let in_shape = x.shape().to_vec();
        let k = in_shape.get(self.axis).copied().ok_or_else(|| n.malformed("max axis"))?;
        let inner: usize = in_shape[self.axis + 1..].iter().product();
        let inner = inner.max(1);
        let (data, len) = (x.data(), x.data().len());
        let (mut d, mut sel) = (vec![0i64; len], vec![0i64; len]);
        // Line (o, b) of the reduced axis: entries (o·k + j)·inner + b, maximum y[o·inner + b].
        for (line, m) in y.data().iter().enumerate() {
            let (o, b) = (line / inner, line % inner);
            let at_j = |j: usize| (o * k + j) * inner + b;
            if (0..k).any(|j| at_j(j) >= len) {
                return Err(n.malformed("max shapes"));
            }
            for j in 0..k {
                d[at_j(j)] = m - data[at_j(j)];
            }
            let hit = (0..k)
                .find(|j| data[at_j(*j)] == *m)
                .ok_or_else(|| n.witness_error(format!("line {line}: the maximum is no entry")))?;
            sel[at_j(hit)] = 1;
        }
        Ok(vec![y.clone(), IntTensor::new(in_shape.clone(), d)?, IntTensor::new(in_shape, sel)?])
    }

    /// The four relations of the module doc.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let (ys, xs) = (n.shape(), n.shape_of(self.input));
        let at = |s: Slot| Ref::new(id, s);
        let (y, d, s) = (at(Slot::Max), at(Slot::Diff), at(Slot::Selector));
        if self.axis >= xs.len() || ys.len() != xs.len() {
            return Err(n.malformed("max shapes").into());
        }
        // 1. D = broadcast(y) − x at ρ.
        let point = c.challenge(b"max point", num_vars(&xs));
        let (p, wide) = (point.clone(), xs.clone());
        let e = c.send(b"max evals", 2, &|w| {
            let mut v = eval_refs(w, &[d], &p)?;
            let yt = slot(w, y)?;
            v.push(broadcast_to(yt, &wide)?.to_mle().evaluate(&p)?);
            Ok(v)
        })?;
        c.leaf(&Lin::of(d), &xs, point.clone(), e[0])?;
        let spec = BroadcastSpec { in_shape: ys.clone(), out_shape: xs.clone() };
        let output = TensorClaim { tensor: VIRTUAL, point: point.clone(), value: e[1] };
        let instance = Instance { output, inputs: vec![VIRTUAL_LEFT] };
        let claims = c.block::<Broadcast>(&n.label(), &spec, &instance, &|w| {
            let yt = slot(w, y)?;
            Ok(vec![yt.clone()])
        })?;
        let t = single_claim(claims, &n)?;
        c.leaf(&Lin::of(y), &ys, t.point, t.value)?;
        c.route(self.input, point, e[1] - e[0]);
        // 2–4.
        one_hot_zero(c, id, &n, (&xs, &ys), self.axis, (s, d))
    }
}

/// Relations 2–4 of the module doc, shared with [`super::arg_max`]: `S` (of the input's shape
/// `xs`) is 0/1 (a zero product), sums to 1 over `axis` on every line (an axis sum at a fresh
/// point of the output's shape `ys`, `max selector sum point`), and `Σ_axis S∘D = 0` on every line
/// (an axis sum at a fresh point, `max selected difference point`, then the product claim `S∘D`).
pub(super) fn one_hot_zero<'p, C: Ctx<'p>>(
    c: &mut C,
    id: QId,
    n: &Node<'_>,
    (xs, ys): (&[usize], &[usize]),
    axis: usize,
    (s, d): (Ref, Ref),
) -> Result<(), C::Error> {
    zero_product(c, id, xs, &[Lin::of(s), Lin::of(s).plus(-1)]);
    let sum = AxisSumSpec { in_shape: xs.to_vec(), axes: vec![axis], scale: 1 };
    let rho = c.challenge(b"max selector sum point", num_vars(ys));
    let mask = shape_mask_eval(ys, &rho)?;
    let output = TensorClaim { tensor: VIRTUAL, point: rho, value: mask };
    let instance = Instance { output, inputs: vec![VIRTUAL_LEFT] };
    let ((), claims) = AxisSum::prove(&sum, &instance, &vec![], c.transcript())?;
    let t = single_claim(claims, n)?;
    c.leaf(&Lin::of(s), xs, t.point, t.value)?;
    let rho = c.challenge(b"max selected difference point", num_vars(ys));
    let output = TensorClaim { tensor: VIRTUAL, point: rho, value: Fr::zero() };
    let instance = Instance { output, inputs: vec![VIRTUAL_LEFT] };
    let ((), claims) = AxisSum::prove(&sum, &instance, &vec![], c.transcript())?;
    let t = single_claim(claims, n)?;
    c.product(id, xs, &[Lin::of(s), Lin::of(d)], t.point, t.value);
    Ok(())
}
