//! **Index of the maximum over one axis** (ONNX `ArgMax`, kept with extent 1): the first maximal
//! entry of each line, or the last one (`select_last_index`).
//!
//! Notation: `K` the axis extent, `J` the position along the axis (`J_j = j` on real entries, 0 on
//! padding), `σ = −1` for the first maximum and `+1` for the last. Ties are broken by the key
//! `K·x_j + σ·j`, whose entries in a line are distinct and order like `x` first: its maximum is at
//! the wanted entry. Slots `[i, m, D, S]`: the index `i` (the node's value) and the maximum `m`
//! (output-shaped), and, input-shaped,
//!
//! - `D = broadcast(K·m + σ·i) − K·x − σ·J ≥ 0` (range-checked): the key of every entry is at most
//!   the key of `(m, i)`;
//! - `S` one-hot per line (`S∘(S − 1) = 0` and `Σ_axis S = 1`) with `Σ_axis S∘D = 0`: some entry
//!   `h` has `D_h = 0`;
//! - range checks `0 ≤ i < K` and `m` within the input's interval.
//!
//! Why that is the index: at `h`, `K·(m − x_h) = σ·(h − i)`. Both sides are integers far below the
//! field's size (`m` and `i` are range-checked, `x` is an honest integer tensor) and
//! `|h − i| < K`, so `i = h` and `m = x_h`. Then `D_j ≥ 0` reads `K·(x_h − x_j) ≥ σ·(j − h)`: for
//! the first maximum (`σ = −1`), `x_j < x_h` for `j < h` and `x_j ≤ x_h` for `j > h` — `h` is the
//! first maximal entry; symmetrically the last for `σ = +1`.
//!
//! Transcript: `ρ` (`argmax point`); send `D̃(ρ)` and `B = broadcast(K·m + σ·i)~(ρ)` (`argmax
//! evals`); the broadcast proof reducing `B` to a claim on `K·m + σ·i`; the claim
//! `x̃(ρ) = (B − D̃(ρ) − σ·J̃(ρ)) / K` goes to `x`'s producer (`J̃` the verifier computes in
//! `O(log K)`); then the one-hot part of [`super::reduce_max`] on `(S, D)`.

use ark_ff::Field;
use serde::{Deserialize, Serialize};
use tessera_blocks::Fr;
use tessera_blocks::claim::TensorClaim;
use tessera_blocks::elementwise::{Broadcast, BroadcastSpec, Instance};
use tessera_blocks::lookup::table::prefix_sums;
use tessera_blocks::tensor::{IntTensor, axis_vars};

use super::{
    Committed, Ctx, Node, StepError, StepKind, VIRTUAL, VIRTUAL_LEFT, eval_refs, num_vars,
    single_claim,
};
use crate::plan::interval::Interval;
use crate::plan::lower::Lowering;
use crate::plan::witness::{broadcast_to, eval_lin};
use crate::plan::{BlockPlan, Lin, PlanError, Ref, Role, Step};
use crate::quant::qop::{QId, QNode};

/// The slots of an arg-max.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `i` (the node's value).
    Index,
    /// `m`, the maximum.
    Max,
    /// `D = broadcast(K·m + σ·i) − K·x − σ·J`.
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
pub const SLOTS: usize = 4;

/// `i = argmax_axis(x)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgMax {
    /// `x`.
    pub input: QId,
    /// The reduced axis.
    pub axis: usize,
    /// Ties go to the last maximal entry (`σ = +1`).
    pub last: bool,
}

impl ArgMax {
    /// Lowers an arg-max: the step and its range checks (`D ≥ 0`, `0 ≤ i < K`, `m` in `x`'s
    /// interval).
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
        axis: usize,
        last: bool,
    ) -> Result<(Role, Step), PlanError> {
        let x = l.arg(node, 0)?;
        l.expect_tensor(node, x)?;
        let shape = l.nodes[x].shape.clone();
        let rank = shape.len();
        if axis >= rank || node.shape.len() != rank {
            return Err(l.unsupported(node, "an axis out of range"));
        }
        let k = shape[axis] as i128;
        if k >= 1 << 30 {
            return Err(l.unsupported(node, "an axis longer than 2^30"));
        }
        // The input's worst-case bound (an unrequantized product may exceed the activation
        // range); a bound too small only makes honest proving fail here, naming the node.
        let ix = l.bound(x).unwrap_or_else(|| l.act());
        let at = |s: Slot| Ref::new(id, s);
        let spread = (ix.hi - ix.lo).max(1);
        let diff_max = k * spread + k - 1;
        l.loose_check(id, Lin::of(at(Slot::Diff)), diff_max);
        l.remainder_checks(id, at(Slot::Index), k as i64);
        let (lo, hi) = (ix.lo as i64, ix.hi as i64);
        l.loose_check(id, Lin::of(at(Slot::Max)).plus(-lo), spread);
        l.loose_check(id, Lin { terms: vec![(at(Slot::Max), -1)], constant: hi }, spread);
        l.intervals.set(at(Slot::Index), Interval::new(0, k - 1));
        l.intervals.set(at(Slot::Max), ix);
        l.intervals.set(at(Slot::Diff), Interval::new(0, diff_max));
        l.intervals.set(at(Slot::Selector), Interval::new(0, 1));
        Ok((Role::Committed, Step::ArgMax(ArgMax { input: x, axis, last })))
    }

    /// `σ`.
    fn sigma(&self) -> i64 {
        if self.last { 1 } else { -1 }
    }

    /// `K·m + σ·i`, the key of each line's maximum.
    fn key(&self, id: QId, k: i64) -> Lin {
        let at = |s: Slot| Ref::new(id, s);
        Lin { terms: vec![(at(Slot::Max), k), (at(Slot::Index), self.sigma())], constant: 0 }
    }
}

