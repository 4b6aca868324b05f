//! The elementwise block: Hadamard products, linear combinations with public constants, scaled
//! sums over axes, broadcasts, and the zero-padding check of committed tensors (DESIGN §4).
//!
//! Every tensor is the padded multilinear extension of [`crate::tensor`]: shape `[n_1..n_d]`, axis
//! `a` padded to `2^{k_a}` and given `k_a` variables, outermost axis first. A point `r` therefore
//! splits into per-axis points `r = (r_1 ‖ … ‖ r_d)`. `I_n(r_a) = Σ_{i<n} eq(r_a, i)` is the prefix
//! indicator ([`crate::mle::prefix_indicator`]), `Ĩ(r) = Π_a I_{n_a}(r_a)` the indicator of the
//! unpadded region. Claims flow backwards: each verb turns the claim `z̃(r) = v` on the output into
//! claims on the inputs.
//!
//! | op | relation on the claim | proof | verifier |
//! |---|---|---|---|
//! | [`Hadamard`] `z = x∘y` | `v = Σ_b eq(r,b)·x̃(b)·ỹ(b)` (degree-3 sumcheck, [`crate::sumcheck`]) | rounds + `x̃(r'), ỹ(r')` | `O(log n)` |
//! | [`HadamardBatch`] | several product claims of 1–7 factors each, shapes may differ | one batched sumcheck + one eval per factor | `O(Σ log n_i)` |
//! | [`Linear`] `z = Σ c_i x_i + c_0` | `v = Σ c_i·x̃_i(r) + c_0·Ĩ(r)`, solved for the first `x̃_j(r)` with `c_j ≠ 0` | the other `x̃_i(r)` | `O(Σ_a k_a + inputs)` |
//! | [`AxisSum`] `z = c·Σ_{axes S} x` | `v = c·2^{K_S}·x̃(r with ½ on the variables of S)`, since `Σ_{b∈{0,1}^K} f(b) = 2^K f(½..½)` for multilinear `f` | none | `O(1)` |
//! | [`Broadcast`] along axes `B` | `v = Π_{a∈B} I_{m_a}(r_a)·x̃(r without B)` | `x̃(·)` | `O(Σ_{a∈B} k_a)` |
//! | [`PaddingCheck`] of a committed `T` | `T̃(prefix of a padded block ‖ ρ) = 0` per aligned block of padded positions, `ρ` drawn after `T`'s commitment | none | `O(log n)` per block |
//!
//! **Padding.** Arithmetic outputs inherit zero padding from their inputs: a Hadamard or linear
//! combination of zero-padded tensors is zero-padded, and the constant `c_0` is multiplied by `Ĩ`
//! so it never lands in padding; a broadcast copies only into the first `m_a` positions of each
//! broadcast axis, hence the `I_{m_a}` factor; an axis sum adds zeros from the padding. The only
//! tensors whose padding is not implied are committed ones (lookup-defined tensors, hints): the
//! runtime runs [`PaddingCheck`] on each of them.
//!
//! **Mean.** `AxisSum` multiplies by a public integer `c`; a mean is `c·Σ` at a finer fixed-point
//! scale (`c ≈ 2^s/n`), and the compiler's rescale (a lookup) brings it back, so no division happens
//! here. For a power-of-two count, `c = 1` and the scale alone changes.
//!
//! Transcript: every verb first absorbs its label and the output claim; proofs' values are
//! absorbed before any later challenge.

mod axes;
mod hadamard;
mod hadamard_batch;
mod linear;
mod padding;

pub use axes::{AxisSum, AxisSumSpec, Broadcast, BroadcastProof, BroadcastSpec};
pub use hadamard::{Hadamard, HadamardProof, HadamardSpec};
pub use hadamard_batch::{
    HadamardBatch, HadamardBatchInstance, HadamardBatchProof, HadamardBatchSpec, MAX_FACTORS,
};
pub use linear::{Linear, LinearProof, LinearSpec};
pub use padding::{
    PaddingCheck, PaddingCheckInstance, PaddingCheckProof, PaddingCheckSpec, padded_blocks,
};

use crate::claim::{TensorClaim, TensorId};
use crate::curve::Fr;
use crate::error::{Error, RelationError};
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

/// The statement of an elementwise verb: the claim on its output and the tensors it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub output: TensorClaim,
    pub inputs: Vec<TensorId>,
}

/// Splits `point` into per-axis points for `shape`, or errors if the length is wrong.
pub fn split_point<'a>(point: &'a [Fr], shape: &[usize]) -> Result<Vec<&'a [Fr]>, Error> {
    let vars = axis_vars(shape);
    let total: usize = vars.iter().sum();
    if point.len() != total {
        return Err(Error::Length {
            what: "tensor claim point",
            expected: total,
            got: point.len(),
        });
    }
    let mut out = Vec::with_capacity(vars.len());
    let mut rest = point;
    for k in vars {
        let (head, tail) = rest.split_at(k);
        out.push(head);
        rest = tail;
    }
    Ok(out)
}

/// Checks that `inputs` has `count` tensors, all of shape `shape`.
fn expect_inputs(inputs: &[IntTensor], count: usize, shape: &[usize]) -> Result<(), Error> {
    if inputs.len() != count {
        return Err(Error::Length { what: "block inputs", expected: count, got: inputs.len() });
    }
    if let Some(t) = inputs.iter().find(|t| t.shape() != shape) {
        return Err(Error::Invalid {
            what: "block input shape",
            reason: format!("expected {shape:?}, got {:?}", t.shape()),
        });
    }
    Ok(())
}

/// `check` helper: `outputs` (from `eval`) must exist and the output claim must be the padded MLE
/// of the first output at the claim's point.
pub(crate) fn check_outputs(
    relation: &'static str,
    outputs: Result<Vec<IntTensor>, Error>,
    claim: &TensorClaim,
) -> Result<(), RelationError> {
    let violated = |detail: String| RelationError::Violated { relation, detail };
    let outputs = outputs.map_err(|e| violated(e.to_string()))?;
    let output = outputs.first().ok_or_else(|| violated("no output".into()))?;
    let value = output.to_mle().evaluate(&claim.point).map_err(|e| violated(e.to_string()))?;
    if value != claim.value {
        return Err(violated("output claim is not the output tensor's evaluation".into()));
    }
    Ok(())
}

/// The one input tensor id of a single-input verb.
pub(crate) fn single_id(instance: &Instance, what: &'static str) -> Result<TensorId, Error> {
    match instance.inputs.as_slice() {
        [id] => Ok(*id),
        other => Err(Error::Length { what, expected: 1, got: other.len() }),
    }
}

/// The one input tensor of a single-input verb, of shape `shape`.
pub(crate) fn single_input<'a>(
    inputs: &'a [IntTensor],
    shape: &[usize],
    what: &'static str,
) -> Result<&'a IntTensor, Error> {
    match inputs {
        [x] if x.shape() == shape => Ok(x),
        _ => Err(Error::Invalid { what, reason: format!("expects one input of shape {shape:?}") }),
    }
}

fn absorb_output(t: &mut Transcript, label: &[u8], instance: &Instance) {
    t.append_bytes(b"block", label);
    t.append_serializable(b"output claim", &instance.output);
}

fn checked(what: &'static str, x: Option<i64>) -> Result<i64, Error> {
    x.ok_or(Error::Invalid { what, reason: "integer overflow".into() })
}

#[cfg(test)]
mod tests;
