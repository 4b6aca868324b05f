//! **Division by a tensor**: `y = ⌊(x·2^s + ⌊d/2⌋)/d⌋` with `d > 0` broadcast over `x`, proven as
//! `2·x·2^s + d̄ = 2·d̄·y + r` with `0 ≤ r < 2d̄` and `d̄ = broadcast(d)`.
//!
//! `2X + d = 2dy + r` with `0 ≤ r < 2d` gives `y = ⌊(2X + d)/(2d)⌋ = ⌊(X + ⌊d/2⌋)/d⌋` for every
//! `d ≥ 1` (for odd `d` the two differ only if `d | 2X` with an odd quotient, which is
//! impossible), so the divisor's parity needs no witness.
//!
//! Slots `[y, r, d̄]`. Range checks: `y` signed; `r ≥ 0`; `2d̄ − 1 − r ≥ 0` (both below `2^A`).
//!
//! Transcript: `ρ` (`division point`); send `ỹ, r̃, d̄̃, P = (d̄∘y)~` at `ρ` (`division evals`);
//! the claim `x̃(ρ) = (2P + r̃ − d̄̃)/2^{s+1}` goes to `x`'s producer; the product claim `P`; the
//! broadcast proof that reduces `d̄̃(ρ)` to a claim on `d`.

use ark_ff::{AdditiveGroup, Field};
use serde::{Deserialize, Serialize};
use tessera_blocks::Fr;
use tessera_blocks::claim::TensorClaim;
use tessera_blocks::tensor::IntTensor;

use super::{
    Committed, Ctx, Node, StepError, StepKind, VIRTUAL, broadcast_claim, eval_refs, num_vars,
    product,
};
use crate::plan::interval::Interval;
use crate::plan::lower::Lowering;
use crate::plan::witness::broadcast_to;
use crate::plan::{Lin, PlanError, Ref, Role, Step};
use crate::quant::qop::{QId, QNode};

/// The slots of a division by a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `y` (the node's value).
    Quotient,
    /// `r`.
    Remainder,
    /// `d̄`, the divisor broadcast to `x`'s shape.
    Divisor,
}

impl From<Slot> for usize {
    fn from(s: Slot) -> usize {
        s as usize
    }
}

/// Number of committed slots.
pub const SLOTS: usize = 3;

/// `2·x·2^s + d̄ = 2·d̄·y + r`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivRound {
    /// `x` (same shape as the output).
    pub input: QId,
    /// `d` (broadcasts to the output).
    pub divisor: QId,
    /// `s`.
    pub shift: u32,
}

impl DivRound {
    /// Lowers a division by a tensor: the step and its range checks.
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
        shift: u32,
    ) -> Result<(Role, Step), PlanError> {
        let (x, d) = (l.arg(node, 0)?, l.arg(node, 1)?);
        l.expect_tensor(node, x)?;
        if l.nodes[x].shape != node.shape
            || !l.broadcasts(d, &node.shape)
            || matches!(l.roles[d], Role::Scalar(_))
            || shift > 30
        {
            return Err(l.unsupported(node, "x · 2^s / d needs d to broadcast over x"));
        }
        let at = |s: Slot| Ref::new(id, s);
        let (y, r, dd) = (at(Slot::Quotient), at(Slot::Remainder), at(Slot::Divisor));
        l.signed_check(id, y);
        // 0 ≤ r and r ≤ 2·d̄ − 1, with d̄ an activation: both below 2^A.
        let max = (1i128 << l.activation_bits) - 1;
        l.loose_check(id, Lin::of(r), max);
        let upper = Lin { terms: vec![(dd, 2), (r, -1)], constant: -1 };
        l.loose_check(id, upper, max);
        l.intervals.set(y, l.act());
        l.intervals.set(r, Interval::new(0, max));
        Ok((Role::Committed, Step::DivRound(DivRound { input: x, divisor: d, shift })))
    }
}

impl StepKind for DivRound {
    const KIND: &'static str = "DivRound";

    fn inputs(&self) -> Vec<QId> {
        vec![self.input, self.divisor]
    }

    fn slots(&self) -> usize {
        SLOTS
    }

    /// `[y, r, d̄]` from `x`, `d` and `y`.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        _: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        let (x, y) = (n.value(values, self.input)?, n.value(values, n.id)?);
        let dd = broadcast_to(n.value(values, self.divisor)?, &n.shape())?;
        let shift = self.shift.min(62);
        let mut r = Vec::with_capacity(y.data().len());
        for ((x, y), d) in x.data().iter().zip(y.data()).zip(dd.data()) {
            // 2·x·2^s + d − 2·d·y, in i128 so no intermediate overflows.
            let v = (*x as i128)
                .checked_mul(1i128 << (shift + 1))
                .and_then(|a| a.checked_add(*d as i128 - 2 * (*d as i128) * (*y as i128)));
            match v {
                Some(v) if *d > 0 && v >= 0 && v < 2 * (*d as i128) => r.push(v as i64),
                _ => return Err(n.witness_error(format!("remainder {v:?} outside [0, 2·{d})"))),
            }
        }
        Ok(vec![y.clone(), IntTensor::new(n.shape(), r)?, dd])
    }

    /// The relation at a fresh point.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let shape = n.shape();
        let at = |s: Slot| Ref::new(id, s);
        let (y, r, dd) = (at(Slot::Quotient), at(Slot::Remainder), at(Slot::Divisor));
        if self.shift > 62 {
            return Err(n.malformed("a division shift above 62").into());
        }
        let point = c.challenge(b"division point", num_vars(&shape));
        let (p, sh) = (point.clone(), shape.clone());
        let e = c.send(b"division evals", 4, &|w| {
            let mut v = eval_refs(w, &[y, r, dd], &p)?;
            let prod = product(w, &[Lin::of(y), Lin::of(dd)], &sh, &n)?;
            v.push(prod.to_mle().evaluate(&p)?);
            Ok(v)
        })?;
        for (s, v) in [y, r, dd].iter().zip(&e) {
            c.leaf(&Lin::of(*s), &shape, point.clone(), *v)?;
        }
        let scale = Fr::from(2u64).pow([u64::from(self.shift) + 1]);
        let inv = scale.inverse().ok_or_else(|| n.malformed("division shift"))?;
        let x = (e[3].double() + e[1] - e[2]) * inv;
        c.route(self.input, point.clone(), x);
        c.product(id, &shape, &[Lin::of(y), Lin::of(dd)], point.clone(), e[3]);
        let claim = TensorClaim { tensor: VIRTUAL, point, value: e[2] };
        broadcast_claim(c, id, self.divisor, claim)
    }
}
