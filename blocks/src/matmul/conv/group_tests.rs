//! Grouped convolution: the semantics against the block-diagonal dense weight, and soundness
//! tests that each fail when one named guard of the verifier is removed (`.ci/guards.py` M22–M24).

use ark_ff::UniformRand;
use ark_std::rand::{SeedableRng, rngs::StdRng};

use super::tests::{build, spec_for};
use super::*;
use crate::matmul::tests::random_tensor;

fn verify_fresh(spec: &ConvSpec, inst: &ConvInstance, p: &ConvProof) -> Result<(), VerifyError> {
    Conv::verify(spec, inst, p, &mut Transcript::new(b"conv")).map(|_| ())
}

/// A grouped conv is the ungrouped conv with the weight spread block-diagonally over `[M, C]`.
#[test]
fn grouped_eval_equals_the_block_diagonal_dense_conv() {
    let mut rng = StdRng::seed_from_u64(50);
    for spec in [spec_for(2, 4), spec_for(3, 4)] {
        let x = random_tensor(spec.input_shape(), &mut rng, 1.0);
        let w = random_tensor(spec.weight_shape(), &mut rng, 1.0);
        let dense_spec = ConvSpec { group: 1, ..spec.clone() };
        let (cg, mg, taps) = (spec.group_inputs(), spec.group_outputs(), 9);
        let mut dense = vec![0; spec.out_channels * spec.in_channels * taps];
        for m in 0..spec.out_channels {
            for c in 0..cg {
                for k in 0..taps {
                    let at = (m * spec.in_channels + m / mg * cg + c) * taps + k;
                    dense[at] = w.data()[(m * cg + c) * taps + k];
                }
            }
        }
        let dense = IntTensor::new(dense_spec.weight_shape(), dense).unwrap();
        let y = Conv::eval(&spec, &[x.clone(), w]).unwrap();
        assert_eq!(y, Conv::eval(&dense_spec, &[x, dense]).unwrap(), "{spec:?}");
    }
}

/// One wrong output entry (the claim made on the wrong `Y`): the taps' final check rejects it.
/// Guard M22: without that check the proof verifies.
#[test]
fn grouped_wrong_output_entry_is_rejected() {
    let mut rng = StdRng::seed_from_u64(51);
    for spec in [spec_for(2, 3), spec_for(3, 3)] {
        let x = random_tensor(spec.input_shape(), &mut rng, 1.0);
        let w = random_tensor(spec.weight_shape(), &mut rng, 1.0);
        let (_, mut wit) = build(spec.clone(), x, w, &mut rng);
        let mut data = wit.output.data().to_vec();
        data[5] += 1;
        wit.output = IntTensor::new(wit.output.shape().to_vec(), data).unwrap();
        let (inst, wit) = build_claim(&spec, wit, &mut rng);
        let (proof, _) = Conv::prove(&spec, &inst, &wit, &mut Transcript::new(b"conv")).unwrap();
        let e = verify_fresh(&spec, &inst, &proof);
        assert_eq!(e, Err(VerifyError::SumcheckFinal { protocol: TAPS }), "{spec:?}");
    }
}

/// A claim on `wit.output` at a fresh random point, keeping the witness.
fn build_claim(spec: &ConvSpec, wit: ConvWitness, rng: &mut StdRng) -> (ConvInstance, ConvWitness) {
    let (mut inst, _) = build(spec.clone(), wit.input.clone(), wit.weight.clone(), rng);
    let y = wit.output.to_mle();
    let point: Vec<Fr> = (0..y.num_vars()).map(|_| Fr::rand(rng)).collect();
    inst.output.value = y.evaluate(&point).unwrap();
    inst.output.point = point;
    (inst, wit)
}

