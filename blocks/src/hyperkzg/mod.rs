//! Multilinear polynomial commitments from univariate KZG: Gemini-style folding as in HyperKZG,
//! folding three variables per committed polynomial.
//!
//! Papers: Bootle, Chiesa, Hu, Orrù, "Gemini: elastic SNARKs for diverse environments"
//! (EUROCRYPT 2022, ePrint 2022/420) §5; the HyperKZG variant of microsoft/Nova; the batch opening
//! is SHPLONK (see [`crate::kzg::batch`]).
//!
//! **Commitment.** A multilinear `f` with table `f[0..2^k)` is committed as the univariate
//! `Π_0(X) = Σ_i f[i]·X^i`, i.e. `C = [Π_0(τ)]_1`. Zero-padding (new leading variables) leaves `C`
//! unchanged.
//!
//! **Opening `f(x_1..x_k) = v`** (variables most-significant first, as in [`crate::mle`]; bit `b`
//! of a table index is variable `x_{k−b}`). Gemini folds one variable per committed polynomial;
//! here each level folds `s = FOLD_BITS = 3` (the last level the `s_ℓ ≤ s` left), so only about
//! `n/7` coefficients are committed besides `Π_0` instead of `n`. With `m_ℓ = 2^{s_ℓ}`, split
//!
//! ```text
//! Π_ℓ(X) = Σ_{a < m_ℓ} X^a·Q_{ℓ,a}(X^{m_ℓ}),      Π_{ℓ+1} = Σ_a W_{ℓ,a}·Q_{ℓ,a},
//! W_{ℓ,a} = Π_{b < s_ℓ} (a_b ? u_{ℓ,b} : 1 − u_{ℓ,b}),   u_{ℓ,b} = x_{k − sℓ − b}
//! ```
//!
//! i.e. `Π_{ℓ+1}` is `Π_ℓ` with its last `s_ℓ` variables bound; there are `L = ⌈k/s⌉` levels and
//! `Π_L = v`. With `ω_ℓ` a primitive `m_ℓ`-th root of unity and any `r ≠ 0`, the evaluations
//! `e_{ℓ,t} = Π_ℓ(r·ω_ℓ^t)`, `t < m_ℓ`, determine (inverse DFT)
//!
//! ```text
//! Q_{ℓ,a}(r^{m_ℓ}) = r^{−a}·(1/m_ℓ)·Σ_t ω_ℓ^{−ta}·e_{ℓ,t},   so   Π_{ℓ+1}(r^{m_ℓ}) = Σ_a W_{ℓ,a}·Q_{ℓ,a}(r^{m_ℓ}).
//! ```
//!
//! Every level but the last has `m_ℓ = m = 2^s`, so each `Π_ℓ, ℓ ≥ 1`, is also opened at `r^m`.
//!
//! Transcript order: absorb `C`, the point, `v`; prover sends `[Π_1]..[Π_{L−1}]` (absorbed);
//! squeeze `r` (rejected if `r = 0` or `r^m` lies on a coset `r·⟨ω_ℓ⟩`); then one SHPLONK batch
//! opening of `Π_0` at `r·⟨ω_0⟩` and of `Π_ℓ, ℓ ≥ 1`, at `r·⟨ω_ℓ⟩ ∪ {r^m}` (it absorbs the
//! evaluations before its own challenges). The prover sends the coset values only: the verifier
//! computes each `Π_{ℓ+1}(r^m)` from level `ℓ`'s by the folding equation above and hands it to
//! SHPLONK as that opening's value, checks the last level's fold against `v`, and returns
//! SHPLONK's pairing claim (checking a sent `Π_{ℓ+1}(r^m)` against the fold and then opening it
//! would be the same constraint). Soundness is Gemini's: the
//! commitments are fixed before `r`, so a false fold survives only if a non-zero polynomial of
//! degree `< 2^k` vanishes at `r` (Schwartz–Zippel).
//!
//! **Proof** for `k` variables: `L − 1 + 2` G1 points and `Σ_ℓ m_ℓ` scalars
//! (`k = 16`: 7·48 + 42·32 + 16 = 1,696 bytes). A 0-variable polynomial is opened as its
//! 1-variable zero-padding at the point `(0)`. **Prover:** the MSMs of `[Π_1..Π_{L−1}]` (about
//! `n/7` points) and SHPLONK's two (`n` each).
//!
//! **Batching at one point** ([`batch_open`]): polynomials `f_i` with the same number of variables are
//! combined as `Σ c^i f_i` with `c` squeezed after all commitments and values are absorbed; their
//! commitments and values combine the same way.

