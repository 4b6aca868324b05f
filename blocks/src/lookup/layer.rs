//! One depth of the fractional-sum GKR: the batched sumcheck of
//! `Σ_x eq(r, x)·Σ_i α^i·g_i(x)`, `g_i = p_L q_R + p_R q_L + λ·q_L q_R` over the active trees `i`,
//! all of which carry a claim at the **same** point `r` (the previous depth's `(μ, ρ)`).
//!
//! **Eq-factored rounds** (Gruen, "Some improvements for the PIOP for ZeroCheck", ePrint 2024/108,
//! §3). In round `t`, `eq(r, (ρ_{<t}, X, x')) = eq(r_{<t}, ρ_{<t})·eq(r_t, X)·eq(r_{>t}, x')`, so
//! the degree-3 round polynomial is a known scalar times the linear `eq(r_t, X)` times the
//! quadratic `H(X) = Σ_i α^i Σ_{x'} eq(r_{>t}, x')·g_i(ρ_{<t}, X, x')`. The prover sends only
//! `H(0)` and `H`'s leading coefficient; both sides track `Ĉ`, the running claim divided by
//! `eq(r_{<t}, ρ_{<t})`, which fixes `H(1) = (Ĉ − (1 − r_t)·H(0))/r_t`, and continue with
//! `Ĉ ← H(ρ_t)`. After the `d` rounds the verifier checks `Ĉ = Σ_i α^i g_i(ρ)` from the half
//! evaluations — no eq evaluation at all. A coordinate `r_t = 0` (probability `d/|Fr|`) is
//! rejected as a degenerate challenge by both sides.
//!
//! Soundness is the sumcheck's (round polynomials of degree 3; the prover is only restricted to
//! polynomials of the form `eq(r_t, X)·H(X)`, which the honest one has).
//!
//! **Transcript** per depth (after the caller's `λ`): the number of instances and their claims
//! `P_i + λQ_i`; squeeze `α`; per round: `(H(0), lead)`, squeeze `ρ_t`.
//! **Proof**: 2 scalars per round (the kernel's generic sumcheck would send 3).
//!
//! **Prover cost.** `eq` is never materialised or bound; each instance's `h_i` needs only `h_i(0)`
//! and its leading coefficient, each a sum of three products over half the table (`H(1)` follows
//! from `Ĉ`, as for the verifier). The suffix table `eq(r_{>t}, ·)` of the next round is the sum of
//! the two halves of this round's.

use ark_ff::{Field, One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::curve::{Fr, powers};
use crate::error::{Error, VerifyError};
use crate::mle::{bind_first_slice, eq_table};
use crate::transcript::Transcript;

/// Below this many pairs, a round runs serially.
const PAR_PAIRS: usize = 1 << 10;

const PROTOCOL: &str = "lookup gkr layer";

/// One round: `H(0)` and the coefficient of `X²` in `H`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LayerRound {
    pub at_zero: Fr,
    pub leading: Fr,
}

/// One active tree: its claimed sum `P + λQ` at the shared point, and the halves of the next
/// layer, `[p_L, p_R, q_L, q_R]`, each of `2^d` entries.
pub struct LayerInstance {
    pub claim: Fr,
    pub tables: [Vec<Fr>; 4],
}

/// The rounds, the point `ρ`, and per instance `[p_L, p_R, q_L, q_R](ρ)`.
pub struct LayerOutput {
    pub rounds: Vec<LayerRound>,
    pub point: Vec<Fr>,
    pub final_evals: Vec<[Fr; 4]>,
}

/// What the verifier is left with: `ρ`, the final `Ĉ`, and the batching powers `α^i`.
pub struct LayerSubclaim {
    pub point: Vec<Fr>,
    pub expected: Fr,
    pub coefficients: Vec<Fr>,
}

/// Absorbs the instance claims and squeezes the batching powers `α^i`.
pub(crate) fn absorb_claims(t: &mut Transcript, claims: &[Fr]) -> Vec<Fr> {
    t.append_u64(b"gkr layer instances", claims.len() as u64);
    t.append_scalars(b"gkr layer claims", claims);
    powers(t.challenge_scalar(b"gkr layer alpha"), claims.len())
}

/// Absorbs one round, then squeezes its challenge `ρ_t`.
pub(crate) fn round_challenge(t: &mut Transcript, round: &LayerRound) -> Fr {
    t.append_scalars(b"gkr layer round", &[round.at_zero, round.leading]);
    t.challenge_scalar(b"gkr layer r")
}

/// `H(1)` from the running claim `Ĉ = (1 − r_t)·H(0) + r_t·H(1)`; `None` if `r_t = 0`.
fn at_one(hat: Fr, r_t: Fr, at_zero: Fr) -> Option<Fr> {
    Some((hat - (Fr::one() - r_t) * at_zero) * r_t.inverse()?)
}

/// `H(x)` from `H(0)`, `H(1)` and the leading coefficient.
fn quadratic_at(h0: Fr, h1: Fr, lead: Fr, x: Fr) -> Fr {
    h0 + (h1 - h0 - lead) * x + lead * x * x
}

