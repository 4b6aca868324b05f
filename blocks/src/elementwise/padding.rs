//! The zero-padding check of a committed tensor: `T(b) = 0` for every padded position `b`.
//!
//! A committed tensor's prover chose every entry of its table, padding included, so nothing else
//! implies that its padding is zero. The check is a zerocheck: after `T`'s commitment is absorbed
//! the verifier draws `ρ` and the prover runs the degree-3 sumcheck
//! `Σ_b eq(ρ, b)·T(b)·(1 − Ĩ(b)) = 0` (`Ĩ` = the unpadded-region indicator of the shape). The
//! verifier computes `eq(ρ, r')` and `Ĩ(r')` itself and hands on the claim `T(r') = u` on the
//! commitment. If some padded entry is non-zero, the sum is a non-zero polynomial in `ρ` and
//! vanishes with probability at most `n/|Fr|`.
//!
//! Transcript: `"padding check"`, the commitment, `ρ`, the sumcheck, `u`. Proof: `n` rounds of 3
//! scalars and `u`.

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

/// The tensor's (unpadded) shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddingCheckSpec {
    pub shape: Vec<usize>,
}

/// The commitment whose padding is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddingCheckInstance {
    pub commitment: Commitment,
}

/// Sumcheck rounds and `T(r')`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PaddingCheckProof {
    pub sumcheck: SumcheckProof,
    pub tensor_eval: Fr,
}

impl Block for PaddingCheck {
    type Spec = PaddingCheckSpec;
    type Instance = PaddingCheckInstance;
    /// The committed table itself (it may hold anything in its padding).
    type Witness = DenseMle;
    type Proof = PaddingCheckProof;

    /// The identity: the check does not compute anything.
    fn eval(spec: &PaddingCheckSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        match inputs {
            [x] if x.shape() == spec.shape.as_slice() => Ok(vec![x.clone()]),
            _ => Err(Error::Invalid {
                what: PROTOCOL,
                reason: "expects one tensor of the spec's shape".into(),
            }),
        }
    }

    fn check(
        spec: &PaddingCheckSpec,
        _: &PaddingCheckInstance,
        witness: &DenseMle,
    ) -> Result<(), RelationError> {
        let mask = padding_mask(spec)
            .map_err(|e| RelationError::Violated { relation: PROTOCOL, detail: e.to_string() })?;
        if mask.len() != witness.evals().len() {
            return Err(RelationError::Violated {
                relation: PROTOCOL,
                detail: "table size does not match the shape".into(),
            });
        }
        match witness.evals().iter().zip(&mask).position(|(v, m)| !m.is_zero() && !v.is_zero()) {
            None => Ok(()),
            Some(i) => Err(RelationError::Violated {
                relation: PROTOCOL,
                detail: format!("padded entry {i} is non-zero"),
            }),
        }
    }

    fn prove(
        spec: &PaddingCheckSpec,
        instance: &PaddingCheckInstance,
        witness: &DenseMle,
        t: &mut Transcript,
    ) -> Result<(PaddingCheckProof, BlockClaims), Error> {
        let num_vars = spec_vars(spec);
        if witness.num_vars() != num_vars {
            return Err(Error::Length {
                what: "padding check table variables",
                expected: num_vars,
                got: witness.num_vars(),
            });
        }
        let rho = challenge(t, instance, num_vars);
        let polys = vec![
            DenseMle::new(eq_table(&rho)?)?,
            witness.clone(),
            DenseMle::new(padding_mask(spec)?)?,
        ];
        let out = prove_batch(
            vec![SumcheckInstance { polys, expr: SumOfProducts::product(3) }],
            &[Fr::zero()],
            t,
        )?;
        let tensor_eval = out.final_evals[0][1];
        t.append_scalar(b"padding check tensor eval", &tensor_eval);
        let claim = Claim { commitment: instance.commitment, point: out.point, value: tensor_eval };
        Ok((
            PaddingCheckProof { sumcheck: out.proof, tensor_eval },
            BlockClaims { committed: vec![claim], tensors: vec![] },
        ))
    }

    fn verify(
        spec: &PaddingCheckSpec,
        instance: &PaddingCheckInstance,
        proof: &PaddingCheckProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        let num_vars = spec_vars(spec);
        let rho = challenge(t, instance, num_vars);
        let statement = SumcheckStatement { num_vars, degree: 3, claim: Fr::zero() };
        let sub = verify_batch(&[statement], &proof.sumcheck, t)?;
        let axes = split_point(&sub.point, &spec.shape)?;
        let outside = Fr::one() - region_indicator(&axes, &spec.shape)?;
        let eq_at = eq_eval(&rho, &sub.point)?;
        let expr = SumOfProducts::product(3);
        sub.check_final(PROTOCOL, &[&expr], &[vec![eq_at, proof.tensor_eval, outside]])?;
        t.append_scalar(b"padding check tensor eval", &proof.tensor_eval);
        let claim =
            Claim { commitment: instance.commitment, point: sub.point, value: proof.tensor_eval };
        Ok(BlockClaims { committed: vec![claim], tensors: vec![] })
    }
}

/// Absorbs the commitment, then draws `ρ`: the zerocheck's point must not be known when the
/// table is committed.
pub(crate) fn challenge(
    t: &mut Transcript,
    instance: &PaddingCheckInstance,
    num_vars: usize,
) -> Vec<Fr> {
    t.append_bytes(b"block", PROTOCOL.as_bytes());
    t.append_serializable(b"padding check commitment", &instance.commitment);
    t.challenge_scalars(b"padding check rho", num_vars)
}

fn spec_vars(spec: &PaddingCheckSpec) -> usize {
    axis_vars(&spec.shape).iter().sum()
}

/// `1 − Ĩ` on the hypercube: 1 on padded positions, 0 inside the tensor.
fn padding_mask(spec: &PaddingCheckSpec) -> Result<Vec<Fr>, Error> {
    let inside = IntTensor::new(spec.shape.clone(), vec![1; spec.shape.iter().product()])?.to_mle();
    Ok(inside.evals().iter().map(|v| Fr::one() - v).collect())
}
