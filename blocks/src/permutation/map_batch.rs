//! Several per-axis maps of **one** input, claimed at **one** output point, in one sumcheck: the
//! taps of a pooling window (every tap is the same window map with another offset).
//!
//! **Relation.** Maps `σ_1..σ_m` ([`StructuredMapSpec`]s that differ only in their affine axes'
//! `start`, `step` and `len`: same input shape, same pass, new and affine source axes) and claims
//! `õut_k(r) = v_k` at a common point `r`. Since the pass axes and `r` are shared, so is the
//! input side `B(j) = ĩn(pass axes at r, j)`, and
//!
//! ```text
//!     Σ_k γ^k·v_k  =  Σ_j (Σ_k γ^k·A_k(j))·B(j)
//! ```
//!
//! with `A_k` map `k`'s affine factor ([`super::StructuredMap`]) — one degree-2 sumcheck and one
//! input claim for all `m` maps instead of `m` of each. `γ` is squeezed after every `v_k` is
//! absorbed, so a wrong `v_k` survives only if the combination cancels it: probability `m/|F|`.
//! The verifier evaluates `Σ_k γ^k·M̃_k(r, r')` from the specs, `O(m·log n)` for power-of-two
//! strides.
//!
//! Transcript: label, `r`, every `v_k`, `γ`; the sumcheck; `ĩn(r')`. Proof: a [`MapProof`].

use ark_ff::Zero;

use super::structured::{affine_table, input_point, input_table};
use super::{AxisMap, MapProof, StructuredMapSpec, prove_map_sumcheck, verify_map_sumcheck};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim, TensorId};
use crate::curve::Fr;
use crate::elementwise::{single_input, split_point};
use crate::error::{Error, RelationError, VerifyError};
use crate::mle::DenseMle;
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

const PROTOCOL: &str = "index map batch";

/// The maps (at least one), all of one input and one output shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapBatchSpec {
    pub maps: Vec<StructuredMapSpec>,
}

impl MapBatchSpec {
    /// Checks that every map is valid and differs from the first only in its affine parameters.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason: &str| Err(Error::Invalid { what: PROTOCOL, reason: reason.into() });
        let Some(first) = self.maps.first() else { return invalid("no maps") };
        let kind = |m: &AxisMap| match m {
            AxisMap::Pass { src } => (0, *src),
            AxisMap::New => (1, 0),
            AxisMap::Affine { src, .. } => (2, *src),
        };
        let out_shape = first.out_shape();
        for m in &self.maps {
            m.validate()?;
            if m.in_shape != first.in_shape || m.out_shape() != out_shape {
                return invalid("maps of different input or output shapes");
            }
            if !m.axes.iter().map(kind).eq(first.axes.iter().map(kind)) {
                return invalid("maps with different pass or source axes");
            }
        }
        Ok(())
    }
}

/// The common output point, the claimed value of every map there, and the input tensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapBatchInstance {
    pub point: Vec<Fr>,
    pub values: Vec<Fr>,
    pub input: TensorId,
}

/// The batch verb.
pub struct MapBatch;

impl Block for MapBatch {
    type Spec = MapBatchSpec;
    type Instance = MapBatchInstance;
    type Witness = Vec<IntTensor>;
    type Proof = MapProof;

    fn eval(spec: &MapBatchSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        spec.validate()?;
        spec.maps
            .iter()
            .map(|m| super::StructuredMap::eval(m, inputs).map(|mut o| o.remove(0)))
            .collect()
    }

    fn check(
        spec: &MapBatchSpec,
        instance: &MapBatchInstance,
        witness: &Vec<IntTensor>,
    ) -> Result<(), RelationError> {
        let violated = |detail: String| RelationError::Violated { relation: PROTOCOL, detail };
        let outputs = Self::eval(spec, witness).map_err(|e| violated(e.to_string()))?;
        if instance.values.len() != outputs.len() {
            return Err(violated("one value per map expected".into()));
        }
        for (k, (out, v)) in outputs.iter().zip(&instance.values).enumerate() {
            let at = out.to_mle().evaluate(&instance.point).map_err(|e| violated(e.to_string()))?;
            if at != *v {
                return Err(violated(format!("map {k}: the output does not match its claim")));
            }
        }
        Ok(())
    }

