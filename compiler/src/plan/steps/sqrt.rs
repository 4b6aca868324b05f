//! **Square root**: `y = ⌊√x⌋`, proven as `x = y² + e` with `0 ≤ e ≤ 2y` (so `y² ≤ x < (y+1)²`).
//!
//! Slots `[y, e]`. Range checks: `y` signed; `e ≥ 0`; `2y − e ≥ 0` (both below `2^A`).
//!
//! Transcript: `ρ` (`sqrt point`); send `ỹ, ẽ, P = (y∘y)~` at `ρ` (`sqrt evals`); the claim
//! `x̃(ρ) = P + ẽ` goes to `x`'s producer; the product claim `P`.

use serde::{Deserialize, Serialize};
use tessera_blocks::tensor::IntTensor;

use super::{Committed, Ctx, Node, StepError, StepKind, eval_refs, num_vars, product};
use crate::plan::interval::Interval;
use crate::plan::lower::Lowering;
use crate::plan::{Lin, PlanError, Ref, Role, Step};
use crate::quant::qop::{QId, QNode};

/// The slots of a square root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `y` (the node's value).
    Root,
    /// `e = x − y²`.
    Residue,
}

impl From<Slot> for usize {
    fn from(s: Slot) -> usize {
        s as usize
    }
}

/// Number of committed slots.
pub const SLOTS: usize = 2;

/// `x = y² + e`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sqrt {
    /// `x`.
    pub input: QId,
}

impl Sqrt {
    /// Lowers a square root: the step and its range checks.
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
    ) -> Result<(Role, Step), PlanError> {
        let x = l.arg(node, 0)?;
        l.expect_tensor(node, x)?;
        let (y, e) = (Ref::new(id, Slot::Root), Ref::new(id, Slot::Residue));
        l.signed_check(id, y);
        // e = x − y² ∈ [0, 2y]: e ≥ 0 and 2y − e ≥ 0, both at most 2y < 2^A.
        let max = (1i128 << l.activation_bits) - 1;
        l.loose_check(id, Lin::of(e), max);
        l.loose_check(id, Lin { terms: vec![(y, 2), (e, -1)], constant: 0 }, max);
        l.intervals.set(y, Interval::new(0, l.act().hi));
        l.intervals.set(e, Interval::new(0, max));
        Ok((Role::Committed, Step::Sqrt(Sqrt { input: x })))
    }
}

impl StepKind for Sqrt {
    const KIND: &'static str = "Sqrt";

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    fn slots(&self) -> usize {
        SLOTS
    }

    /// `[y, e]` from `x` and `y`.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        _: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        let (x, y) = (n.value(values, self.input)?, n.value(values, n.id)?);
        let e: Vec<i64> = x
            .data()
            .iter()
            .zip(y.data())
            .map(|(x, y)| y.checked_mul(*y).and_then(|yy| x.checked_sub(yy)))
            .collect::<Option<_>>()
            .ok_or_else(|| n.witness_error("a square overflows".into()))?;
        Ok(vec![y.clone(), IntTensor::new(n.shape(), e)?])
    }

    /// The relation at a fresh point.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let shape = n.shape();
        let (y, e) = (Ref::new(id, Slot::Root), Ref::new(id, Slot::Residue));
        let point = c.challenge(b"sqrt point", num_vars(&shape));
        let (p, sh) = (point.clone(), shape.clone());
        let v = c.send(b"sqrt evals", 3, &|w| {
            let mut v = eval_refs(w, &[y, e], &p)?;
            let prod = product(w, &[Lin::of(y), Lin::of(y)], &sh, &n)?;
            v.push(prod.to_mle().evaluate(&p)?);
            Ok(v)
        })?;
        c.leaf(&Lin::of(y), &shape, point.clone(), v[0])?;
        c.leaf(&Lin::of(e), &shape, point.clone(), v[1])?;
        c.route(self.input, point.clone(), v[2] + v[1]);
        c.product(id, &shape, &[Lin::of(y), Lin::of(y)], point, v[2]);
        Ok(())
    }
}

/// `floor(sqrt(x))` for `x ≥ 0`.
pub fn isqrt(x: i64) -> i64 {
    let mut y = (x as f64).sqrt() as i64;
    while y > 0 && y.saturating_mul(y) > x {
        y -= 1;
    }
    while (y + 1).saturating_mul(y + 1) <= x {
        y += 1;
    }
    y
}
