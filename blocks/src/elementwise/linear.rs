//! `z = Σ_i c_i·x_i + c_0` with public integers `c_i` and a constant `c_0` added on the unpadded
//! region only: `z̃(r) = Σ_i c_i·x̃_i(r) + c_0·Ĩ(r)`. No sumcheck: the prover sends every
//! `x̃_i(r)`, the verifier checks the linear relation and hands on one claim per input at `r`.
//! A false `x̃_i(r)` is caught when that claim is discharged. Proof: one scalar per input.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{Instance, absorb_output, check_outputs, checked, expect_inputs, split_point};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim};
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

/// `x̃_i(r)` for every input.
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
        let input_evals: Vec<Fr> = witness
            .iter()
            .map(|x| x.to_mle().evaluate(&instance.output.point))
            .collect::<Result<_, _>>()?;
        t.append_scalars(b"linear input evals", &input_evals);
        let claims = claims(instance, &input_evals);
        Ok((LinearProof { input_evals }, claims))
    }

    fn verify(
        spec: &LinearSpec,
        instance: &Instance,
        proof: &LinearProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        check_ids(spec, instance)?;
        if proof.input_evals.len() != spec.coeffs.len() {
            return Err(VerifyError::ProofShape {
                what: "linear input evaluations",
                expected: spec.coeffs.len(),
                got: proof.input_evals.len(),
            });
        }
        let axes = split_point(&instance.output.point, &spec.shape)?;
        absorb_output(t, PROTOCOL.as_bytes(), instance);
        let combined: Fr =
            spec.coeffs.iter().zip(&proof.input_evals).map(|(c, e)| fr_from_i64(*c) * e).sum();
        let constant = fr_from_i64(spec.constant) * region_indicator(&axes, &spec.shape)?;
        if combined + constant != instance.output.value {
            return Err(VerifyError::Mismatch { protocol: PROTOCOL, what: "output claim" });
        }
        t.append_scalars(b"linear input evals", &proof.input_evals);
        Ok(claims(instance, &proof.input_evals))
    }
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
