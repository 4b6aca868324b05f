//! **Clamp** `z = min(max(a, lo), hi)` of a linear form `a` over committed tensors (ReLU is
//! `lo = 0`), as range-checked differences whose product is zero.
//!
//! Slots `[z]`, or `[z, w]` with `w = max(a, lo)` when both bounds are set. Range checks (limbs
//! sized by the intervals): stage 1 `w − a ≥ 0`, `w − lo ≥ 0`; stage 2 `w − z ≥ 0`, `hi − z ≥ 0`.
//! With the zero products `(w − a)·(w − lo) = 0` and `(w − z)·(hi − z) = 0`, `w` is the larger
//! and `z` the smaller.
//!
//! Transcript: per stage, `ρ` (`zero check point`) and the product claim of value zero.

use serde::{Deserialize, Serialize};
use tessera_blocks::tensor::IntTensor;

use super::{Committed, Ctx, Node, StepError, StepKind, zero_product};
use crate::plan::interval::Interval;
use crate::plan::lower::Lowering;
use crate::plan::witness::eval_lin;
use crate::plan::{Lin, PlanError, Ref, Role, Step};
use crate::quant::qop::{QId, QNode};

/// The slots of a clamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `z` (the node's value).
    Output,
    /// `w = max(a, lo)`, when both bounds are set.
    Lower,
}

impl From<Slot> for usize {
    fn from(s: Slot) -> usize {
        s as usize
    }
}

/// `z = min(max(a, lo), hi)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clamp {
    /// `a`.
    pub input: Lin,
    /// Lower bound.
    pub lo: Option<i64>,
    /// Upper bound.
    pub hi: Option<i64>,
}

impl Clamp {
    /// Lowers a clamp: the step and its range checks (a clamp without bounds is a copy).
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
        lo: Option<i64>,
        hi: Option<i64>,
    ) -> Result<(Role, Step), PlanError> {
        let x = l.arg(node, 0)?;
        if lo.is_none() && hi.is_none() {
            return Ok((
                Role::Derived,
                Step::Linear(super::linear::Linear { terms: vec![(x, 1)], constant: 0 }),
            ));
        }
        let a = l.committed_form(node, x)?;
        let ia = l.intervals.of(&a).ok_or_else(|| l.unsupported(node, "unbounded input"))?;
        let z = Ref::new(id, Slot::Output);
        // Stage 1: w = max(a, lo) (w is slot 1 when a second stage follows).
        let (w, iw) = match lo {
            Some(lo) => {
                let w = if hi.is_some() { Ref::new(id, Slot::Lower) } else { z };
                let lo_i = lo as i128;
                let lin_w = Lin::of(w);
                l.loose_check(id, lin_w.combine(1, &a, -1), (lo_i - ia.lo).max(0));
                l.loose_check(id, lin_w.clone().plus(-lo), (ia.hi - lo_i).max(0));
                let iw = Interval::new(ia.lo.max(lo_i), ia.hi.max(lo_i));
                l.intervals.set(w, iw);
                (lin_w, iw)
            }
            None => (a.clone(), ia),
        };
        // Stage 2: z = min(w, hi).
        if let Some(hi) = hi {
            let hi_i = hi as i128;
            let lin_z = Lin::of(z);
            l.loose_check(id, w.combine(1, &lin_z, -1), (iw.hi - hi_i).max(0));
            let hi_minus_z = Lin { terms: vec![(z, -1)], constant: hi };
            l.loose_check(id, hi_minus_z, (hi_i - iw.lo).max(0));
            l.intervals.set(z, Interval::new(iw.lo.min(hi_i), iw.hi.min(hi_i)));
        }
        Ok((Role::Committed, Step::Clamp(Clamp { input: a, lo, hi })))
    }
}

impl StepKind for Clamp {
    const KIND: &'static str = "Clamp";

    fn inputs(&self) -> Vec<QId> {
        vec![]
    }

    fn committed_input(&self) -> Option<&Lin> {
        Some(&self.input)
    }

    /// Number of committed slots.
    fn slots(&self) -> usize {
        if self.lo.is_some() && self.hi.is_some() { 2 } else { 1 }
    }

    /// `[z]` or `[z, w]`.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        committed: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        let z = n.value(values, n.id)?.clone();
        match (self.lo, self.hi) {
            (Some(lo), Some(_)) => {
                let a = eval_lin(committed, &self.input, &n.shape(), true)?;
                let w = a.data().iter().map(|v| (*v).max(lo)).collect();
                Ok(vec![z, IntTensor::new(n.shape(), w)?])
            }
            _ => Ok(vec![z]),
        }
    }

    /// The zero products of both stages.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        let shape = super::shape(c.plan(), id);
        let z = Lin::of(Ref::new(id, Slot::Output));
        let w = match self.lo {
            Some(lo) => {
                let w =
                    if self.hi.is_some() { Lin::of(Ref::new(id, Slot::Lower)) } else { z.clone() };
                zero_product(c, id, &shape, &[w.combine(1, &self.input, -1), w.clone().plus(-lo)]);
                w
            }
            None => self.input.clone(),
        };
        if let Some(hi) = self.hi {
            let hi_minus_z = Lin { terms: vec![(Ref::new(id, Slot::Output), -1)], constant: hi };
            zero_product(c, id, &shape, &[w.combine(1, &z, -1), hi_minus_z]);
        }
        Ok(())
    }
}
