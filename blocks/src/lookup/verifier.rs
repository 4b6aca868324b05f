//! Lookup verifier: shape checks, the challenges, the sumcheck replay and its final check against
//! values it evaluates itself (masks, the structured input column, both `eq`).

use ark_ff::{One, Zero};

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
    for r in &inst.recompositions {
        let range_ok = spec.table.outputs().is_none()
            && spec.table.lo() == 0
            && r.limb_bits < 32
            && spec.table.hi() == 1i64 << r.limb_bits;
        if !range_ok || r.limbs.is_empty() || r.limb_bits as usize * r.limbs.len() > 62 {
            return Err(invalid(format!(
                "recomposition needs the table [0, 2^{}) and ≤ 62 bits",
                r.limb_bits
            )));
        }
        let first = inst.inputs.get(r.limbs[0]).ok_or(invalid("limb index out of range".into()))?;
        for l in &r.limbs {
            let limb = inst.inputs.get(*l).ok_or(invalid("limb index out of range".into()))?;
            if limb.shape != first.shape {
                return Err(invalid("limbs of one recomposition differ in shape".into()));
            }
        }
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
    t.append_scalars(b"lookup inverse evals", &proof.inverse_evals);
    t.append_scalar(b"lookup table inverse eval", &proof.table_inverse_eval);
    t.append_scalar(b"lookup multiplicity eval", &proof.multiplicity_eval);
    t.append_scalars(b"lookup table output evals", &proof.table_output_evals);
}

/// The claims the block ends in (module doc, "Claims out"); shapes already checked.
pub(super) fn output_claims(
    spec: &LookupSpec,
    inst: &LookupInstance,
    proof: &LookupProof,
    r: &[Fr],
    r_table: &[Fr],
    layout: &Layout,
) -> Result<BlockClaims, VerifyError> {
    let width = spec.table.width();
    let mut committed = Vec::new();
    for (j, v) in inst.inputs.iter().enumerate() {
        let point = layout.own_point(j, r);
        for (c, e) in v.columns.iter().zip(&proof.column_evals[j * width..]) {
            committed.push(Claim { commitment: *c, point: point.to_vec(), value: *e });
        }
    }
    committed.push(Claim {
        commitment: inst.multiplicities,
        point: r_table.to_vec(),
        value: proof.multiplicity_eval,
    });
    if let (Some(c), Some(e)) = (spec.table_commitment, proof.table_output_evals.first()) {
        committed.push(Claim { commitment: c, point: r_table.to_vec(), value: *e });
    }
    for rec in &inst.recompositions {
        let shape = &inst.inputs[rec.limbs[0]].shape;
        let point = layout.own_point(rec.limbs[0], r);
        let mask = shape_mask_eval(shape, point)?;
        let mut value = -fr_from_i64(rec.offset) * mask;
        let mut weight = Fr::one();
        let step = Fr::from(1u64 << rec.limb_bits);
        for l in &rec.limbs {
            let limb_offset = fr_from_i64(inst.inputs[*l].offset) * mask;
            value += weight * (proof.column_evals[*l * width] + limb_offset);
            weight *= step;
        }
        committed.push(Claim { commitment: rec.value, point: point.to_vec(), value });
    }
    let chunk_point = layout.chunk_point(r);
    for (c, e) in proof.inverse_chunks.iter().zip(&proof.inverse_evals) {
        committed.push(Claim { commitment: *c, point: chunk_point.to_vec(), value: *e });
    }
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
    shape("lookup column evaluations", inst.inputs.len() * width, proof.column_evals.len())?;
    shape("lookup inverse evaluations", layout.chunks, proof.inverse_evals.len())?;
    shape("lookup table output evaluations", width - 1, proof.table_output_evals.len())?;

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

    // Lookup side at r: h from the chunks, q = β + Σ_j w_j·Σ_k ζ^k c_{j,k}, p = Σ_j w_j·mask_j.
    let mut h = Fr::zero();
    for (k, e) in proof.inverse_evals.iter().enumerate() {
        h += layout.chunk_weight(k, r) * e;
    }
    let mut combined = Fr::zero();
    let mut mask = Fr::zero();
    for (j, v) in inst.inputs.iter().enumerate() {
        let w = layout.weight(j, r);
        let own_mask = shape_mask_eval(&v.shape, layout.own_point(j, r))?;
        mask += w * own_mask;
        combined += w * fr_from_i64(v.offset) * own_mask;
        let mut zeta_k = Fr::one();
        for e in &proof.column_evals[j * width..(j + 1) * width] {
            combined += w * zeta_k * e;
            zeta_k *= ch.zeta;
        }
    }
    let lookup_side = [h, ch.beta + combined, eq_eval(&zc.tau, r)?, mask];

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
    output_claims(spec, inst, proof, r, r_table, &layout)
}