use ark_ff::{FftField, Field, One, Zero};
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

/// Variables folded per committed polynomial (`s`).
pub const FOLD_BITS: usize = 3;

/// An opening proof; field names follow the module doc.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MlOpeningProof {
    /// `[Π_1(τ)]_1 .. [Π_{L−1}(τ)]_1`.
    pub folded_commitments: Vec<G1Affine>,
    /// `Π_ℓ(r·ω_ℓ^t)`, level by level (`ℓ = 0..L`), `t = 0..m_ℓ` within a level. The values
    /// `Π_ℓ(r^m)`, `ℓ ≥ 1`, are not sent: the verifier derives them by the folding equation.
    pub coset_evals: Vec<Fr>,
    /// SHPLONK witnesses for all of the above and the derived `Π_ℓ(r^m)`.
    pub batch: BatchOpeningProof,
}

/// The level structure of an opening of `k ≥ 1` variables: `s_ℓ` per level.
fn level_bits(k: usize) -> Vec<usize> {
    (0..k.div_ceil(FOLD_BITS)).map(|l| FOLD_BITS.min(k - FOLD_BITS * l)).collect()
}

/// Checks a proof's shape for `num_vars` variables (0 counts as 1) before any arithmetic; the
/// accumulator calls it on its root opening.
pub fn check_shape(proof: &MlOpeningProof, num_vars: usize) -> Result<(), VerifyError> {
    let bits = level_bits(num_vars.max(1));
    let shape = |what, expected: usize, got: usize| {
        if expected == got { Ok(()) } else { Err(VerifyError::ProofShape { what, expected, got }) }
    };
    let levels = bits.len();
    shape("hyperkzg folded commitments", levels - 1, proof.folded_commitments.len())?;
    let coset: usize = bits.iter().map(|s| 1usize << s).sum();
    shape("hyperkzg coset evaluations", coset, proof.coset_evals.len())
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
    let proof = open_claiming(srs, poly, commitment, point, value, transcript)?;
    Ok((value, proof))
}

/// [`open`] with `value` absorbed as the claimed value, true or not (a cheating prover's, in the
/// tests: only the last folding equation can catch a false one).
pub(crate) fn open_claiming(
    srs: &Srs,
    poly: &DenseMle,
    commitment: &Commitment,
    point: &[Fr],
    value: Fr,
    transcript: &mut Transcript,
) -> Result<MlOpeningProof, Error> {
    let (poly, point) = if poly.num_vars() == 0 {
        (poly.padded_to(1)?, vec![Fr::zero()])
    } else {
        (poly.clone(), point.to_vec())
    };
    let k = point.len();
    let bits = level_bits(k);
    absorb_statement(transcript, commitment, &point, value);

    // Π_{ℓ+1} = Π_ℓ with its last s_ℓ variables bound.
    let mut levels: Vec<Vec<Fr>> = Vec::with_capacity(bits.len());
    levels.push(poly.into_evals());
    let mut bound = 0;
    for s in &bits[..bits.len() - 1] {
        let mut next = bind_last_slice(&levels[levels.len() - 1], point[k - 1 - bound]);
        for b in 1..*s {
            next = bind_last_slice(&next, point[k - 1 - bound - b]);
        }
        bound += s;
        levels.push(next);
    }
    let folded_commitments: Vec<G1Affine> = levels[1..]
        .par_iter()
        .map(|p| kzg::commit(srs, p).map(|c| c.0))
        .collect::<Result<_, _>>()?;
    transcript.append_serializable(b"hyperkzg folded commitments", &folded_commitments);
    let r = transcript.challenge_scalar(b"hyperkzg r");
    let sets = point_sets(&bits, r).ok_or_else(|| Error::Invalid {
        what: PROTOCOL,
        reason: "challenge r is degenerate (zero, or r^m on a coset)".into(),
    })?;

    let queries: Vec<OpeningQuery<'_>> = levels
        .iter()
        .zip(sets)
        .enumerate()
        .map(|(l, (p, points))| OpeningQuery {
            poly: p,
            commitment: if l == 0 { *commitment } else { Commitment(folded_commitments[l - 1]) },
            points,
        })
        .collect();
    let (evals, batch) = shplonk_open(srs, &queries, transcript)?;
    let mut coset_evals = Vec::new();
    for (e, s) in evals.iter().zip(&bits) {
        coset_evals.extend_from_slice(&e[..1 << s]);
    }
    Ok(MlOpeningProof { folded_commitments, coset_evals, batch })
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
    check_shape(proof, k)?;
    let bits = level_bits(k);

    absorb_statement(transcript, commitment, &point, value);
    transcript.append_serializable(b"hyperkzg folded commitments", &proof.folded_commitments);
    let r = transcript.challenge_scalar(b"hyperkzg r");
    let sets = point_sets(&bits, r)
        .ok_or(VerifyError::DegenerateChallenge { protocol: PROTOCOL, what: "r" })?;
    let inv_r =
        r.inverse().ok_or(VerifyError::DegenerateChallenge { protocol: PROTOCOL, what: "r" })?;

    // Each level's coset values fold to the next level's value at r^m (opened below); the last
    // level's fold is the claimed value.
    let mut evals: Vec<Vec<Fr>> = Vec::with_capacity(bits.len());
    let mut offset = 0;
    let mut bound = 0;
    let mut fold_point_eval = None;
    for s in &bits {
        let m = 1usize << s;
        let coset = &proof.coset_evals[offset..offset + m];
        offset += m;
        let mut e = coset.to_vec();
        e.extend(fold_point_eval);
        evals.push(e);
        let folded = fold_from_coset(coset, *s, inv_r, &point[..k - bound]).ok_or(
            VerifyError::DegenerateChallenge { protocol: PROTOCOL, what: "root of unity" },
        )?;
        bound += s;
        fold_point_eval = Some(folded);
    }
    if fold_point_eval != Some(value) {
        return Err(VerifyError::Mismatch { protocol: PROTOCOL, what: "folding equation" });
    }

    let mut commitments = Vec::with_capacity(bits.len());
    commitments.push(*commitment);
    commitments.extend(proof.folded_commitments.iter().map(|c| Commitment(*c)));
    shplonk_verify(vk, &commitments, &sets, &evals, &proof.batch, transcript)
}

