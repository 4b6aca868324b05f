use ark_ff::{Field, One, UniformRand, Zero};
use ark_std::rand::{SeedableRng, rngs::StdRng};

use super::*;
use crate::error::Error;
use crate::error::{RelationError, VerifyError};
use crate::mle::DenseMle;
use crate::testing::{ConformanceCase, Tampering, run_all};

const NAME: &str = "sumcheck";

fn random_padded(size: usize, rng: &mut StdRng) -> DenseMle {
    DenseMle::zero_padded((0..size).map(|_| Fr::rand(rng)).collect())
}

/// Two instances batched: `f0·f1·f2` on `size` entries (padded) and `2·a·b + c` on half as many.
struct Case {
    instances: Vec<SumcheckInstance>,
    claims: Vec<Fr>,
}

#[derive(
    Clone, Debug, PartialEq, ark_serialize::CanonicalSerialize, ark_serialize::CanonicalDeserialize,
)]
struct CaseProof {
    sumcheck: SumcheckProof,
    final_evals: Vec<Vec<Fr>>,
}

impl Case {
    fn statements(&self) -> Vec<SumcheckStatement> {
        self.instances
            .iter()
            .zip(&self.claims)
            .map(|(i, c)| SumcheckStatement {
                num_vars: i.polys[0].num_vars(),
                degree: i.expr.degree(),
                claim: *c,
            })
            .collect()
    }
}

impl ConformanceCase for Case {
    type Proof = CaseProof;
    const NAME: &'static str = NAME;

    fn sizes() -> Vec<usize> {
        vec![1, 2, 5, 64, 1000]
    }

    fn generate(size: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let big: Vec<DenseMle> = (0..3).map(|_| random_padded(size, &mut rng)).collect();
        let small: Vec<DenseMle> =
            (0..3).map(|_| random_padded(size.div_ceil(2), &mut rng)).collect();
        let two = Fr::from(2u64);
        let instances = vec![
            SumcheckInstance { polys: big, expr: SumOfProducts::product(3) },
            SumcheckInstance {
                polys: small,
                expr: SumOfProducts { terms: vec![(two, vec![0, 1]), (Fr::one(), vec![2])] },
            },
        ];
        let claims = instances.iter().map(|i| i.sum().unwrap()).collect();
        Self { instances, claims }
    }

    fn check(&self) -> Result<(), RelationError> {
        for (i, (inst, claim)) in self.instances.iter().zip(&self.claims).enumerate() {
            if inst.sum().map_err(|e| violated(e.to_string()))? != *claim {
                return Err(violated(format!("instance {i}: Σ g(f(x)) ≠ claim")));
            }
        }
        Ok(())
    }

    fn corrupt_witness(&mut self) {
        let f = &mut self.instances[0].polys[1];
        let mut evals = f.evals().to_vec();
        evals[0] += Fr::one();
        *f = DenseMle::new(evals).unwrap();
    }

    fn prove(&self, t: &mut Transcript) -> CaseProof {
        let out = prove_batch(self.instances.clone(), &self.claims, t).unwrap();
        CaseProof { sumcheck: out.proof, final_evals: out.final_evals }
    }

    fn verify(&self, proof: &CaseProof, t: &mut Transcript) -> Result<(), VerifyError> {
        let sub = verify_batch(&self.statements(), &proof.sumcheck, t)?;
        let exprs: Vec<&SumOfProducts> = self.instances.iter().map(|i| &i.expr).collect();
        sub.check_final(NAME, &exprs, &proof.final_evals)?;
        // Oracle access: the test verifier can evaluate the tables itself.
        for (i, inst) in self.instances.iter().enumerate() {
            let point = sub
                .instance_point(i)
                .ok_or(VerifyError::Mismatch { protocol: NAME, what: "point" })?;
            for (f, claimed) in inst.polys.iter().zip(&proof.final_evals[i]) {
                if f.evaluate(point).map_err(VerifyError::Input)? != *claimed {
                    return Err(VerifyError::Mismatch {
                        protocol: NAME,
                        what: "oracle evaluation",
                    });
                }
            }
        }
        Ok(())
    }

    fn tamperings(&self, proof: &CaseProof) -> Vec<Tampering<CaseProof>> {
        let mut out = Vec::new();
        let fin = VerifyError::SumcheckFinal { protocol: NAME };
        for r in 0..proof.sumcheck.rounds.len() {
            for e in 0..proof.sumcheck.rounds[r].evals_except_one.len() {
                let mut p = proof.clone();
                p.sumcheck.rounds[r].evals_except_one[e] += Fr::one();
                out.push(Tampering {
                    field: format!("round {r} eval {e}"),
                    proof: p,
                    expected: fin.clone(),
                });
            }
        }
        for i in 0..proof.final_evals.len() {
            for j in 0..proof.final_evals[i].len() {
                let mut p = proof.clone();
                p.final_evals[i][j] += Fr::one();
                out.push(Tampering {
                    field: format!("final eval {i}.{j}"),
                    proof: p,
                    expected: fin.clone(),
                });
            }
        }
        let n = proof.sumcheck.rounds.len();
        let mut p = proof.clone();
        p.sumcheck.rounds.pop();
        out.push(Tampering {
            field: "rounds (one dropped)".into(),
            proof: p,
            expected: VerifyError::ProofShape { what: "sumcheck rounds", expected: n, got: n - 1 },
        });
        let mut p = proof.clone();
        p.sumcheck.rounds[0].evals_except_one.push(Fr::zero());
        out.push(Tampering {
            field: "round 0 degree".into(),
            proof: p,
            expected: VerifyError::ProofShape {
                what: "sumcheck round polynomial",
                expected: 3,
                got: 4,
            },
        });
        out
    }
}

