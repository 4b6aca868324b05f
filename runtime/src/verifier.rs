//! The verifier: replays the shared schedule against the proof, then the accumulator and its one
//! multi-pairing. Every malformed or inconsistent input is a typed [`VerifyError`], never a panic.

use tessera_blocks::block::Block;
use tessera_blocks::claim::BlockClaims;
use tessera_blocks::lookup::{Lookup, LookupInstance, LookupSpec, LookupWitness};
use tessera_blocks::{Fr, Srs, Transcript};
use tracing::info_span;

use crate::error::{Error, Malformed, VerifyError};
use crate::keys::{VerifyingKey, committed_refs};
use crate::proof::{Proof, ProofReader, kind_name_of};
use crate::schedule::{Commitments, Schedule, Side};
use crate::statement::{absorb_statement, arity_from_code, canonical_arity, public_maps};
use crate::witness::Witness;

struct Verifier<'p> {
    t: Transcript,
    proofs: ProofReader<'p>,
    evals: &'p [Fr],
    used: usize,
}

impl Side for Verifier<'_> {
    type Error = VerifyError;

    fn transcript(&mut self) -> &mut Transcript {
        &mut self.t
    }

    fn block<B: Block>(
        &mut self,
        at: &str,
        spec: &B::Spec,
        instance: &B::Instance,
        _witness: &dyn Fn(&Witness) -> Result<B::Witness, Error>,
    ) -> Result<BlockClaims, VerifyError>
    where
        B::Proof: 'static,
    {
        let proof = self.proofs.read::<B::Proof>()?;
        B::verify(spec, instance, &proof, &mut self.t).map_err(|source| VerifyError::Block {
            at: format!("{at} ({})", kind_name_of::<B::Proof>()),
            source,
        })
    }

    fn lookup(
        &mut self,
        at: &str,
        spec: &LookupSpec,
        instance: &LookupInstance,
        _witness: &dyn Fn(&Witness, &Srs) -> Result<LookupWitness, Error>,
    ) -> Result<BlockClaims, VerifyError> {
        self.block::<Lookup>(at, spec, instance, &|_| {
            Err(Error::Internal("the verifier has no witness"))
        })
    }

    fn send(
        &mut self,
        label: &'static [u8],
        count: usize,
        _values: &dyn Fn(&Witness) -> Result<Vec<Fr>, Error>,
    ) -> Result<Vec<Fr>, VerifyError> {
        let v = self
            .evals
            .get(self.used..self.used.saturating_add(count))
            .ok_or(Malformed::Count {
                what: "evals",
                got: self.evals.len(),
                expected: self.used.saturating_add(count),
            })?
            .to_vec();
        self.used += count;
        self.t.append_scalars(label, &v);
        Ok(v)
    }
}

/// Verifies `proof` against `vk`. On success the proof's public values are what the model
/// computes on its public inputs (or on the committed private ones).
pub fn verify(vk: &VerifyingKey, proof: &Proof) -> Result<(), VerifyError> {
    let plan = &vk.plan;
    let _span = info_span!("verify", model = %plan.model).entered();
    let (public_inputs, public_outputs) = public_maps(plan, &proof.public)?;
    let arity = arity_from_code(proof.arity)?;

    let refs = committed_refs(plan);
    if proof.commitments.len() != refs.len() {
        return Err(Malformed::Count {
            what: "tensor commitments",
            got: proof.commitments.len(),
            expected: refs.len(),
        }
        .into());
    }
    // Limb 0 of every check is a combination of the others and the value (see the schedule).
    let limb_counts: Vec<usize> =
        plan.range_checks.iter().map(|c| (c.limbs as usize).saturating_sub(1)).collect();
    if proof.limbs.len() != limb_counts.iter().sum::<usize>() {
        return Err(Malformed::Count {
            what: "limb commitments",
            got: proof.limbs.len(),
            expected: limb_counts.iter().sum::<usize>(),
        }
        .into());
    }
    let mut limbs = Vec::with_capacity(limb_counts.len());
    let mut at = 0;
    for n in limb_counts {
        limbs.push(proof.limbs[at..at + n].to_vec());
        at += n;
    }
    if proof.function_multiplicities.len() != plan.function_lookups.len() {
        return Err(Malformed::Count {
            what: "function-lookup multiplicity commitments",
            got: proof.function_multiplicities.len(),
            expected: plan.function_lookups.len(),
        }
        .into());
    }
    let commitments = Commitments {
        tensors: refs.into_iter().zip(proof.commitments.iter().copied()).collect(),
        limbs,
        multiplicities: proof.multiplicities,
        function_multiplicities: proof.function_multiplicities.clone(),
    };

    let mut t = Transcript::new(b"tessera");
    absorb_statement(
        &mut t,
        vk,
        &proof.public,
        &proof.commitments,
        &proof.limbs,
        &proof.multiplicities,
        &proof.function_multiplicities,
    );
    let side = Verifier { t, proofs: proof.blocks.reader(), evals: &proof.blocks.evals, used: 0 };
    let mut schedule = Schedule::new(
        plan,
        side,
        &vk.weights,
        &vk.tables,
        &commitments,
        public_inputs,
        public_outputs,
    );
    schedule.run()?;
    let leaves: Vec<_> = schedule.leaves.iter().map(|(c, _)| c.clone()).collect();
    let Verifier { mut t, proofs, evals, used } = schedule.side;
    proofs.finish()?;
    if used != evals.len() {
        return Err(Malformed::Count { what: "evals", got: evals.len(), expected: used }.into());
    }
    if canonical_arity(arity, leaves.len()) != arity {
        return Err(Malformed::Arity {
            code: proof.arity,
            reason: "at or above the number of leaves, one node over every leaf is encoded as 0",
        }
        .into());
    }
    tessera_accumulator::verify_and_decide(&vk.srs, &leaves, arity, &proof.accumulator, &mut t)?;
    #[cfg(test)]
    crate::tests::record_final_transcript(crate::tests::Side::Verifier, &mut t);
    Ok(())
}
