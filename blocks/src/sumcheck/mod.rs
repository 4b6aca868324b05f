//! The sumcheck protocol for sums of products of multilinear polynomials, batched.
//!
//! Paper: Lund, Fortnow, Karloff, Nisan, "Algebraic methods for interactive proof systems" (1992);
//! the linear-time prover for products of multilinear polynomials follows Thaler, "Proofs,
//! Arguments, and Zero-Knowledge" §4.1 and §4.6.
//!
//! **Statement.** For multilinear `f_1..f_m` in `n` variables and `g` a sum of products
//! ([`SumOfProducts`], degree `d` = the longest product), `Σ_{x ∈ {0,1}^n} g(f_1(x), …, f_m(x)) = S`.
//!
//! **Rounds.** Variables are bound most-significant first (the order of [`crate::mle`]). In round
//! `t` the prover sends `s_t(X) = Σ_{x'} g(f(r_1..r_{t−1}, X, x'))`, a polynomial of degree `≤ d`,
//! as its evaluations at `0, 2, 3, …, d` (`s_t(1) = claim − s_t(0)` is derived, so the sum rule
//! holds by construction and a wrong polynomial surfaces in the final check). The challenge `r_t`
//! is squeezed after absorbing `s_t`; the claim becomes `s_t(r_t)`. After `n` rounds the verifier
//! is left with `g(f_1(r), …, f_m(r)) = claim`, which the caller checks against oracle evaluations
//! ([`BatchSubclaim::check_final`]).
//!
//! **Batching.** Instances `i` with `n_i ≤ N` variables and claims `S_i` are proved together:
//! after absorbing every `(n_i, d_i, S_i)` the transcript yields `α`, and the combined claim is
//! `Σ_i α^i·2^{N−n_i}·S_i` — instance `i` is extended by `N − n_i` leading dummy variables, so its
//! round polynomial is the constant `2^{N−n_i−t−1}·S_i` while `t < N − n_i`, and its point is the last
//! `n_i` challenges.
//!
//! Transcript order: `"sumcheck instances"` (count), then per instance `num_vars`, `degree`,
//! `claim`; squeeze `α`; per round absorb the compressed `s_t`, squeeze `r_t`.
//!
//! **Proof:** `N` rounds of `d` field elements (`d = max d_i`).
//!
//! **Parallelism.** Round sums are split over rayon; field addition is exact, so the result is
//! the same for any thread count.

mod prover;
mod verifier;

use ark_ff::{AdditiveGroup, One, Zero};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Valid, Validate,
    Write,
};

pub use prover::{SumcheckInstance, SumcheckOutput, prove_batch};
pub use verifier::{BatchSubclaim, SumcheckStatement, verify_batch};

use crate::curve::Fr;
use crate::error::Error;
use crate::transcript::Transcript;

/// The largest degree of `g` the engine accepts.
pub const MAX_DEGREE: usize = 8;

/// `g(f_1..f_m) = Σ_t c_t·Π_{j ∈ J_t} f_j`: each term is a coefficient and the indices it multiplies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumOfProducts {
    pub terms: Vec<(Fr, Vec<usize>)>,
}

impl SumOfProducts {
    /// The single product `f_0·f_1·…·f_{m−1}`.
    pub fn product(m: usize) -> Self {
        Self { terms: vec![(Fr::one(), (0..m).collect())] }
    }

    /// Degree of `g` (the longest product).
    pub fn degree(&self) -> usize {
        self.terms.iter().map(|(_, t)| t.len()).max().unwrap_or(0)
    }

    /// The number of inputs `g` reads (one more than the largest index).
    pub fn arity(&self) -> usize {
        self.terms.iter().flat_map(|(_, t)| t.iter()).map(|j| j + 1).max().unwrap_or(0)
    }

    /// `g(values)`; errors if `values` is shorter than [`Self::arity`].
    pub fn evaluate(&self, values: &[Fr]) -> Result<Fr, Error> {
        if values.len() < self.arity() {
            return Err(Error::Length {
                what: "expression inputs",
                expected: self.arity(),
                got: values.len(),
            });
        }
        Ok(self.evaluate_unchecked(values))
    }