    fn prove(
        spec: &MapBatchSpec,
        instance: &MapBatchInstance,
        witness: &Vec<IntTensor>,
        t: &mut Transcript,
    ) -> Result<(MapProof, BlockClaims), Error> {
        let first = check_instance(spec, instance)?;
        let x = single_input(witness, &first.in_shape, PROTOCOL)?;
        let out_shape = first.out_shape();
        let out_axes = split_point(&instance.point, &out_shape)?;
        let gamma = absorb(t, instance);
        let b = input_table(first, x, &out_axes)?;
        let mut a = affine_table(first, &out_axes)?;
        let mut weight = Fr::from(1u64);
        for m in &spec.maps[1..] {
            weight *= gamma;
            let a_k = affine_table(m, &out_axes)?;
            a.iter_mut().zip(&a_k).for_each(|(a, a_k)| *a += weight * a_k);
        }
        let claim = combine(gamma, &instance.values);
        let (proof, point) =
            prove_map_sumcheck(a, DenseMle::new(b)?, claim, b"index map batch input eval", t)?;
        let claim = TensorClaim {
            tensor: instance.input,
            point: input_point(first, &out_axes, &point),
            value: proof.input_eval,
        };
        Ok((proof, BlockClaims { committed: vec![], tensors: vec![claim] }))
    }

    fn verify(
        spec: &MapBatchSpec,
        instance: &MapBatchInstance,
        proof: &MapProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        let first = check_instance(spec, instance)?;
        let out_axes = split_point(&instance.point, &first.out_shape())?;
        let gamma = absorb(t, instance);
        let num_vars = first.sumcheck_vars();
        let matrix_at = |r: &[Fr]| {
            let mut total = Fr::zero();
            let mut weight = Fr::from(1u64);
            for m in &spec.maps {
                total += weight * m.matrix_eval(&out_axes, r)?;
                weight *= gamma;
            }
            Ok(total)
        };
        let claim = combine(gamma, &instance.values);
        let point = verify_map_sumcheck(
            PROTOCOL,
            num_vars,
            claim,
            proof,
            matrix_at,
            b"index map batch input eval",
            t,
        )?;
        let claim = TensorClaim {
            tensor: instance.input,
            point: input_point(first, &out_axes, &point),
            value: proof.input_eval,
        };
        Ok(BlockClaims { committed: vec![], tensors: vec![claim] })
    }
}

/// The spec is valid and the instance has one value per map; returns the first map.
fn check_instance<'s>(
    spec: &'s MapBatchSpec,
    instance: &MapBatchInstance,
) -> Result<&'s StructuredMapSpec, Error> {
    spec.validate()?;
    if instance.values.len() != spec.maps.len() {
        return Err(Error::Length {
            what: "index map batch values",
            expected: spec.maps.len(),
            got: instance.values.len(),
        });
    }
    Ok(&spec.maps[0])
}

/// Absorbs the point and every value, then squeezes `γ`.
pub(super) fn absorb(t: &mut Transcript, instance: &MapBatchInstance) -> Fr {
    t.append_bytes(b"block", PROTOCOL.as_bytes());
    t.append_scalars(b"index map batch point", &instance.point);
    // Guard: γ depends on every claimed value.
    t.append_scalars(b"index map batch values", &instance.values);
    t.challenge_scalar(b"index map batch gamma")
}

/// `Σ_k γ^k·v_k`.
fn combine(gamma: Fr, values: &[Fr]) -> Fr {
    values.iter().rev().fold(Fr::zero(), |acc, v| acc * gamma + v)
}

#[cfg(test)]
mod tests {
    use ark_ff::One;
    use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;
    use crate::permutation::WindowAxis;
    use crate::tensor::axis_vars;
    use crate::testing::tensor_case::{random_tensor, sumcheck_tamperings};
    use crate::testing::{ConformanceCase, Tampering, run_all};

    /// The four taps of a 2×2, stride-2 pooling window over a `[2, size, 6]` input (the last axes
    /// spatial), claimed at one random point.
    struct PoolCase {
        spec: MapBatchSpec,
        instance: MapBatchInstance,
        input: IntTensor,
    }

    fn taps(in_shape: &[usize]) -> MapBatchSpec {
        let out = |n: usize| n.saturating_sub(2) / 2 + 1;
        let maps = (0..4)
            .map(|k| {
                let axis = |axis: usize, offset: usize| WindowAxis {
                    axis,
                    offset,
                    stride: 2,
                    dilation: 1,
                    pad_before: 0,
                    out_len: out(in_shape[axis]),
                };
                StructuredMapSpec::window(in_shape, &[axis(1, k / 2), axis(2, k % 2)])
            })
            .collect();
        MapBatchSpec { maps }
    }

