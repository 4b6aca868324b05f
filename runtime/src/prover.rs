//! The prover: witness, commitments, the shared schedule with a proving [`Side`], the accumulator.

use std::collections::BTreeMap;

use rayon::prelude::*;
use tessera_accumulator::{Arity, ProverLeaf};
use tessera_blocks::block::Block;
use tessera_blocks::claim::BlockClaims;
use tessera_blocks::lookup::{
    LookupInstance, LookupSpec, LookupWitness, commit_multiplicities, commit_tensor,
    prove_with_helpers,
};
use tessera_blocks::mle::DenseMle;
use tessera_blocks::tensor::IntTensor;
use tessera_blocks::{Fr, Srs, Transcript};
use tessera_compiler::Tensor;
use tessera_compiler::plan::Lin;
use tracing::info_span;

use crate::error::Error;
use crate::keys::{ProvingKey, committed_refs};
use crate::proof::{BlockProofs, Proof, PublicTensor, PublicValues, Recorded};
use crate::schedule::{Commitments, Poly, Schedule, Side};
use crate::statement::{absorb_statement, arity_code, canonical_arity, public_maps};
use crate::witness::{Witness, eval_lin, function_table, generate};
#[cfg(test)]
use crate::witness::{function_witness, range_witness};

/// Options of [`prove`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProveOptions {
    /// Fold-tree arity.
    pub arity: Arity,
}

impl Default for ProveOptions {
    fn default() -> Self {
        Self { arity: Arity::AllInOne }
    }
}

struct Prover<'w> {
    t: Transcript,
    witness: &'w Witness,
    srs: &'w Srs,
    proofs: BlockProofs,
    /// The lookups' helper polynomials, in [`Poly::Helper`] order.
    helpers: Vec<DenseMle>,
    /// A cheating prover's lookups: no check that the looked-up values are in the table.
    #[cfg(test)]
    unchecked_lookups: bool,
}

impl Side for Prover<'_> {
    type Error = Error;

    fn transcript(&mut self) -> &mut Transcript {
        &mut self.t
    }

    fn block<B: Block>(
        &mut self,
        at: &str,
        spec: &B::Spec,
        instance: &B::Instance,
        witness: &dyn Fn(&Witness) -> Result<B::Witness, Error>,
    ) -> Result<BlockClaims, Error>
    where
        B::Proof: Recorded,
    {
        let w = witness(self.witness)?;
        let (proof, claims) = B::prove(spec, instance, &w, &mut self.t).map_err(|e| {
            Error::Witness { node: at.to_string(), reason: format!("{}: {e}", B::Proof::KIND) }
        })?;
        B::Proof::list_mut(&mut self.proofs).push(proof);
        Ok(claims)
    }

    fn lookup(
        &mut self,
        at: &str,
        spec: &LookupSpec,
        instance: &LookupInstance,
        witness: &dyn Fn(&Witness, &Srs) -> Result<LookupWitness, Error>,
    ) -> Result<BlockClaims, Error> {
        let w = witness(self.witness, self.srs)?;
        #[cfg(test)]
        let out = if self.unchecked_lookups {
            tessera_blocks::lookup::prove_with_helpers_unchecked(spec, instance, &w, &mut self.t)
        } else {
            prove_with_helpers(spec, instance, &w, &mut self.t)
        };
        #[cfg(not(test))]
        let out = prove_with_helpers(spec, instance, &w, &mut self.t);
        let out = out
            .map_err(|e| Error::Witness { node: at.to_string(), reason: format!("lookup: {e}") })?;
        self.proofs.lookup.push(out.proof);
        self.helpers.extend(out.helpers);
        Ok(out.claims)
    }

    fn send(
        &mut self,
        label: &'static [u8],
        count: usize,
        values: &dyn Fn(&Witness) -> Result<Vec<Fr>, Error>,
    ) -> Result<Vec<Fr>, Error> {
        let v = values(self.witness)?;
        if v.len() != count {
            return Err(Error::Input(format!("{} values sent, {count} expected", v.len())));
        }
        self.t.append_scalars(label, &v);
        self.proofs.evals.extend_from_slice(&v);
        Ok(v)
    }
}

