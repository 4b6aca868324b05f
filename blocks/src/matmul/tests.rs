//! Fixed-weight matmul: conformance on four variants, the relation against a naive reference,
//! and the soundness tests of issue 5.

use std::sync::{Arc, OnceLock};

use ark_ff::{One, UniformRand};
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

use super::fixed::absorb_statement;
use super::index::join;
use super::*;
use crate::claim::{TensorClaim, TensorId};
use crate::curve::{Fr, fr_from_i64};
use crate::hyperkzg;
use crate::mle::DenseMle;
use crate::srs::Srs;
use crate::sumcheck::{SumcheckStatement, verify_batch};
use crate::testing::{ConformanceCase, Tampering, run_all};

mod batched_tests;

const NAME: &str = "matmul";

pub(crate) fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_dev(5, 10).unwrap())
}

pub(crate) fn random_tensor(shape: Vec<usize>, rng: &mut StdRng, density: f64) -> IntTensor {
    let n = shape.iter().product();
    let data =
        (0..n).map(|_| if rng.gen_bool(density) { rng.gen_range(-9..10) } else { 0 }).collect();
    IntTensor::new(shape, data).unwrap()
}

/// One fixed-weight product with its fixed data, commitments and an output claim.
#[derive(Clone)]
struct Fixed<const V: usize> {
    spec: MatmulSpec,
    instance: MatmulInstance,
    witness: MatmulWitness,
    weight: IntTensor,
    bias: Option<IntTensor>,
}

/// Variant `V`: 0 = MatMul with two leading axes; 1 = Gemm (transA, transB, α, β, bias);
/// 2 = 90 %-sparse ternary-ish weight; 3 = K = N = 1 (a sumcheck without rounds).
fn spec_for(variant: usize, size: usize) -> MatmulSpec {
    match variant {
        0 => MatmulSpec::matmul(vec![2, size], 5, 3),
        1 => MatmulSpec {
            trans_input: true,
            trans_weight: true,
            alpha: 3,
            beta: -2,
            bias: true,
            ..MatmulSpec::matmul(vec![size], 6, 5)
        },
        2 => MatmulSpec::matmul(vec![size], 16, 12),
        _ => MatmulSpec::matmul(vec![size], 1, 1),
    }
}

impl<const V: usize> Fixed<V> {
    fn build(
        spec: MatmulSpec,
        x: IntTensor,
        weight: IntTensor,
        bias: Option<IntTensor>,
        rng: &mut StdRng,
    ) -> Self {
        let weights = Arc::new(MatmulWeights::new(&spec, &weight, bias.as_ref()).unwrap());
        let output = product(&spec, &x, &weights).unwrap();
        let commit = |t: &IntTensor| hyperkzg::commit(srs(), &t.to_mle()).unwrap();
        let y = output.to_mle();
        let point: Vec<Fr> = (0..y.num_vars()).map(|_| Fr::rand(rng)).collect();
        let value = y.evaluate(&point).unwrap();
        let instance = MatmulInstance {
            input: TensorId(1),
            weight: commit(&weight),
            bias: bias.as_ref().map(commit),
            output: TensorClaim { tensor: TensorId(2), point, value },
        };
        let witness = MatmulWitness { input: x, output, weights };
        Self { spec, instance, witness, weight, bias }
    }

    /// The emitted claims hold: right commitments and tensor, values of the actual polynomials.
    fn check_claims(&self, claims: &BlockClaims) -> Result<(), VerifyError> {
        let wrong = |what| VerifyError::Mismatch { protocol: NAME, what };
        let [x_claim] = claims.tensors.as_slice() else { return Err(wrong("tensor claims")) };
        if x_claim.tensor != self.instance.input
            || self.witness.input.to_mle().evaluate(&x_claim.point)? != x_claim.value
        {
            return Err(wrong("claim on X"));
        }
        let mut fixed = vec![(self.instance.weight, &self.weight)];
        if let (Some(c), Some(b)) = (self.instance.bias, &self.bias) {
            fixed.push((c, b));
        }
        if claims.committed.len() != fixed.len() {
            return Err(wrong("committed claims"));
        }
        for (claim, (c, t)) in claims.committed.iter().zip(fixed) {
            if claim.commitment != c || t.to_mle().evaluate(&claim.point)? != claim.value {
                return Err(wrong("claim on a fixed tensor"));
            }
        }
        Ok(())
    }
}

