//! The kernel's conformance suite on the whole accumulator (tree, root opening, decider), for a
//! tree with remainder nodes (arity 3) and for one node over every leaf.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::One;
use tessera_blocks::testing::{ConformanceCase, Tampering, run_all};
use tessera_blocks::{G1Affine, RelationError, Transcript, hyperkzg};

use super::{Fixture, srs};
use crate::error::KernelVerifyError;
use crate::shape::Arity;
use crate::tree::{AccumulatedProof, check_leaves, prove, verify_and_decide};

/// `ARITY = 0` means [`Arity::AllInOne`].
struct Case<const ARITY: usize> {
    fixture: Fixture,
}

impl<const ARITY: usize> Case<ARITY> {
    fn arity() -> Arity {
        if ARITY == 0 { Arity::AllInOne } else { Arity::Fixed(ARITY) }
    }
}

impl<const ARITY: usize> ConformanceCase for Case<ARITY> {
    type Proof = AccumulatedProof;
    const NAME: &'static str = "accumulator";

    /// Numbers of leaves.
    fn sizes() -> Vec<usize> {
        vec![1, 2, 7, 20]
    }

    fn generate(size: usize, seed: u64) -> Self {
        Self { fixture: Fixture::mixed(size, seed) }
    }

    fn check(&self) -> Result<(), RelationError> {
        let bad = |detail: String| RelationError::Violated { relation: "accumulator", detail };
        for (i, (j, claim)) in self.fixture.leaves.iter().enumerate() {
            let c =
                hyperkzg::commit(srs(), &self.fixture.polys[*j]).map_err(|e| bad(e.to_string()))?;
            if c != claim.commitment {
                return Err(bad(format!("leaf {i}: commitment does not match its polynomial")));
            }
        }
        check_leaves(&self.fixture.prover_leaves()).map_err(|e| bad(e.to_string()))
    }

    fn corrupt_witness(&mut self) {
        if let Some((_, claim)) = self.fixture.leaves.last_mut() {
            claim.value += tessera_blocks::Fr::one();
        }
    }

    fn prove(&self, t: &mut Transcript) -> AccumulatedProof {
        prove(srs(), &self.fixture.prover_leaves(), Self::arity(), t).expect("prove")
    }

    fn verify(
        &self,
        proof: &AccumulatedProof,
        t: &mut Transcript,
    ) -> Result<(), KernelVerifyError> {
        let vk = srs().verifier_key();
        verify_and_decide(&vk, &self.fixture.claims(), Self::arity(), proof, t).map_err(Into::into)
    }

    fn tamperings(&self, proof: &AccumulatedProof) -> Vec<Tampering<AccumulatedProof>> {
        let folding_eq =
            KernelVerifyError::Mismatch { protocol: "hyperkzg", what: "folding equation" };
        let shape = |what, expected: usize, got: usize| KernelVerifyError::ProofShape {
            what,
            expected,
            got,
        };
        let bump = |p: &G1Affine| (*p + G1Affine::generator()).into_affine();
        let mut out = Vec::new();
        let mut push = |field: String, proof: AccumulatedProof, expected: KernelVerifyError| {
            out.push(Tampering { field, proof, expected })
        };

        for (l, level) in proof.levels.iter().enumerate() {
            for (i, node) in level.iter().enumerate() {
                let at = format!("level {l} node {i}");
                let n = node.sumcheck.rounds.len();
                if n > 0 {
                    // A node accepts any well-formed sumcheck; the false claim it derives is
                    // caught where the root claim is opened.
                    let mut p = proof.clone();
                    p.levels[l][i].sumcheck.rounds[n - 1].evals_except_one[1] += one();
                    push(format!("{at}: last round s(2)"), p, folding_eq.clone());
                    let mut p = proof.clone();
                    p.levels[l][i].sumcheck.rounds[0].evals_except_one[0] += one();
                    push(format!("{at}: first round s(0)"), p, folding_eq.clone());
                    let mut p = proof.clone();
                    p.levels[l][i].sumcheck.rounds.pop();
                    push(format!("{at}: a round dropped"), p, shape("sumcheck rounds", n, n - 1));
                    let mut p = proof.clone();
                    p.levels[l][i].sumcheck.rounds[0].evals_except_one.push(one());
                    push(
                        format!("{at}: round degree"),
                        p,
                        shape("sumcheck round polynomial", 2, 3),
                    );
                }
            }
            let mut p = proof.clone();
            let nodes = p.levels[l].len();
            let extra = p.levels[l][0].clone();
            p.levels[l].push(extra);
            push(
                format!("level {l}: extra node"),
                p,
                shape("accumulator nodes of a level", nodes, nodes + 1),
            );
        }
        let levels = proof.levels.len();
        let mut p = proof.clone();
        p.levels.pop();
        push("a level dropped".into(), p, shape("accumulator levels", levels, levels - 1));

        let o = &proof.root_opening;
        for j in 0..o.folded_commitments.len() {
            let mut p = proof.clone();
            p.root_opening.folded_commitments[j] = bump(&o.folded_commitments[j]);
            push(format!("root opening: folded commitment {j}"), p, folding_eq.clone());
        }
        // A value of the last level (its fold is the claimed value).
        let mut p = proof.clone();
        let last = o.coset_evals.len() - 1;
        p.root_opening.coset_evals[last] += one();
        push("root opening: coset eval".into(), p, folding_eq.clone());
        let k = o.coset_evals.len();
        let mut p = proof.clone();
        p.root_opening.coset_evals.pop();
        push("root opening: eval dropped".into(), p, shape("hyperkzg coset evaluations", k, k - 1));
        let mut p = proof.clone();
        p.root_opening.batch.quotient = bump(&o.batch.quotient);
        push("root opening: batch quotient".into(), p, KernelVerifyError::Pairing);
        let mut p = proof.clone();
        p.root_opening.batch.final_witness = bump(&o.batch.final_witness);
        push("root opening: batch final witness".into(), p, KernelVerifyError::Pairing);
        out
    }
}

fn one() -> tessera_blocks::Fr {
    tessera_blocks::Fr::one()
}

#[test]
fn conformance_arity_3() {
    run_all::<Case<3>>();
}

#[test]
fn conformance_all_in_one_node() {
    run_all::<Case<0>>();
}
