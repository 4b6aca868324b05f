//! Conv: conformance on four attribute sets (two of them grouped: `g = 2` and depthwise), the
//! integer semantics against a direct formula, and a proof made for one stride verified under
//! another. The grouped soundness tests are in `group_tests`.

use ark_ff::{One, UniformRand};
use ark_std::rand::{SeedableRng, rngs::StdRng};

use super::*;
use crate::hyperkzg;
use crate::matmul::tests::{random_tensor, srs};
use crate::testing::{ConformanceCase, Tampering, run_all};

#[derive(Clone)]
pub(super) struct ConvCase<const V: usize> {
    spec: ConvSpec,
    instance: ConvInstance,
    witness: ConvWitness,
}

/// V = 0: 3×3, stride 1, pads 1 (same size); V = 1: 3×2 kernel, stride (2, 1), dilation (1, 2),
/// asymmetric pads; V = 2: group 2 with 3 input channels per group (not a power of two: the
/// window sums over channels) and 2 output channels per group, stride (2, 1), asymmetric pads;
/// V = 3: depthwise (group = channels = 4) with channel multiplier 2, stride 2, pads 1, dilation
/// (1, 2); V = 4: group 2 with 4 input channels per group (a power of two: the window fixes the
/// channel) and 3 output channels per group, asymmetric pads.
pub(super) fn spec_for(variant: usize, size: usize) -> ConvSpec {
    let base = ConvSpec {
        batch: 2,
        in_channels: 3,
        height: size + 2,
        width: size + 3,
        out_channels: 2,
        kernel: [3, 3],
        stride: [1, 1],
        pads: [1, 1, 1, 1],
        dilation: [1, 1],
        group: 1,
    };
    match variant {
        0 => base,
        1 => ConvSpec {
            kernel: [3, 2],
            stride: [2, 1],
            dilation: [1, 2],
            pads: [0, 1, 2, 0],
            ..base
        },
        2 => ConvSpec {
            in_channels: 6,
            out_channels: 4,
            group: 2,
            stride: [2, 1],
            pads: [1, 0, 2, 1],
            ..base
        },
        4 => ConvSpec { in_channels: 8, out_channels: 6, group: 2, pads: [0, 1, 1, 0], ..base },
        _ => ConvSpec {
            batch: 1,
            in_channels: 4,
            out_channels: 8,
            group: 4,
            stride: [2, 2],
            dilation: [1, 2],
            ..base
        },
    }
}

pub(super) fn build(
    spec: ConvSpec,
    x: IntTensor,
    w: IntTensor,
    rng: &mut StdRng,
) -> (ConvInstance, ConvWitness) {
    let output = Conv::eval(&spec, &[x.clone(), w.clone()]).unwrap().remove(0);
    let y = output.to_mle();
    let point: Vec<Fr> = (0..y.num_vars()).map(|_| Fr::rand(rng)).collect();
    let value = y.evaluate(&point).unwrap();
    let instance = ConvInstance {
        input: TensorId(1),
        weight: hyperkzg::commit(srs(), &w.to_mle()).unwrap(),
        output: TensorClaim { tensor: TensorId(2), point, value },
    };
    (instance, ConvWitness { input: x, weight: w, output })
}

impl<const V: usize> ConvCase<V> {
    fn check_claims(&self, c: &BlockClaims) -> Result<(), VerifyError> {
        let wrong = |what| VerifyError::Mismatch { protocol: "conv", what };
        let ([wc], [xc]) = (c.committed.as_slice(), c.tensors.as_slice()) else {
            return Err(wrong("claims"));
        };
        if wc.commitment != self.instance.weight
            || self.witness.weight.to_mle().evaluate(&wc.point)? != wc.value
        {
            return Err(wrong("claim on W"));
        }
        if xc.tensor != self.instance.input
            || self.witness.input.to_mle().evaluate(&xc.point)? != xc.value
        {
            return Err(wrong("claim on X"));
        }
        Ok(())
    }
}