impl<const V: usize> ConformanceCase for Fixed<V> {
    type Proof = MatmulProof;
    const NAME: &'static str = ["matmul", "gemm", "matmul sparse", "matmul k=1"][V];

    fn sizes() -> Vec<usize> {
        vec![1, 3, 8]
    }

    fn generate(size: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let spec = spec_for(V, size);
        let x = random_tensor(spec.input_shape(), &mut rng, 0.9);
        let density = if V == 2 { 0.1 } else { 0.9 };
        let w = random_tensor(spec.weight_shape(), &mut rng, density);
        let b = spec.bias.then(|| random_tensor(vec![spec.cols], &mut rng, 1.0));
        Self::build(spec, x, w, b, &mut rng)
    }

    fn check(&self) -> Result<(), RelationError> {
        FixedMatmul::check(&self.spec, &self.instance, &self.witness)
    }

    fn corrupt_witness(&mut self) {
        let o = &self.witness.output;
        let mut data = o.data().to_vec();
        data[0] += 1;
        self.witness.output = IntTensor::new(o.shape().to_vec(), data).unwrap();
    }

    fn prove(&self, t: &mut Transcript) -> MatmulProof {
        let (proof, claims) =
            FixedMatmul::prove(&self.spec, &self.instance, &self.witness, t).unwrap();
        self.check_claims(&claims).unwrap();
        proof
    }

    fn verify(&self, proof: &MatmulProof, t: &mut Transcript) -> Result<(), VerifyError> {
        let claims = FixedMatmul::verify(&self.spec, &self.instance, proof, t)?;
        self.check_claims(&claims)
    }

    fn tamperings(&self, proof: &MatmulProof) -> Vec<Tampering<MatmulProof>> {
        let fin = || VerifyError::SumcheckFinal { protocol: NAME };
        let mut out = Vec::new();
        let mut push = |field: String, p: MatmulProof, expected| {
            out.push(Tampering { field, proof: p, expected })
        };
        for r in 0..proof.sumcheck.rounds.len() {
            for e in 0..2 {
                let mut p = proof.clone();
                p.sumcheck.rounds[r].evals_except_one[e] += Fr::one();
                push(format!("round {r} eval {e}"), p, fin());
            }
        }
        let mut p = proof.clone();
        p.input_eval += Fr::one();
        push("input_eval".into(), p, fin());
        let mut p = proof.clone();
        p.weight_eval += Fr::one();
        push("weight_eval".into(), p, fin());
        if let Some(b) = proof.bias_eval {
            let mut p = proof.clone();
            p.bias_eval = Some(b + Fr::one());
            push("bias_eval".into(), p, fin());
            let mut p = proof.clone();
            p.bias_eval = None;
            let what = "matmul bias evaluation";
            push(
                "bias_eval dropped".into(),
                p,
                VerifyError::ProofShape { what, expected: 1, got: 0 },
            );
        } else {
            let mut p = proof.clone();
            p.bias_eval = Some(Fr::one());
            let what = "matmul bias evaluation";
            push(
                "bias_eval added".into(),
                p,
                VerifyError::ProofShape { what, expected: 0, got: 1 },
            );
        }
        let n = proof.sumcheck.rounds.len();
        if n > 0 {
            let mut p = proof.clone();
            p.sumcheck.rounds.pop();
            let what = "sumcheck rounds";
            push(
                "round dropped".into(),
                p,
                VerifyError::ProofShape { what, expected: n, got: n - 1 },
            );
            let mut p = proof.clone();
            p.sumcheck.rounds[0].evals_except_one.push(Fr::one());
            let what = "sumcheck round polynomial";
            push("round 0 degree".into(), p, VerifyError::ProofShape { what, expected: 2, got: 3 });
        }
        out
    }
}

#[test]
fn conformance_matmul() {
    run_all::<Fixed<0>>();
}

#[test]
fn conformance_gemm() {
    run_all::<Fixed<1>>();
}

