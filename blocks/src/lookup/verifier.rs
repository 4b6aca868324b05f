//! Lookup verifier: shape checks, the challenges, the GKR replay, the root equation and the leaf
//! checks against values it evaluates itself (masks, the structured input column).

use ark_ff::One;

use super::gkr::{self, Fraction};
use super::table::shape_mask_eval;
use super::{LookupInstance, LookupProof, LookupSpec, PROTOCOL, derive_challenges};
use crate::claim::{BlockClaims, Claim};
use crate::curve::{Fr, fr_from_i64};
use crate::error::{Error, VerifyError};
use crate::mle::{MAX_NUM_VARS, eq_table, padding_factor};
use crate::tensor::axis_vars;
use crate::transcript::Transcript;

/// Sizes of the lookup tree: vectors are padded to `2^c` entries, and there are `2^slot_vars`
/// slots. Leaf point = `(slot bits, ρ)`.
pub(super) struct Layout {
    pub c: usize,
    pub slot_vars: usize,
}

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
    let vars = |s: &[usize]| axis_vars(s).iter().sum::<usize>();
    let c = inst.inputs.iter().map(|v| vars(&v.shape)).max().unwrap_or(0);
    let slot_vars = inst.inputs.len().next_power_of_two().trailing_zeros() as usize;
    if c + slot_vars > MAX_NUM_VARS {
        return Err(invalid(format!("{} lookup variables exceed {MAX_NUM_VARS}", c + slot_vars)));
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
    Ok(Layout { c, slot_vars })
}

/// Absorbs the leaf evaluations, after the GKR, in the prover's order.
pub(super) fn absorb_leaf_evals(t: &mut Transcript, proof: &LookupProof) {
    t.append_serializable(b"lookup column evals", &proof.column_evals);
    t.append_scalar(b"lookup multiplicity eval", &proof.multiplicity_eval);
    t.append_scalars(b"lookup table output evals", &proof.table_output_evals);
}

/// The claims the block ends in (module doc, "Claims out"); shapes already checked.
pub(super) fn output_claims(
    spec: &LookupSpec,
    inst: &LookupInstance,
    proof: &LookupProof,
    lookup_point: &[Fr],
    table_point: &[Fr],
    layout: &Layout,
) -> Result<BlockClaims, VerifyError> {
    let rho = &lookup_point[layout.slot_vars..];
    let own_point = |shape: &[usize]| {
        let n: usize = axis_vars(shape).iter().sum();
        rho[rho.len() - n..].to_vec()
    };
    let mut committed = Vec::new();
    for (v, evals) in inst.inputs.iter().zip(&proof.column_evals) {
        let point = own_point(&v.shape);
        for (c, e) in v.columns.iter().zip(evals) {
            committed.push(Claim { commitment: *c, point: point.clone(), value: *e });
        }
    }
    committed.push(Claim {
        commitment: inst.multiplicities,
        point: table_point.to_vec(),
        value: proof.multiplicity_eval,
    });
    if let (Some(c), Some(e)) = (spec.table_commitment, proof.table_output_evals.first()) {
        committed.push(Claim { commitment: c, point: table_point.to_vec(), value: *e });
    }
    for r in &inst.recompositions {
        let shape = &inst.inputs[r.limbs[0]].shape;
        let point = own_point(shape);
        let mut value = -fr_from_i64(r.offset) * shape_mask_eval(shape, &point)?;
        let mut weight = Fr::one();
        let step = Fr::from(1u64 << r.limb_bits);
        for l in &r.limbs {
            value += weight * proof.column_evals[*l][0];
            weight *= step;
        }
        committed.push(Claim { commitment: r.value, point, value });
    }
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
    shape("lookup column evaluations", inst.inputs.len(), proof.column_evals.len())?;
    for e in &proof.column_evals {
        shape("lookup column evaluations per vector", width, e.len())?;
    }
    shape("lookup table output evaluations", width - 1, proof.table_output_evals.len())?;

    // ζ and β, after the statement and the multiplicities.
    let ch = derive_challenges(t, spec, inst);
    let depths = [layout.slot_vars + layout.c, spec.table.num_vars()];
    let (roots, leaves) = gkr::verify(&depths, &proof.gkr, t)?;
    let mismatch = |what| VerifyError::Mismatch { protocol: PROTOCOL, what };
    // logUp: Σ mask/(β + f) = Σ m/(β + t).
    if !gkr::fractions_equal(&roots[0], &roots[1]) {
        return Err(mismatch("logUp fractional sums"));
    }
    absorb_leaf_evals(t, proof);

    // Lookup leaves: numerators are the masks, denominators β + Σ_k ζ^k·c_k.
    let (slot_point, rho) = leaves[0].point.split_at(layout.slot_vars);
    let slot_eq = eq_table(slot_point)?;
    let mut numerator = Fr::from(0u64);
    let mut combined = Fr::from(0u64);
    for ((v, evals), eq) in inst.inputs.iter().zip(&proof.column_evals).zip(&slot_eq) {
        let n: usize = axis_vars(&v.shape).iter().sum();
        let (lead, own) = rho.split_at(rho.len() - n);
        let weight = *eq * padding_factor(lead);
        numerator += weight * shape_mask_eval(&v.shape, own)?;
        let mut zeta_k = Fr::one();
        for e in evals {
            combined += weight * zeta_k * e;
            zeta_k *= ch.zeta;
        }
    }
    let expect = |got: &Fraction, p: Fr, q: Fr, wp, wq| {
        if got.numerator != p {
            Err(mismatch(wp))
        } else if got.denominator != q {
            Err(mismatch(wq))
        } else {
            Ok(())
        }
    };
    expect(
        &leaves[0].value,
        numerator,
        ch.beta + combined,
        "lookup leaf numerators",
        "lookup leaf denominators",
    )?;

    // Table leaves: numerators are the multiplicities, denominators β + T_in + ζ·T_out.
    let r_table = &leaves[1].point;
    let mut table_q = ch.beta + spec.table.input_column_eval(r_table)?;
    if let Some(e) = proof.table_output_evals.first() {
        table_q += ch.zeta * e;
    }
    expect(
        &leaves[1].value,
        proof.multiplicity_eval,
        table_q,
        "table leaf numerators",
        "table leaf denominators",
    )?;
    output_claims(spec, inst, proof, &leaves[0].point, r_table, &layout)
}