    fn pool_case(size: usize, seed: u64) -> PoolCase {
        let mut rng = StdRng::seed_from_u64(seed);
        let in_shape = vec![2, size.max(2), 6];
        let spec = taps(&in_shape);
        let input = random_tensor(&in_shape, &mut rng);
        let outs = MapBatch::eval(&spec, std::slice::from_ref(&input)).unwrap();
        let vars: usize = axis_vars(outs[0].shape()).iter().sum();
        let point: Vec<Fr> = (0..vars).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
        let values = outs.iter().map(|o| o.to_mle().evaluate(&point).unwrap()).collect();
        PoolCase { spec, instance: MapBatchInstance { point, values, input: TensorId(3) }, input }
    }

    impl PoolCase {
        fn verify_and_open(&self, proof: &MapProof, t: &mut Transcript) -> Result<(), VerifyError> {
            let claims = MapBatch::verify(&self.spec, &self.instance, proof, t)?;
            let [c] = claims.tensors.as_slice() else { panic!("one input claim") };
            if self.input.to_mle().evaluate(&c.point)? != c.value {
                return Err(VerifyError::Mismatch { protocol: "oracle", what: "input claim" });
            }
            Ok(())
        }
    }

    impl ConformanceCase for PoolCase {
        type Proof = MapProof;
        const NAME: &'static str = PROTOCOL;
        fn sizes() -> Vec<usize> {
            vec![1, 2, 5, 64, 300]
        }
        fn generate(size: usize, seed: u64) -> Self {
            pool_case(size, seed)
        }
        fn check(&self) -> Result<(), RelationError> {
            MapBatch::check(&self.spec, &self.instance, &vec![self.input.clone()])
        }
        fn corrupt_witness(&mut self) {
            self.instance.values[2] += Fr::one();
        }
        fn prove(&self, t: &mut Transcript) -> MapProof {
            MapBatch::prove(&self.spec, &self.instance, &vec![self.input.clone()], t).unwrap().0
        }
        fn verify(&self, proof: &MapProof, t: &mut Transcript) -> Result<(), VerifyError> {
            self.verify_and_open(proof, t)
        }
        fn tamperings(&self, proof: &MapProof) -> Vec<Tampering<MapProof>> {
            let mut out = sumcheck_tamperings(proof, |p| &mut p.sumcheck, PROTOCOL);
            let mut p = proof.clone();
            p.input_eval += Fr::one();
            out.push(Tampering {
                field: "input_eval".into(),
                proof: p,
                expected: VerifyError::SumcheckFinal { protocol: PROTOCOL },
            });
            out
        }
    }

    #[test]
    fn map_batch_conformance() {
        run_all::<PoolCase>();
    }

    #[test]
    fn one_wrong_tap_is_rejected() {
        for k in 0..4 {
            let mut case = pool_case(7, 2);
            case.instance.values[k] += Fr::one();
            // The honest prover refuses; a prover that goes on is caught.
            assert!(case.check().is_err());
            let proof = case.prove(&mut Transcript::new(b"m"));
            assert_eq!(
                case.verify_and_open(&proof, &mut Transcript::new(b"m")),
                Err(VerifyError::SumcheckFinal { protocol: PROTOCOL }),
                "tap {k}"
            );
        }
    }

    /// Two wrong values whose errors cancel under `γ`: possible only for a prover that knows `γ`
    /// before the values are fixed. The test learns `γ` from the honest values' transcript.
    #[test]
    fn gamma_is_drawn_after_the_values() {
        let honest = pool_case(7, 4);
        let gamma = absorb(&mut Transcript::new(b"m"), &honest.instance);
        let mut forged = pool_case(7, 4);
        forged.instance.values[0] += gamma;
        forged.instance.values[1] -= Fr::one();
        let proof = forged.prove(&mut Transcript::new(b"m"));
        assert_eq!(
            forged.verify_and_open(&proof, &mut Transcript::new(b"m")),
            Err(VerifyError::SumcheckFinal { protocol: PROTOCOL })
        );
    }

    #[test]
    fn mismatched_maps_are_typed_errors() {
        let mut spec = taps(&[2, 5, 6]);
        spec.maps[1] = StructuredMapSpec::transpose(&[2, 5, 6], &[0, 2, 1]);
        assert!(matches!(spec.validate(), Err(Error::Invalid { .. })));
        assert!(MapBatchSpec { maps: vec![] }.validate().is_err());
        let case = pool_case(5, 1);
        let mut short = case.instance.clone();
        short.values.pop();
        let proof = case.prove(&mut Transcript::new(b"m"));
        assert!(matches!(
            MapBatch::verify(&case.spec, &short, &proof, &mut Transcript::new(b"m")),
            Err(VerifyError::Input(Error::Length { .. }))
        ));
    }
}