/// `Π_{ℓ+1}(r^{m_ℓ}) = Σ_a W_a·Q_a(r^{m_ℓ})` from the coset evaluations of `Π_ℓ` (module doc);
/// `remaining` is the point's prefix still unbound at level `ℓ`, whose last `s` entries are
/// bound here. `None` if a root of unity is missing (never for `s ≤ 32`).
fn fold_from_coset(coset: &[Fr], s: usize, inv_r: Fr, remaining: &[Fr]) -> Option<Fr> {
    let m = coset.len();
    let omega_inv = Fr::get_root_of_unity(m as u64)?.inverse()?;
    let m_inv = Fr::from(m as u64).inverse()?;
    let n = remaining.len();
    let mut total = Fr::zero();
    let mut r_pow = m_inv; // r^{−a}/m
    let mut step = Fr::one(); // ω^{−a}
    for a in 0..m {
        // Q_a = r^{−a}/m · Σ_t ω^{−ta}·e_t
        let mut q = Fr::zero();
        let mut w = Fr::one();
        for e in coset {
            q += w * e;
            w *= step;
        }
        let weight: Fr = (0..s)
            .map(|b| {
                let u = remaining[n - 1 - b];
                if (a >> b) & 1 == 1 { u } else { Fr::one() - u }
            })
            .product();
        total += weight * r_pow * q;
        r_pow *= inv_r;
        step *= omega_inv;
    }
    Some(total)
}

/// The opening sets: `r·⟨ω_0⟩` for `Π_0`, `r·⟨ω_ℓ⟩ ∪ {r^m}` for `ℓ ≥ 1`. `None` when `r = 0`
/// or `r^m` falls on a coset (the sets would repeat a point).
fn point_sets(bits: &[usize], r: Fr) -> Option<Vec<Vec<Fr>>> {
    if r.is_zero() {
        return None;
    }
    let fold_point = r.pow([1u64 << FOLD_BITS]);
    bits.iter()
        .enumerate()
        .map(|(l, s)| {
            let m = 1usize << s;
            let omega = Fr::get_root_of_unity(m as u64)?;
            let mut set: Vec<Fr> = powers(omega, m).into_iter().map(|w| r * w).collect();
            if l > 0 {
                if set.contains(&fold_point) {
                    return None;
                }
                set.push(fold_point);
            }
            Some(set)
        })
        .collect()
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

/// Size in bytes of a compressed proof for `num_vars` variables.
pub fn proof_size(num_vars: usize) -> usize {
    let bits = level_bits(num_vars.max(1));
    let g1 = G1Affine::default().compressed_size();
    let fr = Fr::zero().compressed_size();
    let scalars: usize = bits.iter().map(|s| 1usize << s).sum::<usize>();
    // Two Vec length prefixes.
    2 * 8 + (bits.len() - 1 + 2) * g1 + scalars * fr
}

#[cfg(test)]
mod tests;