impl<const V: usize> ConformanceCase for ConvCase<V> {
    type Proof = ConvProof;
    const NAME: &'static str = [
        "conv same",
        "conv strided dilated",
        "conv group 2",
        "conv depthwise",
        "conv group 2 of 4",
    ][V];

    fn sizes() -> Vec<usize> {
        vec![1, 3, 6]
    }

    fn generate(size: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let spec = spec_for(V, size);
        let x = random_tensor(spec.input_shape(), &mut rng, 0.9);
        let w = random_tensor(spec.weight_shape(), &mut rng, 0.9);
        let (instance, witness) = build(spec.clone(), x, w, &mut rng);
        Self { spec, instance, witness }
    }

    fn check(&self) -> Result<(), RelationError> {
        Conv::check(&self.spec, &self.instance, &self.witness)
    }

    fn corrupt_witness(&mut self) {
        let o = &self.witness.output;
        let mut data = o.data().to_vec();
        data[1] += 1;
        self.witness.output = IntTensor::new(o.shape().to_vec(), data).unwrap();
    }

    fn prove(&self, t: &mut Transcript) -> ConvProof {
        let (proof, claims) = Conv::prove(&self.spec, &self.instance, &self.witness, t).unwrap();
        self.check_claims(&claims).unwrap();
        proof
    }

    fn verify(&self, proof: &ConvProof, t: &mut Transcript) -> Result<(), VerifyError> {
        let claims = Conv::verify(&self.spec, &self.instance, proof, t)?;
        self.check_claims(&claims)
    }

    fn tamperings(&self, proof: &ConvProof) -> Vec<Tampering<ConvProof>> {
        let fin = |protocol| VerifyError::SumcheckFinal { protocol };
        let mut out = Vec::new();
        let mut add = |field: String, p: ConvProof, stage| {
            out.push(Tampering { field, proof: p, expected: fin(stage) })
        };
        for r in 0..proof.taps.rounds.len() {
            for e in 0..2 {
                let mut p = proof.clone();
                p.taps.rounds[r].evals_except_one[e] += Fr::one();
                add(format!("taps round {r} eval {e}"), p, TAPS);
            }
        }
        for r in 0..proof.window.rounds.len() {
            for e in 0..3 {
                let mut p = proof.clone();
                p.window.rounds[r].evals_except_one[e] += Fr::one();
                add(format!("window round {r} eval {e}"), p, WINDOW);
            }
        }
        for f in 0..2 {
            let mut p = proof.clone();
            *[&mut p.weight_eval, &mut p.view_eval][f] += Fr::one();
            add(format!("tap evaluation {f}"), p, TAPS);
        }
        let mut p = proof.clone();
        p.input_eval += Fr::one();
        add("input evaluation".into(), p, WINDOW);
        let mut p = proof.clone();
        if let Some(e) = p.regrouped_weight_eval.as_mut() {
            *e += Fr::one();
            add("regrouped weight evaluation".into(), p, WINDOW);
        }
        let n = proof.window.rounds.len();
        let mut p = proof.clone();
        p.window.rounds.pop();
        let expected = VerifyError::ProofShape { what: "sumcheck rounds", expected: n, got: n - 1 };
        out.push(Tampering { field: "window round dropped".into(), proof: p, expected });
        let mut p = proof.clone();
        let had = usize::from(p.regrouped_weight_eval.is_some());
        p.regrouped_weight_eval = if had == 1 { None } else { Some(Fr::one()) };
        let what = "conv regrouped weight evaluation";
        let expected = VerifyError::ProofShape { what, expected: had, got: 1 - had };
        out.push(Tampering {
            field: "regrouped weight evaluation presence".into(),
            proof: p,
            expected,
        });
        out
    }
}

#[test]
fn conformance_same_padding() {
    run_all::<ConvCase<0>>();
}

#[test]
fn conformance_strided_dilated() {
    run_all::<ConvCase<1>>();
}

#[test]
fn conformance_group_2() {
    run_all::<ConvCase<2>>();
}

#[test]
fn conformance_depthwise() {
    run_all::<ConvCase<3>>();
}

#[test]
fn conformance_power_of_two_groups() {
    run_all::<ConvCase<4>>();
}

/// `eval` against the ONNX formula written out for one output entry, and the output shape.
#[test]
fn eval_follows_onnx() {
    let mut rng = StdRng::seed_from_u64(40);
    let spec = spec_for(1, 4);
    assert_eq!(spec.output_shape().unwrap(), vec![2, 2, 3, 6]);
    let x = random_tensor(spec.input_shape(), &mut rng, 1.0);
    let w = random_tensor(spec.weight_shape(), &mut rng, 1.0);
    let y = Conv::eval(&spec, &[x.clone(), w.clone()]).unwrap().remove(0);
    // Y[1, 1, 2, 3]: rows 2·2 + ky − 0, columns 3 + 2·kx − 1.
    let mut s = 0;
    for c in 0..3 {
        for ky in 0..3 {
            for kx in 0..2 {
                let (iy, ix) = (4 + ky, 2 + 2 * kx);
                if iy < 6 && ix < 7 {
                    s += x.data()[((3 + c) * 6 + iy) * 7 + ix]
                        * w.data()[((3 + c) * 3 + ky) * 2 + kx];
                }
            }
        }
    }
    assert_eq!(y.data()[((2 + 1) * 3 + 2) * 6 + 3], s);
}

/// A prover that convolved with stride 2 while the plan says 3 (same output variables) is
/// rejected: the verifier's own window map uses its own stride.
#[test]
fn wrong_stride_is_rejected() {
    let mut rng = StdRng::seed_from_u64(41);
    let base = ConvSpec { stride: [2, 2], pads: [0; 4], kernel: [2, 2], ..spec_for(0, 6) };
    let claimed = ConvSpec { stride: [3, 3], ..base.clone() };
    assert_eq!(base.output_hw().unwrap(), [4, 4]);
    assert_eq!(claimed.output_hw().unwrap(), [3, 3]);
    let x = random_tensor(base.input_shape(), &mut rng, 1.0);
    let w = random_tensor(base.weight_shape(), &mut rng, 1.0);
    let (instance, witness) = build(base.clone(), x, w, &mut rng);
    let t = &mut Transcript::new(b"conv");
    let (proof, _) = Conv::prove(&base, &instance, &witness, t).unwrap();
    assert!(Conv::verify(&base, &instance, &proof, &mut Transcript::new(b"conv")).is_ok());
    let r = Conv::verify(&claimed, &instance, &proof, &mut Transcript::new(b"conv"));
    assert_eq!(r, Err(VerifyError::SumcheckFinal { protocol: TAPS }));
}
