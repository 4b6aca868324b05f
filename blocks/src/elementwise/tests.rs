use ark_ff::{One, Zero};
use ark_serialize::CanonicalSerialize;
use ark_std::rand::{SeedableRng, rngs::StdRng};

use super::*;
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim, TensorId};
use crate::curve::fr_from_i64;
use crate::error::VerifyError;
use crate::kzg::Commitment;
use crate::mle::DenseMle;
use crate::testing::tensor_case::{
    Case, Fixture, discharge, output_instance, random_point, random_tensor, sumcheck_tamperings,
};
use crate::testing::{Tampering, run_all};
use crate::transcript::Transcript;

impl Fixture for Hadamard {
    const NAME: &'static str = "hadamard";
    fn spec(size: usize) -> HadamardSpec {
        HadamardSpec { shape: vec![3, size] }
    }
    fn inputs(spec: &HadamardSpec, rng: &mut StdRng) -> Vec<IntTensor> {
        vec![random_tensor(&spec.shape, rng), random_tensor(&spec.shape, rng)]
    }
    fn tamperings(proof: &HadamardProof) -> Vec<Tampering<HadamardProof>> {
        let fin = VerifyError::SumcheckFinal { protocol: "hadamard" };
        let mut out = sumcheck_tamperings(proof, |p| &mut p.sumcheck, "hadamard");
        let mut p = proof.clone();
        p.left_eval += Fr::one();
        out.push(Tampering { field: "left_eval".into(), proof: p, expected: fin.clone() });
        let mut p = proof.clone();
        p.right_eval += Fr::one();
        out.push(Tampering { field: "right_eval".into(), proof: p, expected: fin });
        out
    }
}

impl Fixture for Linear {
    const NAME: &'static str = "linear";
    fn spec(size: usize) -> LinearSpec {
        LinearSpec { shape: vec![size, 3], coeffs: vec![3, -1, 7], constant: -5 }
    }
    fn inputs(spec: &LinearSpec, rng: &mut StdRng) -> Vec<IntTensor> {
        (0..3).map(|_| random_tensor(&spec.shape, rng)).collect()
    }
    fn tamperings(proof: &LinearProof) -> Vec<Tampering<LinearProof>> {
        let mut out: Vec<_> = (0..proof.input_evals.len())
            .map(|i| {
                let mut p = proof.clone();
                p.input_evals[i] += Fr::one();
                // The derived first input's claim absorbs the change: discharging it fails.
                Tampering {
                    field: format!("input_evals[{i}]"),
                    proof: p,
                    expected: VerifyError::Mismatch { protocol: "oracle", what: "input claim" },
                }
            })
            .collect();
        let mut p = proof.clone();
        p.input_evals.pop();
        out.push(Tampering {
            field: "input_evals (one dropped)".into(),
            proof: p,
            expected: VerifyError::ProofShape {
                what: "linear input evaluations",
                expected: 2,
                got: 1,
            },
        });
        out
    }
}

impl Fixture for Broadcast {
    const NAME: &'static str = "broadcast";
    fn spec(size: usize) -> BroadcastSpec {
        BroadcastSpec { in_shape: vec![1, size, 1], out_shape: vec![3, size, 5] }
    }
    fn inputs(spec: &BroadcastSpec, rng: &mut StdRng) -> Vec<IntTensor> {
        vec![random_tensor(&spec.in_shape, rng)]
    }
    fn tamperings(proof: &BroadcastProof) -> Vec<Tampering<BroadcastProof>> {
        vec![Tampering {
            field: "input_eval".into(),
            proof: BroadcastProof { input_eval: proof.input_eval + Fr::one() },
            expected: VerifyError::Mismatch { protocol: "broadcast", what: "output claim" },
        }]
    }
}

#[test]
fn hadamard_conformance() {
    run_all::<Case<Hadamard>>();
}

#[test]
fn linear_conformance() {
    run_all::<Case<Linear>>();
}

