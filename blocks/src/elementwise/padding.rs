//! The zero-padding check of committed tensors: `T_i(b) = 0` for every padded position `b` of
//! every tensor `T_i` of the batch.
//!
//! A committed tensor's prover chose every entry of its table, padding included, so nothing else
//! implies that its padding is zero. The check is a zerocheck per tensor: after **every**
//! commitment is absorbed the verifier draws `ρ_i` (one point per tensor) and one batched
//! degree-3 sumcheck ([`crate::sumcheck`]) proves `Σ_b eq(ρ_i, b)·T_i(b)·(1 − Ĩ_i(b)) = 0` for all
//! `i` (`Ĩ_i` = the unpadded-region indicator of tensor `i`'s shape). The verifier computes
//! `eq(ρ_i, r_i)` and `Ĩ_i(r_i)` itself (`r_i` = the last `n_i` sumcheck challenges) and hands on
//! the claims `T_i(r_i) = u_i`. If some padded entry is non-zero, that tensor's sum is a non-zero
//! polynomial in `ρ_i` and vanishes with probability at most `n_i/|Fr|`; the batching adds
//! `k/|Fr|` for `k` tensors.
//!
//! Transcript: `"padding check"`, the number of tensors, every commitment, every `ρ_i`, the
//! sumcheck, the `u_i`. Proof: `max_i n_i` rounds of 3 scalars and one `u_i` per tensor — one
//! sumcheck for all the committed tensors of a plan instead of one each.

use ark_ff::{One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::split_point;
use crate::block::Block;
use crate::claim::{BlockClaims, Claim};
use crate::curve::Fr;
use crate::error::{Error, RelationError, VerifyError};
use crate::kzg::Commitment;
use crate::mle::{DenseMle, eq_eval, eq_table, region_indicator};
use crate::sumcheck::{
    SumOfProducts, SumcheckInstance, SumcheckProof, SumcheckStatement, prove_batch, verify_batch,
};
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

const PROTOCOL: &str = "padding check";

/// The padding-check verb.
pub struct PaddingCheck;

/// The tensors' (unpadded) shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddingCheckSpec {
    pub shapes: Vec<Vec<usize>>,
}

/// The commitments whose padding is checked, one per shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddingCheckInstance {
    pub commitments: Vec<Commitment>,
}

/// Sumcheck rounds and `T_i(r_i)` per tensor.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PaddingCheckProof {
    pub sumcheck: SumcheckProof,
    pub tensor_evals: Vec<Fr>,
}

impl Block for PaddingCheck {
    type Spec = PaddingCheckSpec;
    type Instance = PaddingCheckInstance;
    /// The committed tables themselves (they may hold anything in their padding).
    type Witness = Vec<DenseMle>;
    type Proof = PaddingCheckProof;

    /// The identity: the check does not compute anything.
    fn eval(spec: &PaddingCheckSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        let fits = inputs.len() == spec.shapes.len()
            && inputs.iter().zip(&spec.shapes).all(|(x, s)| x.shape() == s.as_slice());
        if !fits {
            return Err(Error::Invalid {
                what: PROTOCOL,
                reason: "expects one tensor of each of the spec's shapes".into(),
            });
        }
        Ok(inputs.to_vec())
    }

    fn check(
        spec: &PaddingCheckSpec,
        instance: &PaddingCheckInstance,
        witness: &Vec<DenseMle>,
    ) -> Result<(), RelationError> {
        let violated = |detail: String| RelationError::Violated { relation: PROTOCOL, detail };
        check_sizes(spec, instance).map_err(|e| violated(e.to_string()))?;
        if witness.len() != spec.shapes.len() {
            return Err(violated("one table per shape expected".into()));
        }
        for (k, (shape, table)) in spec.shapes.iter().zip(witness).enumerate() {
            let mask = padding_mask(shape).map_err(|e| violated(e.to_string()))?;
            if mask.len() != table.evals().len() {
                return Err(violated(format!("tensor {k}: table size does not match the shape")));
            }
            let bad =
                table.evals().iter().zip(&mask).position(|(v, m)| !m.is_zero() && !v.is_zero());
            if let Some(i) = bad {
                return Err(violated(format!("tensor {k}: padded entry {i} is non-zero")));
            }
        }
        Ok(())
    }

