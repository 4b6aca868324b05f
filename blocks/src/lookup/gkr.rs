//! Fractional-sum GKR (Papini, Haböck, "Improving logarithmic derivative lookups using GKR",
//! ePrint 2023/1284): proves the value of `Σ_i p_i/q_i` over `2^k` leaves without committing any
//! inverse.
//!
//! **Tree.** Layer `k` holds the leaves; layer `d` (`2^d` entries) pairs the two **halves** of layer
//! `d+1` (`L = [0, 2^d)`, `R = [2^d, 2^{d+1})`, i.e. its most significant variable):
//! `p_d = p_L·q_R + p_R·q_L`, `q_d = q_L·q_R`. The root `(p_0, q_0)` is the fraction `Σ p_i/q_i`.
//!
//! **Layer reduction.** A claim `(r, P, Q)` on layer `d` becomes, with `λ` squeezed first, the
//! sumcheck `Σ_x eq(r, x)·(p_L q_R + p_R q_L + λ·q_L q_R)(x) = P + λ·Q` (degree 3, `d` variables,
//! in the eq-factored form of [`super::layer`]: 2 scalars per round) ending at `ρ`; the prover
//! sends `p_L(ρ), p_R(ρ), q_L(ρ), q_R(ρ)` (absorbed), the verifier checks the sumcheck's final
//! claim, squeezes `μ` and continues with the claim
//! `((μ, ρ), p_L + μ(p_R − p_L), q_L + μ(q_R − q_L))` on layer `d+1`.
//!
//! **Several trees** run in lock-step from their roots: at depth `d` every tree deeper than `d`
//! has a `d`-variable instance, all at the same point (the previous depth's `(μ, ρ)`), and all of
//! them share one batched sumcheck (and so one `ρ`, `μ`).
//!
//! Transcript: roots `(p_0, q_0)` of all trees; per depth: `λ`, the batched layer sumcheck, the
//! half evaluations of every active tree, `μ`. Proof: `2·#trees + Σ_d (2d + 4·active_d)` scalars.

use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use super::layer::{LayerInstance, LayerRound, prove_layer, verify_layer};
use crate::curve::Fr;
use crate::error::{Error, VerifyError};
use crate::transcript::Transcript;

const PROTOCOL: &str = "lookup gkr";

/// A fraction `numerator / denominator` (unreduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Fraction {
    pub numerator: Fr,
    pub denominator: Fr,
}

/// `p_L(ρ), p_R(ρ), q_L(ρ), q_R(ρ)` for one tree at one depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct HalfEvals {
    pub p_left: Fr,
    pub p_right: Fr,
    pub q_left: Fr,
    pub q_right: Fr,
}

/// One depth of the reduction.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct GkrLayerProof {
    /// The layer sumcheck's rounds ([`super::layer`]).
    pub rounds: Vec<LayerRound>,
    /// One entry per tree still active at this depth, in tree order.
    pub halves: Vec<HalfEvals>,
}

/// The whole GKR proof for a list of trees.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct GkrProof {
    pub roots: Vec<Fraction>,
    pub layers: Vec<GkrLayerProof>,
}

/// A claim on a tree's leaves: `p̃(point) = numerator`, `q̃(point) = denominator`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafClaim {
    pub point: Vec<Fr>,
    pub value: Fraction,
}

/// All layers of one tree, `layers[d]` = `(p_d, q_d)` with `2^d` entries.
pub struct FractionTree {
    layers: Vec<(Vec<Fr>, Vec<Fr>)>,
}

impl FractionTree {
    /// Builds the tree over leaves `p / q` (same power-of-two length).
    pub fn new(p: Vec<Fr>, q: Vec<Fr>) -> Result<Self, Error> {
        if p.len() != q.len() {
            return Err(Error::Length {
                what: "gkr denominators",
                expected: p.len(),
                got: q.len(),
            });
        }
        if !p.len().is_power_of_two() {
            return Err(Error::NotPowerOfTwo { what: "gkr leaves", len: p.len() });
        }
        let mut layers = vec![(p, q)];
        while layers[layers.len() - 1].0.len() > 1 {
            let (p, q) = &layers[layers.len() - 1];
            let h = p.len() / 2;
            let next: (Vec<Fr>, Vec<Fr>) = (0..h)
                .into_par_iter()
                .with_min_len(1 << 10)
                .map(|x| (p[x] * q[x + h] + p[x + h] * q[x], q[x] * q[x + h]))
                .unzip();
            layers.push(next);
        }
        layers.reverse();
        Ok(Self { layers })
    }

    /// Number of leaf variables.
    pub fn depth(&self) -> usize {
        self.layers.len() - 1
    }

    pub fn root(&self) -> Fraction {
        Fraction { numerator: self.layers[0].0[0], denominator: self.layers[0].1[0] }
    }
}

fn next_claim(halves: &HalfEvals, mu: Fr, rho: &[Fr]) -> LeafClaim {
    let mut point = Vec::with_capacity(rho.len() + 1);
    point.push(mu);
    point.extend_from_slice(rho);
    LeafClaim {
        point,
        value: Fraction {
            numerator: halves.p_left + mu * (halves.p_right - halves.p_left),
            denominator: halves.q_left + mu * (halves.q_right - halves.q_left),
        },
    }
}

