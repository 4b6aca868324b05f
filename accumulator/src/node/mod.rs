//! The fold node: `k` evaluation claims in, one claim out (DESIGN §5).
//!
//! **Statement.** Child claims `(C_a, r_a, v_a)`, `a = 0..k`, "the polynomial `f_a` committed in
//! `C_a` evaluates to `v_a` at `r_a`". The node's number of variables is `n = max_a n_a`; a child
//! with `n_a < n` variables is zero-padded with `d_a = n − n_a` *leading* variables: its table is
//! extended with zeros (so `C_a` is unchanged), its point becomes `p_a = (0^{d_a} ‖ r_a)` and its
//! value stays `v_a`, because `pad(f)(y, x) = Π_j (1 − y_j)·f(x)` (see [`tessera_blocks::mle`]).
//!
//! **Notation.**
//!
//! | symbol | meaning |
//! |---|---|
//! | `k`, `a` | number of children, child index |
//! | `n`, `n_a`, `d_a` | node variables, child variables, padding `n − n_a` |
//! | `f_a`, `C_a`, `r_a`, `v_a` | child polynomial, commitment, point, claimed value |
//! | `p_a = (0^{d_a} ‖ r_a)` | the padded point |
//! | `ρ` | batching challenge (after every child claim) |
//! | `r* ∈ Fr^n` | the sumcheck's point |
//! | `c_a = ρ^a·eq(p_a, r*)` | the folding coefficients |
//!
//! **Protocol** (the batching sumcheck is the multi-point-to-one-point reduction of e.g. Thaler,
//! "Proofs, Arguments, and Zero-Knowledge" §4.5; the homomorphic combination of the committed
//! polynomials is the folding step of Nova/Mira-style accumulation, applied to evaluation claims):
//!
//! 1. absorb `k`, `n` and every child claim `(C_a, r_a, v_a)` (the unpadded claim); squeeze `ρ`;
//! 2. sumcheck, with the kernel's protocol ([`tessera_blocks::sumcheck`], one instance, degree 2):
//!    `Σ_{x ∈ {0,1}^n} Σ_a ρ^a·eq(p_a, x)·pad(f_a)(x) = Σ_a ρ^a·v_a`, ending at `r*` with the
//!    running claim `e`;
//! 3. the summand at `r*` *is* a committed polynomial: `Σ_a ρ^a·eq(p_a, r*)·pad(f_a)(r*) = g(r*)`
//!    for `g = Σ_a c_a·pad(f_a)`. The verifier computes
//!    `eq(p_a, r*) = Π_{j<d_a}(1 − r*_j)·eq(r_a, r*_{d_a..})` itself, and the output claim is
//!    `(Σ_a c_a·C_a, r*, e)`, about `g`, which the prover materializes for the parent node.
//!
//! DESIGN §5 has the prover send every `u_a = pad(f_a)(r*)` and fold them with a second challenge
//! `γ`; that costs 32 bytes per child (8 KB of a 256-leaf node) and buys nothing: the check
//! `Σ_a ρ^a·eq(p_a, r*)·u_a = e` followed by a random combination of the `u_a` is replaced by the
//! one combination whose value the sumcheck already fixes.
//!
//! Soundness (DESIGN §8 items 1, 4, 7): if some `v_a` is false, `Σ ρ^a v_a` differs from the true
//! sum except with probability `(k − 1)/|Fr|` over `ρ` — *because* `ρ` is squeezed after every
//! child claim; the sumcheck then ends in a false `e` except with probability `2n/|Fr|`, and
//! `g(r*) = Σ_a c_a·pad(f_a)(r*)` is exactly the true value of the summand at `r*`, so the output
//! claim is false. A false claim is caught where it is finally opened (the root), so a node itself
//! rejects only malformed proofs. The verifier takes no claim from the proof: the children are
//! leaves it was given or outputs it derived, and the output point, value and commitment are
//! recomputed. The verifier does no pairing (the decider does, once, at the root).
//!
//! **Proof** ([`NodeProof`]): `n` round polynomials of 2 scalars; compressed, `8 + n·(8 + 64)`
//! bytes (the `8`s are length prefixes), whatever `k`.
//!
//! **Prover cost** (see `node/prover.rs`): about `3·2^{n_a}` field multiplications per child of
//! `n_a` variables (`2^{n_a}` for the round sums, `2^{n_a}` to bind its table, `2^{n_a}` to fold
//! it), no eq table of size `2^{n_a}`, and no copy of a child's table (the first binding reads the
//! caller's table and writes a half-size one). Measured: 160–200 ns per table entry on this
//! machine when one multiply-add costs 40–50 ns, i.e. about four multiply-adds per entry.

mod prover;