/// Zero coefficients: the first non-zero one is derived; with none, the prover sends every
/// evaluation and the verifier checks the constant against the claim.
#[test]
fn linear_derives_the_first_nonzero_coefficient_or_checks_the_constant() {
    let mut rng = StdRng::seed_from_u64(5);
    for (coeffs, sent) in [(vec![0, 2, 1], 2), (vec![0], 1)] {
        let spec = LinearSpec { shape: vec![2, 4], coeffs, constant: 3 };
        let witness: Vec<IntTensor> =
            spec.coeffs.iter().map(|_| random_tensor(&spec.shape, &mut rng)).collect();
        let out = Linear::eval(&spec, &witness).unwrap().remove(0);
        let instance = output_instance(&out, spec.coeffs.len(), &mut rng);
        let (proof, _) =
            Linear::prove(&spec, &instance, &witness, &mut Transcript::new(b"l")).unwrap();
        assert_eq!(proof.input_evals.len(), sent);
        let claims = Linear::verify(&spec, &instance, &proof, &mut Transcript::new(b"l")).unwrap();
        assert_eq!(discharge(&claims, &witness), Ok(()));
        let mut wrong = instance.clone();
        wrong.output.value += Fr::one();
        let result = Linear::verify(&spec, &wrong, &proof, &mut Transcript::new(b"l"))
            .and_then(|claims| discharge(&claims, &witness));
        assert!(result.is_err(), "a wrong output claim is caught");
    }
}

#[test]
fn broadcast_conformance() {
    run_all::<Case<Broadcast>>();
}

/// A claimed output with one wrong entry is rejected (the sumcheck's final check is the guard).
#[test]
fn wrong_hadamard_output_entry_is_rejected() {
    let mut rng = StdRng::seed_from_u64(1);
    let spec = Hadamard::spec(10);
    let witness = Hadamard::inputs(&spec, &mut rng);
    let out = Hadamard::eval(&spec, &witness).unwrap().remove(0);
    let mut wrong = out.data().to_vec();
    wrong[17] += 1;
    let wrong = IntTensor::new(out.shape().to_vec(), wrong).unwrap();
    let instance = output_instance(&wrong, 2, &mut rng);
    assert!(Hadamard::check(&spec, &instance, &witness).is_err());
    let (proof, _) =
        Hadamard::prove(&spec, &instance, &witness, &mut Transcript::new(b"h")).unwrap();
    let result = Hadamard::verify(&spec, &instance, &proof, &mut Transcript::new(b"h"))
        .and_then(|claims| discharge(&claims, &witness));
    assert_eq!(result, Err(VerifyError::SumcheckFinal { protocol: "hadamard" }));
}

/// Constants and broadcasts must not write into padding: a claim computed as if they did is
/// rejected (the region indicator is the guard).
#[test]
fn constants_and_broadcasts_stay_out_of_padding() {
    let mut rng = StdRng::seed_from_u64(2);
    let spec = LinearSpec { shape: vec![3, 5], coeffs: vec![1], constant: 9 };
    let x = random_tensor(&spec.shape, &mut rng);
    let point = random_point(5, &mut rng);
    // The "padding-blind" output: x + 9 on the whole padded hypercube.
    let blind: Vec<Fr> = x.to_mle().evals().iter().map(|v| *v + Fr::from(9u64)).collect();
    let value = DenseMle::new(blind).unwrap().evaluate(&point).unwrap();
    let instance = Instance {
        output: TensorClaim { tensor: TensorId(1), point, value },
        inputs: vec![TensorId(0)],
    };
    let witness = vec![x.clone()];
    let (proof, _) = Linear::prove(&spec, &instance, &witness, &mut Transcript::new(b"l")).unwrap();
    assert!(proof.input_evals.is_empty(), "one input: its evaluation is derived, not sent");
    assert_eq!(
        Linear::verify(&spec, &instance, &proof, &mut Transcript::new(b"l"))
            .and_then(|claims| discharge(&claims, &witness)),
        Err(VerifyError::Mismatch { protocol: "oracle", what: "input claim" })
    );

    let spec = BroadcastSpec { in_shape: vec![1, 5], out_shape: vec![3, 5] };
    let x = random_tensor(&spec.in_shape, &mut rng);
    // Broadcast into all 4 padded rows instead of the 3 real ones.
    let rows4 = IntTensor::new(vec![4, 5], x.data().repeat(4)).unwrap();
    let point = random_point(5, &mut rng);
    let value = rows4.to_mle().evaluate(&point).unwrap();
    let instance = Instance {
        output: TensorClaim { tensor: TensorId(1), point, value },
        inputs: vec![TensorId(0)],
    };
    let (proof, _) =
        Broadcast::prove(&spec, &instance, &vec![x], &mut Transcript::new(b"b")).unwrap();
    assert_eq!(
        Broadcast::verify(&spec, &instance, &proof, &mut Transcript::new(b"b")),
        Err(VerifyError::Mismatch { protocol: "broadcast", what: "output claim" })
    );
}