/// The witness of a prover whose output group `γ` applies its weights to the input channels of
/// group `γ + 1`: `Y = conv(X with its channel groups rotated, W)`, with a claim on that `Y`.
fn rotated_groups_case(spec: &ConvSpec, rng: &mut StdRng) -> (ConvInstance, ConvWitness) {
    let x = random_tensor(spec.input_shape(), rng, 1.0);
    let w = random_tensor(spec.weight_shape(), rng, 1.0);
    let (c, plane) = (spec.in_channels, spec.height * spec.width);
    let mut rotated = x.data().to_vec();
    for b in 0..spec.batch {
        for ch in 0..c {
            let from = (ch + spec.group_inputs()) % c;
            let (dst, src) = ((b * c + ch) * plane, (b * c + from) * plane);
            rotated[dst..dst + plane].copy_from_slice(&x.data()[src..src + plane]);
        }
    }
    let rotated = IntTensor::new(x.shape().to_vec(), rotated).unwrap();
    let output = Conv::eval(spec, &[rotated, w.clone()]).unwrap().remove(0);
    build_claim(spec, ConvWitness { input: x, weight: w, output }, rng)
}

/// Groups of 3 channels (the window sums over channels): the cheating prover runs the taps
/// sumcheck honestly for its `Y` and the window sumcheck with the matching (rotated) channel map,
/// so every claim it emits is true of `X` and `W`; only the verifier's own channel map, in the
/// window's final check, tells. Guard M23: without that check the proof verifies.
#[test]
fn weights_applied_to_another_groups_channels_are_rejected() {
    let mut rng = StdRng::seed_from_u64(52);
    let spec = spec_for(2, 3);
    let (inst, wit) = rotated_groups_case(&spec, &mut rng);
    let t = &mut Transcript::new(b"conv");
    let (proof, claims) = prove::prove(&spec, &inst, &wit, t, 1).unwrap();
    let xc = &claims.tensors[0];
    assert_eq!(wit.input.to_mle().evaluate(&xc.point), Ok(xc.value));
    let wc = &claims.committed[0];
    assert_eq!(wit.weight.to_mle().evaluate(&wc.point), Ok(wc.value));
    let e = verify_fresh(&spec, &inst, &proof);
    assert_eq!(e, Err(VerifyError::SumcheckFinal { protocol: WINDOW }));
}

/// Power-of-two groups (depthwise here) fix the channel to `ρ_g‖ρ_c` instead of summing it: the
/// same cheat then passes the block but leaves a claim on `X` that is false, which `X`'s producer
/// or opening rejects.
#[test]
fn with_power_of_two_groups_the_wrong_group_falsifies_the_input_claim() {
    let mut rng = StdRng::seed_from_u64(54);
    let spec = spec_for(3, 3);
    assert!(!spec.sums_channels());
    let (inst, wit) = rotated_groups_case(&spec, &mut rng);
    let t = &mut Transcript::new(b"conv");
    let (proof, _) = prove::prove(&spec, &inst, &wit, t, 1).unwrap();
    let claims = Conv::verify(&spec, &inst, &proof, &mut Transcript::new(b"conv")).unwrap();
    let xc = &claims.tensors[0];
    assert_ne!(wit.input.to_mle().evaluate(&xc.point), Ok(xc.value));
}

/// A proof made for group 2 verified as group 4 (`C = M = 8`: the same sumcheck sizes). The
/// statement binds `g`, so the first final check already fails (guard M24: without the group in
/// the statement the verifier's own output-group map still rejects it, at the window). As group 1
/// its shape is wrong.
#[test]
fn proof_for_another_group_count_is_rejected() {
    let mut rng = StdRng::seed_from_u64(53);
    let spec = ConvSpec { in_channels: 8, out_channels: 8, ..spec_for(2, 3) };
    let x = random_tensor(spec.input_shape(), &mut rng, 1.0);
    let w = random_tensor(spec.weight_shape(), &mut rng, 1.0);
    let (inst, wit) = build(spec.clone(), x, w, &mut rng);
    let (proof, _) = Conv::prove(&spec, &inst, &wit, &mut Transcript::new(b"conv")).unwrap();
    assert_eq!(verify_fresh(&spec, &inst, &proof), Ok(()));
    let four = ConvSpec { group: 4, ..spec.clone() };
    let e = verify_fresh(&four, &inst, &proof);
    assert_eq!(e, Err(VerifyError::SumcheckFinal { protocol: TAPS }));
    let one = ConvSpec { group: 1, ..spec };
    let what = "conv regrouped weight evaluation";
    let e = verify_fresh(&one, &inst, &proof);
    assert_eq!(e, Err(VerifyError::ProofShape { what, expected: 0, got: 1 }));
}
