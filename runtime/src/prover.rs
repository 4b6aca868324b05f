//! The prover: witness, commitments, the shared schedule with a proving [`Side`], the accumulator.

use std::collections::BTreeMap;

use rayon::prelude::*;
use tessera_accumulator::{Arity, ProverLeaf};
use tessera_blocks::block::Block;
use tessera_blocks::claim::BlockClaims;
use tessera_blocks::kzg::commit_tensor;
use tessera_blocks::lookup::{
    LookupInstance, LookupSpec, LookupWitness, commit_multiplicities, prove_with_helpers,
};
use tessera_blocks::mle::DenseMle;
use tessera_blocks::tensor::IntTensor;
use tessera_blocks::{Fr, Srs, Transcript};
use tessera_compiler::Tensor;
use tessera_compiler::plan::Lin;
#[cfg(test)]
use tessera_compiler::plan::Ref;
use tracing::info_span;

use crate::error::Error;
use crate::keys::{ProvingKey, committed_refs};
use crate::proof::{BlockProofs, Proof, PublicTensor, PublicValues, kind_name_of};
use crate::schedule::{Commitments, Poly, Schedule, Side};
use crate::statement::{absorb_statement, arity_code, canonical_arity, public_maps};
use crate::witness::{Witness, eval_lin, function_table, generate};
#[cfg(test)]
use crate::witness::{function_witness, range_witness};

/// Options of [`prove`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProveOptions {
    /// How the fold tree is shaped.
    pub fold: FoldArity,
}

/// How the prover shapes the accumulator's fold tree (the proof carries the arity it chose).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldArity {
    /// [`Arity::fit`]: one node while every leaf's working table fits in `budget` field elements,
    /// else a tree whose nodes hold about `budget` each.
    Fit {
        /// Field elements of working tables per fold node.
        budget: usize,
    },
    /// This arity, whatever the leaves.
    Exact(Arity),
}

/// The default fold budget, chosen by measurement: `2^23` field elements (256 MiB) of working
/// tables per fold node. A node holds a half-size table per child, so one node over everything
/// is the fold's peak memory, and past this size a tree is also faster. On this 2-core machine
/// (`fold_once 1024 16 <arity>`, 1,024 leaves of 2^16 entries, the accumulator's example): one
/// node 4.1 s, 1.1 GB peak, 2.7 KB; arity 256 (the fit: 5 nodes) 3.6 s, 0.58 GB, 6.9 KB; arity
/// 16 3.5 s, 0.22 GB, 72 KB. Every digits model at batch 64 fits one node (`cargo bench -p
/// tessera-benches --bench end_to_end -- fold_arity`: a tree there only adds proof bytes and
/// verify time — CNN/64 23.2 KB and 14.6 ms one node, 27.0 KB and 15.6 ms arity 16, same prove
/// time), so they keep the smallest proof.
pub const DEFAULT_FOLD_BUDGET: usize = 1 << 23;

impl Default for ProveOptions {
    fn default() -> Self {
        Self { fold: FoldArity::Fit { budget: DEFAULT_FOLD_BUDGET } }
    }
}

impl ProveOptions {
    /// Options with fold arity `k`: 0 folds every leaf in one node, `k ≥ 2` builds a tree of
    /// arity `k`.
    pub fn with_fold_arity(k: usize) -> Result<Self, Error> {
        let arity = match k {
            0 => Arity::AllInOne,
            k if (2..=1 << 16).contains(&k) => Arity::Fixed(k),
            k => return Err(Error::FoldArity(k)),
        };
        Ok(Self { fold: FoldArity::Exact(arity) })
    }

    /// Options fitting the fold tree to `budget` field elements per node ([`Arity::fit`]).
    pub fn with_fold_budget(budget: usize) -> Self {
        Self { fold: FoldArity::Fit { budget } }
    }

    /// The arity for leaves of these polynomial sizes (before [`canonical_arity`]).
    fn arity(&self, leaf_vars: &[usize]) -> Arity {
        match self.fold {
            FoldArity::Fit { budget } => Arity::fit(leaf_vars, budget),
            FoldArity::Exact(a) => a,
        }
    }
}

