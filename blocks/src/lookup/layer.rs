//! A dedicated prover for one depth of the fractional-sum GKR: the batched sumcheck of
//! `Σ_x eq(r_i, x)·(p_L q_R + p_R q_L + λ·q_L q_R)(x)` over the active trees `i`.
//!
//! It emits **exactly** the proof, challenges and final evaluations of
//! [`crate::sumcheck::prove_batch`] on the instances `[eq(r_i, ·), p_L, p_R, q_L, q_R]` (a test
//! compares them bit for bit), so the kernel's verifier checks it unchanged, but in about a third
//! of the field operations:
//!
//! * `eq` is never materialised or bound: in round `t`, `eq(r, (ρ_{<t}, X, x')) =
//!   eq(r_{<t}, ρ_{<t})·eq(r_t, X)·eq(r_{>t}, x')`, so the round polynomial is a known scalar times
//!   the linear `eq(r_t, X)` times the quadratic `h(X) = Σ_{x'} eq(r_{>t}, x')·g(X, x')`
//!   (Gruen, "Some improvements for the PIOP for ZeroCheck", ePrint 2024/108, §3);
//! * `h` needs only `h(0)` and its leading coefficient, each a sum of three products: `h(1)`
//!   follows from the running claim, `claim = c·((1 − r_t)·h(0) + r_t·h(1))` with the known scalar
//!   `c = eq(r_{<t}, ρ_{<t})` (computed directly instead in the negligible case `c·r_t = 0`).
//!
//! The suffix table `eq(r_{>t}, ·)` of the next round is the sum of the two halves of this round's.

use ark_ff::{Field, One, Zero};
use rayon::prelude::*;

use crate::curve::Fr;
use crate::error::Error;
use crate::mle::{bind_first_slice, eq_table};
use crate::sumcheck::{RoundPoly, SumcheckProof};
use crate::transcript::Transcript;

/// Below this many pairs, a round runs serially.
const PAR_PAIRS: usize = 1 << 10;

/// One active tree: its claim point `r` (length `d`), claimed sum `P + λQ`, and the halves of the
/// next layer, `[p_L, p_R, q_L, q_R]`, each of `2^d` entries.
pub struct LayerInstance {
    pub point: Vec<Fr>,
    pub claim: Fr,
    pub tables: [Vec<Fr>; 4],
}

/// The proof, the point `ρ`, and per instance `[p_L, p_R, q_L, q_R](ρ)`.
pub struct LayerOutput {
    pub proof: SumcheckProof,
    pub point: Vec<Fr>,
    pub final_evals: Vec<[Fr; 4]>,
}

