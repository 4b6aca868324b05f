//! The fold node's prover: a specialized prover for the kernel's sumcheck protocol.
//!
//! It sends exactly the messages the kernel's generic `prove_batch` would send for the instance
//! `Σ_a ρ^a·eq(p_a, x)·pad(f_a)(x)` (a test pins the two together), but the generic prover takes
//! owned tables and copies them, and would need one `2^n` eq table per child: for a node of `k`
//! children of `2^16` entries that is `3k` full-size tables and a third more field operations.
//! Here each child keeps a borrowed table until its first binding, and its eq factor is never
//! materialized at full size.
//!
//! **Per child** (own variables `q = r_a`, `m` of them; round `τ` of its own variables; `f_τ` its
//! table bound to the first `τ` challenges), the child's share of round polynomial is
//!
//! ```text
//! s_a(X) = w_a · eq1(q_τ, X) · L(X),   L(X) = L0 + X·(L1 − L0),
//! L_b = Σ_{x'} eq(q_{τ+1..}, x')·f_τ(b, x'),      eq1(q, X) = (1 − q)(1 − X) + q·X,
//! ```
//!
//! where `w_a = ρ^a·Π(1 − r*_j)²` (over its padding rounds) `·eq(q_{<τ}, r*)` is a scalar: the
//! factoring of the eq polynomial of Gruen ("Some Improvements for the PIOP for ZeroCheck", ePrint
//! 2024). So `s_a(0) = w(1 − q_τ)L0` and `s_a(2) = w(3q_τ − 1)(2L1 − L0)`. The child also tracks
//! `ĥ = (1 − q_τ)L0 + q_τL1`, its share of the running claim divided by `w`; it starts at `v_a`
//! and becomes `L(r)` after the round, so `L1 = (ĥ − (1 − q_τ)L0)/q_τ` needs no pass over the
//! table (when `q_τ = 0`, `L1` is summed directly). In a padding round (before the child's own
//! variables start) its share is `w·(1 − X)²·ĥ`.
//!
//! `L0` is a weighted sum over the lower half of `f_τ` with the eq table of `q_{τ+1..}` split in
//! two (Dao, Thaler, "More Optimizations to Sum-Check Proving", ePrint 2024): a fixed table of the
//! last `⌊m/2⌋` variables and a small one of the rest, so no eq table exceeds `2^{⌈m/2⌉}` entries.
//!
//! **Field multiplications per child** of `m` variables, `N = 2^m`: `N/2` for the first `L0`,
//! then per round `τ` one binding (`N/2^{τ+1}`) and the next `L0` (`N/2^{τ+2}`) — `≈ 2N` in all —
//! plus `N` to fold the child into the output. About `3N`
//! multiplications and as many additions, plus `O(√N)` for the eq tables and `O(m)` inversions.
//! Memory: a `N/2` table per child while the node runs (the caller's table is only read).

use std::borrow::Cow;

use ark_ff::{AdditiveGroup, Field, One, Zero, batch_inversion};
use rayon::prelude::*;
use tessera_blocks::mle::padding_factor;
use tessera_blocks::sumcheck::{RoundPoly, SumcheckProof};
use tessera_blocks::{Claim, Error, Fr, Transcript};

use super::{
    NodeProof, Parallelism, Schedule, absorb_sumcheck_statement, combine_commitments, eq1,
    folding_coefficients, inner_product, powers,
};

/// Below this many entries a weighted sum stays serial.
const PAR_ENTRIES: usize = 1 << 13;
/// Output entries per parallel task when folding tables.
const FOLD_CHUNK: usize = 1 << 12;

/// A child as the prover sees it: its claim and its (unpadded) table, borrowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NodeChild<'a> {
    pub claim: &'a Claim,
    pub table: &'a [Fr],
}

/// What a node hands to its parent: its proof, its output claim and the folded table.
pub(crate) struct NodeOutput {
    pub proof: NodeProof,
    pub claim: Claim,
    pub folded: Vec<Fr>,
}

