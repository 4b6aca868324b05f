//! Multilinear polynomial commitments from univariate KZG: Gemini-style folding as in HyperKZG.
//!
//! Papers: Bootle, Chiesa, Hu, Orrù, "Gemini: elastic SNARKs for diverse environments"
//! (EUROCRYPT 2022, ePrint 2022/420) §5; the HyperKZG variant of microsoft/Nova; the batch opening
//! is SHPLONK (see [`crate::kzg::batch`]).
//!
//! **Commitment.** A multilinear `f` with table `f[0..2^k)` is committed as the univariate
//! `P_0(X) = Σ_i f[i]·X^i`, i.e. `C = [P_0(τ)]_1`. Zero-padding (new leading variables) leaves `C`
//! unchanged.
//!
//! **Opening `f(x_1..x_k) = v`** (variables most-significant first, as in [`crate::mle`]). Write
//! `P_0(X) = E(X²) + X·O(X²)` (even/odd coefficients = the last variable `x_k` set to 0/1). Folding
//! `P_{j+1} = (1 − u_j)·E_j + u_j·O_j` with `u_j = x_{k−j}` removes one variable per step;
//! `P_k = v`. For any `r ≠ 0`:
//!
//! ```text
//! P_{j+1}(r²) = (1 − u_j)·(P_j(r) + P_j(−r))/2 + u_j·(P_j(r) − P_j(−r))/(2r)      (j = 0..k−1)
//! ```
//!
//! Transcript order: absorb `C`, the point, `v`; prover sends `[P_1]..[P_{k−1}]` (absorbed);
//! squeeze `r`; then one SHPLONK batch opening of `P_0` at `{r, −r}` and of `P_j, j ≥ 1` at
//! `{r, −r, r²}` (it absorbs the evaluations before its own challenges). The verifier checks the
//! `k` folding equations above and returns SHPLONK's pairing claim.
//!
//! **Proof** for `k` variables: `k − 1 + 2` G1 points and `3k − 1` scalars
//! (`k = 16`: 17·48 + 47·32 = 2,320 bytes). A 0-variable polynomial is opened as its 1-variable
//! zero-padding at the point `(0)`.
//!
//! **Batching at one point** ([`batch_open`]): polynomials `f_i` with the same number of variables are
//! combined as `Σ c^i f_i` with `c` squeezed after all commitments and values are absorbed; their
//! commitments and values combine the same way.

use ark_ff::{Field, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::curve::{Fr, G1Affine, powers};
use crate::error::{Error, VerifyError};
use crate::kzg::batch::{
    BatchOpeningProof, OpeningQuery, batch_open as shplonk_open, batch_verify as shplonk_verify,
};
use crate::kzg::{self, Commitment, PairingClaim};
use crate::mle::{DenseMle, bind_last_slice};
use crate::srs::{Srs, VerifierKey};
use crate::transcript::Transcript;

const PROTOCOL: &str = "hyperkzg";

/// An opening proof; field names follow the module doc.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MlOpeningProof {
    /// `[P_1(τ)]_1 .. [P_{k−1}(τ)]_1`.
    pub folded_commitments: Vec<G1Affine>,
    /// `P_j(r)` for `j = 0..k−1`.
    pub evals_at_r: Vec<Fr>,
    /// `P_j(−r)` for `j = 0..k−1`.
    pub evals_at_minus_r: Vec<Fr>,
    /// `P_j(r²)` for `j = 1..k−1`.
    pub evals_at_r_squared: Vec<Fr>,
    /// SHPLONK witnesses for all of the above.
    pub batch: BatchOpeningProof,
}

/// Commits a multilinear polynomial (its table as univariate coefficients).
pub fn commit(srs: &Srs, poly: &DenseMle) -> Result<Commitment, Error> {
    kzg::commit(srs, poly.evals())
}

