use ark_ff::One;
use ark_std::rand::{SeedableRng, rngs::StdRng};

use super::*;
use crate::block::Block;
use crate::curve::Fr;
use crate::error::VerifyError;
use crate::tensor::IntTensor;
use crate::testing::tensor_case::{
    Case, Fixture, discharge, output_instance, random_tensor, sumcheck_tamperings,
};
use crate::testing::{Tampering, run_all};
use crate::transcript::Transcript;

fn map_tamperings(proof: &MapProof, protocol: &'static str) -> Vec<Tampering<MapProof>> {
    let mut out = sumcheck_tamperings(proof, |p| &mut p.sumcheck, protocol);
    let mut p = proof.clone();
    p.input_eval += Fr::one();
    out.push(Tampering {
        field: "input_eval".into(),
        proof: p,
        expected: VerifyError::SumcheckFinal { protocol },
    });
    out
}

/// Slice, strided pad and transpose at once: `out[i, j, k] = in[j, 1 + i, 2k − 1]`.
impl Fixture for StructuredMap {
    const NAME: &'static str = "index map";
    fn spec(size: usize) -> StructuredMapSpec {
        StructuredMapSpec {
            in_shape: vec![size, 3, 4],
            axes: vec![
                AxisMap::Affine { src: 1, start: 1, step: 1, len: 2 },
                AxisMap::Pass { src: 0 },
                AxisMap::Affine { src: 2, start: -1, step: 2, len: 3 },
            ],
        }
    }
    fn inputs(spec: &StructuredMapSpec, rng: &mut StdRng) -> Vec<IntTensor> {
        vec![random_tensor(&spec.in_shape, rng)]
    }
    fn tamperings(proof: &MapProof) -> Vec<Tampering<MapProof>> {
        map_tamperings(proof, "index map")
    }
}

impl Fixture for GeneralMap {
    const NAME: &'static str = "general map";
    /// A gather of 7 entries (one of them empty) from a `[size, 3]` tensor.
    fn spec(size: usize) -> GeneralMapSpec {
        let n = size * 3;
        let source = (0..7).map(|i| if i == 3 { None } else { Some((i * 5 + 2) % n) }).collect();
        GeneralMapSpec { in_shape: vec![size, 3], out_shape: vec![7], source }
    }
    fn inputs(spec: &GeneralMapSpec, rng: &mut StdRng) -> Vec<IntTensor> {
        vec![random_tensor(&spec.in_shape, rng)]
    }
    fn tamperings(proof: &MapProof) -> Vec<Tampering<MapProof>> {
        map_tamperings(proof, "general map")
    }
}

impl Fixture for Concat {
    const NAME: &'static str = "concat";
    fn spec(size: usize) -> ConcatSpec {
        ConcatSpec { in_shapes: vec![vec![2, size], vec![3, size]], axis: 0 }
    }
    fn inputs(spec: &ConcatSpec, rng: &mut StdRng) -> Vec<IntTensor> {
        spec.in_shapes.iter().map(|s| random_tensor(s, rng)).collect()
    }
    fn tamperings(proof: &ConcatProof) -> Vec<Tampering<ConcatProof>> {
        let mut out = Vec::new();
        for i in 0..proof.parts.len() {
            let mut p = proof.clone();
            p.parts[i] += Fr::one();
            out.push(Tampering {
                field: format!("parts[{i}]"),
                proof: p,
                expected: VerifyError::Mismatch { protocol: "concat", what: "output claim" },
            });
            let mut p = proof.clone();
            p.maps[i].input_eval += Fr::one();
            out.push(Tampering {
                field: format!("maps[{i}].input_eval"),
                proof: p,
                expected: VerifyError::SumcheckFinal { protocol: "index map" },
            });
        }
        let mut p = proof.clone();
        p.maps.pop();
        out.push(Tampering {
            field: "maps (one dropped)".into(),
            proof: p,
            expected: VerifyError::ProofShape { what: "concat map proofs", expected: 2, got: 1 },
        });
        out
    }
}