/// `J̃(ρ)` for a tensor of `shape`: the MLE of "position along `axis`" on real entries, 0 on
/// padding — the axis's index-weighted prefix sum times the other axes' masks.
fn position_eval(shape: &[usize], axis: usize, point: &[Fr]) -> Option<Fr> {
    let vars = axis_vars(shape);
    if point.len() != vars.iter().sum::<usize>() {
        return None;
    }
    let (mut acc, mut at) = (Fr::from(1u64), 0);
    for (a, (&n, v)) in shape.iter().zip(vars).enumerate() {
        let (mask, weighted) = prefix_sums(point.get(at..at + v)?, n as u64);
        acc *= if a == axis { weighted } else { mask };
        at += v;
    }
    Some(acc)
}

impl StepKind for ArgMax {
    const KIND: &'static str = "ArgMax";

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    fn slots(&self) -> usize {
        SLOTS
    }

    /// `D` and `S` have the input's shape.
    fn slot_node(&self, id: QId, slot: usize) -> QId {
        if slot >= Slot::Diff as usize { self.input } else { id }
    }

    /// The axis exists and both shapes have its rank.
    fn validate(&self, plan: &BlockPlan) -> Result<(), &'static str> {
        match plan.graph.nodes.get(self.input) {
            Some(x) if self.axis < x.shape.len() => Ok(()),
            _ => Err("an axis out of range"),
        }
    }

    /// `[i, m, D, S]`, from `x` and the node's value `i`.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        _: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        let (x, index) = (n.value(values, self.input)?, n.value(values, n.id)?);
        let in_shape = x.shape().to_vec();
        let k = in_shape.get(self.axis).copied().ok_or_else(|| n.malformed("argmax axis"))?;
        let inner: usize = in_shape[self.axis + 1..].iter().product();
        let (data, len, sigma) = (x.data(), x.data().len(), self.sigma());
        let (mut max, mut d, mut sel) =
            (vec![0i64; index.data().len()], vec![0i64; len], vec![0i64; len]);
        for (line, &i) in index.data().iter().enumerate() {
            let (o, b) = (line / inner, line % inner);
            let at_j = |j: usize| (o * k + j) * inner + b;
            let h = usize::try_from(i).ok().filter(|h| *h < k && at_j(*h) < len);
            let h = h.ok_or_else(|| n.witness_error(format!("line {line}: index {i}")))?;
            if (0..k).any(|j| at_j(j) >= len) {
                return Err(n.malformed("argmax shapes"));
            }
            let m = data[at_j(h)];
            max[line] = m;
            sel[at_j(h)] = 1;
            for j in 0..k {
                d[at_j(j)] = k as i64 * (m - data[at_j(j)]) + sigma * (i - j as i64);
            }
        }
        Ok(vec![
            index.clone(),
            IntTensor::new(index.shape().to_vec(), max)?,
            IntTensor::new(in_shape.clone(), d)?,
            IntTensor::new(in_shape, sel)?,
        ])
    }

    /// The relations of the module doc.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let (ys, xs) = (n.shape(), n.shape_of(self.input));
        if self.axis >= xs.len() || ys.len() != xs.len() {
            return Err(n.malformed("argmax shapes").into());
        }
        let k = xs[self.axis] as i64;
        let (d, s) = (Ref::new(id, Slot::Diff), Ref::new(id, Slot::Selector));
        let key = self.key(id, k);
        // 1. D = broadcast(K·m + σ·i) − K·x − σ·J at ρ.
        let point = c.challenge(b"argmax point", num_vars(&xs));
        let (p, wide, out) = (point.clone(), xs.clone(), ys.clone());
        let e = c.send(b"argmax evals", 2, &|w| {
            let mut v = eval_refs(w, &[d], &p)?;
            let keys = eval_lin(&w.committed, &key, &out, true)?;
            v.push(broadcast_to(&keys, &wide)?.to_mle().evaluate(&p)?);
            Ok(v)
        })?;
        c.leaf(&Lin::of(d), &xs, point.clone(), e[0])?;
        let spec = BroadcastSpec { in_shape: ys.clone(), out_shape: xs.clone() };
        let output = TensorClaim { tensor: VIRTUAL, point: point.clone(), value: e[1] };
        let instance = Instance { output, inputs: vec![VIRTUAL_LEFT] };
        let claims = c.block::<Broadcast>(&n.label(), &spec, &instance, &|w| {
            Ok(vec![eval_lin(&w.committed, &key, &out, true)?])
        })?;
        let t = single_claim(claims, &n)?;
        c.leaf(&key, &ys, t.point, t.value)?;
        let j = position_eval(&xs, self.axis, &point).ok_or_else(|| n.malformed("argmax point"))?;
        let inv_k = Fr::from(k as u64).inverse().ok_or_else(|| n.malformed("an empty axis"))?;
        let sigma = Fr::from(self.sigma());
        c.route(self.input, point, (e[1] - e[0] - sigma * j) * inv_k);
        // 2–4. S one-hot per line, selecting an entry with D = 0.
        super::reduce_max::one_hot_zero(c, id, &n, (&xs, &ys), self.axis, (s, d))
    }
}
