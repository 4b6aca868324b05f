//! Batch opening of several polynomials, each at its own set of points, with two G1 elements.
//!
//! Paper: Boneh, Drake, Fisch, Gabizon, ePrint 2020/081 ("SHPLONK"), §3–4.
//!
//! Notation: polynomials `p_j` with commitments `C_j`, opened on point sets `S_j`; `T = ∪ S_j`;
//! `Z_S(X) = Π_{s∈S}(X − s)`; `r_j` interpolates `p_j` on `S_j`; `γ, z` are challenges.
//!
//! Protocol (transcript order):
//! 1. absorb every `C_j`, `S_j` and the evaluations `p_j(s), s ∈ S_j`; squeeze `γ`;
//! 2. prover sends `W = [w(τ)]_1`, `w = Σ_j γ^j (p_j − r_j)/Z_{S_j}` (exact divisions); squeeze `z`;
//! 3. `L(X) = Σ_j γ^j Z_{T∖S_j}(z)·(p_j(X) − r_j(z)) − Z_T(z)·w(X)` vanishes at `z`; prover sends
//!    `W' = [L(X)/(X − z)]_1`, which is absorbed.
//! 4. Verifier: `[L] = Σ_j γ^j Z_{T∖S_j}(z)·(C_j − r_j(z)·G) − Z_T(z)·W`, and the claim
//!    `e([L] + z·W', H) = e(W', [τ]_2)`.
//!
//! Proof: 2 G1 points (96 bytes compressed). Prover: two MSMs of the largest polynomial's size.
//! Polynomials with identical point sets are combined before dividing, so the divisions cost one
//! pass per distinct set.

use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{Commitment, PairingClaim, commit};
use crate::curve::{Fr, G1, G1Affine, powers};
use crate::error::{Error, VerifyError};
use crate::srs::{Srs, VerifierKey};
use crate::transcript::Transcript;
use crate::univariate::{
    divide_by_linear, evaluate, interpolate, interpolate_eval, vanishing_eval,
};

/// The two witnesses `W` and `W'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BatchOpeningProof {
    pub quotient: G1Affine,
    pub final_witness: G1Affine,
}

/// One polynomial to open, with its commitment and points.
pub struct OpeningQuery<'a> {
    pub poly: &'a [Fr],
    pub commitment: Commitment,
    pub points: Vec<Fr>,
}