#[test]
fn conformance_sparse() {
    run_all::<Fixed<2>>();
}

#[test]
fn conformance_one_by_one() {
    run_all::<Fixed<3>>();
}

/// `product` (via `eval`) against a naive triple loop over the stored layouts, Gemm included.
#[test]
fn eval_matches_a_naive_gemm() {
    let mut rng = StdRng::seed_from_u64(9);
    let spec = spec_for(1, 4);
    let (m, k, n) = (4, spec.inner, spec.cols);
    let x = random_tensor(spec.input_shape(), &mut rng, 0.8);
    let w = random_tensor(spec.weight_shape(), &mut rng, 0.8);
    let b = random_tensor(vec![n], &mut rng, 1.0);
    let y = FixedMatmul::eval(&spec, &[x.clone(), w.clone(), b.clone()]).unwrap();
    for i in 0..m {
        for j in 0..n {
            // transA: X is [K, M]; transB: W is [N, K].
            let s: i64 = (0..k).map(|kk| x.data()[kk * m + i] * w.data()[j * k + kk]).sum();
            assert_eq!(y[0].data()[i * n + j], 3 * s - 2 * b.data()[j]);
        }
    }
    assert!(matches!(FixedMatmul::eval(&spec, &[x]), Err(Error::Length { .. })));
}

#[test]
fn bad_specs_and_points_are_typed_errors() {
    let bad = MatmulSpec { trans_input: true, ..MatmulSpec::matmul(vec![2, 3], 4, 4) };
    assert!(matches!(bad.validate(), Err(Error::Invalid { .. })));
    assert!(matches!(MatmulSpec::matmul(vec![0], 4, 4).validate(), Err(Error::Invalid { .. })));
    let mut case = Fixed::<0>::generate(3, 1);
    let proof = ConformanceCase::prove(&case, &mut Transcript::new(NAME.as_bytes()));
    case.instance.output.point.pop();
    let r = FixedMatmul::verify(&case.spec, &case.instance, &proof, &mut Transcript::new(b"m"));
    assert_eq!(
        r,
        Err(VerifyError::Input(Error::Length { what: "matmul output point", expected: 5, got: 4 }))
    );
}

/// A claim on `Y` with one wrong entry: the honest prover, run on it, is rejected by the final check.
#[test]
fn single_wrong_output_entry_is_rejected() {
    let case = Fixed::<0>::generate(3, 21);
    let mut bad = case.clone();
    bad.corrupt_witness();
    let y = bad.witness.output.to_mle();
    bad.instance.output.value = y.evaluate(&bad.instance.output.point).unwrap();
    assert!(matches!(
        FixedMatmul::check(&bad.spec, &bad.instance, &bad.witness),
        Err(RelationError::Violated { relation: NAME, .. })
    ));
    let (proof, _) =
        FixedMatmul::prove(&bad.spec, &bad.instance, &bad.witness, &mut Transcript::new(b"m"))
            .unwrap();
    let r = FixedMatmul::verify(&bad.spec, &bad.instance, &proof, &mut Transcript::new(b"m"));
    assert_eq!(r, Err(VerifyError::SumcheckFinal { protocol: NAME }));
}

/// Bias on padding rows: `Y` with `M = 3` rows whose padding row 3 also got `β·b` (as if the bias
/// were broadcast over the padded axis). The verifier's `ind(r_rows)` counts only real rows.
#[test]
fn bias_on_padding_rows_is_rejected() {
    let case = Fixed::<1>::generate(3, 22);
    let (n_pad, n) = (8, case.spec.cols);
    let mut table = case.witness.output.to_mle().into_evals();
    for j in 0..n {
        table[3 * n_pad + j] = fr_from_i64(case.spec.beta * case.bias.as_ref().unwrap().data()[j]);
    }
    let mut bad = case.clone();
    let point = &bad.instance.output.point;
    bad.instance.output.value = DenseMle::new(table).unwrap().evaluate(point).unwrap();
    let (proof, _) =
        FixedMatmul::prove(&bad.spec, &bad.instance, &bad.witness, &mut Transcript::new(b"m"))
            .unwrap();
    let r = FixedMatmul::verify(&bad.spec, &bad.instance, &proof, &mut Transcript::new(b"m"));
    assert_eq!(r, Err(VerifyError::SumcheckFinal { protocol: NAME }));
}

