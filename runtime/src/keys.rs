//! Setup: the proving key (full plan, SRS, weights) and the verifying key (public plan, weight
//! and function-table commitments, the SRS's verifier points), with a digest over everything the
//! verifier relies on.

use std::collections::BTreeMap;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;
use tessera_blocks::kzg::Commitment;
use tessera_blocks::kzg::commit_tensor;
use tessera_blocks::tensor::axis_vars;
use tessera_blocks::{Srs, VerifierKey};
use tessera_compiler::plan::{BlockPlan, Ref, Role};
use tessera_compiler::quant::qop::{QId, QOp};

use crate::error::Error;
use crate::witness::{function_table, to_int};

/// What a verifier needs: the plan without weights, their commitments, the SRS's G2 points.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyingKey {
    /// The public part of the plan.
    pub plan: BlockPlan,
    /// Commitment of every weight node.
    pub weights: BTreeMap<QId, Commitment>,
    /// Commitment of the padded output column of every function table a lookup reads, by table
    /// index (DESIGN §4: tables are bound by the verifying key, never taken from a proof).
    pub tables: BTreeMap<usize, Commitment>,
    /// `[1]_1, [1]_2, [τ]_2`.
    pub srs: VerifierKey,
    /// Digest of the SRS the keys were made with.
    pub srs_digest: [u8; 32],
}

#[derive(CanonicalSerialize, CanonicalDeserialize)]
struct VkData {
    plan: Vec<u8>,
    weights: Vec<(u64, Commitment)>,
    tables: Vec<(u64, Commitment)>,
    srs: VerifierKey,
    srs_digest: [u8; 32],
}

impl VerifyingKey {
    /// BLAKE3 over the plan digest, the weight commitments and the SRS points: absorbed first by
    /// every proof (DESIGN §8.2).
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"tessera verifying key v1");
        h.update(&self.plan.digest());
        h.update(&self.payload_without_plan());
        *h.finalize().as_bytes()
    }

    fn payload_without_plan(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let weights: Vec<(u64, Commitment)> =
            self.weights.iter().map(|(k, c)| (*k as u64, *c)).collect();
        let tables: Vec<(u64, Commitment)> =
            self.tables.iter().map(|(k, c)| (*k as u64, *c)).collect();
        // Writing to a Vec cannot fail.
        let _ = (weights, tables, self.srs, self.srs_digest).serialize_compressed(&mut bytes);
        bytes
    }

    /// Canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let data = VkData {
            plan: self.plan.to_bytes(),
            weights: self.weights.iter().map(|(k, c)| (*k as u64, *c)).collect(),
            tables: self.tables.iter().map(|(k, c)| (*k as u64, *c)).collect(),
            srs: self.srs,
            srs_digest: self.srs_digest,
        };
        let mut bytes = Vec::new();
        let _ = data.serialize_compressed(&mut bytes);
        bytes
    }

    /// Parses and validates (points on the curve and in the subgroup, plan consistent, every
    /// weight of the plan committed).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut reader = bytes;
        let data = VkData::deserialize_compressed(&mut reader).map_err(|e| e.to_string())?;
        if !reader.is_empty() {
            return Err(format!("{} trailing bytes", reader.len()));
        }
        let plan = BlockPlan::from_bytes(&data.plan).map_err(|e| e.to_string())?;
        // One encoding per key: weight nodes carry the placeholder 0, never values.
        if plan != plan.public_part() {
            return Err(
                "the plan holds weight values; a verifying key holds only their commitments".into(),
            );
        }
        let weights: BTreeMap<QId, Commitment> =
            data.weights.into_iter().map(|(k, c)| (k as usize, c)).collect();
        let expected: Vec<QId> = weight_nodes(&plan);
        if weights.keys().copied().collect::<Vec<_>>() != expected {
            return Err("the weight commitments do not match the plan's weights".into());
        }
        let tables: BTreeMap<usize, Commitment> =
            data.tables.into_iter().map(|(k, c)| (k as usize, c)).collect();
        if tables.keys().copied().collect::<Vec<_>>() != table_indices(&plan) {
            return Err("the table commitments do not match the plan's lookups".into());
        }
        Ok(Self { plan, weights, tables, srs: data.srs, srs_digest: data.srs_digest })
    }
}

/// What the prover needs: the full plan (with weights), the SRS, and the verifying key.
#[derive(Clone, Debug)]
pub struct ProvingKey {
    /// The plan, weights included.
    pub plan: BlockPlan,
    /// The structured reference string.
    pub srs: Srs,
    /// The matching verifying key.
    pub vk: VerifyingKey,
}