#[test]
fn axis_sum_moves_the_claim() {
    let mut rng = StdRng::seed_from_u64(3);
    for (shape, axes, scale) in
        [(vec![3, 5, 6], vec![1], 1), (vec![3, 5, 6], vec![0, 2], -3), (vec![7], vec![0], 2)]
    {
        let spec = AxisSumSpec { in_shape: shape.clone(), axes, scale };
        let x = random_tensor(&shape, &mut rng);
        let out = AxisSum::eval(&spec, std::slice::from_ref(&x)).unwrap().remove(0);
        assert_eq!(out.shape(), spec.out_shape().as_slice());
        let instance = output_instance(&out, 1, &mut rng);
        AxisSum::check(&spec, &instance, &vec![x.clone()]).unwrap();
        let mut pt = Transcript::new(b"s");
        let (_, pclaims) = AxisSum::prove(&spec, &instance, &vec![x.clone()], &mut pt).unwrap();
        let mut vt = Transcript::new(b"s");
        let claims = AxisSum::verify(&spec, &instance, &(), &mut vt).unwrap();
        assert_eq!(claims, pclaims);
        assert_eq!(pt.state_digest(), vt.state_digest());
        discharge(&claims, std::slice::from_ref(&x)).unwrap();
        // A wrong output claim moves to a false input claim.
        let mut bad = instance.clone();
        bad.output.value += Fr::one();
        let claims = AxisSum::verify(&spec, &bad, &(), &mut Transcript::new(b"s")).unwrap();
        assert!(discharge(&claims, &[x]).is_err());
    }
    let zero = AxisSumSpec { in_shape: vec![2], axes: vec![0], scale: 0 };
    assert!(AxisSum::eval(&zero, &[random_tensor(&[2], &mut rng)]).is_err());
}

#[test]
fn eval_checks_shapes_and_overflow() {
    let mut rng = StdRng::seed_from_u64(4);
    let spec = Hadamard::spec(4);
    assert!(Hadamard::eval(&spec, &[random_tensor(&[3, 4], &mut rng)]).is_err());
    assert!(
        Hadamard::eval(
            &spec,
            &[random_tensor(&[3, 4], &mut rng), random_tensor(&[4, 3], &mut rng)]
        )
        .is_err()
    );
    let big = IntTensor::new(vec![3, 4], vec![i64::MAX; 12]).unwrap();
    assert!(Hadamard::eval(&spec, &[big.clone(), big]).is_err());
    let bad = BroadcastSpec { in_shape: vec![2, 5], out_shape: vec![3, 5] };
    assert!(Broadcast::eval(&bad, &[random_tensor(&[2, 5], &mut rng)]).is_err());
    assert_eq!(fr_from_i64(-3), -Fr::from(3u64));
}

// ---- padding check ----

/// Two committed tensors of different shapes, checked in one batch.
struct PadCase {
    spec: PaddingCheckSpec,
    tables: Vec<DenseMle>,
    instance: PaddingCheckInstance,
}

fn pad_case(size: usize, seed: u64) -> PadCase {
    let mut rng = StdRng::seed_from_u64(seed);
    let spec = PaddingCheckSpec { shapes: vec![vec![3, size], vec![size.div_ceil(4) + 2, 3]] };
    let tables: Vec<DenseMle> =
        spec.shapes.iter().map(|s| random_tensor(s, &mut rng).to_mle()).collect();
    let instance =
        PaddingCheckInstance { commitments: tables.iter().map(fake_commitment).collect() };
    PadCase { spec, tables, instance }
}

impl PadCase {
    fn set(&mut self, tensor: usize, position: usize, value: Fr) {
        let mut evals = self.tables[tensor].evals().to_vec();
        evals[position] = value;
        self.tables[tensor] = DenseMle::new(evals).unwrap();
        self.instance.commitments[tensor] = fake_commitment(&self.tables[tensor]);
    }
}

/// Block tests need only a binding tag for the table, not a real KZG commitment.
fn fake_commitment(table: &DenseMle) -> Commitment {
    use ark_ec::{CurveGroup, PrimeGroup};
    let digest: Fr =
        table.evals().iter().enumerate().map(|(i, v)| *v * Fr::from(i as u64 + 1)).sum();
    Commitment((crate::curve::G1::generator() * digest).into_affine())
}

impl PadCase {
    fn check(&self) -> Result<(), RelationError> {
        PaddingCheck::check(&self.spec, &self.instance, &self.tables)
    }

