//! Two-tensor batched matmul: conformance (plain and `trans_right`, one and two head axes) and a
//! wrong output entry.

use ark_ff::{One, UniformRand};
use ark_std::rand::{SeedableRng, rngs::StdRng};

use super::random_tensor;
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim, TensorId};
use crate::curve::Fr;
use crate::error::{RelationError, VerifyError};
use crate::matmul::index::join;
use crate::matmul::{BatchedInstance, BatchedMatmul, BatchedProof, BatchedSpec, BatchedWitness};
use crate::sumcheck::{SumcheckStatement, verify_batch};
use crate::tensor::IntTensor;
use crate::testing::{ConformanceCase, Tampering, run_all};
use crate::transcript::Transcript;

const NAME: &str = "batched matmul";

#[derive(Clone)]
struct Batched<const TRANS: bool> {
    spec: BatchedSpec,
    instance: BatchedInstance,
    witness: BatchedWitness,
}

impl<const TRANS: bool> Batched<TRANS> {
    fn check_claims(&self, claims: &BlockClaims) -> Result<(), VerifyError> {
        let wrong = |what| VerifyError::Mismatch { protocol: NAME, what };
        let [a, b] = claims.tensors.as_slice() else { return Err(wrong("tensor claims")) };
        if !claims.committed.is_empty() {
            return Err(wrong("committed claims"));
        }
        for (c, id, t) in [
            (a, self.instance.left, &self.witness.left),
            (b, self.instance.right, &self.witness.right),
        ] {
            if c.tensor != id || t.to_mle().evaluate(&c.point)? != c.value {
                return Err(wrong("claim on an operand"));
            }
        }
        Ok(())
    }
}

impl<const TRANS: bool> ConformanceCase for Batched<TRANS> {
    type Proof = BatchedProof;
    const NAME: &'static str = if TRANS { "batched matmul Q·Kᵀ" } else { "batched matmul P·V" };

    fn sizes() -> Vec<usize> {
        vec![1, 3, 4]
    }

    fn generate(size: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let heads = if TRANS { vec![size] } else { vec![2, size] };
        let spec = BatchedSpec { heads, rows: 3, inner: 5, cols: 6, trans_right: TRANS };
        let left = random_tensor(spec.left_shape(), &mut rng, 0.9);
        let right = random_tensor(spec.right_shape(), &mut rng, 0.9);
        let output = BatchedMatmul::eval(&spec, &[left.clone(), right.clone()]).unwrap().remove(0);
        let y = output.to_mle();
        let point: Vec<Fr> = (0..y.num_vars()).map(|_| Fr::rand(&mut rng)).collect();
        let value = y.evaluate(&point).unwrap();
        let instance = BatchedInstance {
            left: TensorId(1),
            right: TensorId(2),
            output: TensorClaim { tensor: TensorId(3), point, value },
        };
        Self { spec, instance, witness: BatchedWitness { left, right, output } }
    }

    fn check(&self) -> Result<(), RelationError> {
        BatchedMatmul::check(&self.spec, &self.instance, &self.witness)
    }

    fn corrupt_witness(&mut self) {
        let o = &self.witness.output;
        let mut data = o.data().to_vec();
        *data.last_mut().unwrap() -= 1;
        self.witness.output = IntTensor::new(o.shape().to_vec(), data).unwrap();
    }

    fn prove(&self, t: &mut Transcript) -> BatchedProof {
        let (proof, claims) =
            BatchedMatmul::prove(&self.spec, &self.instance, &self.witness, t).unwrap();
        self.check_claims(&claims).unwrap();
        proof
    }

    fn verify(&self, proof: &BatchedProof, t: &mut Transcript) -> Result<(), VerifyError> {
        let claims = BatchedMatmul::verify(&self.spec, &self.instance, proof, t)?;
        self.check_claims(&claims)
    }

    fn tamperings(&self, proof: &BatchedProof) -> Vec<Tampering<BatchedProof>> {
        let fin = || VerifyError::SumcheckFinal { protocol: NAME };
        let mut out = Vec::new();
        for r in 0..proof.sumcheck.rounds.len() {
            for e in 0..3 {
                let mut p = proof.clone();
                p.sumcheck.rounds[r].evals_except_one[e] += Fr::one();
                out.push(Tampering {
                    field: format!("round {r} eval {e}"),
                    proof: p,
                    expected: fin(),
                });
            }
        }
        let mut p = proof.clone();
        p.left_eval += Fr::one();
        out.push(Tampering { field: "left_eval".into(), proof: p, expected: fin() });
        let mut p = proof.clone();
        p.right_eval += Fr::one();
        out.push(Tampering { field: "right_eval".into(), proof: p, expected: fin() });
        let n = proof.sumcheck.rounds.len();
        let mut p = proof.clone();
        p.sumcheck.rounds.pop();
        let what = "sumcheck rounds";
        let expected = VerifyError::ProofShape { what, expected: n, got: n - 1 };
        out.push(Tampering { field: "round dropped".into(), proof: p, expected });
        out
    }
}

#[test]
fn conformance_p_v() {
    run_all::<Batched<false>>();
}

#[test]
fn conformance_q_kt() {
    run_all::<Batched<true>>();
}

#[test]
fn single_wrong_output_entry_is_rejected() {
    let mut bad = Batched::<true>::generate(3, 31);
    bad.corrupt_witness();
    bad.instance.output.value =
        bad.witness.output.to_mle().evaluate(&bad.instance.output.point).unwrap();
    assert!(matches!(
        BatchedMatmul::check(&bad.spec, &bad.instance, &bad.witness),
        Err(RelationError::Violated { relation: NAME, .. })
    ));
    let t = &mut Transcript::new(b"m");
    let (proof, _) = BatchedMatmul::prove(&bad.spec, &bad.instance, &bad.witness, t).unwrap();
    let r = BatchedMatmul::verify(&bad.spec, &bad.instance, &proof, &mut Transcript::new(b"m"));
    assert_eq!(r, Err(VerifyError::SumcheckFinal { protocol: NAME }));
}

/// Both operand claims sit at the sumcheck's own final point `(ρ_h, ρ_k)`, re-derived here with
/// the library's sumcheck verifier after the block's statement.
#[test]
fn operand_claims_come_from_the_sumcheck_point() {
    let case = Batched::<true>::generate(3, 32);
    let (spec, inst) = (&case.spec, &case.instance);
    let (proof, _) =
        BatchedMatmul::prove(spec, inst, &case.witness, &mut Transcript::new(b"m")).unwrap();
    let claims = BatchedMatmul::verify(spec, inst, &proof, &mut Transcript::new(b"m")).unwrap();

    let mut t = Transcript::new(b"m");
    crate::matmul::batched::absorb_statement(&mut t, spec, inst);
    // heads 3 → 2 variables, inner 5 → 3 variables; rows 3 → 2, cols 6 → 3.
    let statement = SumcheckStatement { num_vars: 5, degree: 3, claim: inst.output.value };
    let rho = verify_batch(&[statement], &proof.sumcheck, &mut t).unwrap().point;
    let r = &inst.output.point;
    let (rho_h, rho_k) = rho.split_at(2);
    let (r_i, r_j) = (&r[2..4], &r[4..]);
    assert_eq!(claims.tensors[0].point, join(&[rho_h, r_i, rho_k]));
    assert_eq!(claims.tensors[1].point, join(&[rho_h, r_j, rho_k]));
}