#[test]
fn structured_map_conformance() {
    run_all::<Case<StructuredMap>>();
}

#[test]
fn general_map_conformance() {
    run_all::<Case<GeneralMap>>();
}

#[test]
fn concat_conformance() {
    run_all::<Case<Concat>>();
}

fn prove_and_verify<B: Block<Instance = crate::elementwise::Instance, Witness = Vec<IntTensor>>>(
    prover_spec: &B::Spec,
    verifier_spec: &B::Spec,
    witness: &[IntTensor],
    out: &IntTensor,
    seed: u64,
) -> Result<(), VerifyError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let instance = output_instance(out, witness.len(), &mut rng);
    let (proof, _) =
        B::prove(prover_spec, &instance, &witness.to_vec(), &mut Transcript::new(b"m")).unwrap();
    let claims = B::verify(verifier_spec, &instance, &proof, &mut Transcript::new(b"m"))?;
    discharge(&claims, witness)
}

#[test]
fn transpose_is_a_renaming_and_binds_its_permutation() {
    let mut rng = StdRng::seed_from_u64(1);
    let shape = [4, 4, 4];
    let x = random_tensor(&shape, &mut rng);
    let spec = StructuredMapSpec::transpose(&shape, &[2, 0, 1]);
    let out = StructuredMap::eval(&spec, std::slice::from_ref(&x)).unwrap().remove(0);
    assert_eq!(out.data()[1], x.data()[4], "out[0,0,1] = in[0,1,0]");
    prove_and_verify::<StructuredMap>(&spec, &spec, std::slice::from_ref(&x), &out, 2).unwrap();
    let (proof, _) = StructuredMap::prove(
        &spec,
        &output_instance(&out, 1, &mut rng),
        &vec![x.clone()],
        &mut Transcript::new(b"m"),
    )
    .unwrap();
    assert!(proof.sumcheck.rounds.is_empty(), "a transpose needs no sumcheck rounds");
    // The same proof replayed on another permutation of the same shape.
    let other = StructuredMapSpec::transpose(&shape, &[1, 2, 0]);
    assert_eq!(
        prove_and_verify::<StructuredMap>(&spec, &other, std::slice::from_ref(&x), &out, 2),
        Err(VerifyError::Mismatch { protocol: "oracle", what: "input claim" })
    );
}

#[test]
fn convolution_window_maps_and_stride_is_bound() {
    let mut rng = StdRng::seed_from_u64(3);
    let shape = [1, 3, 7, 7];
    let x = random_tensor(&shape, &mut rng);
    // 3×3 kernel, pad 1, stride 2: out 4×4; kernel offset (2, 0).
    let axis = |axis, offset, stride| WindowAxis {
        axis,
        offset,
        stride,
        dilation: 1,
        pad_before: 1,
        out_len: 4,
    };
    let spec = StructuredMapSpec::window(&shape, &[axis(2, 2, 2), axis(3, 0, 2)]);
    let out = StructuredMap::eval(&spec, std::slice::from_ref(&x)).unwrap().remove(0);
    assert_eq!(out.shape(), &[1, 3, 4, 4]);
    // out[0, c, oh, ow] = in[0, c, 2·oh + 1, 2·ow − 1] (zero when ow = 0).
    assert_eq!(out.data()[4 + 1], x.data()[3 * 7 + 1]);
    assert_eq!(out.data()[0], 0);
    prove_and_verify::<StructuredMap>(&spec, &spec, std::slice::from_ref(&x), &out, 4).unwrap();
    let wrong = StructuredMapSpec::window(&shape, &[axis(2, 2, 1), axis(3, 0, 1)]);
    assert_eq!(
        prove_and_verify::<StructuredMap>(&spec, &wrong, std::slice::from_ref(&x), &out, 4),
        Err(VerifyError::SumcheckFinal { protocol: "index map" })
    );
}