    fn prove(
        spec: &PaddingCheckSpec,
        instance: &PaddingCheckInstance,
        witness: &Vec<DenseMle>,
        t: &mut Transcript,
    ) -> Result<(PaddingCheckProof, BlockClaims), Error> {
        check_sizes(spec, instance)?;
        if witness.len() != spec.shapes.len() {
            return Err(Error::Length {
                what: "padding check tables",
                expected: spec.shapes.len(),
                got: witness.len(),
            });
        }
        for (shape, table) in spec.shapes.iter().zip(witness) {
            if table.num_vars() != shape_vars(shape) {
                return Err(Error::Length {
                    what: "padding check table variables",
                    expected: shape_vars(shape),
                    got: table.num_vars(),
                });
            }
        }
        let rhos = challenges(t, spec, instance);
        let instances = spec
            .shapes
            .iter()
            .zip(witness)
            .zip(&rhos)
            .map(|((shape, table), rho)| {
                let polys = vec![
                    DenseMle::new(eq_table(rho)?)?,
                    table.clone(),
                    DenseMle::new(padding_mask(shape)?)?,
                ];
                Ok(SumcheckInstance { polys, expr: SumOfProducts::product(3) })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let zeros = vec![Fr::zero(); instances.len()];
        let out = prove_batch(instances, &zeros, t)?;
        let tensor_evals: Vec<Fr> = out.final_evals.iter().map(|e| e[1]).collect();
        t.append_scalars(b"padding check tensor evals", &tensor_evals);
        let proof = PaddingCheckProof { sumcheck: out.proof, tensor_evals };
        let claims = output_claims(spec, instance, &proof, &out.point);
        Ok((proof, claims))
    }

    fn verify(
        spec: &PaddingCheckSpec,
        instance: &PaddingCheckInstance,
        proof: &PaddingCheckProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        check_sizes(spec, instance)?;
        if proof.tensor_evals.len() != spec.shapes.len() {
            return Err(VerifyError::ProofShape {
                what: "padding check tensor evaluations",
                expected: spec.shapes.len(),
                got: proof.tensor_evals.len(),
            });
        }
        let rhos = challenges(t, spec, instance);
        let statements: Vec<SumcheckStatement> = spec
            .shapes
            .iter()
            .map(|s| SumcheckStatement { num_vars: shape_vars(s), degree: 3, claim: Fr::zero() })
            .collect();
        let sub = verify_batch(&statements, &proof.sumcheck, t)?;
        let mut evals = Vec::with_capacity(spec.shapes.len());
        for (((shape, rho), u), n) in
            spec.shapes.iter().zip(&rhos).zip(&proof.tensor_evals).zip(&statements)
        {
            let point = &sub.point[sub.point.len() - n.num_vars..];
            let axes = split_point(point, shape)?;
            let outside = Fr::one() - region_indicator(&axes, shape)?;
            evals.push(vec![eq_eval(rho, point)?, *u, outside]);
        }
        let expr = SumOfProducts::product(3);
        let exprs = vec![&expr; spec.shapes.len()];
        sub.check_final(PROTOCOL, &exprs, &evals)?;
        t.append_scalars(b"padding check tensor evals", &proof.tensor_evals);
        Ok(output_claims(spec, instance, proof, &sub.point))
    }
}

fn check_sizes(spec: &PaddingCheckSpec, instance: &PaddingCheckInstance) -> Result<(), Error> {
    if spec.shapes.is_empty() || instance.commitments.len() != spec.shapes.len() {
        return Err(Error::Length {
            what: "padding check commitments",
            expected: spec.shapes.len().max(1),
            got: instance.commitments.len(),
        });
    }
    Ok(())
}

/// Each tensor's claim at its own point (the last `n_i` challenges of `point`).
fn output_claims(
    spec: &PaddingCheckSpec,
    instance: &PaddingCheckInstance,
    proof: &PaddingCheckProof,
    point: &[Fr],
) -> BlockClaims {
    let committed = spec
        .shapes
        .iter()
        .zip(&instance.commitments)
        .zip(&proof.tensor_evals)
        .map(|((shape, c), u)| Claim {
            commitment: *c,
            point: point[point.len() - shape_vars(shape)..].to_vec(),
            value: *u,
        })
        .collect();
    BlockClaims { committed, tensors: vec![] }
}

/// Absorbs every commitment, then draws every `ρ_i`: no zerocheck point may be known when any
/// table is committed.
pub(crate) fn challenges(
    t: &mut Transcript,
    spec: &PaddingCheckSpec,
    instance: &PaddingCheckInstance,
) -> Vec<Vec<Fr>> {
    t.append_bytes(b"block", PROTOCOL.as_bytes());
    t.append_u64(b"padding check tensors", instance.commitments.len() as u64);
    t.append_serializable(b"padding check commitments", &instance.commitments);
    spec.shapes.iter().map(|s| t.challenge_scalars(b"padding check rho", shape_vars(s))).collect()
}

fn shape_vars(shape: &[usize]) -> usize {
    axis_vars(shape).iter().sum()
}

/// `1 − Ĩ` on the hypercube: 1 on padded positions, 0 inside the tensor.
fn padding_mask(shape: &[usize]) -> Result<Vec<Fr>, Error> {
    let inside = IntTensor::new(shape.to_vec(), vec![1; shape.iter().product()])?.to_mle();
    Ok(inside.evals().iter().map(|v| Fr::one() - v).collect())
}
