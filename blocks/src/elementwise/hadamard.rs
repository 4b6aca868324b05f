//! `z = x ∘ y`: the claim `z̃(r) = v` becomes `Σ_b eq(r,b)·x̃(b)·ỹ(b) = v`, one degree-3 sumcheck,
//! ending in claims `x̃(r')`, `ỹ(r')` at the sumcheck's point `r'`.
//!
//! Transcript: `"hadamard"`, output claim, then the sumcheck (see [`crate::sumcheck`]), then
//! `x̃(r'), ỹ(r')`. Proof: `n` rounds of 3 scalars plus 2 scalars (`n` = variables of the shape).

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{Instance, absorb_output, check_outputs, checked, expect_inputs};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim};
use crate::error::{Error, RelationError, VerifyError};
use crate::mle::{DenseMle, eq_eval, eq_table};
use crate::sumcheck::{
    SumOfProducts, SumcheckInstance, SumcheckProof, SumcheckStatement, prove_batch, verify_batch,
};
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

const PROTOCOL: &str = "hadamard";

/// The Hadamard product verb.
pub struct Hadamard;

/// Shape shared by `x`, `y` and `z`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HadamardSpec {
    pub shape: Vec<usize>,
}

/// Sumcheck rounds and the two input evaluations at its point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct HadamardProof {
    pub sumcheck: SumcheckProof,
    pub left_eval: crate::curve::Fr,
    pub right_eval: crate::curve::Fr,
}

impl Block for Hadamard {
    type Spec = HadamardSpec;
    type Instance = Instance;
    type Witness = Vec<IntTensor>;
    type Proof = HadamardProof;

    fn eval(spec: &HadamardSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        expect_inputs(inputs, 2, &spec.shape)?;
        let data = inputs[0]
            .data()
            .iter()
            .zip(inputs[1].data())
            .map(|(a, b)| checked("hadamard", a.checked_mul(*b)))
            .collect::<Result<_, _>>()?;
        Ok(vec![IntTensor::new(spec.shape.clone(), data)?])
    }

    fn check(
        spec: &HadamardSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
    ) -> Result<(), RelationError> {
        check_outputs(PROTOCOL, Self::eval(spec, witness), &instance.output)
    }

    fn prove(
        spec: &HadamardSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
        t: &mut Transcript,
    ) -> Result<(HadamardProof, BlockClaims), Error> {
        expect_inputs(witness, 2, &spec.shape)?;
        let inputs = expect_ids(instance)?;
        absorb_output(t, PROTOCOL.as_bytes(), instance);
        let eq = DenseMle::new(eq_table(&instance.output.point)?)?;
        let (x, y) = (witness[0].to_mle(), witness[1].to_mle());
        if x.num_vars() != eq.num_vars() {
            return Err(Error::Length {
                what: "hadamard claim point",
                expected: x.num_vars(),
                got: eq.num_vars(),
            });
        }
        let out = prove_batch(
            vec![SumcheckInstance { polys: vec![eq, x, y], expr: SumOfProducts::product(3) }],
            &[instance.output.value],
            t,
        )?;
        let (left_eval, right_eval) = (out.final_evals[0][1], out.final_evals[0][2]);
        t.append_scalars(b"hadamard input evals", &[left_eval, right_eval]);
        let claims = input_claims(inputs, &out.point, left_eval, right_eval);
        Ok((HadamardProof { sumcheck: out.proof, left_eval, right_eval }, claims))
    }

    fn verify(
        spec: &HadamardSpec,
        instance: &Instance,
        proof: &HadamardProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        let inputs = expect_ids(instance)?;
        let num_vars: usize = axis_vars(&spec.shape).iter().sum();
        if instance.output.point.len() != num_vars {
            return Err(Error::Length {
                what: "hadamard claim point",
                expected: num_vars,
                got: instance.output.point.len(),
            }
            .into());
        }
        absorb_output(t, PROTOCOL.as_bytes(), instance);
        let statement = SumcheckStatement { num_vars, degree: 3, claim: instance.output.value };
        let sub = verify_batch(&[statement], &proof.sumcheck, t)?;
        let eq_at = eq_eval(&instance.output.point, &sub.point)?;
        let expr = SumOfProducts::product(3);
        sub.check_final(PROTOCOL, &[&expr], &[vec![eq_at, proof.left_eval, proof.right_eval]])?;
        t.append_scalars(b"hadamard input evals", &[proof.left_eval, proof.right_eval]);
        Ok(input_claims(inputs, &sub.point, proof.left_eval, proof.right_eval))
    }
}

fn expect_ids(instance: &Instance) -> Result<[crate::claim::TensorId; 2], Error> {
    match instance.inputs.as_slice() {
        [a, b] => Ok([*a, *b]),
        other => Err(Error::Length { what: "hadamard inputs", expected: 2, got: other.len() }),
    }
}

fn input_claims(
    ids: [crate::claim::TensorId; 2],
    point: &[crate::curve::Fr],
    left: crate::curve::Fr,
    right: crate::curve::Fr,
) -> BlockClaims {
    BlockClaims {
        committed: vec![],
        tensors: vec![
            TensorClaim { tensor: ids[0], point: point.to_vec(), value: left },
            TensorClaim { tensor: ids[1], point: point.to_vec(), value: right },
        ],
    }
}