#[test]
fn general_map_binds_its_table() {
    let mut rng = StdRng::seed_from_u64(5);
    let spec = GeneralMap::spec(8);
    let x = random_tensor(&spec.in_shape, &mut rng);
    let out = GeneralMap::eval(&spec, std::slice::from_ref(&x)).unwrap().remove(0);
    prove_and_verify::<GeneralMap>(&spec, &spec, std::slice::from_ref(&x), &out, 6).unwrap();
    let mut other = spec.clone();
    other.source.swap(0, 1);
    assert_eq!(
        prove_and_verify::<GeneralMap>(&spec, &other, std::slice::from_ref(&x), &out, 6),
        Err(VerifyError::SumcheckFinal { protocol: "general map" })
    );
}

#[test]
fn reshape_is_a_renaming_only_when_padded_layouts_agree() {
    assert_eq!(reshape_map(&[3, 8], &[24]).unwrap(), ReshapeMap::Renaming);
    assert_eq!(reshape_map(&[2, 1, 4], &[8]).unwrap(), ReshapeMap::Renaming);
    let ReshapeMap::General(spec) = reshape_map(&[3, 5], &[15]).unwrap() else {
        panic!("[3, 5] → [15] moves entries once padded");
    };
    assert!(reshape_map(&[3, 5], &[16]).is_err());
    let mut rng = StdRng::seed_from_u64(7);
    let x = random_tensor(&[3, 5], &mut rng);
    let out = GeneralMap::eval(&spec, std::slice::from_ref(&x)).unwrap().remove(0);
    assert_eq!(out.data(), x.data());
    prove_and_verify::<GeneralMap>(&spec, &spec, std::slice::from_ref(&x), &out, 8).unwrap();
}

#[test]
fn squeeze_unsqueeze_split_and_bad_specs() {
    let mut rng = StdRng::seed_from_u64(9);
    let x = random_tensor(&[1, 6, 1], &mut rng);
    let squeeze = StructuredMapSpec {
        in_shape: vec![1, 6, 1],
        axes: vec![AxisMap::Pass { src: 1 }, AxisMap::New],
    };
    let out = StructuredMap::eval(&squeeze, std::slice::from_ref(&x)).unwrap().remove(0);
    assert_eq!(out.shape(), &[6, 1]);
    prove_and_verify::<StructuredMap>(&squeeze, &squeeze, std::slice::from_ref(&x), &out, 10)
        .unwrap();
    // Split of [6] into [0..2] and [2..6]: two slices.
    let y = random_tensor(&[6], &mut rng);
    for (start, end) in [(0, 2), (2, 6)] {
        let spec = StructuredMapSpec::slice(&[6], 0, start, end, 1);
        let part = StructuredMap::eval(&spec, std::slice::from_ref(&y)).unwrap().remove(0);
        assert_eq!(part.data(), &y.data()[start..end]);
        prove_and_verify::<StructuredMap>(&spec, &spec, std::slice::from_ref(&y), &part, 11)
            .unwrap();
    }
    let pad = StructuredMapSpec::pad(&[6], 0, 2, 1);
    let padded = StructuredMap::eval(&pad, std::slice::from_ref(&y)).unwrap().remove(0);
    assert_eq!(padded.data().len(), 9);
    assert_eq!(&padded.data()[2..8], y.data());
    let twice = StructuredMapSpec {
        in_shape: vec![2, 2],
        axes: vec![AxisMap::Pass { src: 0 }, AxisMap::Pass { src: 0 }],
    };
    assert!(twice.validate().is_err());
    let dropped = StructuredMapSpec { in_shape: vec![2, 2], axes: vec![AxisMap::Pass { src: 0 }] };
    assert!(dropped.validate().is_err());
    let bad_concat = ConcatSpec { in_shapes: vec![vec![2, 3], vec![2, 4]], axis: 0 };
    assert!(bad_concat.placements().is_err());
}