/// Proves one batch: quantized inputs in the plan's input order (batch axis first). Returns the
/// quantized outputs and the proof.
pub fn prove(
    pk: &ProvingKey,
    inputs: &[Tensor<i64>],
    options: ProveOptions,
) -> Result<(Vec<IntTensor>, Proof), Error> {
    let _span = info_span!("prove", model = %pk.plan.model, batch = pk.plan.batch).entered();
    check_inputs(pk, inputs)?;
    prove_witness(
        pk,
        generate(&pk.plan, inputs)?,
        options,
        #[cfg(test)]
        false,
    )
}

/// Derives the range limbs and multiplicities of a witness.
#[cfg(test)]
pub(crate) type RangeWitness<'a> = &'a dyn Fn(&tessera_compiler::BlockPlan, &mut Witness);

/// A cheating prover's changes to its witness (the soundness tests).
#[cfg(test)]
pub(crate) struct Tamper<'a> {
    /// Alters the tensors before anything is committed.
    pub witness: &'a dyn Fn(&mut Witness),
    /// Derives the range limbs and multiplicities instead of [`range_witness`] (a prover that
    /// skips its own range checks).
    pub range: Option<RangeWitness<'a>>,
}

/// [`prove`] with a cheating prover's changes; the range limbs and the function-lookup
/// multiplicities are recomputed from the altered tensors.
#[cfg(test)]
pub(crate) fn prove_with(
    pk: &ProvingKey,
    inputs: &[Tensor<i64>],
    options: ProveOptions,
    tamper: Option<&Tamper>,
) -> Result<(Vec<IntTensor>, Proof), Error> {
    let _span = info_span!("prove", model = %pk.plan.model, batch = pk.plan.batch).entered();
    check_inputs(pk, inputs)?;
    let mut witness = generate(&pk.plan, inputs)?;
    if let Some(tamper) = tamper {
        (tamper.witness)(&mut witness);
        match tamper.range {
            Some(range) => range(&pk.plan, &mut witness),
            None => range_witness(&pk.plan, &mut witness)?,
        }
        function_witness(&pk.plan, &mut witness)?;
    }
    let unchecked = tamper.is_some_and(|t| t.range.is_some());
    prove_witness(pk, witness, options, unchecked)
}

