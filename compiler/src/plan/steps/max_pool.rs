//! **Max pooling** over 2-D windows of a linear form `x` over committed tensors: every tap's
//! difference `d_k = y − tap_k(x)` is range-checked (`≥ 0`) and their product is zero, so `y` is
//! at least every tap and equal to one.
//!
//! Slots `[y, d_0, …, d_{K−1}]` for the `K` taps. A padded pool views `x − c` for a lower bound
//! `c` of the input (`pad_value`), so a tap in the padding reads `c` and never wins over a real
//! tap: `d_k = y − c − view_k(x − c)`.
//!
//! Transcript: `ρ` (`max pool point`); send `ỹ(ρ), d̃_k(ρ)` (`max pool evals`), all leaves; one
//! map-batch proof binds every tap view of `x − c` to the differences (`view_k = y − c − d_k`)
//! and leaves one claim on `x − c`; then the zero product `Π d_k = 0` (`zero check point`).

use serde::{Deserialize, Serialize};
use tessera_blocks::block::Block;
use tessera_blocks::curve::fr_from_i64;
use tessera_blocks::lookup::table::shape_mask_eval;
use tessera_blocks::permutation::{MapBatch, MapBatchInstance, MapBatchSpec, StructuredMap};
use tessera_blocks::tensor::IntTensor;

use super::{
    Committed, Ctx, Node, StepError, StepKind, VIRTUAL_LEFT, eval_refs, num_vars, single_claim,
    zero_product,
};
use crate::ir::Window;
use crate::plan::interval::Interval;
use crate::plan::lower::{Lowering, pool_geometry};
use crate::plan::witness::{eval_lin, pool_tap};
use crate::plan::{Lin, PlanError, Ref, Role, Step};
use crate::quant::qop::{QId, QNode};

/// The slots of a max pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `y` (the node's value).
    Max,
    /// `d_k = y − tap_k`.
    Diff(usize),
}

impl From<Slot> for usize {
    fn from(s: Slot) -> usize {
        match s {
            Slot::Max => 0,
            Slot::Diff(k) => 1 + k,
        }
    }
}

/// Max over windows of a committed linear form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxPool {
    /// Input `[B, C, H, W]`.
    pub input: Lin,
    /// Kernel.
    pub kernel: [usize; 2],
    /// Strides.
    pub stride: [usize; 2],
    /// Padding before the rows and the columns (the padding after, and `ceil_mode`, are in the
    /// output shape).
    pub pads: [usize; 2],
    /// Dilations.
    pub dilation: [usize; 2],
    /// The value of a padded tap (0 without padding).
    pub pad_value: i64,
}

impl MaxPool {
    /// Number of window taps.
    pub fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// Lowers a max pool: the step and the range check of every difference.
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
        window: &Window,
    ) -> Result<(Role, Step), PlanError> {
        let x = l.arg(node, 0)?;
        let Some([kernel, stride, pads, dilation]) = pool_geometry(window) else {
            return Err(l.unsupported(node, "only 2-D max pooling with pads below the window"));
        };
        let a = l.committed_form(node, x)?;
        let ia = l.intervals.of(&a).ok_or_else(|| l.unsupported(node, "unbounded input"))?;
        l.intervals.set(Ref::new(id, Slot::Max), ia);
        for k in 0..kernel[0] * kernel[1] {
            let d = Ref::new(id, Slot::Diff(k));
            l.loose_check(id, Lin::of(d), ia.hi - ia.lo);
            l.intervals.set(d, Interval::new(0, ia.hi - ia.lo));
        }
        // With ceil_mode the last windows may also run past the input's end.
        let padded =
            window.ceil_mode || window.pads_begin.iter().chain(&window.pads_end).any(|p| *p > 0);
        let pad_value = if padded {
            i64::try_from(ia.lo).map_err(|_| l.unsupported(node, "an input bound beyond i64"))?
        } else {
            0
        };
        let step = MaxPool { input: a, kernel, stride, pads, dilation, pad_value };
        Ok((Role::Committed, Step::MaxPool(step)))
    }

    fn in_shape(&self, n: &Node<'_>) -> Result<Vec<usize>, StepError> {
        let first = n.plan.graph.nodes.get(n.id).and_then(|node| node.inputs.first().copied());
        first.map(|j| n.shape_of(j)).ok_or_else(|| n.malformed("a max pool without input"))
    }
}

