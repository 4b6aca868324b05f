//! **2-D convolution** (ONNX `group` included) with a weight committed in the verifying key.
//! Derived: a claim on the output is reduced by the convolution sumcheck to a claim on the input
//! (routed) and one on the weight (an accumulator leaf).

use serde::{Deserialize, Serialize};
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::matmul::conv::{Conv as ConvBlock, ConvInstance, ConvSpec, ConvWitness};

use super::{Ctx, Node, StepKind, absorb, value};
use crate::plan::BlockPlan;
use crate::plan::bounds::{dot_bound, hull, weight_values};
use crate::plan::interval::Interval;
use crate::quant::qop::{QId, QNode};

/// `Y = conv(X, W)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv {
    /// `X` `[B, C, H, W]`.
    pub input: QId,
    /// `W` `[M, C/group, KH, KW]`.
    pub weight: QId,
    /// Kernel `[KH, KW]`.
    pub kernel: [usize; 2],
    /// Strides.
    pub stride: [usize; 2],
    /// Pads `[top, left, bottom, right]`.
    pub pads: [usize; 4],
    /// Dilations.
    pub dilation: [usize; 2],
    /// Groups: output channel `m` reads the input channels of group `m/(M/group)` only
    /// (`group = C` is depthwise).
    pub group: usize,
}

impl StepKind for Conv {
    const KIND: &'static str = "Conv";

    /// `X [B, C, H, W]` and `W [M, C/group, KH, KW]` fit the group (`group` divides `M`).
    fn validate(&self, plan: &BlockPlan) -> Result<(), &'static str> {
        let shape = |id: QId| plan.graph.nodes.get(id).map(|n| n.shape.as_slice());
        match (shape(self.input), shape(self.weight)) {
            (Some([_, c, _, _]), Some([m, cg, _, _]))
                if self.group > 0
                    && m.is_multiple_of(self.group)
                    && cg.checked_mul(self.group) == Some(*c) =>
            {
                Ok(())
            }
            _ => Err("the group does not fit the shapes"),
        }
    }

    /// The bound on the output: per output channel, the dot bound of its weights (zero padding
    /// may stand in for any input entry, so each term may also be 0).
    fn bound(
        &self,
        _: QId,
        nodes: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        let data = weight_values(nodes, self.weight)?;
        let m = *nodes.get(self.weight)?.shape.first()?;
        if m == 0 || data.len() % m != 0 {
            return None;
        }
        let x = b(self.input)?;
        hull(data.chunks(data.len() / m).map(|ws| dot_bound(ws.iter().copied(), x, true)))
    }

    /// The nodes it reads.
    fn inputs(&self) -> Vec<QId> {
        vec![self.input, self.weight]
    }

    /// Reduces a claim on the output.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let (s, ws) = (n.shape_of(self.input), n.shape_of(self.weight));
        if s.len() != 4 || ws.len() != 4 {
            return Err(n.malformed("conv shapes").into());
        }
        let spec = ConvSpec {
            batch: s[0],
            in_channels: s[1],
            height: s[2],
            width: s[3],
            out_channels: ws[0],
            kernel: self.kernel,
            stride: self.stride,
            pads: self.pads,
            dilation: self.dilation,
            group: self.group,
        };
        let instance = ConvInstance {
            input: TensorId(self.input as u32),
            weight: c.weight(self.weight)?,
            output: claim,
        };
        let (input, weight) = (self.input, self.weight);
        let claims = c.block::<ConvBlock>(&n.label(), &spec, &instance, &|w| {
            Ok(ConvWitness {
                input: value(w, input)?.clone(),
                weight: value(w, weight)?.clone(),
                output: value(w, id)?.clone(),
            })
        })?;
        absorb(c, id, claims, Some(self.weight))
    }
}
