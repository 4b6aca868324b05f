//! Sumcheck verifier: replays the rounds and leaves one claim about the oracles.

use ark_ff::Zero;

use super::{MAX_DEGREE, SumOfProducts, SumcheckProof, absorb_statements, combined_claim};
use crate::curve::Fr;
use crate::error::{Error, VerifyError};
use crate::transcript::Transcript;
use crate::univariate::interpolate_eval;

/// What the verifier knows of one instance before seeing the proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SumcheckStatement {
    pub num_vars: usize,
    pub degree: usize,
    pub claim: Fr,
}

/// What is left after the rounds: `Σ_i α^i g_i(f_i(point_i)) = expected`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSubclaim {
    /// The `N` challenges, first round first.
    pub point: Vec<Fr>,
    /// The final running claim.
    pub expected: Fr,
    /// `α^i` per instance.
    pub coefficients: Vec<Fr>,
    /// `n_i` per instance.
    pub num_vars: Vec<usize>,
}

impl BatchSubclaim {
    /// Instance `i`'s point: the last `n_i` challenges.
    pub fn instance_point(&self, i: usize) -> Option<&[Fr]> {
        let n = *self.num_vars.get(i)?;
        self.point.get(self.point.len().checked_sub(n)?..)
    }

    /// Checks `Σ_i α^i·g_i(evals_i) = expected` for oracle evaluations `evals_i` at instance points.
    pub fn check_final(
        &self,
        protocol: &'static str,
        exprs: &[&SumOfProducts],
        evals: &[Vec<Fr>],
    ) -> Result<(), VerifyError> {
        let n = self.coefficients.len();
        if exprs.len() != n {
            return Err(Error::Length {
                what: "sumcheck final expressions",
                expected: n,
                got: exprs.len(),
            }
            .into());
        }
        if evals.len() != n {
            return Err(VerifyError::ProofShape {
                what: "sumcheck final evaluations",
                expected: n,
                got: evals.len(),
            });
        }
        let mut total = Fr::zero();
        for ((c, expr), e) in self.coefficients.iter().zip(exprs).zip(evals) {
            if e.len() < expr.arity() {
                return Err(VerifyError::ProofShape {
                    what: "sumcheck oracle evaluations",
                    expected: expr.arity(),
                    got: e.len(),
                });
            }
            total += *c * expr.evaluate_unchecked(e);
        }
        if total == self.expected { Ok(()) } else { Err(VerifyError::SumcheckFinal { protocol }) }
    }
}

/// Replays a batched sumcheck; the caller must then run [`BatchSubclaim::check_final`].
pub fn verify_batch(
    statements: &[SumcheckStatement],
    proof: &SumcheckProof,
    transcript: &mut Transcript,
) -> Result<BatchSubclaim, VerifyError> {
    if let Some(s) = statements.iter().find(|s| s.degree > MAX_DEGREE) {
        return Err(Error::Invalid {
            what: "sumcheck statement",
            reason: format!("degree {} exceeds {MAX_DEGREE}", s.degree),
        }
        .into());
    }
    let max_vars = statements.iter().map(|s| s.num_vars).max().unwrap_or(0);
    let degree = statements.iter().map(|s| s.degree).max().unwrap_or(0).max(1);
    if proof.rounds.len() != max_vars {
        return Err(VerifyError::ProofShape {
            what: "sumcheck rounds",
            expected: max_vars,
            got: proof.rounds.len(),
        });
    }
    if let Some(r) = proof.rounds.iter().find(|r| r.evals_except_one.len() != degree) {
        return Err(VerifyError::ProofShape {
            what: "sumcheck round polynomial",
            expected: degree,
            got: r.evals_except_one.len(),
        });
    }
    absorb_statements(transcript, statements.iter().map(|s| (s.num_vars, s.degree, s.claim)));
    let alpha = transcript.challenge_scalar(b"sumcheck alpha");
    let sized: Vec<(usize, Fr)> = statements.iter().map(|s| (s.num_vars, s.claim)).collect();
    let (mut claim, coefficients) = combined_claim(alpha, &sized, max_vars);
    let nodes: Vec<Fr> = (0..=degree as u64).map(Fr::from).collect();
    let mut point = Vec::with_capacity(max_vars);
    for round in &proof.rounds {
        let e = &round.evals_except_one;
        let mut values = Vec::with_capacity(degree + 1);
        values.push(e[0]);
        values.push(claim - e[0]);
        values.extend_from_slice(&e[1..]);
        transcript.append_serializable(b"sumcheck round", round);
        let r = transcript.challenge_scalar(b"sumcheck r");
        claim = interpolate_eval(&nodes, &values, r)?;
        point.push(r);
    }
    Ok(BatchSubclaim {
        point,
        expected: claim,
        coefficients,
        num_vars: statements.iter().map(|s| s.num_vars).collect(),
    })
}