impl StepKind for MaxPool {
    const KIND: &'static str = "MaxPool";

    fn inputs(&self) -> Vec<QId> {
        vec![]
    }

    fn committed_input(&self) -> Option<&Lin> {
        Some(&self.input)
    }

    /// Number of committed slots.
    fn slots(&self) -> usize {
        1 + self.taps()
    }

    /// `[y, d_0, …]`.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        committed: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        let (in_shape, shape) = (self.in_shape(n)?, n.shape());
        // The taps of `x − pad_value` (a padded tap reads 0), so d = y − pad_value − tap.
        let shifted = self.input.clone().plus(-self.pad_value);
        let a = eval_lin(committed, &shifted, &in_shape, true)?;
        let y = n.value(values, n.id)?.clone();
        let mut out = vec![y.clone()];
        for k in 0..self.taps() {
            let spec =
                pool_tap(&in_shape, &shape, self.kernel, self.stride, self.pads, self.dilation, k);
            let view = StructuredMap::eval(&spec, std::slice::from_ref(&a))?;
            let view = view.first().ok_or_else(|| n.malformed("a window view"))?;
            let d = y.data().iter().zip(view.data()).map(|(y, x)| y - self.pad_value - x);
            out.push(IntTensor::new(shape.clone(), d.collect())?);
        }
        Ok(out)
    }

    /// Binds the differences to the window views, then their zero product.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let (in_shape, shape) = (self.in_shape(&n)?, n.shape());
        let taps = self.taps();
        let point = c.challenge(b"max pool point", num_vars(&shape));
        let refs: Vec<Ref> = std::iter::once(Slot::Max)
            .chain((0..taps).map(Slot::Diff))
            .map(|s| Ref::new(id, s))
            .collect();
        let p = point.clone();
        let e = c.send(b"max pool evals", taps + 1, &|w| eval_refs(w, &refs, &p))?;
        for (r, v) in refs.iter().zip(&e) {
            c.leaf(&Lin::of(*r), &shape, point.clone(), *v)?;
        }
        // Every tap is a window view of the input at the same point: one batch.
        let spec = MapBatchSpec {
            maps: (0..taps)
                .map(|k| {
                    pool_tap(
                        &in_shape,
                        &shape,
                        self.kernel,
                        self.stride,
                        self.pads,
                        self.dilation,
                        k,
                    )
                })
                .collect(),
        };
        // Tap k of `x − pad_value` is `y − pad_value − d_k` (0 in the padding).
        let shift = fr_from_i64(self.pad_value) * shape_mask_eval(&shape, &point)?;
        let values = (0..taps).map(|k| e[0] - e[1 + k] - shift).collect();
        let instance = MapBatchInstance { point: point.clone(), values, input: VIRTUAL_LEFT };
        let shifted = self.input.clone().plus(-self.pad_value);
        let (lin, ins) = (shifted.clone(), in_shape.clone());
        let claims = c.block::<MapBatch>(&n.label(), &spec, &instance, &|w| {
            Ok(vec![eval_lin(&w.committed, &lin, &ins, true)?])
        })?;
        let t = single_claim(claims, &n)?;
        c.leaf(&shifted, &in_shape, t.point, t.value)?;
        let diffs: Vec<Lin> = (0..taps).map(|k| Lin::of(Ref::new(id, Slot::Diff(k)))).collect();
        zero_product(c, id, &shape, &diffs);
        Ok(())
    }
}