/// Proves one depth at the shared claim point `point` (module doc).
pub fn prove_layer(
    point: &[Fr],
    mut instances: Vec<LayerInstance>,
    lambda: Fr,
    transcript: &mut Transcript,
) -> Result<LayerOutput, Error> {
    let d = point.len();
    if instances.iter().any(|i| i.tables.iter().any(|t| t.len() != 1 << d)) {
        return Err(Error::Invalid { what: "gkr layer", reason: "inconsistent sizes".into() });
    }
    let claims: Vec<Fr> = instances.iter().map(|i| i.claim).collect();
    let alphas = absorb_claims(transcript, &claims);
    let mut suffix = eq_table(point.get(1..).unwrap_or(&[]))?;
    let mut hat: Fr = claims.iter().zip(&alphas).map(|(c, a)| *c * a).sum();
    let mut rounds = Vec::with_capacity(d);
    let mut rho_all = Vec::with_capacity(d);
    for &r_t in point {
        let (mut at_zero, mut leading) = (Fr::zero(), Fr::zero());
        for (inst, alpha) in instances.iter().zip(&alphas) {
            let [h0, lead] = quadratic(&inst.tables, &suffix, lambda);
            at_zero += *alpha * h0;
            leading += *alpha * lead;
        }
        let h1 = at_one(hat, r_t, at_zero).ok_or_else(|| Error::Invalid {
            what: "gkr layer",
            reason: "a claim coordinate is zero (degenerate challenge)".into(),
        })?;
        let round = LayerRound { at_zero, leading };
        let rho = round_challenge(transcript, &round);
        hat = quadratic_at(at_zero, h1, leading, rho);
        for inst in instances.iter_mut() {
            for tab in inst.tables.iter_mut() {
                *tab = bind_first_slice(tab, rho);
            }
        }
        let half = suffix.len() / 2;
        suffix = (0..half.max(1))
            .map(|x| if half == 0 { Fr::one() } else { suffix[x] + suffix[x + half] })
            .collect();
        rounds.push(round);
        rho_all.push(rho);
    }
    let final_evals = instances
        .iter()
        .map(|i| [i.tables[0][0], i.tables[1][0], i.tables[2][0], i.tables[3][0]])
        .collect();
    Ok(LayerOutput { rounds, point: rho_all, final_evals })
}

/// Replays one depth's rounds for `claims` at the shared point `point`; the caller checks
/// `expected = Σ_i α^i·g_i(ρ)`.
pub fn verify_layer(
    point: &[Fr],
    claims: &[Fr],
    rounds: &[LayerRound],
    transcript: &mut Transcript,
) -> Result<LayerSubclaim, VerifyError> {
    if rounds.len() != point.len() {
        return Err(VerifyError::ProofShape {
            what: "gkr layer rounds",
            expected: point.len(),
            got: rounds.len(),
        });
    }
    let coefficients = absorb_claims(transcript, claims);
    let mut hat: Fr = claims.iter().zip(&coefficients).map(|(c, a)| *c * a).sum();
    let mut rho_all = Vec::with_capacity(point.len());
    for (&r_t, round) in point.iter().zip(rounds) {
        let h1 = at_one(hat, r_t, round.at_zero)
            .ok_or(VerifyError::DegenerateChallenge { protocol: PROTOCOL, what: "claim point" })?;
        let rho = round_challenge(transcript, round);
        hat = quadratic_at(round.at_zero, h1, round.leading, rho);
        rho_all.push(rho);
    }
    Ok(LayerSubclaim { point: rho_all, expected: hat, coefficients })
}

/// `[h(0), leading coefficient]` of `h(X) = Σ_{x'} e(x')·g(X, x')`, with
/// `g = p_L q_R + p_R q_L + λ·q_L q_R` and `X` the first variable of the tables.
fn quadratic(tables: &[Vec<Fr>; 4], e: &[Fr], lambda: Fr) -> [Fr; 2] {
    let [pl, pr, ql, qr] = tables;
    let half = pl.len() / 2;
    // Per pair: [A(0), B(0), A_lead, B_lead] with A = p_L q_R + p_R q_L, B = q_L q_R.
    let pair = |x: usize, acc: &mut [Fr; 4]| {
        let (a, b, c, dd) = (pl[x], pr[x], ql[x], qr[x]);
        let (da, db) = (pl[x + half] - a, pr[x + half] - b);
        let (dc, ddd) = (ql[x + half] - c, qr[x + half] - dd);
        let w = e[x];
        acc[0] += w * (a * dd + b * c);
        acc[1] += w * (c * dd);
        acc[2] += w * (da * ddd + db * dc);
        acc[3] += w * (dc * ddd);
    };
    let sums = if half >= PAR_PAIRS {
        (0..half)
            .into_par_iter()
            .fold(
                || [Fr::zero(); 4],
                |mut acc, x| {
                    pair(x, &mut acc);
                    acc
                },
            )
            .reduce(
                || [Fr::zero(); 4],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            )
    } else {
        let mut acc = [Fr::zero(); 4];
        (0..half).for_each(|x| pair(x, &mut acc));
        acc
    };
    [sums[0] + lambda * sums[1], sums[2] + lambda * sums[3]]
}
