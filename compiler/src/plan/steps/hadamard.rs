//! **Entrywise product** `x ∘ y`, `y` possibly broadcast. Derived: the Hadamard sumcheck of
//! `eq·x·y` reduces a claim on the output to one claim on each factor (a broadcast operand's
//! through a broadcast proof).

use serde::{Deserialize, Serialize};
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::elementwise::{Hadamard as HadamardBlock, HadamardSpec, Instance};

use super::{Ctx, Node, StepKind, VIRTUAL, absorb, broadcast_claim, value};
use crate::plan::interval::Interval;
use crate::plan::witness::broadcast_to;
use crate::quant::qop::{QId, QNode};

/// `x ∘ y`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hadamard {
    /// `x` (the output's shape).
    pub left: QId,
    /// `y` (the output's shape, or broadcasting to it).
    pub right: QId,
}

impl StepKind for Hadamard {
    const KIND: &'static str = "Hadamard";

    /// `bound(x)·bound(y)`.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        b(self.left)?.checked_mul(b(self.right)?)
    }

    /// The nodes it reads.
    fn inputs(&self) -> Vec<QId> {
        vec![self.left, self.right]
    }

    /// Reduces a claim on the output.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let out_shape = n.shape();
        let (left, right) = (self.left, self.right);
        let wide = n.shape_of(right) != out_shape;
        let spec = HadamardSpec { shape: out_shape.clone() };
        let r_id = if wide { VIRTUAL } else { TensorId(right as u32) };
        let instance = Instance { output: claim, inputs: vec![TensorId(left as u32), r_id] };
        let claims = c.block::<HadamardBlock>(&n.label(), &spec, &instance, &|w| {
            Ok(vec![value(w, left)?.clone(), broadcast_to(value(w, right)?, &out_shape)?])
        })?;
        if !wide {
            return absorb(c, id, claims, None);
        }
        let [l_claim, r_claim] = <[TensorClaim; 2]>::try_from(claims.tensors)
            .map_err(|_| n.malformed("hadamard claims"))?;
        if l_claim.tensor != TensorId(left as u32) || r_claim.tensor != VIRTUAL {
            return Err(n.malformed("hadamard claims").into());
        }
        c.route(left, l_claim.point, l_claim.value);
        broadcast_claim(c, id, right, r_claim)
    }
}
