//! The fixed-weight matmul verifier: shape checks, the sumcheck replay, the final check, and the
//! claims on `X`, `W` (and `b`) at the sumcheck's own final point.

use super::fixed::{
    MatmulInstance, MatmulProof, MatmulSpec, PROTOCOL, absorb_evals, absorb_statement,
    emitted_claims, sumcheck_claim,
};
use super::prover::split_point;
use crate::claim::BlockClaims;
use crate::error::{Error, VerifyError};
use crate::sumcheck::{SumcheckStatement, verify_batch};
use crate::transcript::Transcript;

/// Replays the proof; returns the claims the caller must discharge.
pub(super) fn verify(
    spec: &MatmulSpec,
    instance: &MatmulInstance,
    proof: &MatmulProof,
    t: &mut Transcript,
) -> Result<BlockClaims, VerifyError> {
    // Shapes first: the statement, then the proof.
    spec.validate()?;
    if spec.bias != instance.bias.is_some() {
        return Err(Error::Invalid {
            what: "matmul instance",
            reason: "bias commitment does not match the spec".into(),
        }
        .into());
    }
    let (r_rows, r_cols) = split_point(spec, &instance.output.point)?;
    if spec.bias != proof.bias_eval.is_some() {
        return Err(VerifyError::ProofShape {
            what: "matmul bias evaluation",
            expected: spec.bias as usize,
            got: proof.bias_eval.is_some() as usize,
        });
    }
    // 1. The statement; 2. b̃(r_cols).
    absorb_statement(t, spec, instance);
    if let Some(b) = &proof.bias_eval {
        t.append_scalar(b"matmul bias evaluation", b);
    }
    // 3. The sumcheck Σ_k α·A(k)·B(k) = v − β·ind(r_rows)·b̃(r_cols), to its own point r_k.
    let claim = sumcheck_claim(spec, instance.output.value, r_rows, proof.bias_eval);
    let statement = SumcheckStatement { num_vars: spec.inner_vars(), degree: 2, claim };
    let sub = verify_batch(&[statement], &proof.sumcheck, t)?;
    let expr = spec.expression();
    sub.check_final(PROTOCOL, &[&expr], &[vec![proof.input_eval, proof.weight_eval]])?;
    // 4. A(r_k), B(r_k) become claims on X and on W's commitment at (r_rows, r_k), (r_k, r_cols).
    absorb_evals(t, [proof.input_eval, proof.weight_eval]);
    Ok(emitted_claims(spec, instance, (r_rows, r_cols), &sub.point, proof))
}