/// Opens `poly` (committed as `commitment`) at `point`; returns `poly(point)` and the proof.
pub fn open(
    srs: &Srs,
    poly: &DenseMle,
    commitment: &Commitment,
    point: &[Fr],
    transcript: &mut Transcript,
) -> Result<(Fr, MlOpeningProof), Error> {
    let value = poly.evaluate(point)?;
    let (poly, point) = if poly.num_vars() == 0 {
        (poly.padded_to(1)?, vec![Fr::zero()])
    } else {
        (poly.clone(), point.to_vec())
    };
    let k = point.len();
    absorb_statement(transcript, commitment, &point, value);

    // P_{j+1} = P_j with its last variable bound to x_{k−j}.
    let mut folded: Vec<Vec<Fr>> = Vec::with_capacity(k);
    folded.push(poly.into_evals());
    for j in 0..k - 1 {
        let next = bind_last_slice(&folded[j], point[k - 1 - j]);
        folded.push(next);
    }
    let folded_commitments: Vec<G1Affine> = folded[1..]
        .par_iter()
        .map(|p| kzg::commit(srs, p).map(|c| c.0))
        .collect::<Result<_, _>>()?;
    transcript.append_serializable(b"hyperkzg folded commitments", &folded_commitments);
    let r = transcript.challenge_scalar(b"hyperkzg r");
    if r.is_zero() {
        return Err(Error::Invalid { what: PROTOCOL, reason: "challenge r is zero".into() });
    }

    let queries: Vec<OpeningQuery<'_>> = folded
        .iter()
        .enumerate()
        .map(|(j, p)| OpeningQuery {
            poly: p,
            commitment: if j == 0 { *commitment } else { Commitment(folded_commitments[j - 1]) },
            points: point_set(j, r),
        })
        .collect();
    let (evals, batch) = shplonk_open(srs, &queries, transcript)?;
    let proof = MlOpeningProof {
        folded_commitments,
        evals_at_r: evals.iter().map(|e| e[0]).collect(),
        evals_at_minus_r: evals.iter().map(|e| e[1]).collect(),
        evals_at_r_squared: evals[1..].iter().map(|e| e[2]).collect(),
        batch,
    };
    Ok((value, proof))
}

/// Checks the folding equations and reduces the opening to one pairing claim.
pub fn verify(
    vk: &VerifierKey,
    commitment: &Commitment,
    point: &[Fr],
    value: Fr,
    proof: &MlOpeningProof,
    transcript: &mut Transcript,
) -> Result<PairingClaim, VerifyError> {
    let point = if point.is_empty() { vec![Fr::zero()] } else { point.to_vec() };
    let k = point.len();
    let shape = |what, expected: usize, got: usize| {
        if expected == got { Ok(()) } else { Err(VerifyError::ProofShape { what, expected, got }) }
    };
    shape("hyperkzg folded commitments", k - 1, proof.folded_commitments.len())?;
    shape("hyperkzg evaluations at r", k, proof.evals_at_r.len())?;
    shape("hyperkzg evaluations at -r", k, proof.evals_at_minus_r.len())?;
    shape("hyperkzg evaluations at r^2", k - 1, proof.evals_at_r_squared.len())?;

    absorb_statement(transcript, commitment, &point, value);
    transcript.append_serializable(b"hyperkzg folded commitments", &proof.folded_commitments);
    let r = transcript.challenge_scalar(b"hyperkzg r");
    let inv_two_r = (r + r)
        .inverse()
        .ok_or(VerifyError::DegenerateChallenge { protocol: PROTOCOL, what: "r" })?;
    let half = r * inv_two_r;
    for j in 0..k {
        let (pos, neg) = (proof.evals_at_r[j], proof.evals_at_minus_r[j]);
        let even = (pos + neg) * half;
        let odd = (pos - neg) * inv_two_r;
        let u = point[k - 1 - j];
        let next = if j + 1 < k { proof.evals_at_r_squared[j] } else { value };
        if next != even + u * (odd - even) {
            return Err(VerifyError::Mismatch { protocol: PROTOCOL, what: "folding equation" });
        }
    }

    let mut commitments = Vec::with_capacity(k);
    commitments.push(*commitment);
    commitments.extend(proof.folded_commitments.iter().map(|c| Commitment(*c)));
    let sets: Vec<Vec<Fr>> = (0..k).map(|j| point_set(j, r)).collect();
    let evals: Vec<Vec<Fr>> = (0..k)
        .map(|j| {
            let mut e = vec![proof.evals_at_r[j], proof.evals_at_minus_r[j]];
            if j > 0 {
                e.push(proof.evals_at_r_squared[j - 1]);
            }
            e
        })
        .collect();
    shplonk_verify(vk, &commitments, &sets, &evals, &proof.batch, transcript)
}