/// Proves the layer sumcheck with the kernel's transcript schedule (see the module doc).
pub fn prove_layer(
    mut instances: Vec<LayerInstance>,
    lambda: Fr,
    transcript: &mut Transcript,
) -> Result<LayerOutput, Error> {
    let d = instances.first().map(|i| i.point.len()).unwrap_or(0);
    for inst in &instances {
        if inst.point.len() != d || inst.tables.iter().any(|t| t.len() != 1 << d) {
            return Err(Error::Invalid { what: "gkr layer", reason: "inconsistent sizes".into() });
        }
    }
    // The kernel's statement absorption and batching challenge.
    transcript.append_u64(b"sumcheck instances", instances.len() as u64);
    for inst in &instances {
        transcript.append_u64(b"sumcheck num_vars", d as u64);
        transcript.append_u64(b"sumcheck degree", 3);
        transcript.append_scalar(b"sumcheck claim", &inst.claim);
    }
    let alpha = transcript.challenge_scalar(b"sumcheck alpha");
    let mut powers = Vec::with_capacity(instances.len());
    let mut acc = Fr::one();
    for _ in &instances {
        powers.push(acc);
        acc *= alpha;
    }
    let mut suffix: Vec<Vec<Fr>> = instances
        .iter()
        .map(|i| eq_table(i.point.get(1..).unwrap_or(&[])))
        .collect::<Result<_, _>>()?;
    let mut prefix = vec![Fr::one(); instances.len()];
    let mut running: Vec<Fr> = instances.iter().map(|i| i.claim).collect();
    let mut quadratics = vec![[Fr::zero(); 3]; instances.len()];
    let mut rounds = Vec::with_capacity(d);
    let mut point = Vec::with_capacity(d);
    for t in 0..d {
        let mut s = [Fr::zero(); 3]; // s(0), s(2), s(3)
        for (i, inst) in instances.iter().enumerate() {
            let r_t = inst.point[t];
            let from_claim = (prefix[i] * r_t).inverse();
            let [h0, mut h1, lead] =
                quadratic(&inst.tables, &suffix[i], lambda, from_claim.is_none());
            if let Some(inv) = from_claim {
                h1 = (running[i] - prefix[i] * (Fr::one() - r_t) * h0) * inv;
            }
            quadratics[i] = [h0, h1, lead];
            let c = powers[i] * prefix[i];
            for (slot, x) in s.iter_mut().zip([0u64, 2, 3]) {
                let x = Fr::from(x);
                let eq_t = (Fr::one() - r_t) * (Fr::one() - x) + r_t * x;
                // h(X) = h0 + (h1 − h0 − lead)·X + lead·X².
                let h = h0 + (h1 - h0 - lead) * x + lead * x * x;
                *slot += c * eq_t * h;
            }
        }
        let round = RoundPoly { evals_except_one: s.to_vec() };
        transcript.append_serializable(b"sumcheck round", &round);
        let rho = transcript.challenge_scalar(b"sumcheck r");
        for (i, inst) in instances.iter_mut().enumerate() {
            let r_t = inst.point[t];
            let [h0, h1, lead] = quadratics[i];
            prefix[i] *= (Fr::one() - r_t) * (Fr::one() - rho) + r_t * rho;
            running[i] = prefix[i] * (h0 + (h1 - h0 - lead) * rho + lead * rho * rho);
            for tab in inst.tables.iter_mut() {
                *tab = bind_first_slice(tab, rho);
            }
            let half = suffix[i].len() / 2;
            suffix[i] = (0..half.max(1))
                .map(|x| if half == 0 { Fr::one() } else { suffix[i][x] + suffix[i][x + half] })
                .collect();
        }
        rounds.push(round);
        point.push(rho);
    }
    let final_evals = instances
        .iter()
        .map(|i| [i.tables[0][0], i.tables[1][0], i.tables[2][0], i.tables[3][0]])
        .collect();
    Ok(LayerOutput { proof: SumcheckProof { rounds }, point, final_evals })
}

/// `[h(0), h(1), leading coefficient]` of `h(X) = Σ_{x'} e(x')·g(X, x')`, with
/// `g = p_L q_R + p_R q_L + λ·q_L q_R` and `X` the first variable of the tables; `h(1)` is left
/// zero unless `with_one`.
fn quadratic(tables: &[Vec<Fr>; 4], e: &[Fr], lambda: Fr, with_one: bool) -> [Fr; 3] {
    let [pl, pr, ql, qr] = tables;
    let half = pl.len() / 2;
    // Per pair: [A(0), B(0), A(1), B(1), A_lead, B_lead] with A = p_L q_R + p_R q_L, B = q_L q_R.
    let pair = |x: usize, acc: &mut [Fr; 6]| {
        let (a, b, c, dd) = (pl[x], pr[x], ql[x], qr[x]);
        let (a1, b1, c1, d1) = (pl[x + half], pr[x + half], ql[x + half], qr[x + half]);
        let (da, db, dc, ddd) = (a1 - a, b1 - b, c1 - c, d1 - dd);
        let w = e[x];
        acc[0] += w * (a * dd + b * c);
        acc[1] += w * (c * dd);
        if with_one {
            acc[2] += w * (a1 * d1 + b1 * c1);
            acc[3] += w * (c1 * d1);
        }
        acc[4] += w * (da * ddd + db * dc);
        acc[5] += w * (dc * ddd);
    };
    let sums = if half >= PAR_PAIRS {
        (0..half)
            .into_par_iter()
            .fold(
                || [Fr::zero(); 6],
                |mut acc, x| {
                    pair(x, &mut acc);
                    acc
                },
            )
            .reduce(
                || [Fr::zero(); 6],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            )
    } else {
        let mut acc = [Fr::zero(); 6];
        (0..half).for_each(|x| pair(x, &mut acc));
        acc
    };
    [sums[0] + lambda * sums[1], sums[2] + lambda * sums[3], sums[4] + lambda * sums[5]]
}