fn violated(detail: String) -> RelationError {
    RelationError::Violated { relation: NAME, detail }
}

#[test]
fn conformance() {
    run_all::<Case>();
}

#[test]
fn false_claim_is_rejected() {
    let case = Case::generate(37, 1);
    let mut wrong = case.claims.clone();
    wrong[1] += Fr::one();
    let out =
        prove_batch(case.instances.clone(), &wrong, &mut Transcript::new(NAME.as_bytes())).unwrap();
    let statements: Vec<SumcheckStatement> = case
        .statements()
        .into_iter()
        .zip(&wrong)
        .map(|(s, c)| SumcheckStatement { claim: *c, ..s })
        .collect();
    let sub = verify_batch(&statements, &out.proof, &mut Transcript::new(NAME.as_bytes())).unwrap();
    let exprs: Vec<&SumOfProducts> = case.instances.iter().map(|i| &i.expr).collect();
    assert_eq!(
        sub.check_final(NAME, &exprs, &out.final_evals),
        Err(VerifyError::SumcheckFinal { protocol: NAME })
    );
}

/// The forgery that works when a round polynomial is not absorbed before its challenge. The
/// forger claims `S_0 + Δ`. It runs the honest prover on that false statement, which yields the
/// true round polynomials and the challenges `r_t` — and without absorption those challenges depend
/// on the statement alone. It then shifts `s_0` by `δ(X) = Δ·(X − r_0)/(1 − 2r_0)`, which adds `Δ` to
/// `s_0(0) + s_0(1)` but leaves `s_0(r_0)`, and so every later round and the final check, unchanged.
#[test]
fn round_polynomial_binds_its_challenge() {
    let case = Case::generate(64, 2);
    let delta = Fr::one();
    let mut false_claims = case.claims.clone();
    false_claims[0] += delta;
    let run =
        prove_batch(case.instances.clone(), &false_claims, &mut Transcript::new(NAME.as_bytes()))
            .unwrap();
    let r0 = run.point[0];
    let denom_inv = (Fr::one() - r0 - r0).inverse().unwrap();
    let shift = |x: u64| delta * (Fr::from(x) - r0) * denom_inv;
    let mut forged = run.proof.clone();
    let round0 = &mut forged.rounds[0].evals_except_one;
    round0[0] += shift(0);
    for (k, e) in round0.iter_mut().enumerate().skip(1) {
        *e += shift(k as u64 + 1);
    }
    let mut statements = case.statements();
    statements[0].claim = false_claims[0];
    let sub = verify_batch(&statements, &forged, &mut Transcript::new(NAME.as_bytes())).unwrap();
    let exprs: Vec<&SumOfProducts> = case.instances.iter().map(|i| &i.expr).collect();
    assert_eq!(
        sub.check_final(NAME, &exprs, &run.final_evals),
        Err(VerifyError::SumcheckFinal { protocol: NAME }),
        "forged first round accepted: round polynomials are not bound to their challenges"
    );
}

