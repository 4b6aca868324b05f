//! A batch of Hadamard claims proved by **one** sumcheck: claims `z̃_i(r_i) = v_i` with
//! `z_i = x_i ∘ y_i` on tensors of (possibly) different shapes become
//! `Σ_b eq(r_i, b)·x̃_i(b)·ỹ_i(b) = v_i` for every `i`, batched by the kernel's sumcheck (random
//! coefficients `α^i`, instance `i` extended by leading dummy variables; [`crate::sumcheck`]). It
//! ends in claims `x̃_i(r'_i)`, `ỹ_i(r'_i)` at each instance's point `r'_i` (the last `n_i`
//! challenges). The runtime proves all its zero checks (clamps, max pooling, selectors) a level of
//! their product trees at a time this way: one proof of `N` rounds instead of one per check.
//!
//! Transcript: `"hadamard batch"`, the number of claims, every output claim; the batched sumcheck
//! (its statements, `α`, the rounds); then every `(x̃_i(r'_i), ỹ_i(r'_i))`. Proof: `N` rounds of 3
//! scalars (`N` = the most variables of any shape) plus two scalars per claim.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{check_outputs, checked, expect_inputs};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim, TensorId};
use crate::curve::Fr;
use crate::error::{Error, RelationError, VerifyError};
use crate::mle::{DenseMle, eq_eval, eq_table};
use crate::sumcheck::{
    SumOfProducts, SumcheckInstance, SumcheckProof, SumcheckStatement, prove_batch, verify_batch,
};
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

const PROTOCOL: &str = "hadamard batch";

/// The batched Hadamard verb.
pub struct HadamardBatch;

/// The shape of each claim's `x_i`, `y_i` and `z_i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HadamardBatchSpec {
    pub shapes: Vec<Vec<usize>>,
}

/// The claims on the products and, per claim, the two tensors multiplied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HadamardBatchInstance {
    pub outputs: Vec<TensorClaim>,
    pub inputs: Vec<[TensorId; 2]>,
}

/// One batched sumcheck and `(x̃_i(r'_i), ỹ_i(r'_i))` per claim.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct HadamardBatchProof {
    pub sumcheck: SumcheckProof,
    pub evals: Vec<[Fr; 2]>,
}

fn check_lengths(
    spec: &HadamardBatchSpec,
    instance: &HadamardBatchInstance,
) -> Result<Vec<usize>, Error> {
    let n = spec.shapes.len();
    for (what, got) in [
        ("hadamard batch claims", instance.outputs.len()),
        ("hadamard batch inputs", instance.inputs.len()),
    ] {
        if got != n {
            return Err(Error::Length { what, expected: n, got });
        }
    }
    let vars: Vec<usize> = spec.shapes.iter().map(|s| axis_vars(s).iter().sum()).collect();
    for (claim, v) in instance.outputs.iter().zip(&vars) {
        if claim.point.len() != *v {
            return Err(Error::Length {
                what: "hadamard batch claim point",
                expected: *v,
                got: claim.point.len(),
            });
        }
    }
    Ok(vars)
}

fn absorb_statement(t: &mut Transcript, instance: &HadamardBatchInstance) {
    t.append_bytes(b"block", PROTOCOL.as_bytes());
    t.append_u64(b"hadamard batch claims", instance.outputs.len() as u64);
    t.append_serializable(b"output claims", &instance.outputs);
}

fn input_claims(
    instance: &HadamardBatchInstance,
    points: &[Vec<Fr>],
    evals: &[[Fr; 2]],
) -> BlockClaims {
    let mut tensors = Vec::with_capacity(2 * evals.len());
    for ((ids, point), e) in instance.inputs.iter().zip(points).zip(evals) {
        for (id, value) in ids.iter().zip(e) {
            tensors.push(TensorClaim { tensor: *id, point: point.clone(), value: *value });
        }
    }
    BlockClaims { committed: vec![], tensors }
}

impl Block for HadamardBatch {
    type Spec = HadamardBatchSpec;
    type Instance = HadamardBatchInstance;
    /// `(x_i, y_i)` per claim.
    type Witness = Vec<[IntTensor; 2]>;
    type Proof = HadamardBatchProof;

