//! **Rescale** and **division by a public constant**: `y = ⌊(x + ⌊d/2⌋)/d⌋` (a rescale is
//! `d = 2^s`), proven as `x + ⌊d/2⌋ = d·y + r` with `0 ≤ r < d` and `y` in the activation range.
//!
//! Slots `[y, r]`. Range checks: `y` signed (dropped for a rescale quotient that a clamp bounds,
//! see the lowering); `r` exact: `s` bits for a power of two, else `r ≥ 0` and `d − 1 − r ≥ 0`.
//!
//! Transcript: `ρ` (`rescale point` / `division point`); send `ỹ(ρ), r̃(ρ)` (`… evals`); both
//! become leaves; the claim `x̃(ρ) = d·ỹ + r̃ − ⌊d/2⌋·mask(ρ)` goes to `x`'s producer.

use serde::{Deserialize, Serialize};
use tessera_blocks::curve::fr_from_i64;
use tessera_blocks::lookup::table::shape_mask_eval;
use tessera_blocks::tensor::IntTensor;

use super::{Committed, Ctx, Node, StepError, StepKind, eval_refs, num_vars};
use crate::plan::interval::Interval;
use crate::plan::lower::Lowering;
use crate::plan::{Lin, PlanError, Ref, Role, Step};
use crate::quant::qop::{QId, QNode};

/// The slots of a division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `y`, the quotient (the node's value).
    Quotient,
    /// `r`, the remainder.
    Remainder,
}

impl From<Slot> for usize {
    fn from(s: Slot) -> usize {
        s as usize
    }
}

/// `x + 2^{s−1} = 2^s·y + r`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rescale {
    /// `x`.
    pub input: QId,
    /// `s`.
    pub shift: u32,
}

/// `x + ⌊d/2⌋ = d·y + r` for a public `d > 0`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivConst {
    /// `x`.
    pub input: QId,
    /// `d`.
    pub divisor: i64,
}

/// Number of committed slots.
pub const SLOTS: usize = 2;

impl Rescale {
    /// Lowers a rescale node: the step and its range checks.
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
        shift: u32,
    ) -> Result<(Role, Step), PlanError> {
        let x = l.arg(node, 0)?;
        l.expect_tensor(node, x)?;
        if !(1..=62).contains(&shift) {
            return Err(l.unsupported(node, "a rescale shift outside [1, 62]"));
        }
        let (y, r) = (Ref::new(id, Slot::Quotient), Ref::new(id, Slot::Remainder));
        l.signed_check(id, y);
        l.exact_check(id, Lin::of(r), shift);
        let input = l.bound(x);
        let quotient = crate::plan::bounds::quotient_bound(input, shift, l.act());
        l.intervals.set(y, quotient);
        l.intervals.set(r, Interval::new(0, (1i128 << shift) - 1));
        Ok((Role::Committed, Step::Rescale(Rescale { input: x, shift })))
    }
}

impl StepKind for Rescale {
    const KIND: &'static str = "Rescale";

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    fn slots(&self) -> usize {
        SLOTS
    }

    /// `[y, r]` from `x` and `y`.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        _: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        divide(n, values, self.input, 1i64 << self.shift.min(62))
    }

    /// The relation at a fresh point.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        if !(1..=62).contains(&self.shift) {
            let n = Node::new(c.plan(), id, Self::KIND);
            return Err(n.malformed("a rescale shift outside [1, 62]").into());
        }
        reduce(c, id, self.input, 1i64 << self.shift, b"rescale point", b"rescale evals")
    }
}

impl DivConst {
    /// Lowers a division by a constant: the step and its range checks.
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
        divisor: i64,
    ) -> Result<(Role, Step), PlanError> {
        let x = l.arg(node, 0)?;
        l.expect_tensor(node, x)?;
        if divisor <= 0 || divisor >= 1i64 << 40 {
            return Err(l.unsupported(node, "the divisor must lie in [1, 2^40)"));
        }
        let (y, r) = (Ref::new(id, Slot::Quotient), Ref::new(id, Slot::Remainder));
        l.signed_check(id, y);
        l.remainder_checks(id, r, divisor);
        l.intervals.set(y, l.act());
        l.intervals.set(r, Interval::new(0, divisor as i128 - 1));
        Ok((Role::Committed, Step::DivConst(DivConst { input: x, divisor })))
    }
}

impl StepKind for DivConst {
    const KIND: &'static str = "DivConst";

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    fn slots(&self) -> usize {
        SLOTS
    }

    /// `[y, r]` from `x` and `y`.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        _: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        divide(n, values, self.input, self.divisor)
    }

    /// The relation at a fresh point.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        if self.divisor <= 0 {
            return Err(Node::new(c.plan(), id, Self::KIND).malformed("divisor below 1").into());
        }
        reduce(c, id, self.input, self.divisor, b"division point", b"division evals")
    }
}

/// `floor((x + floor(d/2)) / d)` for `d > 0` (saturating near the ends of the i64 range).
pub fn div_round(x: i64, d: i64) -> i64 {
    x.saturating_add(d / 2).div_euclid(d.max(1))
}

/// `floor((x + 2^(k−1)) / 2^k)` for `1 ≤ k ≤ 62` (arithmetic shift = floor); `k = 0` is the
/// identity.
pub fn rescale(x: i64, k: u32) -> i64 {
    if k == 0 { x } else { x.saturating_add(1i64 << (k.min(62) - 1)) >> k.min(62) }
}

/// `r = x + ⌊d/2⌋ − d·y`, which must lie in `[0, d)`.
fn divide(
    n: &Node<'_>,
    values: &[IntTensor],
    input: QId,
    d: i64,
) -> Result<Vec<IntTensor>, StepError> {
    let (x, y) = (n.value(values, input)?, n.value(values, n.id)?);
    let mut r = Vec::with_capacity(x.data().len());
    for (x, y) in x.data().iter().zip(y.data()) {
        // In i128: the remainder of a saturated quotient may not fit.
        let v = *x as i128 + (d / 2) as i128 - d as i128 * *y as i128;
        if v < 0 || v >= d as i128 {
            return Err(n.witness_error(format!("remainder {v} outside [0, {d})")));
        }
        r.push(v as i64);
    }
    Ok(vec![y.clone(), IntTensor::new(n.shape(), r)?])
}

/// `x + ⌊d/2⌋ = d·y + r` at a fresh point.
fn reduce<'p, C: Ctx<'p>>(
    c: &mut C,
    id: QId,
    input: QId,
    d: i64,
    point_label: &'static [u8],
    evals_label: &'static [u8],
) -> Result<(), C::Error> {
    let shape = super::shape(c.plan(), id);
    let (y, r) = (Ref::new(id, Slot::Quotient), Ref::new(id, Slot::Remainder));
    let point = c.challenge(point_label, num_vars(&shape));
    let p = point.clone();
    let e = c.send(evals_label, 2, &|w| eval_refs(w, &[y, r], &p))?;
    let mask = shape_mask_eval(&shape, &point)?;
    let x = fr_from_i64(d) * e[0] + e[1] - fr_from_i64(d / 2) * mask;
    c.leaf(&Lin::of(y), &shape, point.clone(), e[0])?;
    c.leaf(&Lin::of(r), &shape, point.clone(), e[1])?;
    c.route(input, point, x);
    Ok(())
}