#[test]
fn final_evaluations_are_the_oracle_values() {
    let case = Case::generate(100, 3);
    let out =
        prove_batch(case.instances.clone(), &case.claims, &mut Transcript::new(b"x")).unwrap();
    assert_eq!(out.point.len(), 7);
    for (i, inst) in case.instances.iter().enumerate() {
        let n = inst.polys[0].num_vars();
        let point = &out.point[out.point.len() - n..];
        for (f, e) in inst.polys.iter().zip(&out.final_evals[i]) {
            assert_eq!(f.evaluate(point).unwrap(), *e);
        }
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let mut rng = StdRng::seed_from_u64(5);
    let t = &mut Transcript::new(b"x");
    let a = random_padded(8, &mut rng);
    let b = random_padded(4, &mut rng);
    let mismatched =
        SumcheckInstance { polys: vec![a.clone(), b], expr: SumOfProducts::product(2) };
    assert!(matches!(prove_batch(vec![mismatched], &[Fr::zero()], t), Err(Error::Length { .. })));
    let too_few = SumcheckInstance { polys: vec![a.clone()], expr: SumOfProducts::product(2) };
    assert!(matches!(prove_batch(vec![too_few], &[Fr::zero()], t), Err(Error::Length { .. })));
    let empty = SumcheckInstance { polys: vec![], expr: SumOfProducts::product(0) };
    assert!(matches!(prove_batch(vec![empty], &[Fr::zero()], t), Err(Error::Invalid { .. })));
    let ok = SumcheckInstance { polys: vec![a.clone()], expr: SumOfProducts::product(1) };
    assert!(matches!(prove_batch(vec![ok], &[], t), Err(Error::Length { .. })));
    let deep = SumcheckInstance {
        polys: vec![a],
        expr: SumOfProducts { terms: vec![(Fr::one(), vec![0; 9])] },
    };
    assert!(matches!(prove_batch(vec![deep], &[Fr::zero()], t), Err(Error::Invalid { .. })));
    let g = SumOfProducts::product(3);
    assert!(matches!(g.evaluate(&[Fr::one(); 2]), Err(Error::Length { .. })));
    assert_eq!(g.evaluate(&[Fr::from(2u64); 3]).unwrap(), Fr::from(8u64));
    let st = [SumcheckStatement { num_vars: 2, degree: 9, claim: Fr::zero() }];
    let proof = SumcheckProof { rounds: vec![] };
    assert!(matches!(verify_batch(&st, &proof, t), Err(VerifyError::Input(_))));
}

#[test]
fn encoding_is_a_header_and_the_scalars() {
    use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
    let round = |k: u64| RoundPoly { evals_except_one: vec![Fr::from(k), Fr::from(k + 1)] };
    let proof = SumcheckProof { rounds: (0..5).map(round).collect() };
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    assert_eq!(bytes.len(), 2 + 5 * 2 * 32);
    assert_eq!(bytes.len(), proof.compressed_size());
    assert_eq!(&bytes[..2], &[5, 2]);
    assert_eq!(SumcheckProof::deserialize_compressed(bytes.as_slice()).unwrap(), proof);
    // Ragged rounds have no encoding; headers beyond the limits are rejected.
    let mut ragged = proof.clone();
    ragged.rounds[3].evals_except_one.pop();
    assert!(ragged.serialize_compressed(&mut Vec::new()).is_err());
    for header in [[33u8, 2], [1, 9]] {
        let mut b = header.to_vec();
        b.extend(vec![0u8; 32 * 9 * 33]);
        assert!(SumcheckProof::deserialize_compressed(b.as_slice()).is_err(), "{header:?}");
    }
}

/// Two instances of the same size, whose claims are read only through `α` (no dummy rounds).
fn same_size_pair(seed: u64) -> (Vec<SumcheckInstance>, Vec<Fr>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let instances: Vec<SumcheckInstance> = (0..2)
        .map(|_| SumcheckInstance {
            polys: (0..2).map(|_| random_padded(16, &mut rng)).collect(),
            expr: SumOfProducts::product(2),
        })
        .collect();
    let claims = instances.iter().map(|i| i.sum().unwrap()).collect();
    (instances, claims)
}

/// Proves `false_claims` with the honest prover and verifies them: the forged claims keep
/// `S_0 + α·S_1` for the `α` the forger expects, so the proof passes iff that is the real `α`.
fn forge_batch(instances: Vec<SumcheckInstance>, false_claims: &[Fr]) -> Result<(), VerifyError> {
    let exprs: Vec<SumOfProducts> = instances.iter().map(|i| i.expr.clone()).collect();
    let statements: Vec<SumcheckStatement> = false_claims
        .iter()
        .map(|c| SumcheckStatement { num_vars: 4, degree: 2, claim: *c })
        .collect();
    let out = prove_batch(instances, false_claims, &mut Transcript::new(NAME.as_bytes())).unwrap();
    let sub = verify_batch(&statements, &out.proof, &mut Transcript::new(NAME.as_bytes()))?;
    let exprs: Vec<&SumOfProducts> = exprs.iter().collect();
    sub.check_final(NAME, &exprs, &out.final_evals)
}

/// DESIGN §8.1: the claims are absorbed before `α`. A forger who can learn `α` first claims
/// `(S_0 + 1, S_1 − 1/α)`, whose combination is the true one.
#[test]
fn alpha_is_drawn_after_the_claims() {
    let (instances, claims) = same_size_pair(5);
    let mut peek = Transcript::new(NAME.as_bytes());
    absorb_statements(&mut peek, claims.iter().map(|c| (4, 2, *c)));
    let alpha = peek.challenge_scalar(b"sumcheck alpha");
    let forged = [claims[0] + Fr::one(), claims[1] - alpha.inverse().unwrap()];
    assert_eq!(forge_batch(instances, &forged), Err(VerifyError::SumcheckFinal { protocol: NAME }));
}

/// DESIGN §8.4: claims are combined with a random `α`, never 1: `(S_0 + 1, S_1 − 1)` keeps
/// `S_0 + S_1`.
#[test]
fn claims_are_combined_with_a_random_alpha() {
    let (instances, claims) = same_size_pair(6);
    let forged = [claims[0] + Fr::one(), claims[1] - Fr::one()];
    assert_eq!(forge_batch(instances, &forged), Err(VerifyError::SumcheckFinal { protocol: NAME }));
}