    /// `g(values)` for callers that checked `values.len() >= arity()` (hot loops).
    pub(crate) fn evaluate_unchecked(&self, values: &[Fr]) -> Fr {
        self.terms
            .iter()
            .map(|(c, t)| t.iter().fold(*c, |acc, j| acc * values[*j]))
            .fold(Fr::zero(), |a, b| a + b)
    }
}

/// One round's polynomial, as its evaluations at `0, 2, 3, …, d`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RoundPoly {
    pub evals_except_one: Vec<Fr>,
}

/// A batched sumcheck proof: one compressed polynomial per round.
///
/// Encoding: the number of rounds and the number of scalars per round (one byte each; every round
/// has the same), then the scalars — not a length per round, which would cost 8 bytes each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumcheckProof {
    pub rounds: Vec<RoundPoly>,
}

impl SumcheckProof {
    /// `(rounds, scalars per round)`, if both fit the encoding.
    fn header(&self) -> Result<(u8, u8), SerializationError> {
        let width = self.rounds.first().map_or(0, |r| r.evals_except_one.len());
        if self.rounds.iter().any(|r| r.evals_except_one.len() != width) {
            return Err(SerializationError::InvalidData);
        }
        let rounds =
            u8::try_from(self.rounds.len()).map_err(|_| SerializationError::InvalidData)?;
        let width = u8::try_from(width).map_err(|_| SerializationError::InvalidData)?;
        Ok((rounds, width))
    }
}

impl CanonicalSerialize for SumcheckProof {
    fn serialize_with_mode<W: Write>(
        &self,
        mut writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        let (rounds, width) = self.header()?;
        writer.write_all(&[rounds, width])?;
        for r in &self.rounds {
            for e in &r.evals_except_one {
                e.serialize_with_mode(&mut writer, compress)?;
            }
        }
        Ok(())
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        let scalars = self.rounds.iter().map(|r| r.evals_except_one.len()).sum::<usize>();
        2 + scalars * Fr::zero().serialized_size(compress)
    }
}

impl Valid for SumcheckProof {
    fn check(&self) -> Result<(), SerializationError> {
        self.header().map(|_| ())
    }
}

impl CanonicalDeserialize for SumcheckProof {
    fn deserialize_with_mode<R: Read>(
        mut reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        let mut header = [0u8; 2];
        reader.read_exact(&mut header)?;
        let [rounds, width] = header.map(usize::from);
        if rounds > crate::mle::MAX_NUM_VARS || width > MAX_DEGREE {
            return Err(SerializationError::InvalidData);
        }
        let rounds = (0..rounds)
            .map(|_| {
                let evals_except_one = (0..width)
                    .map(|_| Fr::deserialize_with_mode(&mut reader, compress, validate))
                    .collect::<Result<_, _>>()?;
                Ok(RoundPoly { evals_except_one })
            })
            .collect::<Result<_, SerializationError>>()?;
        Ok(Self { rounds })
    }
}

fn absorb_statements(
    t: &mut Transcript,
    statements: impl ExactSizeIterator<Item = (usize, usize, Fr)>,
) {
    t.append_u64(b"sumcheck instances", statements.len() as u64);
    for (num_vars, degree, claim) in statements {
        t.append_u64(b"sumcheck num_vars", num_vars as u64);
        t.append_u64(b"sumcheck degree", degree as u64);
        t.append_scalar(b"sumcheck claim", &claim);
    }
}

/// `Σ_i α^i·2^{N−n_i}·S_i` and the coefficients `α^i`.
fn combined_claim(alpha: Fr, claims: &[(usize, Fr)], max_vars: usize) -> (Fr, Vec<Fr>) {
    let mut powers = Vec::with_capacity(claims.len());
    let mut acc = Fr::one();
    let mut total = Fr::zero();
    for (num_vars, claim) in claims {
        total += acc * pow2(max_vars - num_vars) * claim;
        powers.push(acc);
        acc *= alpha;
    }
    (total, powers)
}

fn pow2(e: usize) -> Fr {
    let mut x = Fr::one();
    for _ in 0..e {
        x.double_in_place();
    }
    x
}

#[cfg(test)]
mod tests;
