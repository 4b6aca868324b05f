//! **Fixed-weight product** `Y = X·W` (`W` stored transposed when `trans_weight`), the weight
//! committed in the verifying key. Derived: nothing is committed; a claim on `Y` is reduced by
//! the fixed-weight matmul sumcheck to a claim on `X` (routed to its producer) and one on `W`
//! (an accumulator leaf on the key's commitment).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::matmul::{
    FixedMatmul, MatmulInstance, MatmulSpec, MatmulWeights, MatmulWitness,
};

use super::{Ctx, Node, StepKind, absorb, value};
use crate::plan::bounds::{dot_bound, hull, weight_values};
use crate::plan::interval::Interval;
use crate::quant::qop::{QId, QNode};

/// `Y = X·W`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matmul {
    /// `X`.
    pub input: QId,
    /// `W`.
    pub weight: QId,
    /// Whether `W` is stored `[cols, inner]`.
    pub trans_weight: bool,
}

impl StepKind for Matmul {
    const KIND: &'static str = "Matmul";

    /// The bound on `Y`'s entries: per column, the dot bound of its weights.
    fn bound(
        &self,
        _: QId,
        nodes: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        let data = weight_values(nodes, self.weight)?;
        let &[r, c] = nodes.get(self.weight)?.shape.as_slice() else { return None };
        let (cols, inner) = if self.trans_weight { (r, c) } else { (c, r) };
        let at = |j: usize, k: usize| {
            if self.trans_weight { data[j * c + k] } else { data[k * c + j] }
        };
        let x = b(self.input)?;
        hull((0..cols).map(|j| dot_bound((0..inner).map(|k| at(j, k)), x, false)))
    }

    /// The nodes it reads.
    fn inputs(&self) -> Vec<QId> {
        vec![self.input, self.weight]
    }

    /// Reduces a claim on `Y`.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let (in_shape, out_shape) = (n.shape_of(self.input), n.shape());
        let (rows, inner) = in_shape.split_at(in_shape.len().saturating_sub(1));
        let spec = MatmulSpec {
            rows: rows.to_vec(),
            inner: inner.first().copied().unwrap_or(1),
            cols: out_shape.last().copied().unwrap_or(1),
            trans_input: false,
            trans_weight: self.trans_weight,
            alpha: 1,
            beta: 0,
            bias: false,
        };
        let instance = MatmulInstance {
            input: TensorId(self.input as u32),
            weight: c.weight(self.weight)?,
            bias: None,
            output: claim,
        };
        let (input, weight) = (self.input, self.weight);
        let claims = c.block::<FixedMatmul>(&n.label(), &spec, &instance, &|w| {
            let weights = MatmulWeights::new(&spec, value(w, weight)?, None)?;
            Ok(MatmulWitness {
                input: value(w, input)?.clone(),
                output: value(w, id)?.clone(),
                weights: Arc::new(weights),
            })
        })?;
        absorb(c, id, claims, Some(self.weight))
    }
}
