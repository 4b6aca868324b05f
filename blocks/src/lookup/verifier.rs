//! Lookup verifier: shape checks, the challenges, the sumcheck replay and its final check against
//! values it evaluates itself (masks, the structured input column, both `eq`).

use ark_ff::{Field, One, Zero};

use super::layout::Layout;
use super::table::shape_mask_eval;
use super::{LookupInstance, LookupProof, LookupSpec, PROTOCOL, derive_challenges};
use crate::claim::{BlockClaims, Claim};
use crate::curve::{Fr, fr_from_i64};
use crate::error::{Error, VerifyError};
use crate::kzg::Commitment;
use crate::mle::eq_eval;
use crate::sumcheck::{SumOfProducts, SumcheckStatement, verify_batch};
use crate::transcript::Transcript;

/// Checks the statement against the spec (caller input, not proof bytes).
pub(super) fn check_instance(spec: &LookupSpec, inst: &LookupInstance) -> Result<Layout, Error> {
    let invalid = |reason: String| Error::Invalid { what: "lookup instance", reason };
    if inst.inputs.is_empty() {
        return Err(invalid("no looked-up vectors".into()));
    }
    let width = spec.table.width();
    if spec.table_commitment.is_some() != (width == 2) {
        return Err(invalid("a function table needs exactly its output commitment".into()));
    }
    if let Some(v) = inst.inputs.iter().find(|v| v.columns.len() != width) {
        return Err(Error::Length {
            what: "lookup vector columns",
            expected: width,
            got: v.columns.len(),
        });
    }
    Layout::new(inst.inputs.iter().map(|v| v.shape.as_slice()), inst.chunk_vars)
}

/// Absorbs the proof's own commitments and the claimed sum, before `λ`, `τ`, `τ_T`.
pub(super) fn absorb_helpers(t: &mut Transcript, chunks: &[Commitment], g: &Commitment, sum: &Fr) {
    // Guard (DESIGN §8.1): the inverse columns and S are bound before the zero-check challenges.
    t.append_serializable(b"lookup inverse chunks", &chunks);
    t.append_serializable(b"lookup table inverses", g);
    t.append_scalar(b"lookup sum", sum);
}

/// The zero-check weight and points.
pub(super) struct ZeroCheck {
    pub lambda: Fr,
    pub tau: Vec<Fr>,
    pub tau_table: Vec<Fr>,
}

pub(super) fn draw_zero_check(t: &mut Transcript, layout: &Layout, table_vars: usize) -> ZeroCheck {
    let lambda = t.challenge_scalar(b"lookup lambda");
    let tau = (0..layout.num_vars).map(|_| t.challenge_scalar(b"lookup tau")).collect();
    let tau_table = (0..table_vars).map(|_| t.challenge_scalar(b"lookup tau table")).collect();
    ZeroCheck { lambda, tau, tau_table }
}

/// `h + λ·eq·h·q − λ·eq·p` over the inputs `[h, q, eq, p]` (both sides have this form).
pub(super) fn zero_check_expr(lambda: Fr) -> SumOfProducts {
    SumOfProducts {
        terms: vec![(Fr::one(), vec![0]), (lambda, vec![2, 0, 1]), (-lambda, vec![2, 3])],
    }
}

/// Absorbs the final evaluations, after the sumcheck, in the prover's order.
pub(super) fn absorb_final_evals(t: &mut Transcript, proof: &LookupProof) {
    t.append_scalars(b"lookup column evals", &proof.column_evals);
    t.append_scalar(b"lookup inverse eval", &proof.inverse_eval);
    t.append_scalar(b"lookup table inverse eval", &proof.table_inverse_eval);
    t.append_scalar(b"lookup multiplicity eval", &proof.multiplicity_eval);
    t.append_scalars(b"lookup table output evals", &proof.table_output_evals);
}

/// `w_j / e_j` per vector: the coefficient of vector `j`'s commitments in its group's column
/// claim (module doc, "Final claims, combined"; `e_j = 1` at the vector's own point).
pub(super) fn column_weights(layout: &Layout, r: &[Fr]) -> Result<Vec<Fr>, Error> {
    (0..layout.vars.len())
        .map(|j| {
            let e = layout.extension_factor(j, r).inverse().ok_or(Error::Invalid {
                what: "lookup",
                reason: "the sumcheck point has a coordinate equal to 1".into(),
            })?;
            Ok(layout.weight(j, r) * e)
        })
        .collect()
}