    /// The block's claims (the proof is empty), and whether every one holds on the tables.
    fn claims_hold(&self, t: &mut Transcript) -> (BlockClaims, bool) {
        let (proof, claims) =
            PaddingCheck::prove(&self.spec, &self.instance, &self.tables, t).expect("well-formed");
        assert_eq!(proof.compressed_size(), 0, "the proof is empty");
        let table = |c: &crate::claim::Claim| {
            let i = self.instance.commitments.iter().position(|x| *x == c.commitment).unwrap();
            &self.tables[i]
        };
        let hold = claims.committed.iter().all(|c| table(c).evaluate(&c.point).unwrap() == c.value);
        (claims, hold)
    }
}

#[test]
fn padded_blocks_cover_exactly_the_padding() {
    assert_eq!(super::padding::padded_blocks(10, 4), vec![(5, 1), (3, 2)]); // [10,12) ∪ [12,16)
    assert_eq!(super::padding::padded_blocks(5, 3), vec![(5, 0), (3, 1)]); // [5,6) ∪ [6,8)
    assert!(super::padding::padded_blocks(8, 3).is_empty());
    for n in 0..6 {
        for d in (1usize << n.max(1) >> 1) + 1..=1 << n {
            let mut covered = vec![false; 1 << n];
            for (prefix, k) in super::padding::padded_blocks(d, n) {
                for c in &mut covered[prefix << k..(prefix + 1) << k] {
                    assert!(!*c, "blocks overlap");
                    *c = true;
                }
            }
            assert!(covered.iter().enumerate().all(|(j, c)| *c == (j >= d)), "d = {d}, n = {n}");
        }
    }
}

#[test]
fn honest_padding_claims_hold_and_prover_and_verifier_agree() {
    for size in [1, 2, 5, 64, 300] {
        let case = pad_case(size, 3);
        assert!(case.check().is_ok());
        let mut pt = Transcript::new(b"p");
        let (claims, hold) = case.claims_hold(&mut pt);
        assert!(hold, "size {size}");
        let mut vt = Transcript::new(b"p");
        let verified =
            PaddingCheck::verify(&case.spec, &case.instance, &PaddingCheckProof {}, &mut vt)
                .unwrap();
        assert_eq!(verified, claims);
        assert_eq!(pt.state_digest(), vt.state_digest());
        // [3, size] pads its rows (4) and maybe its columns; [·, 3] pads its columns.
        let blocks: usize = case
            .spec
            .shapes
            .iter()
            .flat_map(|s| s.iter().zip(crate::tensor::axis_vars(s)).collect::<Vec<_>>())
            .map(|(d, n)| super::padding::padded_blocks(*d, n).len())
            .sum();
        assert_eq!(claims.committed.len(), blocks);
    }
}

#[test]
fn nonzero_value_hidden_in_padding_is_rejected() {
    // Every padded position of either tensor of the batch.
    let case = pad_case(5, 5);
    for (tensor, shape) in case.spec.shapes.iter().enumerate() {
        let inside = IntTensor::new(shape.clone(), vec![1; shape.iter().product()]).unwrap();
        for (position, v) in inside.to_mle().evals().iter().enumerate() {
            if !v.is_zero() {
                continue;
            }
            let mut case = pad_case(5, 5);
            case.set(tensor, position, Fr::from(42u64));
            assert!(case.check().is_err());
            let (_, hold) = case.claims_hold(&mut Transcript::new(b"p"));
            assert!(!hold, "tensor {tensor}, padded position {position}");
        }
    }
}

/// If the points were drawn before the commitments are absorbed, a prover could pick two padding
/// values of one block that cancel at its point. Here the forger knows the points of the honest
/// tables' transcript.
#[test]
fn padding_garbage_cannot_be_fitted_to_the_points() {
    let honest = pad_case(5, 6);
    let claims =
        super::padding::block_claims(&mut Transcript::new(b"p"), &honest.spec, &honest.instance);
    // Tensor 0 is [3, 5] padded to [4, 8]: its blocks are the row block {3} then the column
    // blocks [5,6) and [6,8). Fit positions 6 and 7 (row 0, columns 6 and 7) to the block [6, 8).
    let point = &claims.committed[2].point;
    let eq = crate::mle::eq_table(point).unwrap();
    let g6 = Fr::from(1u64);
    let g7 = -g6 * eq[6] * ark_ff::Field::inverse(&eq[7]).unwrap();
    let mut forged = pad_case(5, 6);
    forged.set(0, 6, g6);
    forged.set(0, 7, g7);
    // The forger keeps the honest commitments' points only if the transcript ignores them.
    let (_, hold) = forged.claims_hold(&mut Transcript::new(b"p"));
    assert!(!hold, "the forged padding must fail its block's claim");
}

