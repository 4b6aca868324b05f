//! `z = Σ_i c_i·x_i + c_0` with public integers `c_i` and a constant `c_0` added on the unpadded
//! region only: `z̃(r) = Σ_i c_i·x̃_i(r) + c_0·Ĩ(r)`. No sumcheck: the prover sends `x̃_i(r)` for
//! every input but the first with a non-zero coefficient, `j`; the verifier solves the relation
//! for `x̃_j(r)` and hands on one claim per input at `r`. If `z̃(r)` is false, some input's claim
//! is false, and it is caught when that claim is discharged. Proof: one scalar per input but one
//! (none for `c·x + c_0`). Transcript: the output claim, then every `x̃_i(r)`, derived included.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{Instance, absorb_output, check_outputs, checked, expect_inputs, split_point};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim};
use ark_ff::Field;

use crate::curve::{Fr, fr_from_i64};
use crate::error::{Error, RelationError, VerifyError};
use crate::mle::region_indicator;
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

const PROTOCOL: &str = "linear";

/// The linear-combination verb (`x + y`, `x − y`, `c·x`, `x + c`, …).
pub struct Linear;

/// Coefficients per input and the constant, over tensors of one shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearSpec {
    pub shape: Vec<usize>,
    pub coeffs: Vec<i64>,
    pub constant: i64,
}

/// `x̃_i(r)` for every input but the derived one ([`derived_input`]).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LinearProof {
    pub input_evals: Vec<Fr>,
}

impl Block for Linear {
    type Spec = LinearSpec;
    type Instance = Instance;
    type Witness = Vec<IntTensor>;
    type Proof = LinearProof;

    fn eval(spec: &LinearSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        expect_inputs(inputs, spec.coeffs.len(), &spec.shape)?;
        let len: usize = spec.shape.iter().product();
        let mut data = vec![spec.constant; len];
        for (c, x) in spec.coeffs.iter().zip(inputs) {
            for (z, v) in data.iter_mut().zip(x.data()) {
                *z = checked(PROTOCOL, c.checked_mul(*v).and_then(|p| z.checked_add(p)))?;
            }
        }
        Ok(vec![IntTensor::new(spec.shape.clone(), data)?])
    }

    fn check(
        spec: &LinearSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
    ) -> Result<(), RelationError> {
        check_outputs(PROTOCOL, Self::eval(spec, witness), &instance.output)
    }

    fn prove(
        spec: &LinearSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
        t: &mut Transcript,
    ) -> Result<(LinearProof, BlockClaims), Error> {
        expect_inputs(witness, spec.coeffs.len(), &spec.shape)?;
        check_ids(spec, instance)?;
        absorb_output(t, PROTOCOL.as_bytes(), instance);
        let evals: Vec<Fr> = witness
            .iter()
            .map(|x| x.to_mle().evaluate(&instance.output.point))
            .collect::<Result<_, _>>()?;
        t.append_scalars(b"linear input evals", &evals);
        let claims = claims(instance, &evals);
        let skip = derived_input(spec);
        let input_evals =
            evals.iter().enumerate().filter(|(i, _)| Some(*i) != skip).map(|(_, e)| *e).collect();
        Ok((LinearProof { input_evals }, claims))
    }

    fn verify(
        spec: &LinearSpec,
        instance: &Instance,
        proof: &LinearProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        check_ids(spec, instance)?;
        let skip = derived_input(spec);
        let sent = spec.coeffs.len() - usize::from(skip.is_some());
        if proof.input_evals.len() != sent {
            return Err(VerifyError::ProofShape {
                what: "linear input evaluations",
                expected: sent,
                got: proof.input_evals.len(),
            });
        }
        let axes = split_point(&instance.output.point, &spec.shape)?;
        absorb_output(t, PROTOCOL.as_bytes(), instance);
        let constant = fr_from_i64(spec.constant) * region_indicator(&axes, &spec.shape)?;
        // Every input's evaluation, the derived one a placeholder until it is solved for.
        let mut evals = proof.input_evals.clone();
        if let Some(j) = skip {
            evals.insert(j, Fr::from(0u64));
        }
        let combined: Fr = spec.coeffs.iter().zip(&evals).map(|(c, e)| fr_from_i64(*c) * e).sum();
        match skip {
            Some(j) => {
                let c_j = fr_from_i64(spec.coeffs[j]);
                let inverse = c_j.inverse().ok_or(VerifyError::Mismatch {
                    protocol: PROTOCOL,
                    what: "derived input coefficient",
                })?;
                evals[j] = (instance.output.value - constant - combined) * inverse;
            }
            None if combined + constant != instance.output.value => {
                return Err(VerifyError::Mismatch { protocol: PROTOCOL, what: "output claim" });
            }
            None => {}
        }
        t.append_scalars(b"linear input evals", &evals);
        Ok(claims(instance, &evals))
    }
}

/// The input whose evaluation the verifier solves for: the first with a non-zero coefficient
/// (whose integer value is below `2^63`, so it is non-zero in the field too).
pub fn derived_input(spec: &LinearSpec) -> Option<usize> {
    spec.coeffs.iter().position(|c| *c != 0)
}

fn check_ids(spec: &LinearSpec, instance: &Instance) -> Result<(), Error> {
    if instance.inputs.len() != spec.coeffs.len() {
        return Err(Error::Length {
            what: "linear inputs",
            expected: spec.coeffs.len(),
            got: instance.inputs.len(),
        });
    }
    Ok(())
}

fn claims(instance: &Instance, evals: &[Fr]) -> BlockClaims {
    let tensors = instance
        .inputs
        .iter()
        .zip(evals)
        .map(|(id, v)| TensorClaim { tensor: *id, point: instance.output.point.clone(), value: *v })
        .collect();
    BlockClaims { committed: vec![], tensors }
}