/// The claims the block ends in (module doc, "Claims out"); shapes already checked.
pub(super) fn output_claims(
    spec: &LookupSpec,
    inst: &LookupInstance,
    proof: &LookupProof,
    r: &[Fr],
    r_table: &[Fr],
    layout: &Layout,
    zeta: Fr,
) -> Result<BlockClaims, VerifyError> {
    let mut committed = vec![Claim {
        commitment: inst.multiplicities,
        point: r_table.to_vec(),
        value: proof.multiplicity_eval,
    }];
    if let (Some(c), Some(e)) = (spec.table_commitment, proof.table_output_evals.first()) {
        committed.push(Claim { commitment: c, point: r_table.to_vec(), value: *e });
    }
    let weights = column_weights(layout, r)?;
    for (group, value) in layout.column_groups().iter().zip(&proof.column_evals) {
        let mut bases = Vec::new();
        let mut coeffs = Vec::new();
        for j in &group.vectors {
            let mut zeta_k = Fr::one();
            for c in &inst.inputs[*j].columns {
                bases.push(*c);
                coeffs.push(weights[*j] * zeta_k);
                zeta_k *= zeta;
            }
        }
        committed.push(Claim {
            commitment: Commitment::linear_combination(&bases, &coeffs)?,
            point: r[r.len() - group.vars..].to_vec(),
            value: *value,
        });
    }
    let chunk_point = layout.chunk_point(r).to_vec();
    let chunk_weights: Vec<Fr> = (0..layout.chunks).map(|k| layout.chunk_weight(k, r)).collect();
    committed.push(Claim {
        commitment: Commitment::linear_combination(&proof.inverse_chunks, &chunk_weights)?,
        point: chunk_point,
        value: proof.inverse_eval,
    });
    committed.push(Claim {
        commitment: proof.table_inverses,
        point: r_table.to_vec(),
        value: proof.table_inverse_eval,
    });
    Ok(BlockClaims { committed, tensors: vec![] })
}

pub(super) fn verify(
    spec: &LookupSpec,
    inst: &LookupInstance,
    proof: &LookupProof,
    t: &mut Transcript,
) -> Result<BlockClaims, VerifyError> {
    let layout = check_instance(spec, inst)?;
    let width = spec.table.width();
    let shape = |what, expected: usize, got: usize| {
        if expected == got { Ok(()) } else { Err(VerifyError::ProofShape { what, expected, got }) }
    };
    shape("lookup inverse chunks", layout.chunks, proof.inverse_chunks.len())?;
    shape("lookup table output evaluations", width - 1, proof.table_output_evals.len())?;
    shape("lookup column evaluations", layout.column_groups().len(), proof.column_evals.len())?;

    // ζ and β, after the statement and the multiplicities; λ, τ, τ_T after [h_k], [g] and S.
    let ch = derive_challenges(t, spec, inst);
    absorb_helpers(t, &proof.inverse_chunks, &proof.table_inverses, &proof.sum);
    let table_vars = spec.table.num_vars();
    let zc = draw_zero_check(t, &layout, table_vars);
    // logUp: both sides are claimed to sum to the same S.
    let statements = [
        SumcheckStatement { num_vars: layout.num_vars, degree: 3, claim: proof.sum },
        SumcheckStatement { num_vars: table_vars, degree: 3, claim: proof.sum },
    ];
    let sub = verify_batch(&statements, &proof.sumcheck, t)?;
    absorb_final_evals(t, proof);
    let point = &sub.point;
    let r = &point[point.len() - layout.num_vars..];
    let r_table = &point[point.len() - table_vars..];

    // Lookup side at r: h and the columns' part of f are the combined values; the offsets' part
    // of f and the mask p = Σ_j w_j·mask_j the verifier evaluates.
    let mut offsets = Fr::zero();
    let mut mask = Fr::zero();
    for (j, v) in inst.inputs.iter().enumerate() {
        let w = layout.weight(j, r);
        let own_mask = shape_mask_eval(&v.shape, layout.own_point(j, r))?;
        mask += w * own_mask;
        offsets += w * fr_from_i64(v.offset) * own_mask;
    }
    let q = ch.beta + proof.column_evals.iter().sum::<Fr>() + offsets;
    let lookup_side = [proof.inverse_eval, q, eq_eval(&zc.tau, r)?, mask];

    // Table side at r_T: q_T = β + T_in + ζ·T_out.
    let mut table_q = ch.beta + spec.table.input_column_eval(r_table)?;
    if let Some(e) = proof.table_output_evals.first() {
        table_q += ch.zeta * e;
    }
    let table_side = [
        proof.table_inverse_eval,
        table_q,
        eq_eval(&zc.tau_table, r_table)?,
        proof.multiplicity_eval,
    ];
    let lookup_expr = zero_check_expr(zc.lambda);
    let table_expr = zero_check_expr(zc.lambda);
    let exprs = [&lookup_expr, &table_expr];
    sub.check_final(PROTOCOL, &exprs, &[lookup_side.to_vec(), table_side.to_vec()])?;
    output_claims(spec, inst, proof, r, r_table, &layout, ch.zeta)
}
