//! What both sides absorb before any challenge, and the public values' mapping to plan nodes.

use std::collections::BTreeMap;

use tessera_accumulator::Arity;
use tessera_blocks::Transcript;
use tessera_blocks::kzg::Commitment;
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::BlockPlan;
use tessera_compiler::plan::Role;
use tessera_compiler::quant::qop::QId;

use crate::error::{Malformed, VerifyError};
use crate::keys::VerifyingKey;
use crate::proof::{PublicTensor, PublicValues};
use crate::schedule::PROTOCOL_VERSION;

/// Protocol version, verifying-key digest, public values, then every commitment — tensors, range
/// limbs, range multiplicities, per-table function-lookup multiplicities (DESIGN §3, §8.2).
pub(crate) fn absorb_statement(
    t: &mut Transcript,
    vk: &VerifyingKey,
    public: &PublicValues,
    tensors: &[Commitment],
    limbs: &[Commitment],
    multiplicities: &Commitment,
    function_multiplicities: &[Commitment],
) {
    t.append_bytes(b"protocol", PROTOCOL_VERSION);
    t.append_bytes(b"verifying key digest", &vk.digest());
    t.append_serializable(b"public values", public);
    t.append_serializable(b"committed tensors", tensors);
    t.append_serializable(b"range limbs", limbs);
    t.append_serializable(b"range multiplicities", multiplicities);
    t.append_serializable(b"function multiplicities", function_multiplicities);
}

/// Public inputs by node and outputs by position, checked against the plan's shapes.
pub(crate) fn public_maps(
    plan: &BlockPlan,
    public: &PublicValues,
) -> Result<(BTreeMap<QId, IntTensor>, Vec<IntTensor>), VerifyError> {
    let g = &plan.graph;
    let public_ids: Vec<(usize, QId)> = g
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, (_, id, _))| plan.roles[*id] == Role::PublicInput)
        .map(|(k, (_, id, _))| (k, *id))
        .collect();
    if public.inputs.len() != public_ids.len() {
        return Err(Malformed::Count {
            what: "public inputs",
            got: public.inputs.len(),
            expected: public_ids.len(),
        }
        .into());
    }
    // The names are absorbed with the values; they must also be the plan's (issue 22, F4), so
    // that what a verifier shows is what the plan calls them.
    let named = |what: &'static str, index: usize, expected: &str, t: &PublicTensor| {
        if t.name == expected {
            Ok(())
        } else {
            Err(VerifyError::PublicName {
                what,
                index,
                expected: expected.to_string(),
                got: t.name.clone(),
            })
        }
    };
    let mut inputs = BTreeMap::new();
    for ((k, id), t) in public_ids.iter().zip(&public.inputs) {
        named("input", *k, &g.inputs[*k].0, t)?;
        inputs.insert(*id, t.to_tensor(&g.nodes[*id].shape)?);
    }
    if public.outputs.len() != g.outputs.len() {
        return Err(Malformed::Count {
            what: "public outputs",
            got: public.outputs.len(),
            expected: g.outputs.len(),
        }
        .into());
    }
    let outputs = g
        .outputs
        .iter()
        .zip(&public.outputs)
        .enumerate()
        .map(|(k, ((name, id, _), t))| {
            named("output", k, name, t)?;
            t.to_tensor(&g.nodes[*id].shape)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((inputs, outputs))
}

/// 0 for one node over all leaves, else the arity.
pub(crate) fn arity_code(a: Arity) -> u32 {
    match a {
        Arity::AllInOne => 0,
        Arity::Fixed(k) => k as u32,
    }
}

/// Inverse of [`arity_code`].
pub(crate) fn arity_from_code(code: u32) -> Result<Arity, VerifyError> {
    match code {
        0 => Ok(Arity::AllInOne),
        k if (2..=1 << 16).contains(&k) => Ok(Arity::Fixed(k as usize)),
        k => Err(Malformed::Arity { code: k, reason: "0 or 2 to 65536" }.into()),
    }
}

/// The one encoding of a tree shape: an arity at or above the number of leaves folds them all in
/// one node, the same tree as [`Arity::AllInOne`], so it is written as that (code 0). Without this
/// two arity codes would verify for one proof.
pub(crate) fn canonical_arity(a: Arity, leaves: usize) -> Arity {
    match a {
        Arity::Fixed(k) if k >= leaves => Arity::AllInOne,
        other => other,
    }
}