use ark_ec::CurveGroup;
use ark_ff::{AdditiveGroup, One, PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use tessera_blocks::mle::{eq_eval, padding_factor};
use tessera_blocks::sumcheck::{SumcheckProof, SumcheckStatement, verify_batch};
use tessera_blocks::{Claim, Commitment, Fr, G1, G1Affine, Transcript};

use crate::error::KernelVerifyError;

#[cfg(test)]
pub(crate) use prover::batching_sumcheck;
pub(crate) use prover::{NodeChild, NodeOutput, pad_to_table, prove_node};

/// Protocol name in errors.
pub const PROTOCOL: &str = "accumulator fold";

/// Degree of the batched sumcheck's summand `eq(p_a, x)·f_a(x)`.
pub(crate) const DEGREE: usize = 2;

/// The proof of one fold node.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct NodeProof {
    /// The batching sumcheck over the node's `n` variables, in the kernel's format.
    pub sumcheck: SumcheckProof,
}

/// How a node may use rayon. Parallelism is never nested: a rayon thread blocked in an inner
/// `join` steals *outer* jobs onto its own stack, so nodes-in-parallel with children-in-parallel
/// (or with parallel table passes, or arkworks' parallel MSM) overflows the stack on wide levels
/// (it did at 4,096 leaves with arity 2). The tree picks one level of parallelism per level; the
/// arithmetic is exact, so the choice never changes the proof bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parallelism {
    /// The caller runs nodes in parallel: this node is serial (and combines commitments without
    /// the parallel MSM).
    None,
    /// Children in parallel, each child's passes serial.
    Children,
    /// Children one after another, each child's table passes in parallel.
    Tables,
}

impl Parallelism {
    /// For a node of `children` children running alone.
    pub(crate) fn inside_node(children: usize) -> Self {
        if children >= 2 * rayon::current_num_threads() { Self::Children } else { Self::Tables }
    }
}

/// `Σ_a c_a·C_a`: arkworks' (parallel) MSM, or [`serial_msm`] when the caller is already
/// parallel.
pub(crate) fn combine_commitments(
    claims: &[&Claim],
    coeffs: &[Fr],
    par: Parallelism,
) -> Result<Commitment, tessera_blocks::Error> {
    let commitments: Vec<Commitment> = claims.iter().map(|c| c.commitment).collect();
    if par != Parallelism::None {
        return Commitment::linear_combination(&commitments, coeffs);
    }
    if commitments.len() != coeffs.len() {
        return Err(tessera_blocks::Error::Length {
            what: "commitment combination coefficients",
            expected: commitments.len(),
            got: coeffs.len(),
        });
    }
    let bases: Vec<G1Affine> = commitments.iter().map(|c| c.0).collect();
    Ok(Commitment(serial_msm(&bases, coeffs).into_affine()))
}

/// `Σ s_i·P_i` without rayon, for the few points of a node: Straus's interleaved method with
/// 4-bit windows — one shared chain of 256 doublings, `15` precomputed multiples per point and
/// about `60` mixed additions per point (≈ 90 group operations per point at `k = 16` instead of
/// ≈ 380 for separate scalar multiplications).
pub(crate) fn serial_msm(bases: &[G1Affine], scalars: &[Fr]) -> G1 {
    const WINDOWS: usize = 64;
    let mut multiples = Vec::with_capacity(bases.len() * 15);
    for p in bases {
        let mut acc = G1::from(*p);
        multiples.push(acc);
        for _ in 2..=15 {
            acc += p;
            multiples.push(acc);
        }
    }
    let multiples = G1::normalize_batch(&multiples);
    let digits: Vec<[u64; 4]> = scalars.iter().map(|s| s.into_bigint().0).collect();
    let mut acc = G1::zero();
    for w in (0..WINDOWS).rev() {
        for _ in 0..4 {
            acc.double_in_place();
        }
        for (i, limbs) in digits.iter().enumerate() {
            let digit = ((limbs[w / 16] >> ((w % 16) * 4)) & 0xF) as usize;
            if digit != 0 {
                acc += &multiples[i * 15 + digit - 1];
            }
        }
    }
    acc
}

/// The transcript schedule of a fold node, written once for prover and verifier.
///
/// The library uses [`Sound`] only; the trait exists so that the soundness tests can run the same
/// prover and verifier under a deliberately broken schedule and show that it is forgeable.
pub(crate) trait Schedule {
    /// Absorbs the node header and every child claim, then squeezes `ρ`.
    fn rho(t: &mut Transcript, num_vars: usize, children: &[&Claim]) -> Fr;
}

/// Every challenge after everything it binds (DESIGN §8 item 1).
pub(crate) struct Sound;

impl Schedule for Sound {
    fn rho(t: &mut Transcript, num_vars: usize, children: &[&Claim]) -> Fr {
        t.append_u64(b"accumulator node children", children.len() as u64);
        t.append_u64(b"accumulator node num_vars", num_vars as u64);
        for c in children {
            c.absorb(b"accumulator child claim", t);
        }
        t.challenge_scalar(b"accumulator rho")
    }
}

