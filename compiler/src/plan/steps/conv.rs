//! **2-D convolution** (ONNX `group` included) with a weight committed in the verifying key.
//! Derived: a claim on the output is reduced by the convolution sumcheck to a claim on the input
//! (routed) and one on the weight (an accumulator leaf).

use serde::{Deserialize, Serialize};
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::matmul::conv::{Conv as ConvBlock, ConvInstance, ConvSpec, ConvWitness};

use super::{Ctx, Node, absorb, value};
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

impl Conv {
    /// The nodes it reads.
    pub fn inputs(&self) -> Vec<QId> {
        vec![self.input, self.weight]
    }

    /// The bound on the output: per output channel, the dot bound of its weights (zero padding
    /// may stand in for any input entry, so each term may also be 0).
    pub(crate) fn bound(
        &self,
        nodes: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
    ) -> Option<Interval> {
        let data = weight_values(nodes, self.weight)?;
        let m = *nodes.get(self.weight)?.shape.first()?;
        if m == 0 || data.len() % m != 0 {
            return None;
        }
        let x = b(self.input)?;
        hull(data.chunks(data.len() / m).map(|ws| dot_bound(ws.iter().copied(), x, true)))
    }

    /// Reduces a claim on the output.
    pub fn reduce<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, "Conv");
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