/// Opens several polynomials with the same number of variables at one point.
/// Returns their values (in order) and one proof.
pub fn batch_open(
    srs: &Srs,
    polys: &[&DenseMle],
    commitments: &[Commitment],
    point: &[Fr],
    transcript: &mut Transcript,
) -> Result<(Vec<Fr>, MlOpeningProof), Error> {
    if polys.len() != commitments.len() {
        return Err(Error::Length {
            what: "hyperkzg batch commitments",
            expected: polys.len(),
            got: commitments.len(),
        });
    }
    let values: Vec<Fr> = polys.iter().map(|p| p.evaluate(point)).collect::<Result<_, _>>()?;
    let c = batch_challenge(transcript, commitments, point, &values);
    let mut combined = vec![Fr::zero(); 1 << point.len()];
    for (p, scale) in polys.iter().zip(powers(c, polys.len())) {
        for (acc, e) in combined.iter_mut().zip(p.evals()) {
            *acc += scale * e;
        }
    }
    let combined = DenseMle::new(combined)?;
    let commitment = combine_commitments(commitments, c)?;
    let (_, proof) = open(srs, &combined, &commitment, point, transcript)?;
    Ok((values, proof))
}

/// Verifies a [`batch_open`] proof for the claimed `values`.
pub fn batch_verify(
    vk: &VerifierKey,
    commitments: &[Commitment],
    point: &[Fr],
    values: &[Fr],
    proof: &MlOpeningProof,
    transcript: &mut Transcript,
) -> Result<PairingClaim, VerifyError> {
    if values.len() != commitments.len() {
        return Err(Error::Length {
            what: "hyperkzg batch values",
            expected: commitments.len(),
            got: values.len(),
        }
        .into());
    }
    let c = batch_challenge(transcript, commitments, point, values);
    let commitment = combine_commitments(commitments, c)?;
    let value: Fr = values.iter().zip(powers(c, values.len())).map(|(v, s)| s * v).sum();
    verify(vk, &commitment, point, value, proof, transcript)
}

fn batch_challenge(
    t: &mut Transcript,
    commitments: &[Commitment],
    point: &[Fr],
    values: &[Fr],
) -> Fr {
    t.append_serializable(b"hyperkzg batch commitments", commitments);
    t.append_scalars(b"hyperkzg batch point", point);
    t.append_scalars(b"hyperkzg batch values", values);
    t.challenge_scalar(b"hyperkzg batch c")
}

fn combine_commitments(commitments: &[Commitment], c: Fr) -> Result<Commitment, Error> {
    Commitment::linear_combination(commitments, &powers(c, commitments.len()))
}

fn absorb_statement(t: &mut Transcript, commitment: &Commitment, point: &[Fr], value: Fr) {
    t.append_serializable(b"hyperkzg commitment", commitment);
    t.append_scalars(b"hyperkzg point", point);
    t.append_scalar(b"hyperkzg value", &value);
}

fn point_set(j: usize, r: Fr) -> Vec<Fr> {
    if j == 0 { vec![r, -r] } else { vec![r, -r, r.square()] }
}

/// Size in bytes of a compressed proof for `num_vars` variables.
pub fn proof_size(num_vars: usize) -> usize {
    let k = num_vars.max(1);
    let g1 = G1Affine::default().compressed_size();
    let fr = Fr::zero().compressed_size();
    // Three Vec length prefixes plus the folded commitments' prefix.
    4 * 8 + (k - 1 + 2) * g1 + (3 * k - 1) * fr
}

#[cfg(test)]
mod tests;
