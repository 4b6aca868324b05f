//! Univariate KZG commitments (Kate, Zaverucha, Goldberg: "Constant-Size Commitments to
//! Polynomials and Their Applications", ASIACRYPT 2010).
//!
//! Notation: `G = [1]_1`, `H = [1]_2`, `[x]_1 = x·G`. A polynomial `p` of degree `< n` is committed as
//! `C = [p(τ)]_1 = Σ p_i·[τ^i]_1` using the SRS powers.
//!
//! * **Single point** ([`open`], [`verify`]): the witness is `W = [q(τ)]_1` with
//!   `q = (p − p(z))/(X − z)`; `p(z) = v` iff `e(C − v·G + z·W, H) = e(W, [τ]_2)`.
//! * **Several polynomials at several points** ([`batch::batch_open`]): the two-witness scheme of
//!   Boneh, Drake, Fisch, Gabizon, "Efficient polynomial commitment schemes for multiple points and
//!   polynomials" (ePrint 2020/081, "SHPLONK"), see that module.
//!
//! Verifiers return a [`PairingClaim`] instead of a boolean, so a whole proof's pairings can be
//! merged and decided once.
//!
//! Quantized tensors have small signed entries; arkworks' MSM partitions scalars by size (and
//! `p − x` for small negative `x`), so committing them costs a small-scalar MSM automatically.
//! Full-size scalars (quotients, folded polynomials) go to the batch-affine MSM of [`crate::msm`].

pub mod batch;
mod pairing_claim;

use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

pub use pairing_claim::PairingClaim;

use crate::curve::{Fr, G1, G1Affine, fr_from_i64};
use crate::error::{Error, VerifyError};
use crate::srs::{Srs, VerifierKey};
use crate::univariate;

/// A KZG commitment `[p(τ)]_1`. Commitments are additively homomorphic.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, CanonicalSerialize, CanonicalDeserialize,
)]
pub struct Commitment(pub G1Affine);

impl Commitment {
    /// `Σ coeffs_i · commitments_i`.
    pub fn linear_combination(commitments: &[Commitment], coeffs: &[Fr]) -> Result<Self, Error> {
        if commitments.len() != coeffs.len() {
            return Err(Error::Length {
                what: "commitment combination coefficients",
                expected: commitments.len(),
                got: coeffs.len(),
            });
        }
        let bases: Vec<G1Affine> = commitments.iter().map(|c| c.0).collect();
        Ok(Commitment(G1::msm_unchecked(&bases, coeffs).into_affine()))
    }
}

/// A single-point opening proof: the quotient commitment `W`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct OpeningProof {
    pub witness: G1Affine,
}

/// `[p(τ)]_1` for coefficients `p` (degree `< srs.len()`).
pub fn commit(srs: &Srs, p: &[Fr]) -> Result<Commitment, Error> {
    let bases = srs.committer_powers("kzg commit", p.len())?;
    Ok(Commitment(crate::msm::msm(bases, p).into_affine()))
}

/// Commits a tensor in the kernel's padded encoding (its multilinear extension's evaluations).
pub fn commit_tensor(srs: &Srs, t: &crate::tensor::IntTensor) -> Result<Commitment, Error> {
    commit(srs, t.to_mle().evals())
}

/// Commits small signed integers (quantized tensors) embedded mod p.
pub fn commit_i64(srs: &Srs, p: &[i64]) -> Result<Commitment, Error> {
    let scalars: Vec<Fr> = p.iter().map(|x| fr_from_i64(*x)).collect();
    commit(srs, &scalars)
}

/// Opens `p` at `z`: returns `p(z)` and the witness.
pub fn open(srs: &Srs, p: &[Fr], z: Fr) -> Result<(Fr, OpeningProof), Error> {
    let (q, value) = univariate::divide_by_linear(p, z);
    let witness = commit(srs, &q)?.0;
    Ok((value, OpeningProof { witness }))
}

/// Reduces "`C` opens to `value` at `z`" to the pairing claim `e(C − v·G + z·W, H) = e(W, [τ]_2)`.
pub fn verify(
    vk: &VerifierKey,
    commitment: &Commitment,
    z: Fr,
    value: Fr,
    proof: &OpeningProof,
) -> Result<PairingClaim, VerifyError> {
    let w = G1::from(proof.witness);
    let lhs = G1::from(commitment.0) - G1::from(vk.g1) * value + w * z;
    Ok(PairingClaim { lhs: lhs.into_affine(), rhs: proof.witness })
}

#[cfg(test)]
mod tests;