/// Checks a node proof's shape against `n` variables, before any arithmetic.
pub(crate) fn check_shape(proof: &NodeProof, num_vars: usize) -> Result<(), KernelVerifyError> {
    let shape = |what, expected: usize, got: usize| {
        if expected == got {
            Ok(())
        } else {
            Err(KernelVerifyError::ProofShape { what, expected, got })
        }
    };
    shape("sumcheck rounds", num_vars, proof.sumcheck.rounds.len())?;
    for round in &proof.sumcheck.rounds {
        shape("sumcheck round polynomial", DEGREE, round.evals_except_one.len())?;
    }
    Ok(())
}

/// Verifies one node and derives its output claim. `children` are claims the verifier holds
/// (leaves, or outputs it derived); `num_vars ≥` every child's number of variables.
pub(crate) fn verify_node<S: Schedule>(
    t: &mut Transcript,
    children: &[&Claim],
    num_vars: usize,
    proof: &NodeProof,
    par: Parallelism,
) -> Result<Claim, KernelVerifyError> {
    let k = children.len();
    check_shape(proof, num_vars)?;
    let pads: Vec<usize> = children
        .iter()
        .map(|c| {
            num_vars.checked_sub(c.num_vars()).ok_or(tessera_blocks::Error::Length {
                what: "fold node child variables",
                expected: num_vars,
                got: c.num_vars(),
            })
        })
        .collect::<Result<_, _>>()?;

    // 1. Every child claim, then ρ.
    let rho = S::rho(t, num_vars, children);
    let rho_powers = powers(rho, k);
    let claim: Fr = children.iter().zip(&rho_powers).map(|(c, w)| c.value * w).sum();

    // 2. The batching sumcheck (kernel verifier).
    let statement = SumcheckStatement { num_vars, degree: DEGREE, claim };
    let subclaim = verify_batch(&[statement], &proof.sumcheck, t)?;

    // 3. c_a = ρ^a·eq(p_a, r*), computed here; the folded claim.
    let coeffs = folding_coefficients(&rho_powers, children, &pads, &subclaim.point)?;
    let commitment = combine_commitments(children, &coeffs, par)?;
    Ok(Claim { commitment, point: subclaim.point, value: subclaim.expected })
}

/// `c_a = ρ^a·eq(p_a, r*)` with `eq(p_a, r*) = Π_{j<d_a}(1 − r*_j)·eq(r_a, r*_{d_a..})`.
pub(crate) fn folding_coefficients(
    rho_powers: &[Fr],
    children: &[&Claim],
    pads: &[usize],
    point: &[Fr],
) -> Result<Vec<Fr>, tessera_blocks::Error> {
    children
        .iter()
        .zip(pads)
        .zip(rho_powers)
        .map(|((c, pad), w)| {
            let (lead, rest) = point.split_at(*pad);
            Ok(*w * padding_factor(lead) * eq_eval(&c.point, rest)?)
        })
        .collect()
}

/// `Σ_a ρ^a·P_{2a}·P_{2a+1}` over the inputs `(eq_0, u_0, eq_1, u_1, …)`.
#[cfg(test)]
pub(crate) fn batching_expression(rho_powers: &[Fr]) -> tessera_blocks::sumcheck::SumOfProducts {
    use tessera_blocks::sumcheck::SumOfProducts;
    let terms = rho_powers.iter().enumerate().map(|(a, w)| (*w, vec![2 * a, 2 * a + 1])).collect();
    SumOfProducts { terms }
}

/// Appends the sumcheck statement exactly as the kernel's engine does for one instance of degree
/// 2 (`prove_batch`'s schedule), and squeezes its (unused, single-instance) batching challenge.
/// `tests::lean_prover_matches_the_kernel_engine` pins this to the engine.
pub(crate) fn absorb_sumcheck_statement(t: &mut Transcript, num_vars: usize, claim: Fr) {
    t.append_u64(b"sumcheck instances", 1);
    t.append_u64(b"sumcheck num_vars", num_vars as u64);
    t.append_u64(b"sumcheck degree", DEGREE as u64);
    t.append_scalar(b"sumcheck claim", &claim);
    let _alpha = t.challenge_scalar(b"sumcheck alpha");
}

pub(crate) use tessera_blocks::curve::powers;

/// `Σ_a w_a·x_a`.
pub(crate) fn inner_product(w: &[Fr], x: &[Fr]) -> Fr {
    w.iter().zip(x).fold(Fr::zero(), |acc, (a, b)| acc + *a * b)
}

/// `(1 − q)(1 − r) + q·r`, the one-variable eq.
pub(crate) fn eq1(q: Fr, r: Fr) -> Fr {
    let qr = q * r;
    Fr::one() - q - r + qr.double()
}