    /// Inputs `x_0, y_0, x_1, y_1, …`; outputs `x_i ∘ y_i`.
    fn eval(spec: &HadamardBatchSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        if inputs.len() != 2 * spec.shapes.len() {
            return Err(Error::Length {
                what: "hadamard batch inputs",
                expected: 2 * spec.shapes.len(),
                got: inputs.len(),
            });
        }
        spec.shapes
            .iter()
            .zip(inputs.chunks(2))
            .map(|(shape, pair)| {
                expect_inputs(pair, 2, shape)?;
                let data = pair[0]
                    .data()
                    .iter()
                    .zip(pair[1].data())
                    .map(|(a, b)| checked("hadamard batch", a.checked_mul(*b)))
                    .collect::<Result<_, _>>()?;
                IntTensor::new(shape.clone(), data)
            })
            .collect()
    }

    fn check(
        spec: &HadamardBatchSpec,
        instance: &HadamardBatchInstance,
        witness: &Vec<[IntTensor; 2]>,
    ) -> Result<(), RelationError> {
        let violated = |detail: String| RelationError::Violated { relation: PROTOCOL, detail };
        check_lengths(spec, instance).map_err(|e| violated(e.to_string()))?;
        if witness.len() != spec.shapes.len() {
            return Err(violated(format!(
                "{} witness pairs for {} claims",
                witness.len(),
                spec.shapes.len()
            )));
        }
        for ((shape, pair), claim) in spec.shapes.iter().zip(witness).zip(&instance.outputs) {
            let single = super::HadamardSpec { shape: shape.clone() };
            let product = <super::Hadamard as Block>::eval(&single, pair.as_slice());
            check_outputs(PROTOCOL, product, claim)?;
        }
        Ok(())
    }

    fn prove(
        spec: &HadamardBatchSpec,
        instance: &HadamardBatchInstance,
        witness: &Vec<[IntTensor; 2]>,
        t: &mut Transcript,
    ) -> Result<(HadamardBatchProof, BlockClaims), Error> {
        let vars = check_lengths(spec, instance)?;
        if witness.len() != vars.len() {
            return Err(Error::Length {
                what: "hadamard batch witness",
                expected: vars.len(),
                got: witness.len(),
            });
        }
        absorb_statement(t, instance);
        let mut instances = Vec::with_capacity(vars.len());
        for ((pair, claim), shape) in witness.iter().zip(&instance.outputs).zip(&spec.shapes) {
            expect_inputs(pair.as_slice(), 2, shape)?;
            let eq = DenseMle::new(eq_table(&claim.point)?)?;
            instances.push(SumcheckInstance {
                polys: vec![eq, pair[0].to_mle(), pair[1].to_mle()],
                expr: SumOfProducts::product(3),
            });
        }
        let claims: Vec<Fr> = instance.outputs.iter().map(|c| c.value).collect();
        let out = prove_batch(instances, &claims, t)?;
        let evals: Vec<[Fr; 2]> = out.final_evals.iter().map(|e| [e[1], e[2]]).collect();
        t.append_serializable(b"hadamard batch input evals", &evals);
        let max = out.point.len();
        let points: Vec<Vec<Fr>> = vars.iter().map(|n| out.point[max - n..].to_vec()).collect();
        let claims = input_claims(instance, &points, &evals);
        Ok((HadamardBatchProof { sumcheck: out.proof, evals }, claims))
    }

    fn verify(
        spec: &HadamardBatchSpec,
        instance: &HadamardBatchInstance,
        proof: &HadamardBatchProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        let vars = check_lengths(spec, instance)?;
        if proof.evals.len() != vars.len() {
            return Err(VerifyError::ProofShape {
                what: "hadamard batch evaluations",
                expected: vars.len(),
                got: proof.evals.len(),
            });
        }
        absorb_statement(t, instance);
        let statements: Vec<SumcheckStatement> = vars
            .iter()
            .zip(&instance.outputs)
            .map(|(n, c)| SumcheckStatement { num_vars: *n, degree: 3, claim: c.value })
            .collect();
        let sub = verify_batch(&statements, &proof.sumcheck, t)?;
        let mut points = Vec::with_capacity(vars.len());
        let mut finals = Vec::with_capacity(vars.len());
        for (i, (claim, e)) in instance.outputs.iter().zip(&proof.evals).enumerate() {
            let point = sub.instance_point(i).ok_or(VerifyError::ProofShape {
                what: "hadamard batch instance point",
                expected: vars[i],
                got: sub.point.len(),
            })?;
            finals.push(vec![eq_eval(&claim.point, point)?, e[0], e[1]]);
            points.push(point.to_vec());
        }
        let expr = SumOfProducts::product(3);
        let exprs: Vec<&SumOfProducts> = vec![&expr; vars.len()];
        sub.check_final(PROTOCOL, &exprs, &finals)?;
        t.append_serializable(b"hadamard batch input evals", &proof.evals);
        Ok(input_claims(instance, &points, &proof.evals))
    }
}