struct Prover<'w> {
    t: Transcript,
    witness: &'w Witness,
    srs: &'w Srs,
    proofs: BlockProofs,
    /// The lookups' helper polynomials, in [`Poly::Helper`] order.
    helpers: Vec<DenseMle>,
    /// Whether each block's relation is checked before it is proven (debug builds, honest
    /// provers).
    check_relations: bool,
    /// A cheating prover's lookups: no check that the looked-up values are in the table.
    #[cfg(test)]
    unchecked_lookups: bool,
    /// What a cheating prover's range-lookup columns really commit, when that is not the witness.
    #[cfg(test)]
    range_columns: Option<Vec<Vec<DenseMle>>>,
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
        B::Proof: 'static,
    {
        let kind = kind_name_of::<B::Proof>();
        let w = witness(self.witness)?;
        // Debug builds (and the tests) check every block's relation before proving it, so a bad
        // witness is reported with the entry at fault instead of as a failed proof later.
        if self.check_relations {
            B::check(spec, instance, &w).map_err(|e| Error::Block {
                at: at.to_string(),
                kind,
                reason: e.to_string(),
            })?;
        }
        let (proof, claims) = B::prove(spec, instance, &w, &mut self.t)
            .map_err(|e| Error::Block { at: at.to_string(), kind, reason: e.to_string() })?;
        self.proofs
            .push(&proof)
            .map_err(|_| Error::Internal("a block proof does not serialize"))?;
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
        let out = if let Some(committed) = self.range_columns.take() {
            // The range lookup comes first in the schedule.
            tessera_blocks::lookup::prove_with_helpers_committing(
                spec,
                instance,
                &w,
                &committed,
                &mut self.t,
            )
        } else if self.unchecked_lookups {
            tessera_blocks::lookup::prove_with_helpers_unchecked(spec, instance, &w, &mut self.t)
        } else {
            prove_with_helpers(spec, instance, &w, &mut self.t)
        };
        #[cfg(not(test))]
        let out = prove_with_helpers(spec, instance, &w, &mut self.t);
        let out = out.map_err(|e| Error::Block {
            at: at.to_string(),
            kind: "lookup",
            reason: e.to_string(),
        })?;
        self.proofs
            .push(&out.proof)
            .map_err(|_| Error::Internal("a lookup proof does not serialize"))?;
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
            return Err(Error::Internal(
                "a step sent another number of evaluations than it declared",
            ));
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
        &Cheat::default(),
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
    /// Coefficients a cheating prover appends to a slot's commitment, past the slot's padded
    /// size (issue 22's forgery hides them there); it opens every claim on the slot with them.
    pub hidden: &'a [(Ref, Vec<Fr>)],
    /// Whether the prover still checks each block's relation before proving it (a careless
    /// rather than a cheating prover: it must be stopped with the entry at fault).
    pub check_relations: bool,
}

/// How [`prove_witness`] deviates for a cheating prover (the default is honest).
#[cfg(test)]
#[derive(Default)]
struct Cheat<'a> {
    /// Lookups and the accumulator skip their relation checks.
    unchecked: bool,
    /// The witness was altered: blocks are proven without checking their relations first (a
    /// cheating prover's proof must reach the verifier).
    tampered: bool,
    hidden: &'a [(Ref, Vec<Fr>)],
}

/// `mle` followed by `Σ c·hidden(r)` over the terms `(r, c)` that hide coefficients.
#[cfg(test)]
fn with_hidden(mle: DenseMle, terms: &[(Ref, i64)], hidden: &[(Ref, Vec<Fr>)]) -> DenseMle {
    let mut evals = mle.evals().to_vec();
    for (r, c) in terms {
        for (_, extra) in hidden.iter().filter(|(h, _)| h == r) {
            let len = (evals.len() + extra.len()).next_power_of_two();
            evals.resize(len, Fr::from(0u64));
            let base = mle.evals().len();
            for (k, x) in extra.iter().enumerate() {
                evals[base + k] += tessera_blocks::curve::fr_from_i64(*c) * x;
            }
        }
    }
    DenseMle::new(evals).expect("a power-of-two table")
}

/// What each vector of the range lookup commits (as [`crate::witness::range_vectors`] lists
/// them): the limb-0 combination `[v] − Σ_{l≥1} 2^{T·l}·[limb_l]` over the committed tensors with
/// their hidden coefficients, then the limbs, then the top limb's copy.
#[cfg(test)]
fn committed_range_columns(
    plan: &tessera_compiler::BlockPlan,
    w: &Witness,
    hidden: &[(Ref, Vec<Fr>)],
) -> Vec<Vec<DenseMle>> {
    use ark_ff::Field;
    let bits = plan.range_table_bits;
    let mut out = Vec::new();
    for (c, limbs) in plan.range_checks.iter().zip(&w.limbs) {
        let shape = plan.lin_shape(&c.value, c.node);
        let v = eval_lin(&w.committed, &c.value, &shape, false).expect("the checked value");
        let mut base = with_hidden(v.to_mle(), &c.value.terms, hidden).evals().to_vec();
        for (l, limb) in limbs.iter().enumerate().skip(1) {
            let k = Fr::from(2u64).pow([u64::from(bits) * l as u64]);
            base.iter_mut().zip(limb.to_mle().evals()).for_each(|(b, x)| *b -= k * x);
        }
        let base = DenseMle::new(base).expect("a power-of-two table");
        out.push(vec![base.clone()]);
        out.extend(limbs.iter().skip(1).map(|l| vec![l.to_mle()]));
        if c.top_shift(bits).is_some() {
            out.push(vec![limbs.get(1..).and_then(|r| r.last()).map_or(base, |t| t.to_mle())]);
        }
    }
    out
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
    let cheat = Cheat {
        unchecked: tamper.is_some_and(|t| t.range.is_some()),
        tampered: tamper.is_some_and(|t| !t.check_relations),
        hidden: tamper.map_or(&[], |t| t.hidden),
    };
    prove_witness(pk, witness, options, &cheat)
}

