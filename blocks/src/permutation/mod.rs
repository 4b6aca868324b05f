//! The permutation block: index maps `out[i] = in[σ(i)]` (or 0 where `σ(i)` is undefined),
//! proven without committing anything (DESIGN §4).
//!
//! Notation as in [`crate::elementwise`]: per-axis points `r = (r_1 ‖ … ‖ r_d)`, prefix
//! indicators `I_n`. For a map with matrix `M(i, j) = [σ(i) = j]`,
//! `õut(r) = Σ_j M̃(r, j)·ĩn(j)` — one degree-2 sumcheck over the input's variables ends in the
//! claim `ĩn(r')` and a value `M̃(r, r')` the verifier computes itself.
//!
//! * [`StructuredMap`]: `σ` acts **per axis**. Each output axis is either `Pass` (an input axis,
//!   unchanged: transpose and every axis a map does not touch), `New` (length 1: unsqueeze), or
//!   `Affine { start, step, len }`: `out[i] = in[start + step·i]` when that index is inside the
//!   input axis, else 0 — slices with steps, split, pad (negative `start`), and the shifted windows
//!   of convolution and pooling (`start = k·dilation − pad`, `step = stride`). Input axes of length
//!   1 may be dropped (squeeze). Pass axes cost nothing: their sub-points carry over. The sumcheck
//!   runs only over the variables of the input axes read by `Affine` axes, and the verifier
//!   evaluates `M̃ = Π_{affine a} M̃_a(r_a, r'_a)` with
//!   `M̃_a(r_a, r'_a) = Σ_{i<len} eq(r_a, i)·eq(r'_a, start + step·i)`, in `O(log n)` per axis for
//!   power-of-two steps by a bit-serial dynamic program ([`axis_eval`]), and in `O(len_a + n_src)`
//!   (the axis lengths, never the tensor size) for other strides. A map with no affine axis
//!   (transpose, squeeze) is a pure renaming of variables: zero rounds.
//! * [`GeneralMap`]: any fixed `σ` given as a table (gather with constant indices, a reshape that is
//!   not a renaming). Same sumcheck over all input variables; the verifier evaluates
//!   `M̃(r, r') = Σ_i eq(r, i)·eq(r', σ(i))` in `O(n_out + n_in)` from the table, which is part of
//!   the plan and so bound by the verifying-key digest. No commitment is needed.
//! * [`Concat`]: `out` is the sum of one affine map per input (`start = −offset`), so the claim
//!   splits into one value per input, each proven by its map.
//! * [`MapBatch`]: several structured maps of one input claimed at one point (the taps of a
//!   pooling window), combined by a challenge into one sumcheck.
//!
//! **Padding.** Per-axis padding (each axis padded to a power of two on its own) makes transpose,
//! squeeze and unsqueeze renamings, and keeps every map's output padding zero: only `i < len`
//! rows of `M` are non-zero and out-of-range sources read nothing. A **reshape** is a renaming
//! exactly when the padded row-major layouts coincide (e.g. `[3, 8] → [24]`: the inner axis is a
//! power of two); `[3, 5] → [15]` is not (entry `(1, 0)` sits at padded index 8 but flat index 5),
//! so [`reshape_map`] returns a renaming when it can and a [`GeneralMap`] otherwise.
//!
//! Transcript: label, output claim, the sumcheck, then `ĩn(r')`. Proof: `K` rounds of 2 scalars
//! plus one scalar, `K` = variables of the mapped input axes.

mod axis_eval;
mod concat;
mod general;
mod map_batch;
mod structured;

pub use concat::{Concat, ConcatProof, ConcatSpec};
pub use general::{GeneralMap, GeneralMapSpec, ReshapeMap, reshape_map};
pub use map_batch::{MapBatch, MapBatchInstance, MapBatchSpec};
pub use structured::{AxisMap, MapProof, StructuredMap, StructuredMapSpec, WindowAxis};

pub(crate) use axis_eval::affine_map_eval;
use axis_eval::affine_source;

use crate::curve::Fr;
use crate::error::{Error, VerifyError};
use crate::mle::DenseMle;
use crate::sumcheck::{
    SumOfProducts, SumcheckInstance, SumcheckStatement, prove_batch, verify_batch,
};
use crate::transcript::Transcript;

/// Prover side of every map: the degree-2 sumcheck `Σ_j A(j)·ĩn(j) = claim`, then `ĩn(r')` is
/// absorbed under `eval_label`. Returns the proof and `r'`.
fn prove_map_sumcheck(
    a: Vec<Fr>,
    input: DenseMle,
    claim: Fr,
    eval_label: &[u8],
    t: &mut Transcript,
) -> Result<(MapProof, Vec<Fr>), Error> {
    let polys = vec![DenseMle::new(a)?, input];
    let out = prove_batch(
        vec![SumcheckInstance { polys, expr: SumOfProducts::product(2) }],
        &[claim],
        t,
    )?;
    let input_eval = out.final_evals[0][1];
    t.append_scalar(eval_label, &input_eval);
    Ok((MapProof { sumcheck: out.proof, input_eval }, out.point))
}

/// Verifier side: replays the sumcheck over `num_vars` variables, checks its final claim against
/// `M̃(r') · ĩn(r')` with `M̃(r')` computed by `matrix_at` from the verifier's own spec, absorbs
/// `ĩn(r')` and returns `r'`.
fn verify_map_sumcheck(
    protocol: &'static str,
    num_vars: usize,
    claim: Fr,
    proof: &MapProof,
    matrix_at: impl FnOnce(&[Fr]) -> Result<Fr, Error>,
    eval_label: &[u8],
    t: &mut Transcript,
) -> Result<Vec<Fr>, VerifyError> {
    let sub =
        verify_batch(&[SumcheckStatement { num_vars, degree: 2, claim }], &proof.sumcheck, t)?;
    let m_at = matrix_at(&sub.point)?;
    sub.check_final(protocol, &[&SumOfProducts::product(2)], &[vec![m_at, proof.input_eval]])?;
    t.append_scalar(eval_label, &proof.input_eval);
    Ok(sub.point)
}

#[cfg(test)]
mod tests;
