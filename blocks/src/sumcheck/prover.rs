//! Sumcheck prover: round polynomials by evaluating `g` on the two halves of every table.

use ark_ff::Zero;
use rayon::prelude::*;

use super::{
    MAX_DEGREE, RoundPoly, SumOfProducts, SumcheckProof, absorb_statements, combined_claim, pow2,
};
use crate::curve::Fr;
use crate::error::Error;
use crate::mle::{DenseMle, bind_first_slice};
use crate::transcript::Transcript;

/// Below this many pairs per round, rounds run serially.
const PAR_PAIRS: usize = 1 << 10;

/// One instance: tables `f_1..f_m` (same number of variables) and the expression `g`.
#[derive(Clone, Debug)]
pub struct SumcheckInstance {
    pub polys: Vec<DenseMle>,
    pub expr: SumOfProducts,
}

impl SumcheckInstance {
    /// Checks shapes and returns the number of variables.
    fn validate(&self) -> Result<usize, Error> {
        let num_vars = self
            .polys
            .first()
            .map(DenseMle::num_vars)
            .ok_or(Error::Invalid { what: "sumcheck instance", reason: "no polynomials".into() })?;
        if let Some(p) = self.polys.iter().find(|p| p.num_vars() != num_vars) {
            return Err(Error::Length {
                what: "sumcheck polynomial variables",
                expected: num_vars,
                got: p.num_vars(),
            });
        }
        if self.expr.arity() > self.polys.len() {
            return Err(Error::Length {
                what: "sumcheck expression inputs",
                expected: self.polys.len(),
                got: self.expr.arity(),
            });
        }
        if self.expr.degree() > MAX_DEGREE {
            return Err(Error::Invalid {
                what: "sumcheck expression",
                reason: format!("degree {} exceeds {MAX_DEGREE}", self.expr.degree()),
            });
        }
        Ok(num_vars)
    }

    /// `Σ_x g(f(x))`, computed directly (used for claims and by `check`).
    pub fn sum(&self) -> Result<Fr, Error> {
        let num_vars = self.validate()?;
        let mut values = vec![Fr::zero(); self.polys.len()];
        let mut total = Fr::zero();
        for x in 0..1usize << num_vars {
            for (v, p) in values.iter_mut().zip(&self.polys) {
                *v = p.evals()[x];
            }
            total += self.expr.evaluate_unchecked(&values);
        }
        Ok(total)
    }
}

/// What the prover learns: the proof, the full challenge point (length `N`), and for every
/// instance the evaluations `f_j(point_i)` at its own point (the last `n_i` challenges).
#[derive(Clone, Debug)]
pub struct SumcheckOutput {
    pub proof: SumcheckProof,
    pub point: Vec<Fr>,
    pub final_evals: Vec<Vec<Fr>>,
}

/// Proves `Σ_x g_i(f_i(x)) = claims[i]` for every instance, in one batched sumcheck.
pub fn prove_batch(
    instances: Vec<SumcheckInstance>,
    claims: &[Fr],
    transcript: &mut Transcript,
) -> Result<SumcheckOutput, Error> {
    if claims.len() != instances.len() {
        return Err(Error::Length {
            what: "sumcheck claims",
            expected: instances.len(),
            got: claims.len(),
        });
    }
    let vars: Vec<usize> =
        instances.iter().map(SumcheckInstance::validate).collect::<Result<_, _>>()?;
    let max_vars = vars.iter().copied().max().unwrap_or(0);
    let degree = instances.iter().map(|i| i.expr.degree()).max().unwrap_or(0).max(1);
    absorb_statements(
        transcript,
        instances.iter().zip(&vars).zip(claims).map(|((i, n), c)| (*n, i.expr.degree(), *c)),
    );
    let alpha = transcript.challenge_scalar(b"sumcheck alpha");
    let sized: Vec<(usize, Fr)> = vars.iter().copied().zip(claims.iter().copied()).collect();
    let (_, powers) = combined_claim(alpha, &sized, max_vars);

    let mut tables: Vec<Vec<Vec<Fr>>> =
        instances.iter().map(|i| i.polys.iter().map(|p| p.evals().to_vec()).collect()).collect();
    let mut rounds = Vec::with_capacity(max_vars);
    let mut point = Vec::with_capacity(max_vars);
    for t in 0..max_vars {
        let mut s = vec![Fr::zero(); degree + 1];
        for (i, inst) in instances.iter().enumerate() {
            let offset = max_vars - vars[i];
            if t < offset {
                // Dummy variable: constant 2^{offset − t − 1}·S_i.
                let c = powers[i] * pow2(offset - t - 1) * claims[i];
                s.iter_mut().for_each(|e| *e += c);
            } else {
                let si = round_evals(&tables[i], &inst.expr, degree);
                for (e, v) in s.iter_mut().zip(si) {
                    *e += powers[i] * v;
                }
            }
        }
        let mut evals_except_one = Vec::with_capacity(degree);
        evals_except_one.push(s[0]);
        evals_except_one.extend_from_slice(&s[2..]);
        let round = RoundPoly { evals_except_one };
        transcript.append_serializable(b"sumcheck round", &round);
        let r = transcript.challenge_scalar(b"sumcheck r");
        for (i, tabs) in tables.iter_mut().enumerate() {
            if t >= max_vars - vars[i] {
                for tab in tabs.iter_mut() {
                    *tab = bind_first_slice(tab, r);
                }
            }
        }
        rounds.push(round);
        point.push(r);
    }
    let final_evals =
        tables.into_iter().map(|tabs| tabs.into_iter().map(|t| t[0]).collect()).collect();
    Ok(SumcheckOutput { proof: SumcheckProof { rounds }, point, final_evals })
}

/// `s(X) = Σ_{x'} g(f(X, x'))` at `X = 0..=degree`.
fn round_evals(tables: &[Vec<Fr>], expr: &SumOfProducts, degree: usize) -> Vec<Fr> {
    let half = tables[0].len() / 2;
    let pair = |m: usize, acc: &mut Vec<Fr>, scratch: &mut Vec<Fr>, diffs: &mut Vec<Fr>| {
        for (j, tab) in tables.iter().enumerate() {
            scratch[j] = tab[m];
            diffs[j] = tab[m + half] - tab[m];
        }
        acc[0] += expr.evaluate_unchecked(scratch);
        for a in acc.iter_mut().skip(1) {
            for (v, d) in scratch.iter_mut().zip(diffs.iter()) {
                *v += d;
            }
            *a += expr.evaluate_unchecked(scratch);
        }
    };
    let m = tables.len();
    let zero = || (vec![Fr::zero(); degree + 1], vec![Fr::zero(); m], vec![Fr::zero(); m]);
    let add = |mut a: Vec<Fr>, b: Vec<Fr>| {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        a
    };
    if half >= PAR_PAIRS {
        (0..half)
            .into_par_iter()
            .fold(zero, |(mut acc, mut sc, mut df), i| {
                pair(i, &mut acc, &mut sc, &mut df);
                (acc, sc, df)
            })
            .map(|(acc, _, _)| acc)
            .reduce(|| vec![Fr::zero(); degree + 1], add)
    } else {
        let (mut acc, mut sc, mut df) = zero();
        for i in 0..half {
            pair(i, &mut acc, &mut sc, &mut df);
        }
        acc
    }
}