/// Three product claims on shapes with 7, 3 and 0 variables, of 2, 4 and 1 factors, the first
/// one false in one entry if `wrong_entry`.
fn hadamard_batch_case(
    wrong_entry: bool,
) -> (HadamardBatchSpec, HadamardBatchInstance, Vec<Vec<IntTensor>>) {
    let mut rng = StdRng::seed_from_u64(9);
    let spec = HadamardBatchSpec { shapes: vec![vec![5, 9], vec![2, 3], vec![1]] };
    let mut outputs = Vec::new();
    let mut inputs = Vec::new();
    let mut witness = Vec::new();
    let mut next = 0u32;
    for (i, (shape, k)) in spec.shapes.iter().zip([2, 4, 1]).enumerate() {
        let factors: Vec<IntTensor> = (0..k).map(|_| random_tensor(shape, &mut rng)).collect();
        let mut z = vec![1i64; shape.iter().product()];
        for f in &factors {
            z.iter_mut().zip(f.data()).for_each(|(z, x)| *z *= x);
        }
        if wrong_entry && i == 0 {
            z[13] += 1;
        }
        let z = IntTensor::new(shape.clone(), z).unwrap();
        let point = random_point(z.to_mle().num_vars(), &mut rng);
        let value = z.to_mle().evaluate(&point).unwrap();
        outputs.push(TensorClaim { tensor: TensorId(100 + i as u32), point, value });
        inputs.push((next..next + k).map(TensorId).collect());
        next += k;
        witness.push(factors);
    }
    (spec, HadamardBatchInstance { outputs, inputs }, witness)
}

fn flat(witness: &[Vec<IntTensor>]) -> Vec<IntTensor> {
    witness.iter().flatten().cloned().collect()
}

#[test]
fn hadamard_batch_proves_claims_of_different_shapes() {
    let (spec, instance, witness) = hadamard_batch_case(false);
    HadamardBatch::check(&spec, &instance, &witness).unwrap();
    let (proof, claims) =
        HadamardBatch::prove(&spec, &instance, &witness, &mut Transcript::new(b"hb")).unwrap();
    let verified =
        HadamardBatch::verify(&spec, &instance, &proof, &mut Transcript::new(b"hb")).unwrap();
    assert_eq!(claims, verified);
    assert_eq!(verified.tensors.len(), 7);
    discharge(&verified, &flat(&witness)).unwrap();
    // One sumcheck over the largest shape's variables, of the largest degree (4 factors and eq).
    assert_eq!(proof.sumcheck.rounds.len(), 7);
    assert_eq!(proof.sumcheck.rounds[0].evals_except_one.len(), 5);
}

#[test]
fn hadamard_batch_rejects_a_false_claim_and_tampered_fields() {
    let (spec, instance, witness) = hadamard_batch_case(true);
    assert!(HadamardBatch::check(&spec, &instance, &witness).is_err());
    let (proof, _) =
        HadamardBatch::prove(&spec, &instance, &witness, &mut Transcript::new(b"hb")).unwrap();
    let verdict = HadamardBatch::verify(&spec, &instance, &proof, &mut Transcript::new(b"hb"))
        .and_then(|c| discharge(&c, &flat(&witness)));
    assert!(verdict.is_err(), "a false claim in the batch was accepted");

    let (spec, instance, witness) = hadamard_batch_case(false);
    let (proof, _) =
        HadamardBatch::prove(&spec, &instance, &witness, &mut Transcript::new(b"hb")).unwrap();
    let fin = VerifyError::SumcheckFinal { protocol: "hadamard batch" };
    for i in 0..proof.evals.len() {
        let mut p = proof.clone();
        p.evals[i] += Fr::one();
        let r = HadamardBatch::verify(&spec, &instance, &p, &mut Transcript::new(b"hb"));
        assert_eq!(r, Err(fin.clone()), "eval {i}");
    }
    let mut p = proof.clone();
    p.evals.pop();
    assert!(matches!(
        HadamardBatch::verify(&spec, &instance, &p, &mut Transcript::new(b"hb")),
        Err(VerifyError::ProofShape { .. })
    ));
    // A claim's value changed: the batched statement no longer matches the rounds.
    let mut other = instance.clone();
    other.outputs[1].value += Fr::one();
    assert!(HadamardBatch::verify(&spec, &other, &proof, &mut Transcript::new(b"hb")).is_err());
}