fn prove_witness(
    pk: &ProvingKey,
    witness: Witness,
    options: ProveOptions,
    #[cfg(test)] unchecked_lookups: bool,
) -> Result<(Vec<IntTensor>, Proof), Error> {
    let plan = &pk.plan;
    let g = &plan.graph;
    let outputs: Vec<IntTensor> =
        g.outputs.iter().map(|(_, id, _)| witness.values[*id].clone()).collect();
    let private = plan
        .steps
        .iter()
        .any(|s| matches!(s, tessera_compiler::plan::Step::Input { private: true }));
    let public = PublicValues {
        inputs: if private {
            Vec::new()
        } else {
            g.inputs.iter().map(|(n, id, _)| PublicTensor::new(n, &witness.values[*id])).collect()
        },
        outputs: g
            .outputs
            .iter()
            .zip(&outputs)
            .map(|((n, _, _), t)| PublicTensor::new(n, t))
            .collect(),
    };

    let commit_span = info_span!("commit").entered();
    let refs = committed_refs(plan);
    let tensors = refs
        .par_iter()
        .map(|r| {
            let t =
                witness.committed.get(r).ok_or_else(|| Error::Input("missing tensor".into()))?;
            Ok((*r, commit_tensor(&pk.srs, t)?))
        })
        .collect::<Result<BTreeMap<_, _>, Error>>()?;
    let limbs = witness
        .limbs
        .par_iter()
        .map(|ls| {
            ls.iter().skip(1).map(|l| commit_tensor(&pk.srs, l)).collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let multiplicities = commit_multiplicities(&pk.srs, &witness.multiplicities)?;
    let function_multiplicities = witness
        .function_multiplicities
        .par_iter()
        .map(|m| commit_multiplicities(&pk.srs, m))
        .collect::<Result<Vec<_>, _>>()?;
    drop(commit_span);
    let commitments = Commitments { tensors, limbs, multiplicities, function_multiplicities };

    let mut t = Transcript::new(b"tessera");
    let flat_limbs: Vec<_> = commitments.limbs.iter().flatten().copied().collect();
    let ordered: Vec<_> = commitments.tensors.values().copied().collect();
    absorb_statement(
        &mut t,
        &pk.vk,
        &public,
        &ordered,
        &flat_limbs,
        &multiplicities,
        &commitments.function_multiplicities,
    );
    let (public_inputs, public_outputs) =
        public_maps(plan, &public).map_err(|e| Error::Input(e.to_string()))?;
    let side = Prover {
        t,
        witness: &witness,
        srs: &pk.srs,
        proofs: BlockProofs::default(),
        helpers: Vec::new(),
        #[cfg(test)]
        unchecked_lookups,
    };
    let mut schedule = Schedule::new(
        plan,
        side,
        &pk.vk.weights,
        &pk.vk.tables,
        &commitments,
        public_inputs,
        public_outputs,
    );
    {
        let _s = info_span!("blocks").entered();
        schedule.run()?;
    }
    let leaves = std::mem::take(&mut schedule.leaves);
    let Prover { mut t, proofs, helpers, .. } = schedule.side;

    let polys = materialize(&witness, plan, &leaves, helpers)?;
    let prover_leaves: Vec<ProverLeaf<'_>> =
        leaves.iter().map(|(c, p)| ProverLeaf { claim: c.clone(), poly: &polys[p] }).collect();
    let arity = canonical_arity(options.arity, prover_leaves.len());
    let accumulator = {
        let _s = info_span!("accumulate", leaves = prover_leaves.len()).entered();
        tessera_accumulator::prove(&pk.srs, &prover_leaves, arity, &mut t)?
    };
    let proof = Proof {
        public,
        commitments: ordered,
        limbs: flat_limbs,
        multiplicities,
        function_multiplicities: commitments.function_multiplicities.clone(),
        blocks: proofs,
        arity: arity_code(arity),
        accumulator,
    };
    Ok((outputs, proof))
}

fn check_inputs(pk: &ProvingKey, inputs: &[Tensor<i64>]) -> Result<(), Error> {
    let g = &pk.plan.graph;
    if inputs.len() != g.inputs.len() {
        return Err(Error::Input(format!(
            "{} inputs given, the model takes {}",
            inputs.len(),
            g.inputs.len()
        )));
    }
    for ((name, id, _), t) in g.inputs.iter().zip(inputs) {
        let want = &g.nodes[*id].shape;
        if t.shape() != want.as_slice() {
            return Err(Error::Input(format!(
                "input {name} has shape {:?}, the plan expects {want:?}",
                t.shape()
            )));
        }
    }
    Ok(())
}

/// The polynomial of every leaf, built once per distinct polynomial.
fn materialize(
    w: &Witness,
    plan: &tessera_compiler::BlockPlan,
    leaves: &[(tessera_blocks::Claim, Poly)],
    helpers: Vec<DenseMle>,
) -> Result<BTreeMap<Poly, DenseMle>, Error> {
    let mut distinct: Vec<&Poly> = leaves.iter().map(|(_, p)| p).collect();
    distinct.sort();
    distinct.dedup();
    let mut polys: BTreeMap<Poly, DenseMle> =
        helpers.into_iter().enumerate().map(|(i, h)| (Poly::Helper(i), h)).collect();
    let computed = distinct
        .into_iter()
        .filter(|p| !matches!(p, Poly::Helper(_)))
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|p| {
            let mle = match p {
                Poly::Lin(terms) => {
                    let lin = Lin { terms: terms.clone(), constant: 0 };
                    eval_lin(&w.committed, &lin, &plan.lin_shape(&lin, 0), false)?.to_mle()
                }
                Poly::Table(t) => function_table(plan, *t)?
                    .output_column()
                    .ok_or_else(|| Error::Input(format!("table {t} has no output column")))?,
                Poly::Weight(id) => w.values[*id].to_mle(),
                Poly::Multiplicities => {
                    DenseMle::new(w.multiplicities.iter().map(|m| Fr::from(*m)).collect())?
                }
                Poly::FunctionMultiplicities(k) => {
                    let m = w.function_multiplicities.get(*k).ok_or_else(|| {
                        Error::Input(format!("no multiplicities for function lookup {k}"))
                    })?;
                    DenseMle::new(m.iter().map(|m| Fr::from(*m)).collect())?
                }
                Poly::Helper(i) => {
                    return Err(Error::Input(format!("helper {i} has no polynomial")));
                }
            };
            Ok((p.clone(), mle))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    polys.extend(computed);
    Ok(polys)
}