/// Proves one fold node (module doc of [`super`]); `num_vars ≥` every child's variables.
pub(crate) fn prove_node<S: Schedule>(
    t: &mut Transcript,
    children: &[NodeChild<'_>],
    num_vars: usize,
    par: Parallelism,
) -> Result<NodeOutput, Error> {
    for c in children {
        let vars = c.claim.num_vars();
        if vars > num_vars {
            return Err(Error::Length {
                what: "fold node child variables",
                expected: num_vars,
                got: vars,
            });
        }
        let fits = c.table.len().is_power_of_two() && c.table.len() >= 1usize << vars;
        if !fits || c.table.len() > 1usize << num_vars {
            return Err(Error::Length {
                what: "fold node child table",
                expected: 1 << vars,
                got: c.table.len(),
            });
        }
    }
    let claims: Vec<&Claim> = children.iter().map(|c| c.claim).collect();
    let rho = S::rho(t, num_vars, &claims);
    // A table longer than its claim's point is read at the point padded with leading zeros
    // (module doc of `tree`); the claim as absorbed stays the one the verifier holds.
    let padded: Vec<Claim> = children.iter().map(|c| pad_to_table(c.claim, c.table)).collect();
    let children: Vec<NodeChild<'_>> = children
        .iter()
        .zip(&padded)
        .map(|(c, claim)| NodeChild { claim, table: c.table })
        .collect();
    let children = children.as_slice();
    let claims: Vec<&Claim> = padded.iter().collect();
    let (sumcheck, point, child_evals) = batching_sumcheck(t, rho, children, num_vars, par);
    let pads: Vec<usize> = claims.iter().map(|c| num_vars - c.num_vars()).collect();
    let coeffs = folding_coefficients(&powers(rho, claims.len()), &claims, &pads, &point)?;
    let commitment = combine_commitments(&claims, &coeffs, par)?;
    let value = inner_product(&coeffs, &child_evals);
    let tables: Vec<&[Fr]> = children.iter().map(|c| c.table).collect();
    let folded = fold_tables(&tables, &coeffs, num_vars, par);
    Ok(NodeOutput {
        proof: NodeProof { sumcheck },
        claim: Claim { commitment, point, value },
        folded,
    })
}

/// The claim at its point padded with leading zeros to the table's variables (the same claim:
/// leading zeros read the table's first `2^n` entries).
pub(crate) fn pad_to_table(claim: &Claim, table: &[Fr]) -> Claim {
    let lead = (table.len().trailing_zeros() as usize).saturating_sub(claim.num_vars());
    let point = std::iter::repeat_n(Fr::zero(), lead).chain(claim.point.iter().copied()).collect();
    Claim { commitment: claim.commitment, point, value: claim.value }
}

/// The batching sumcheck of step 2: returns the proof, `r*` and every `pad(f_a)(r*)` (kept by the
/// prover for the output value, never sent).
pub(crate) fn batching_sumcheck<'a>(
    t: &mut Transcript,
    rho: Fr,
    children: &[NodeChild<'a>],
    num_vars: usize,
    par: Parallelism,
) -> (SumcheckProof, Vec<Fr>, Vec<Fr>) {
    let rho_powers = powers(rho, children.len());
    let values: Vec<Fr> = children.iter().map(|c| c.claim.value).collect();
    absorb_sumcheck_statement(t, num_vars, inner_product(&rho_powers, &values));
    // Parallel over children, or over each child's table, never both (see `Parallelism`).
    let over_children = par == Parallelism::Children;
    let in_tables = par == Parallelism::Tables;
    let new = |(c, w): (&NodeChild<'a>, &Fr)| ChildState::new(c, num_vars, *w, in_tables);
    let mut states: Vec<ChildState<'a>> = if over_children {
        children.par_iter().zip(rho_powers.par_iter()).map(new).collect()
    } else {
        children.iter().zip(rho_powers.iter()).map(new).collect()
    };

    let mut rounds = Vec::with_capacity(num_vars);
    let mut point = Vec::with_capacity(num_vars);
    for round in 0..num_vars {
        let shares: Vec<(Fr, Fr)> = if over_children {
            states.par_iter_mut().map(|s| s.message(round)).collect()
        } else {
            states.iter_mut().map(|s| s.message(round)).collect()
        };
        let (s0, s2) =
            shares.iter().fold((Fr::zero(), Fr::zero()), |(a, b), (c, d)| (a + c, b + d));
        let poly = RoundPoly { evals_except_one: vec![s0, s2] };
        t.append_serializable(b"sumcheck round", &poly);
        let r = t.challenge_scalar(b"sumcheck r");
        if over_children {
            states.par_iter_mut().for_each(|s| s.bind(round, r));
        } else {
            states.iter_mut().for_each(|s| s.bind(round, r));
        }
        rounds.push(poly);
        point.push(r);
    }
    let evals = states.iter().map(|s| s.final_eval(&point)).collect();
    (SumcheckProof { rounds }, point, evals)
}

/// One child during the sumcheck (notation of the module doc).
struct ChildState<'a> {
    /// `q`, the child's own point.
    point: &'a [Fr],
    /// `1/q_j`, or zero where `q_j = 0`.
    inv_point: Vec<Fr>,
    /// Leading padding variables `d_a`.
    pad: usize,
    /// `f_τ`: borrowed until the first binding.
    table: Cow<'a, [Fr]>,
    /// `w_a`.
    weight: Fr,
    /// `ĥ`.
    hat: Fr,
    /// `L0` and `L1` of the current round.
    l0: Fr,
    l1: Fr,
    /// eq table of the last `lo` variables of `q`.
    eq_lo: Vec<Fr>,
    lo: usize,
    /// Whether table passes may use rayon.
    parallel: bool,
}

