//! **Product of two computed tensors** `Y = A·B`, batched over the leading (head) axes
//! (attention). Derived: one sumcheck over (heads, inner) reduces a claim on `Y` to one claim on
//! each operand. No bound (its operands' bounds do not fix the product's without the inner size).

use serde::{Deserialize, Serialize};
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::matmul::{
    BatchedInstance, BatchedMatmul as BatchedBlock, BatchedSpec, BatchedWitness,
};

use super::{Ctx, Node, StepKind, absorb, value};
use crate::quant::qop::QId;

/// `Y = A·B` over the head axes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchedMatmul {
    /// `A` `[heads…, M, K]`.
    pub left: QId,
    /// `B` `[heads…, K, N]`.
    pub right: QId,
}

impl StepKind for BatchedMatmul {
    const KIND: &'static str = "BatchedMatmul";

    /// The nodes it reads.
    fn inputs(&self) -> Vec<QId> {
        vec![self.left, self.right]
    }

    /// Reduces a claim on `Y`.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let (a, b) = (n.shape_of(self.left), n.shape_of(self.right));
        let r = a.len();
        if r < 2 || b.len() != r {
            return Err(n.malformed("batched matmul shapes").into());
        }
        let spec = BatchedSpec {
            heads: a[..r - 2].to_vec(),
            rows: a[r - 2],
            inner: a[r - 1],
            cols: b[r - 1],
            trans_right: false,
        };
        let instance = BatchedInstance {
            left: TensorId(self.left as u32),
            right: TensorId(self.right as u32),
            output: claim,
        };
        let (left, right) = (self.left, self.right);
        let claims = c.block::<BatchedBlock>(&n.label(), &spec, &instance, &|w| {
            Ok(BatchedWitness {
                left: value(w, left)?.clone(),
                right: value(w, right)?.clone(),
                output: value(w, id)?.clone(),
            })
        })?;
        absorb(c, id, claims, None)
    }
}