/// Proves the roots of `trees`; returns the proof and one leaf claim per tree.
pub fn prove(
    trees: &[FractionTree],
    transcript: &mut Transcript,
) -> Result<(GkrProof, Vec<LeafClaim>), Error> {
    let roots: Vec<Fraction> = trees.iter().map(FractionTree::root).collect();
    transcript.append_serializable(b"gkr roots", &roots);
    let mut claims: Vec<LeafClaim> =
        roots.iter().map(|r| LeafClaim { point: vec![], value: *r }).collect();
    let max_depth = trees.iter().map(FractionTree::depth).max().unwrap_or(0);
    let mut layers = Vec::with_capacity(max_depth);
    for d in 0..max_depth {
        let active: Vec<usize> = (0..trees.len()).filter(|i| trees[*i].depth() > d).collect();
        let lambda = transcript.challenge_scalar(b"gkr lambda");
        let point = shared_point(&claims, &active).ok_or_else(|| Error::Invalid {
            what: PROTOCOL,
            reason: "active trees do not share one claim point".into(),
        })?;
        let instances: Vec<LayerInstance> = active
            .iter()
            .map(|&i| {
                let (p, q) = &trees[i].layers[d + 1];
                let h = p.len() / 2;
                LayerInstance {
                    claim: claims[i].value.numerator + lambda * claims[i].value.denominator,
                    tables: [p[..h].to_vec(), p[h..].to_vec(), q[..h].to_vec(), q[h..].to_vec()],
                }
            })
            .collect();
        let out = prove_layer(&point, instances, lambda, transcript)?;
        let halves: Vec<HalfEvals> = out
            .final_evals
            .iter()
            .map(|e| HalfEvals { p_left: e[0], p_right: e[1], q_left: e[2], q_right: e[3] })
            .collect();
        transcript.append_serializable(b"gkr halves", &halves);
        let mu = transcript.challenge_scalar(b"gkr mu");
        for (&i, h) in active.iter().zip(&halves) {
            claims[i] = next_claim(h, mu, &out.point);
        }
        layers.push(GkrLayerProof { rounds: out.rounds, halves });
    }
    Ok((GkrProof { roots, layers }, claims))
}

/// Replays the reduction for trees of the given depths; returns the roots and leaf claims.
pub fn verify(
    depths: &[usize],
    proof: &GkrProof,
    transcript: &mut Transcript,
) -> Result<(Vec<Fraction>, Vec<LeafClaim>), VerifyError> {
    let shape = |what, expected: usize, got: usize| {
        if expected == got { Ok(()) } else { Err(VerifyError::ProofShape { what, expected, got }) }
    };
    let max_depth = depths.iter().copied().max().unwrap_or(0);
    shape("gkr roots", depths.len(), proof.roots.len())?;
    shape("gkr layers", max_depth, proof.layers.len())?;
    for (d, layer) in proof.layers.iter().enumerate() {
        let active = depths.iter().filter(|k| **k > d).count();
        shape("gkr half evaluations", active, layer.halves.len())?;
        shape("gkr layer rounds", d, layer.rounds.len())?;
    }
    transcript.append_serializable(b"gkr roots", &proof.roots);
    let mut claims: Vec<LeafClaim> =
        proof.roots.iter().map(|r| LeafClaim { point: vec![], value: *r }).collect();
    for (d, layer) in proof.layers.iter().enumerate() {
        let active: Vec<usize> = (0..depths.len()).filter(|i| depths[*i] > d).collect();
        let lambda = transcript.challenge_scalar(b"gkr lambda");
        // Every active claim was derived here at the previous depth's (μ, ρ): one shared point.
        let point = shared_point(&claims, &active)
            .ok_or(VerifyError::Mismatch { protocol: PROTOCOL, what: "shared claim point" })?;
        let sums: Vec<Fr> = active
            .iter()
            .map(|&i| claims[i].value.numerator + lambda * claims[i].value.denominator)
            .collect();
        let sub = verify_layer(&point, &sums, &layer.rounds, transcript)?;
        let folded: Fr = layer
            .halves
            .iter()
            .zip(&sub.coefficients)
            .map(|(h, a)| {
                *a * (h.p_left * h.q_right + h.p_right * h.q_left + lambda * h.q_left * h.q_right)
            })
            .sum();
        if folded != sub.expected {
            return Err(VerifyError::SumcheckFinal { protocol: PROTOCOL });
        }
        transcript.append_serializable(b"gkr halves", &layer.halves);
        let mu = transcript.challenge_scalar(b"gkr mu");
        for (&i, h) in active.iter().zip(&layer.halves) {
            claims[i] = next_claim(h, mu, &sub.point);
        }
    }
    Ok((proof.roots.clone(), claims))
}

/// The claim point shared by the `active` trees (`None` if they differ).
fn shared_point(claims: &[LeafClaim], active: &[usize]) -> Option<Vec<Fr>> {
    let first = &claims[*active.first()?].point;
    active.iter().all(|&i| claims[i].point == *first).then(|| first.clone())
}

/// `true` if `a/b == c/d` with both denominators non-zero.
pub fn fractions_equal(a: &Fraction, b: &Fraction) -> bool {
    !a.denominator.is_zero()
        && !b.denominator.is_zero()
        && a.numerator * b.denominator == b.numerator * a.denominator
}