/// Opens every committed claim the verifier emitted, with the prover's polynomial for it, against
/// the commitment *in the claim*; returns each pairing check's result.
fn discharge(claims: &BlockClaims, polys: &[DenseMle]) -> Vec<Result<(), VerifyError>> {
    let vk = srs().verifier_key();
    claims
        .committed
        .iter()
        .zip(polys)
        .map(|(c, poly)| {
            let mut pt = Transcript::new(b"opening");
            let (_, proof) = hyperkzg::open(srs(), poly, &c.commitment, &c.point, &mut pt).unwrap();
            let mut vt = Transcript::new(b"opening");
            hyperkzg::verify(&vk, &c.commitment, &c.point, c.value, &proof, &mut vt)?.check(&vk)
        })
        .collect()
}

/// A proof made with `W'` passes the block (which only emits a claim on `W`), but the claim on
/// `W`'s commitment cannot be opened: the block never drops the claim nor takes a commitment from
/// the prover.
#[test]
fn proof_for_another_weight_fails_against_the_commitment() {
    let mut rng = StdRng::seed_from_u64(23);
    let honest = Fixed::<0>::generate(3, 23);
    let mut w2 = honest.weight.data().to_vec();
    w2[4] += rng.gen_range(1..5);
    let w2 = IntTensor::new(honest.weight.shape().to_vec(), w2).unwrap();
    let mut forged = Fixed::<0>::build(
        honest.spec.clone(),
        honest.witness.input.clone(),
        w2.clone(),
        None,
        &mut rng,
    );
    forged.instance.weight = honest.instance.weight;

    let verify = |case: &Fixed<0>| {
        let t = &mut Transcript::new(b"m");
        let (proof, _) = FixedMatmul::prove(&case.spec, &case.instance, &case.witness, t).unwrap();
        FixedMatmul::verify(&case.spec, &case.instance, &proof, &mut Transcript::new(b"m")).unwrap()
    };
    // Control: the honest claim opens.
    assert_eq!(discharge(&verify(&honest), &[honest.weight.to_mle()]), vec![Ok(())]);
    let claims = verify(&forged);
    assert_eq!(discharge(&claims, &[w2.to_mle()]), vec![Err(VerifyError::Pairing)]);
}

/// The claim on `X` sits at the sumcheck's own final point (re-derived here with the library's
/// sumcheck verifier), and a prover that reports `X̃` at any other point is rejected.
#[test]
fn input_claim_comes_from_the_sumcheck_point() {
    let case = Fixed::<0>::generate(8, 24);
    let (spec, inst) = (&case.spec, &case.instance);
    let (proof, _) =
        FixedMatmul::prove(spec, inst, &case.witness, &mut Transcript::new(b"m")).unwrap();
    let claims = FixedMatmul::verify(spec, inst, &proof, &mut Transcript::new(b"m")).unwrap();

    let mut t = Transcript::new(b"m");
    absorb_statement(&mut t, spec, inst);
    let statement = SumcheckStatement { num_vars: 3, degree: 2, claim: inst.output.value };
    let r_k = verify_batch(&[statement], &proof.sumcheck, &mut t).unwrap().point;
    let r_rows = &inst.output.point[..spec.row_vars()];
    assert_eq!(claims.tensors[0].point, join(&[r_rows, &r_k]));
    assert_eq!(claims.committed[0].point, join(&[&r_k, &inst.output.point[spec.row_vars()..]]));

    let elsewhere: Vec<Fr> = join(&[r_rows, &[Fr::from(5u64), Fr::from(6u64), Fr::from(7u64)]]);
    let mut forged = proof.clone();
    forged.input_eval = case.witness.input.to_mle().evaluate(&elsewhere).unwrap();
    let r = FixedMatmul::verify(spec, inst, &forged, &mut Transcript::new(b"m"));
    assert_eq!(r, Err(VerifyError::SumcheckFinal { protocol: NAME }));
}
