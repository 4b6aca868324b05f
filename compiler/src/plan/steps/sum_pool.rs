//! **Window sums** of a computed tensor (average pooling before its division): the sum of the
//! window's tap views, a tap outside the input reading 0. Derived: the prover sends each tap
//! view's value at the claim's point (`sum pool taps`; they must sum to the claim), then one
//! map-batch sumcheck binds them all to one claim on the input.

use serde::{Deserialize, Serialize};
use tessera_blocks::Fr;
use tessera_blocks::block::Block;
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::permutation::{
    MapBatch, MapBatchInstance, MapBatchSpec, StructuredMap, StructuredMapSpec,
};
use tessera_blocks::tensor::IntTensor;

use super::{Ctx, Node, StepKind, absorb, value};
use crate::plan::interval::Interval;
use crate::plan::witness::pool_tap;
use crate::quant::qop::{QId, QNode};

/// Window sums.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SumPool {
    /// Input `[B, C, H, W]`.
    pub input: QId,
    /// Kernel.
    pub kernel: [usize; 2],
    /// Strides.
    pub stride: [usize; 2],
    /// Padding before the rows and the columns.
    pub pads: [usize; 2],
    /// Dilations.
    pub dilation: [usize; 2],
}

impl StepKind for SumPool {
    const KIND: &'static str = "SumPool";

    /// Each of the `k·k` taps is an entry or 0.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        let tap = b(self.input)?.hull(Interval::point(0));
        tap.checked_scaled((self.kernel[0] * self.kernel[1]) as i128)
    }

    /// The nodes it reads.
    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    /// Reduces a claim on the sums to one on the input.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let (in_shape, out_shape) = (n.shape_of(self.input), n.shape());
        let taps = self.kernel[0] * self.kernel[1];
        let maps: Vec<StructuredMapSpec> = (0..taps)
            .map(|k| {
                pool_tap(
                    &in_shape,
                    &out_shape,
                    self.kernel,
                    self.stride,
                    self.pads,
                    self.dilation,
                    k,
                )
            })
            .collect();
        // The prover sends every tap view's value at the claim's point; they sum to it.
        let (p, m, ins, input) = (claim.point.clone(), maps.clone(), in_shape.clone(), self.input);
        let values = c.send(b"sum pool taps", taps, &|w| {
            let x = IntTensor::new(ins.clone(), value(w, input)?.data().to_vec())?;
            m.iter()
                .map(|spec| {
                    let view = StructuredMap::eval(spec, std::slice::from_ref(&x))?;
                    let view = view.first().ok_or_else(|| n.malformed("a window view"))?;
                    Ok(view.to_mle().evaluate(&p)?)
                })
                .collect()
        })?;
        if values.iter().sum::<Fr>() != claim.value {
            return Err(n.rejected("sum pool taps do not sum to the claim").into());
        }
        let spec = MapBatchSpec { maps };
        let instance =
            MapBatchInstance { point: claim.point, values, input: TensorId(input as u32) };
        let claims = c.block::<MapBatch>(&n.label(), &spec, &instance, &|w| {
            Ok(vec![value(w, input)?.clone()])
        })?;
        absorb(c, id, claims, None)
    }
}