impl<'a> ChildState<'a> {
    fn new(child: &NodeChild<'a>, num_vars: usize, weight: Fr, parallel: bool) -> Self {
        let point = child.claim.point.as_slice();
        let own = point.len();
        let lo = own / 2;
        let mut inv_point = point.to_vec();
        batch_inversion(&mut inv_point);
        let mut state = Self {
            point,
            inv_point,
            pad: num_vars - own,
            table: Cow::Borrowed(child.table),
            weight,
            hat: child.claim.value,
            l0: Fr::zero(),
            l1: Fr::zero(),
            eq_lo: eq_table(&point[own - lo..]),
            lo,
            parallel,
        };
        if own > 0 {
            state.l0 = state.half_sum(0, false);
        }
        state
    }

    /// `L_b = Σ_{x'} eq(q_{τ+1..}, x')·f_τ(b, x')` with `b = upper`.
    fn half_sum(&self, tau: usize, upper: bool) -> Fr {
        let half = self.table.len() / 2;
        let part = if upper { &self.table[half..] } else { &self.table[..half] };
        suffix_sum(part, &self.point[tau + 1..], &self.eq_lo, self.lo, self.parallel)
    }

    /// This child's `(s_a(0), s_a(2))` in global round `round`.
    fn message(&mut self, round: usize) -> (Fr, Fr) {
        if round < self.pad {
            let share = self.weight * self.hat;
            return (share, share);
        }
        let tau = round - self.pad;
        let q = self.point[tau];
        let one_minus_q = Fr::one() - q;
        let inv = self.inv_point[tau];
        self.l1 = if inv.is_zero() {
            self.half_sum(tau, true)
        } else {
            (self.hat - one_minus_q * self.l0) * inv
        };
        let s0 = self.weight * one_minus_q * self.l0;
        let s2 = self.weight * (q.double() + q - Fr::one()) * (self.l1.double() - self.l0);
        (s0, s2)
    }