fn weight_nodes(plan: &BlockPlan) -> Vec<QId> {
    plan.roles.iter().enumerate().filter(|(_, r)| **r == Role::Weight).map(|(i, _)| i).collect()
}

/// The function tables the plan's lookups read, in increasing order (one merged lookup each).
pub(crate) fn table_indices(plan: &BlockPlan) -> Vec<usize> {
    let mut t: Vec<usize> = plan.function_lookups.iter().map(|f| f.table).collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// The committed tensors of a plan, in proof order.
pub(crate) fn committed_refs(plan: &BlockPlan) -> Vec<Ref> {
    plan.steps
        .iter()
        .enumerate()
        .flat_map(|(node, s)| (0..s.committed()).map(move |slot| Ref { node, slot }))
        .collect()
}

/// The number of SRS powers a plan needs: its largest committed polynomial.
pub fn required_srs_size(plan: &BlockPlan) -> usize {
    let padded = |shape: &[usize]| 1usize << axis_vars(shape).iter().sum::<usize>();
    let committed = committed_refs(plan).into_iter().map(|r| padded(&plan.slot_shape(r)));
    let weights = weight_nodes(plan).into_iter().map(|w| padded(&plan.graph.nodes[w].shape));
    let limbs = plan.range_checks.iter().map(|c| padded(&plan.lin_shape(&c.value, c.node)));
    let tables = table_indices(plan)
        .into_iter()
        .filter_map(|t| plan.graph.tables.get(t).map(|t| t.values.len().next_power_of_two()));
    committed
        .chain(weights)
        .chain(limbs)
        .chain(tables)
        .chain([1usize << plan.range_table_bits])
        .max()
        .unwrap_or(2)
        .max(2)
}

/// Commits the weights and builds both keys.
pub fn setup(plan: &BlockPlan, srs: &Srs) -> Result<(ProvingKey, VerifyingKey), Error> {
    let _span = tracing::info_span!("setup").entered();
    plan.validate()?;
    let need = required_srs_size(plan);
    if srs.len() < need {
        return Err(Error::SrsTooSmall { need, have: srs.len() });
    }
    let weights = weight_nodes(plan)
        .par_iter()
        .map(|&w| {
            let QOp::Const(t) = &plan.graph.nodes[w].op else {
                return Err(Error::Internal("a weight node is not a constant"));
            };
            Ok((w, commit_tensor(srs, &to_int(t)?)?))
        })
        .collect::<Result<BTreeMap<_, _>, Error>>()?;
    let tables = table_indices(plan)
        .par_iter()
        .map(|&t| {
            let table = function_table(plan, t)?;
            let c = table
                .commit_outputs(srs)?
                .ok_or(Error::Internal("a function table has no output column"))?;
            Ok((t, c))
        })
        .collect::<Result<BTreeMap<_, _>, Error>>()?;
    let vk = VerifyingKey {
        plan: plan.public_part(),
        weights,
        tables,
        srs: srs.verifier_key(),
        srs_digest: srs.digest(),
    };
    let pk = ProvingKey { plan: plan.clone(), srs: srs.clone(), vk: vk.clone() };
    Ok((pk, vk))
}

impl ProvingKey {
    /// Canonical bytes: the plan, the SRS file, the verifying key.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut srs = Vec::new();
        self.srs.write_prover_copy(&mut srs).map_err(|e| Error::SrsWrite(e.to_string()))?;
        let mut bytes = Vec::new();
        let _ = (self.plan.to_bytes(), srs, self.vk.to_bytes()).serialize_compressed(&mut bytes);
        Ok(bytes)
    }

    /// Parses and validates (the SRS's points and its pairing check; the verifying key).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut reader = bytes;
        let (plan, srs, vk) = <(Vec<u8>, Vec<u8>, Vec<u8>)>::deserialize_compressed(&mut reader)
            .map_err(|e| e.to_string())?;
        if !reader.is_empty() {
            return Err(format!("{} trailing bytes", reader.len()));
        }
        let plan = BlockPlan::from_bytes(&plan).map_err(|e| e.to_string())?;
        let srs = Srs::read_prover_copy(srs.as_slice()).map_err(|e| e.to_string())?;
        let vk = VerifyingKey::from_bytes(&vk)?;
        if vk.plan != plan.public_part() {
            return Err("the verifying key belongs to another plan".into());
        }
        Ok(Self { plan, srs, vk })
    }
}
