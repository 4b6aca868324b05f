//! **Sum over axes** (kept with extent 1). Derived, with no proof: a claim on the sum at `r` is the
//! claim on the input at `r` with `½` on the summed variables, times their count (the axis-sum
//! block moves the point the same way on both sides and absorbs the claim).

use serde::{Deserialize, Serialize};
use tessera_blocks::block::Block;
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::elementwise::{AxisSum as AxisSumBlock, AxisSumSpec, Instance};

use super::{Ctx, Node, StepKind, absorb};
use crate::plan::interval::Interval;
use crate::quant::qop::{QId, QNode};

/// `Σ` over `axes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxisSum {
    /// Input.
    pub input: QId,
    /// Summed axes.
    pub axes: Vec<usize>,
}

impl StepKind for AxisSum {
    const KIND: &'static str = "AxisSum";

    /// `count·bound(x)`, with 0 (every summed entry may be padding-free but of either sign).
    fn bound(
        &self,
        id: QId,
        nodes: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        let n_in: usize = nodes.get(self.input)?.shape.iter().product();
        let n_out: usize = nodes.get(id)?.shape.iter().product();
        let count = n_in.checked_div(n_out)?;
        b(self.input)?.checked_scaled(count as i128).map(|i| i.hull(Interval::point(0)))
    }

    /// The nodes it reads.
    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    /// Moves a claim on the sum to one on the input.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let spec =
            AxisSumSpec { in_shape: n.shape_of(self.input), axes: self.axes.clone(), scale: 1 };
        let instance = Instance { output: claim, inputs: vec![TensorId(self.input as u32)] };
        let ((), claims) = AxisSumBlock::prove(&spec, &instance, &vec![], c.transcript())?;
        absorb(c, id, claims, None)
    }
}
