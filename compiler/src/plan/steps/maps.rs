//! **Index maps**: steps whose output entries are input entries — [`Slice`] (strided, positive
//! steps), [`Reshape`] (row-major), [`Transpose`] (an axis permutation), [`Gather`] (constant
//! indices along an axis) and [`Concat`] (along an axis). Derived: a claim on the output becomes
//! a claim on the input through an index-map sumcheck; a transpose, and a reshape that keeps every
//! entry's position, rename the point's variables instead (no proof, nothing absorbed). Bounds:
//! the input's (the hull of the inputs' for a concatenation).

use serde::{Deserialize, Serialize};
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::elementwise::{Instance, split_point};
use tessera_blocks::permutation::{
    AxisMap, Concat as ConcatBlock, ConcatSpec, GeneralMap, GeneralMapSpec, ReshapeMap,
    StructuredMap, StructuredMapSpec, reshape_map,
};

use super::{Ctx, Node, StepKind, absorb, value};
use crate::ir::SliceAxis;
use crate::plan::interval::Interval;
use crate::quant::qop::{QId, QNode};

/// Strided slice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slice {
    /// Input.
    pub input: QId,
    /// Sliced axes (positive steps).
    pub axes: Vec<SliceAxis>,
}

/// Row-major reshape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reshape {
    /// Input.
    pub input: QId,
}

/// Axis permutation: output axis `a` is input axis `perm[a]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transpose {
    /// Input.
    pub input: QId,
    /// Permutation.
    pub perm: Vec<usize>,
}

/// `out[a, i, b] = in[a, indices[i], b]` along `axis`, with the constant indices of the node's
/// `QOp::Gather`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gather {
    /// Input.
    pub input: QId,
    /// The axis.
    pub axis: usize,
}

/// Concatenation of computed tensors along `axis` (their shapes agree elsewhere).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concat {
    /// The inputs, in order.
    pub inputs: Vec<QId>,
    /// The axis.
    pub axis: usize,
}

/// One index-map block from `input` to node `id`, its claim routed.
fn map_block<'p, C: Ctx<'p>, B>(
    c: &mut C,
    n: &Node<'_>,
    spec: &B::Spec,
    input: QId,
    claim: TensorClaim,
) -> Result<(), C::Error>
where
    B: tessera_blocks::block::Block<
            Instance = Instance,
            Witness = Vec<tessera_blocks::tensor::IntTensor>,
        >,
    B::Proof: 'static,
{
    let instance = Instance { output: claim, inputs: vec![TensorId(input as u32)] };
    let claims =
        c.block::<B>(&n.label(), spec, &instance, &|w| Ok(vec![value(w, input)?.clone()]))?;
    absorb(c, n.id, claims, None)
}

impl StepKind for Slice {
    const KIND: &'static str = "Slice";

    /// The input's bound: the entries are input entries.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        b(self.input)
    }

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    /// Reduces a claim on the slice.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let (in_shape, out_shape) = (n.shape_of(self.input), n.shape());
        let mut maps: Vec<AxisMap> = (0..in_shape.len()).map(|src| AxisMap::Pass { src }).collect();
        for a in &self.axes {
            let len = out_shape.get(a.axis).copied().unwrap_or(0);
            if let Some(m) = maps.get_mut(a.axis) {
                *m = AxisMap::Affine { src: a.axis, start: a.start, step: a.step, len };
            }
        }
        let spec = StructuredMapSpec { in_shape, axes: maps };
        map_block::<C, StructuredMap>(c, &n, &spec, self.input, claim)
    }
}

impl StepKind for Reshape {
    const KIND: &'static str = "Reshape";

    /// The input's bound: the entries are input entries.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        b(self.input)
    }

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    /// Reduces a claim on the reshaped tensor.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        match reshape_map(&n.shape_of(self.input), &n.shape())? {
            ReshapeMap::Renaming => {
                c.route(self.input, claim.point, claim.value);
                Ok(())
            }
            ReshapeMap::General(spec) => {
                map_block::<C, GeneralMap>(c, &n, &spec, self.input, claim)
            }
        }
    }
}

impl StepKind for Transpose {
    const KIND: &'static str = "Transpose";

    /// The input's bound: the entries are input entries.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        b(self.input)
    }

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    /// Renames the claim's point: each axis is padded on its own, so a transpose permutes the
    /// point's chunks.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let chunks = split_point(&claim.point, &n.shape())?;
        let mut point = Vec::with_capacity(claim.point.len());
        for j in 0..self.perm.len() {
            let chunk = self.perm.iter().position(|p| *p == j).and_then(|a| chunks.get(a));
            point.extend_from_slice(chunk.ok_or_else(|| n.malformed("not a permutation"))?);
        }
        if point.len() != claim.point.len() {
            return Err(n.malformed("not a permutation").into());
        }
        c.route(self.input, point, claim.value);
        Ok(())
    }
}

impl StepKind for Gather {
    const KIND: &'static str = "Gather";

    /// The input's bound: the entries are input entries.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        b(self.input)
    }

    fn inputs(&self) -> Vec<QId> {
        vec![self.input]
    }

    /// Reduces a claim on the gathered tensor through the general index map of its sources.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let sources = c.plan().gather_sources(id).map_err(|_| n.malformed("gather sources"))?;
        let spec = GeneralMapSpec {
            in_shape: n.shape_of(self.input),
            out_shape: n.shape(),
            source: sources.into_iter().map(Some).collect(),
        };
        map_block::<C, GeneralMap>(c, &n, &spec, self.input, claim)
    }
}

impl StepKind for Concat {
    const KIND: &'static str = "Concat";

    /// The hull of the input bounds: the entries are input entries.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        crate::plan::bounds::hull(self.inputs.iter().map(|j| b(*j)))
    }

    fn inputs(&self) -> Vec<QId> {
        self.inputs.clone()
    }

    /// Splits a claim on the concatenation into one claim per input.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let spec = ConcatSpec {
            in_shapes: self.inputs.iter().map(|j| n.shape_of(*j)).collect(),
            axis: self.axis,
        };
        let ids = self.inputs.iter().map(|j| TensorId(*j as u32)).collect();
        let instance = Instance { output: claim, inputs: ids };
        let inputs = &self.inputs;
        let claims = c.block::<ConcatBlock>(&n.label(), &spec, &instance, &|w| {
            inputs.iter().map(|j| Ok(value(w, *j)?.clone())).collect()
        })?;
        absorb(c, id, claims, None)
    }
}