fn prove_witness(
    pk: &ProvingKey,
    witness: Witness,
    options: ProveOptions,
    #[cfg(test)] cheat: &Cheat<'_>,
) -> Result<(Vec<IntTensor>, Proof), Error> {
    let plan = &pk.plan;
    let g = &plan.graph;
    let outputs: Vec<IntTensor> =
        g.outputs.iter().map(|(_, id, _)| witness.values[*id].clone()).collect();
    let private = plan
        .steps
        .iter()
        .any(|s| matches!(s, tessera_compiler::plan::Step::Input { private: true, .. }));
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
            let t = witness
                .committed
                .get(r)
                .ok_or(Error::Internal("a committed tensor has no witness"))?;
            #[cfg(test)]
            if cheat.hidden.iter().any(|(h, _)| h == r) {
                let poly = with_hidden(t.to_mle(), &[(*r, 1)], cheat.hidden);
                return Ok((*r, tessera_blocks::kzg::commit(&pk.srs, poly.evals())?));
            }
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
    let (public_inputs, public_outputs) = public_maps(plan, &public)
        .map_err(|_| Error::Internal("the prover's public values do not fit its plan"))?;
    let side = Prover {
        t,
        witness: &witness,
        srs: &pk.srs,
        proofs: BlockProofs::default(),
        helpers: Vec::new(),
        #[cfg(not(test))]
        check_relations: cfg!(debug_assertions),
        #[cfg(test)]
        check_relations: cfg!(debug_assertions) && !cheat.tampered && cheat.hidden.is_empty(),
        #[cfg(test)]
        unchecked_lookups: cheat.unchecked,
        #[cfg(test)]
        range_columns: (!cheat.hidden.is_empty())
            .then(|| committed_range_columns(plan, &witness, cheat.hidden)),
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

    #[allow(unused_mut)]
    let mut polys = materialize(&witness, plan, &leaves, helpers)?;
    #[cfg(test)]
    for (p, mle) in polys.iter_mut() {
        if let Poly::Lin(terms) = p {
            *mle = with_hidden(mle.clone(), terms, cheat.hidden);
        }
    }
    let prover_leaves: Vec<ProverLeaf<'_>> =
        leaves.iter().map(|(c, p)| ProverLeaf { claim: c.clone(), poly: &polys[p] }).collect();
    let leaf_vars: Vec<usize> = prover_leaves.iter().map(|l| l.poly.num_vars()).collect();
    let arity = canonical_arity(options.arity(&leaf_vars), prover_leaves.len());
    let accumulator = {
        let _s = info_span!("accumulate", leaves = prover_leaves.len()).entered();
        #[cfg(test)]
        if cheat.unchecked {
            tessera_accumulator::tree::prove_unchecked(&pk.srs, &prover_leaves, arity, &mut t)?
        } else {
            tessera_accumulator::prove(&pk.srs, &prover_leaves, arity, &mut t)?
        }
        #[cfg(not(test))]
        tessera_accumulator::prove(&pk.srs, &prover_leaves, arity, &mut t)?
    };
    #[cfg(test)]
    crate::tests::record_final_transcript(crate::tests::Side::Prover, &mut t);
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
        return Err(Error::InputCount { expected: g.inputs.len(), got: inputs.len() });
    }
    for ((name, id, _), t) in g.inputs.iter().zip(inputs) {
        let want = &g.nodes[*id].shape;
        if t.shape() != want.as_slice() {
            return Err(Error::InputShape {
                input: name.clone(),
                expected: want.clone(),
                got: t.shape().to_vec(),
            });
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
                    .ok_or(Error::Internal("a function table has no output column"))?,
                Poly::Weight(id) => w.values[*id].to_mle(),
                Poly::Multiplicities => {
                    DenseMle::new(w.multiplicities.iter().map(|m| Fr::from(*m)).collect())?
                }
                Poly::FunctionMultiplicities(k) => {
                    let m = w
                        .function_multiplicities
                        .get(*k)
                        .ok_or(Error::Internal("a function lookup has no multiplicities"))?;
                    DenseMle::new(m.iter().map(|m| Fr::from(*m)).collect())?
                }
                Poly::Helper(_) => {
                    return Err(Error::Internal("a lookup helper has no polynomial"));
                }
                Poly::Zero => DenseMle::new(vec![Fr::from(0u64); 2])?,
            };
            Ok((p.clone(), mle))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    polys.extend(computed);
    Ok(polys)
}
