//! A batch of product claims proved by **one** sumcheck: claims `z̃_i(r_i) = v_i` with
//! `z_i = x_{i,1} ∘ … ∘ x_{i,k_i}` (`1 ≤ k_i ≤ 7` factors) on tensors of (possibly) different
//! shapes become `Σ_b eq(r_i, b)·Π_j x̃_{i,j}(b) = v_i` for every `i`, batched by the kernel's
//! sumcheck (random coefficients `α^i`, instance `i` of degree `k_i + 1` extended by leading dummy
//! variables; [`crate::sumcheck`]). It ends in claims `x̃_{i,j}(r'_i)` at each instance's point
//! `r'_i` (the last `n_i` challenges). The runtime proves all its zero checks and products
//! (clamps, max pooling, selectors) in one such proof: `N` rounds instead of one sumcheck per
//! check, and one level instead of a tree of pairwise products.
//!
//! Transcript: `"hadamard batch"`, the number of claims, every output claim; the batched sumcheck
//! (its statements, `α`, the rounds); then every `x̃_{i,j}(r'_i)`, claim by claim. Proof: `N` rounds
//! of `max_i k_i + 1` scalars (`N` = the most variables of any shape) plus one scalar per factor.

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

/// The claims on the products and, per claim, the tensors multiplied (its factors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HadamardBatchInstance {
    pub outputs: Vec<TensorClaim>,
    pub inputs: Vec<Vec<TensorId>>,
}

/// One batched sumcheck and `x̃_{i,j}(r'_i)` per factor, claim by claim.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct HadamardBatchProof {
    pub sumcheck: SumcheckProof,
    pub evals: Vec<Fr>,
}