/// Opens every query at its points. Returns the evaluations (per query, per point) and the proof.
pub fn batch_open(
    srs: &Srs,
    queries: &[OpeningQuery<'_>],
    transcript: &mut Transcript,
) -> Result<(Vec<Vec<Fr>>, BatchOpeningProof), Error> {
    let evals: Vec<Vec<Fr>> =
        queries.iter().map(|q| q.points.iter().map(|s| evaluate(q.poly, *s)).collect()).collect();
    let sets: Vec<&[Fr]> = queries.iter().map(|q| q.points.as_slice()).collect();
    let commitments: Vec<Commitment> = queries.iter().map(|q| q.commitment).collect();
    let gamma = statement_challenge(transcript, &commitments, &sets, &evals);
    let powers = powers(gamma, queries.len());
    let groups = group_by_set(&sets);
    let union = union_of(&sets);

    // w = Σ_groups (Σ_j γ^j p_j − interpolant of Σ_j γ^j evals_j) / Z_S.
    let max_len = queries.iter().map(|q| q.poly.len()).max().unwrap_or(0);
    let mut w = vec![Fr::zero(); max_len];
    let mut combined_per_group = Vec::with_capacity(groups.len());
    for (set, members) in &groups {
        let mut g = vec![Fr::zero(); max_len];
        let mut g_evals = vec![Fr::zero(); set.len()];
        for &j in members {
            add_scaled(&mut g, queries[j].poly, powers[j]);
            for (acc, e) in g_evals.iter_mut().zip(&evals[j]) {
                *acc += powers[j] * e;
            }
        }
        let r = interpolate(set, &g_evals)?;
        let mut num = g.clone();
        add_scaled(&mut num, &r, -Fr::one());
        for s in set.iter() {
            let (q, rem) = divide_by_linear(&num, *s);
            if !rem.is_zero() {
                return Err(Error::Invalid {
                    what: "batch opening",
                    reason: "evaluation does not match the polynomial".into(),
                });
            }
            num = q;
        }
        add_scaled(&mut w, &num, Fr::one());
        combined_per_group.push((g, g_evals));
    }
    let quotient = commit(srs, &w)?.0;
    transcript.append_serializable(b"shplonk W", &quotient);
    let z = transcript.challenge_scalar(b"shplonk z");

    // L(X) = Σ_groups Z_{T∖S}(z)·(G(X) − R(z)) − Z_T(z)·w(X).
    let mut l = vec![Fr::zero(); max_len];
    for ((set, _), (g, g_evals)) in groups.iter().zip(&combined_per_group) {
        let outside = outside_factor(&union, set, z);
        add_scaled(&mut l, g, outside);
        l[0] -= outside * interpolate_eval(set, g_evals, z)?;
    }
    add_scaled(&mut l, &w, -vanishing_eval(&union, z));
    let (l_quotient, _) = divide_by_linear(&l, z);
    let final_witness = commit(srs, &l_quotient)?.0;
    transcript.append_serializable(b"shplonk W'", &final_witness);
    Ok((evals, BatchOpeningProof { quotient, final_witness }))
}

/// Replays the transcript and reduces the batch opening to one pairing claim.
pub fn batch_verify(
    vk: &VerifierKey,
    commitments: &[Commitment],
    point_sets: &[Vec<Fr>],
    evals: &[Vec<Fr>],
    proof: &BatchOpeningProof,
    transcript: &mut Transcript,
) -> Result<PairingClaim, VerifyError> {
    if point_sets.len() != commitments.len() {
        return Err(Error::Length {
            what: "batch opening point sets",
            expected: commitments.len(),
            got: point_sets.len(),
        }
        .into());
    }
    if evals.len() != commitments.len() {
        return Err(VerifyError::ProofShape {
            what: "batch opening evaluations",
            expected: commitments.len(),
            got: evals.len(),
        });
    }
    for (set, e) in point_sets.iter().zip(evals) {
        if set.len() != e.len() {
            return Err(VerifyError::ProofShape {
                what: "evaluations of one polynomial",
                expected: set.len(),
                got: e.len(),
            });
        }
    }
    let sets: Vec<&[Fr]> = point_sets.iter().map(Vec::as_slice).collect();
    let gamma = statement_challenge(transcript, commitments, &sets, evals);
    transcript.append_serializable(b"shplonk W", &proof.quotient);
    let z = transcript.challenge_scalar(b"shplonk z");
    transcript.append_serializable(b"shplonk W'", &proof.final_witness);

    let union = union_of(&sets);
    let powers = powers(gamma, commitments.len());
    let mut bases: Vec<G1Affine> = Vec::with_capacity(commitments.len() + 3);
    let mut scalars: Vec<Fr> = Vec::with_capacity(commitments.len() + 3);
    let mut constant = Fr::zero();
    for (j, (set, e)) in sets.iter().zip(evals).enumerate() {
        let coeff = powers[j] * outside_factor(&union, set, z);
        bases.push(commitments[j].0);
        scalars.push(coeff);
        constant += coeff * interpolate_eval(set, e, z)?;
    }
    bases.extend([vk.g1, proof.quotient, proof.final_witness]);
    scalars.extend([-constant, -vanishing_eval(&union, z), z]);
    let lhs = G1::msm_unchecked(&bases, &scalars).into_affine();
    Ok(PairingClaim { lhs, rhs: proof.final_witness })
}

/// Step 1: absorb the statement (commitments, point sets, evaluations), then squeeze `γ`.
pub(crate) fn statement_challenge(
    t: &mut Transcript,
    commitments: &[Commitment],
    sets: &[&[Fr]],
    evals: &[Vec<Fr>],
) -> Fr {
    t.append_u64(b"shplonk polynomials", commitments.len() as u64);
    for ((c, set), e) in commitments.iter().zip(sets).zip(evals) {
        t.append_serializable(b"shplonk commitment", c);
        t.append_scalars(b"shplonk points", set);
        t.append_scalars(b"shplonk evaluations", e);
    }
    t.challenge_scalar(b"shplonk gamma")
}

/// Distinct point sets, in first-appearance order, with the queries that use each.
fn group_by_set<'a>(sets: &[&'a [Fr]]) -> Vec<(&'a [Fr], Vec<usize>)> {
    let mut groups: Vec<(&[Fr], Vec<usize>)> = Vec::new();
    for (j, set) in sets.iter().enumerate() {
        match groups.iter_mut().find(|(s, _)| s == set) {
            Some((_, members)) => members.push(j),
            None => groups.push((set, vec![j])),
        }
    }
    groups
}

fn union_of(sets: &[&[Fr]]) -> Vec<Fr> {
    let mut out: Vec<Fr> = Vec::new();
    for s in sets.iter().flat_map(|s| s.iter()) {
        if !out.contains(s) {
            out.push(*s);
        }
    }
    out
}

/// `Z_{T∖S}(z)`.
fn outside_factor(union: &[Fr], set: &[Fr], z: Fr) -> Fr {
    union.iter().filter(|t| !set.contains(t)).map(|t| z - t).product()
}

/// `acc += scale · p` (coefficient-wise; `acc` must be at least as long as `p`).
fn add_scaled(acc: &mut [Fr], p: &[Fr], scale: Fr) {
    for (a, c) in acc.iter_mut().zip(p) {
        *a += scale * c;
    }
}