    /// Moves to the next round after the challenge `r`.
    fn bind(&mut self, round: usize, r: Fr) {
        if round < self.pad {
            self.weight *= (Fr::one() - r).square();
            return;
        }
        let tau = round - self.pad;
        self.weight *= eq1(self.point[tau], r);
        self.hat = self.l0 + r * (self.l1 - self.l0);
        self.table = Cow::Owned(bind_first(&self.table, r, self.parallel));
        if tau + 1 < self.point.len() {
            self.l0 = self.half_sum(tau + 1, false);
        }
    }

    /// `u_a = pad(f_a)(r*) = Π_{j<d_a}(1 − r*_j)·f_a(r*_{d_a..})`, after every round.
    fn final_eval(&self, point: &[Fr]) -> Fr {
        padding_factor(&point[..self.pad]) * self.table[0]
    }
}

/// `Σ_x eq(suffix, x)·part[x]`, with the eq table split as `eq(hi)·eq(lo)` when `suffix` has
/// more than `lo` variables (`eq_lo` is the table of its last `lo` variables).
fn suffix_sum(part: &[Fr], suffix: &[Fr], eq_lo: &[Fr], lo: usize, parallel: bool) -> Fr {
    let m = suffix.len();
    if m < lo {
        return inner_product(&eq_table(suffix), part);
    }
    let hi = eq_table(&suffix[..m - lo]);
    let dot = |(e, chunk): (&Fr, &[Fr])| *e * inner_product(eq_lo, chunk);
    if parallel && part.len() >= PAR_ENTRIES {
        hi.par_iter().zip(part.par_chunks(1 << lo)).map(dot).sum()
    } else {
        hi.iter().zip(part.chunks(1 << lo)).map(dot).sum()
    }
}

/// `t(r, x_2..)`: `lo + r·(hi − lo)` over the two halves (the kernel's `bind_first_slice`, with
/// the parallelism chosen by the caller).
fn bind_first(table: &[Fr], r: Fr, parallel: bool) -> Vec<Fr> {
    let (lo, hi) = table.split_at(table.len() / 2);
    let bind = |(l, h): (&Fr, &Fr)| *l + r * (*h - l);
    if parallel && lo.len() >= PAR_ENTRIES {
        lo.par_iter().zip(hi).map(bind).collect()
    } else {
        lo.iter().zip(hi).map(bind).collect()
    }
}

/// The table `eq(point, x)`, `x ∈ {0,1}^k` in index order (the kernel's `eq_table`, serial:
/// the prover only builds tables of at most `2^{⌈m/2⌉}` entries).
fn eq_table(point: &[Fr]) -> Vec<Fr> {
    let mut table = Vec::with_capacity(1 << point.len());
    table.push(Fr::one());
    for r in point {
        table = table
            .iter()
            .flat_map(|t| {
                let hi = *t * r;
                [*t - hi, hi]
            })
            .collect();
    }
    table
}

/// `Σ_a c_a·pad(t_a)` as a table of `2^num_vars` entries (zero-padding is a prefix).
fn fold_tables(tables: &[&[Fr]], coeffs: &[Fr], num_vars: usize, par: Parallelism) -> Vec<Fr> {
    let mut out = vec![Fr::zero(); 1 << num_vars];
    let fold_chunk = |(i, chunk): (usize, &mut [Fr])| {
        let start = i * FOLD_CHUNK;
        for (table, c) in tables.iter().zip(coeffs) {
            let Some(src) = table.get(start..table.len().min(start + chunk.len())) else {
                continue;
            };
            if c.is_one() {
                chunk.iter_mut().zip(src).for_each(|(o, s)| *o += s);
            } else {
                chunk.iter_mut().zip(src).for_each(|(o, s)| *o += *c * s);
            }
        }
    };
    if par == Parallelism::None {
        out.chunks_mut(FOLD_CHUNK).enumerate().for_each(fold_chunk);
    } else {
        out.par_chunks_mut(FOLD_CHUNK).enumerate().for_each(fold_chunk);
    }
    out
}