/// The most factors of one claim (the kernel's sumcheck takes degree ≤ 8).
pub const MAX_FACTORS: usize = crate::sumcheck::MAX_DEGREE - 1;

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
    for (i, ids) in instance.inputs.iter().enumerate() {
        if ids.is_empty() || ids.len() > MAX_FACTORS {
            return Err(Error::Invalid {
                what: PROTOCOL,
                reason: format!("claim {i} has {} factors (1 to {MAX_FACTORS})", ids.len()),
            });
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

fn input_claims(instance: &HadamardBatchInstance, points: &[Vec<Fr>], evals: &[Fr]) -> BlockClaims {
    let mut tensors = Vec::with_capacity(evals.len());
    let mut values = evals.iter();
    for (ids, point) in instance.inputs.iter().zip(points) {
        for (id, value) in ids.iter().zip(values.by_ref()) {
            tensors.push(TensorClaim { tensor: *id, point: point.clone(), value: *value });
        }
    }
    BlockClaims { committed: vec![], tensors }
}

/// `Π_j x_j` entrywise, in checked integers.
fn product(shape: &[usize], factors: &[IntTensor]) -> Result<IntTensor, Error> {
    expect_inputs(factors, factors.len(), shape)?;
    let mut data = vec![1i64; shape.iter().product()];
    for x in factors {
        for (z, v) in data.iter_mut().zip(x.data()) {
            *z = checked(PROTOCOL, z.checked_mul(*v))?;
        }
    }
    IntTensor::new(shape.to_vec(), data)
}

impl Block for HadamardBatch {
    type Spec = HadamardBatchSpec;
    type Instance = HadamardBatchInstance;
    /// The factors of each claim.
    type Witness = Vec<Vec<IntTensor>>;
    type Proof = HadamardBatchProof;

    /// Inputs: two factors per claim, `x_0, y_0, x_1, y_1, …` (the pairwise form; claims with
    /// other numbers of factors go through [`Block::check`] and [`Block::prove`] only); outputs
    /// `x_i ∘ y_i`.
    fn eval(spec: &HadamardBatchSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        if inputs.len() != 2 * spec.shapes.len() {
            return Err(Error::Length {
                what: "hadamard batch inputs",
                expected: 2 * spec.shapes.len(),
                got: inputs.len(),
            });
        }
        spec.shapes.iter().zip(inputs.chunks(2)).map(|(shape, pair)| product(shape, pair)).collect()
    }

    fn check(
        spec: &HadamardBatchSpec,
        instance: &HadamardBatchInstance,
        witness: &Vec<Vec<IntTensor>>,
    ) -> Result<(), RelationError> {
        let violated = |detail: String| RelationError::Violated { relation: PROTOCOL, detail };
        check_lengths(spec, instance).map_err(|e| violated(e.to_string()))?;
        if witness.len() != spec.shapes.len() {
            return Err(violated(format!(
                "{} witness factor lists for {} claims",
                witness.len(),
                spec.shapes.len()
            )));
        }
        for (i, ((shape, factors), claim)) in
            spec.shapes.iter().zip(witness).zip(&instance.outputs).enumerate()
        {
            if factors.len() != instance.inputs[i].len() {
                return Err(violated(format!("claim {i}: witness and instance factors differ")));
            }
            check_outputs(PROTOCOL, product(shape, factors).map(|z| vec![z]), claim)?;
        }
        Ok(())
    }

    fn prove(
        spec: &HadamardBatchSpec,
        instance: &HadamardBatchInstance,
        witness: &Vec<Vec<IntTensor>>,
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
        for (((factors, claim), shape), ids) in
            witness.iter().zip(&instance.outputs).zip(&spec.shapes).zip(&instance.inputs)
        {
            expect_inputs(factors, ids.len(), shape)?;
            let mut polys = vec![DenseMle::new(eq_table(&claim.point)?)?];
            polys.extend(factors.iter().map(IntTensor::to_mle));
            instances.push(SumcheckInstance { expr: SumOfProducts::product(polys.len()), polys });
        }
        let claims: Vec<Fr> = instance.outputs.iter().map(|c| c.value).collect();
        let out = prove_batch(instances, &claims, t)?;
        let evals: Vec<Fr> = out.final_evals.iter().flat_map(|e| e[1..].iter().copied()).collect();
        t.append_scalars(b"hadamard batch input evals", &evals);
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
        let factors: usize = instance.inputs.iter().map(Vec::len).sum();
        if proof.evals.len() != factors {
            return Err(VerifyError::ProofShape {
                what: "hadamard batch evaluations",
                expected: factors,
                got: proof.evals.len(),
            });
        }
        absorb_statement(t, instance);
        let statements: Vec<SumcheckStatement> = vars
            .iter()
            .zip(&instance.outputs)
            .zip(&instance.inputs)
            .map(|((n, c), ids)| SumcheckStatement {
                num_vars: *n,
                degree: ids.len() + 1,
                claim: c.value,
            })
            .collect();
        let sub = verify_batch(&statements, &proof.sumcheck, t)?;
        let mut points = Vec::with_capacity(vars.len());
        let mut finals = Vec::with_capacity(vars.len());
        let mut values = proof.evals.iter();
        for (i, (claim, ids)) in instance.outputs.iter().zip(&instance.inputs).enumerate() {
            let point = sub.instance_point(i).ok_or(VerifyError::ProofShape {
                what: "hadamard batch instance point",
                expected: vars[i],
                got: sub.point.len(),
            })?;
            let mut fin = vec![eq_eval(&claim.point, point)?];
            fin.extend(values.by_ref().take(ids.len()).copied());
            finals.push(fin);
            points.push(point.to_vec());
        }
        let exprs: Vec<SumOfProducts> =
            instance.inputs.iter().map(|ids| SumOfProducts::product(ids.len() + 1)).collect();
        let exprs: Vec<&SumOfProducts> = exprs.iter().collect();
        sub.check_final(PROTOCOL, &exprs, &finals)?;
        t.append_scalars(b"hadamard batch input evals", &proof.evals);
        Ok(input_claims(instance, &points, &proof.evals))
    }
}
