//! The folding tree, the root opening and the decider.
//!
//! **Transcript schedule.** On the caller's transcript `T`: absorb the number of leaves and the
//! effective arity. Node `(ℓ, i)` runs on `T.fork("accumulator level", ℓ).fork("accumulator node",
//! i)` — a fork by position, so the bytes do not depend on scheduling — and absorbs its children's
//! claims before any challenge ([`crate::node`]): leaves at level 0, the outputs of level `ℓ − 1`
//! above, so the root's challenges depend on every leaf. Then, on `T` again, the HyperKZG opening
//! of the root claim (it absorbs the root claim first). Prover and verifier leave `T` in the same
//! state.
//!
//! **Parallelism** (rayon). A level with at least twice as many nodes as threads proves (and
//! verifies) its nodes in parallel, each node serially; a level with fewer nodes runs them one
//! after another, each parallel inside — over its children, or over each child's table passes when
//! it has few children. Never both at once: nested rayon joins steal outer jobs onto the same
//! stack, which overflowed it on wide levels. Field arithmetic is exact and outputs are collected
//! in node order, so the proof is bit-identical for any number of threads.
//!
//! **Proof layout** ([`AccumulatedProof`]): every node proof, level by level, then the root
//! opening. The verifier rebuilds the tree from the leaf claims and the arity alone, checks the
//! proof's shape against it before any arithmetic, and re-derives every challenge and every inner
//! claim; no claim is read from the proof.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;
use tessera_blocks::hyperkzg::{self, MlOpeningProof};
use tessera_blocks::mle::MAX_NUM_VARS;
use tessera_blocks::{Claim, DenseMle, Error, Fr, PairingClaim, Srs, Transcript, VerifierKey};
use tracing::{debug_span, info_span};

use crate::error::{InputError, ProveError, VerifyError};
use crate::node::{
    self, NodeChild, NodeOutput, NodeProof, Parallelism, Schedule, Sound, prove_node,
};
use crate::shape::{Arity, TreeShape};

/// A leaf as the prover holds it: the claim and a reference to its polynomial. Many leaves may
/// share one polynomial; nothing is copied per leaf.
///
/// The polynomial may have more variables than the claim's point: a commitment binds every
/// coefficient it holds, and a claim reads only the first `2^n` of them (its point padded with
/// leading zeros, as every node pads). The prover must then hold all of them, or the root opening
/// fails, and the node that folds the leaf must be as large as the polynomial; the claim absorbed
/// and verified is still the unpadded one.
#[derive(Clone, Debug)]
pub struct ProverLeaf<'a> {
    pub claim: Claim,
    pub poly: &'a DenseMle,
}

/// Every fold node's proof and the opening of the root claim.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct AccumulatedProof {
    /// `levels[ℓ][i]` is node `i` of level `ℓ`; level 0 folds the leaves, the last level is the
    /// root node.
    pub levels: Vec<Vec<NodeProof>>,
    /// The HyperKZG opening of the root claim.
    pub root_opening: MlOpeningProof,
}

impl AccumulatedProof {
    /// Size of the compressed canonical encoding, in bytes.
    pub fn size_in_bytes(&self) -> usize {
        self.compressed_size()
    }
}

/// Folds `leaves` (in this order) in a tree of `arity` and opens the root claim.
///
/// In debug builds the leaf claims are checked first (`v = f(r)` for every leaf,
/// [`check_leaves`]), so a wrong claim from upstream fails here with its index rather than as a
/// rejected proof; release builds skip that `O(Σ 2^{n_a})` pass.
pub fn prove(
    srs: &Srs,
    leaves: &[ProverLeaf<'_>],
    arity: Arity,
    transcript: &mut Transcript,
) -> Result<AccumulatedProof, ProveError> {
    prove_with::<Sound>(srs, leaves, arity, transcript, cfg!(debug_assertions))
}

/// [`prove`] without the leaf check of debug builds: a cheating prover for the soundness tests of
/// callers (feature `test-utils`), so that a false leaf reaches the verifier.
#[cfg(feature = "test-utils")]
pub fn prove_unchecked(
    srs: &Srs,
    leaves: &[ProverLeaf<'_>],
    arity: Arity,
    transcript: &mut Transcript,
) -> Result<AccumulatedProof, ProveError> {
    prove_with::<Sound>(srs, leaves, arity, transcript, false)
}

/// Checks the relation of every leaf: the point fits the polynomial and `f(point) = value`.
/// (Commitments are not recomputed: that needs the SRS and one MSM per polynomial.)
pub fn check_leaves(leaves: &[ProverLeaf<'_>]) -> Result<(), ProveError> {
    leaf_vars(leaves)?;
    let wrong = leaves
        .par_iter()
        .enumerate()
        .map(|(i, l)| {
            let claim = node::pad_to_table(&l.claim, l.poly.evals());
            l.poly.evaluate(&claim.point).map(|v| (v != claim.value).then_some(i))
        })
        .collect::<Result<Vec<_>, _>>()?;
    match wrong.into_iter().flatten().next() {
        Some(leaf) => Err(ProveError::FalseLeaf { leaf }),
        None => Ok(()),
    }
}

pub(crate) fn prove_with<S: Schedule>(
    srs: &Srs,
    leaves: &[ProverLeaf<'_>],
    arity: Arity,
    transcript: &mut Transcript,
    check: bool,
) -> Result<AccumulatedProof, ProveError> {
    let shape = TreeShape::new(leaves.len(), arity)?;
    let _span = info_span!("accumulate", leaves = leaves.len(), arity = shape.arity()).entered();
    let vars = shape.num_vars(&leaf_vars(leaves)?);
    let root_vars = vars.last().and_then(|l| l.first()).copied().unwrap_or(0);
    srs.committer_powers("accumulator root opening", 1 << root_vars.max(1))?;
    if check {
        check_leaves(leaves)?;
    }
    shape.absorb(transcript);

    let mut levels = Vec::with_capacity(shape.levels());
    let mut current: Vec<(Claim, Vec<Fr>)> = Vec::new();
    for (level, level_vars) in vars.iter().enumerate() {
        let children: Vec<NodeChild<'_>> = if level == 0 {
            leaves.iter().map(|l| NodeChild { claim: &l.claim, table: l.poly.evals() }).collect()
        } else {
            current.iter().map(|(claim, table)| NodeChild { claim, table }).collect()
        };
        let outputs = prove_level::<S>(&shape, level, &children, level_vars, transcript)?;
        drop(children);
        let (proofs, next): (Vec<NodeProof>, Vec<(Claim, Vec<Fr>)>) =
            outputs.into_iter().map(|o| (o.proof, (o.claim, o.folded))).unzip();
        levels.push(proofs);
        current = next;
    }

    let (root, folded) = current
        .pop()
        .ok_or(Error::Invalid { what: "accumulator", reason: "the tree has no root".into() })?;
    let _open = info_span!("root opening", num_vars = root.num_vars()).entered();
    let poly = DenseMle::new(folded)?;
    let (value, root_opening) =
        hyperkzg::open(srs, &poly, &root.commitment, &root.point, transcript)?;
    if value != root.value {
        return Err(Error::Invalid {
            what: "accumulator",
            reason: "the folded polynomial does not match the root claim".into(),
        }
        .into());
    }
    Ok(AccumulatedProof { levels, root_opening })
}

fn prove_level<S: Schedule>(
    shape: &TreeShape,
    level: usize,
    children: &[NodeChild<'_>],
    vars: &[usize],
    base: &Transcript,
) -> Result<Vec<NodeOutput>, Error> {
    let _span = info_span!("fold level", level, nodes = vars.len()).entered();
    let prove_one = |i: usize, par: Option<Parallelism>| {
        let _node = debug_span!("fold node", level, index = i).entered();
        let mut t = TreeShape::node_transcript(base, level, i);
        let children = &children[shape.children(level, i)];
        let par = par.unwrap_or_else(|| Parallelism::inside_node(children.len()));
        prove_node::<S>(&mut t, children, vars[i], par)
    };
    let results: Vec<Result<NodeOutput, Error>> = if nodes_in_parallel(shape.nodes_on(level)) {
        (0..shape.nodes_on(level))
            .into_par_iter()
            .map(|i| prove_one(i, Some(Parallelism::None)))
            .collect()
    } else {
        (0..shape.nodes_on(level)).map(|i| prove_one(i, None)).collect()
    };
    results.into_iter().collect()
}

/// Whether a level's nodes run in parallel (each node serial) rather than one after another
/// (each node parallel inside): see [`Parallelism`] for why never both.
fn nodes_in_parallel(nodes: usize) -> bool {
    nodes >= 2 * rayon::current_num_threads()
}

/// Verifies an accumulated proof for `leaf_claims` (in order) and returns the root's pairing
/// claim, for [`decide`] or for merging with other pairing claims. No pairing happens here.
pub fn verify(
    vk: &VerifierKey,
    leaf_claims: &[Claim],
    arity: Arity,
    proof: &AccumulatedProof,
    transcript: &mut Transcript,
) -> Result<PairingClaim, VerifyError> {
    verify_with::<Sound>(vk, leaf_claims, arity, proof, transcript)
}

/// The decider: one multi-pairing, the only place an accumulated proof's pairings happen.
pub fn decide(vk: &VerifierKey, claim: &PairingClaim) -> Result<(), VerifyError> {
    claim.check(vk).map_err(VerifyError::Decider)
}

/// [`verify`], then [`decide`].
pub fn verify_and_decide(
    vk: &VerifierKey,
    leaf_claims: &[Claim],
    arity: Arity,
    proof: &AccumulatedProof,
    transcript: &mut Transcript,
) -> Result<(), VerifyError> {
    decide(vk, &verify(vk, leaf_claims, arity, proof, transcript)?)
}

pub(crate) fn verify_with<S: Schedule>(
    vk: &VerifierKey,
    leaf_claims: &[Claim],
    arity: Arity,
    proof: &AccumulatedProof,
    transcript: &mut Transcript,
) -> Result<PairingClaim, VerifyError> {
    let shape = TreeShape::new(leaf_claims.len(), arity)?;
    let _span = info_span!("verify accumulated", leaves = leaf_claims.len()).entered();
    let leaf_vars: Vec<usize> = leaf_claims.iter().map(Claim::num_vars).collect();
    if let Some((leaf, &num_vars)) = leaf_vars.iter().enumerate().find(|(_, n)| **n > MAX_NUM_VARS)
    {
        return Err(InputError::TooManyVariables { leaf, num_vars, max: MAX_NUM_VARS }.into());
    }
    let vars = shape.num_vars(&leaf_vars);
    check_proof_shape(&shape, &vars, proof)?;
    shape.absorb(transcript);

    let mut current: Vec<Claim> = Vec::new();
    for (level, level_vars) in vars.iter().enumerate() {
        let inputs: Vec<&Claim> =
            if level == 0 { leaf_claims.iter().collect() } else { current.iter().collect() };
        let verify_one = |i: usize, par: Parallelism| {
            let mut t = TreeShape::node_transcript(transcript, level, i);
            let children = &inputs[shape.children(level, i)];
            node::verify_node::<S>(&mut t, children, level_vars[i], &proof.levels[level][i], par)
                .map_err(|source| VerifyError::Node { level, index: i, source })
        };
        let nodes = shape.nodes_on(level);
        let results: Vec<Result<Claim, VerifyError>> = if nodes_in_parallel(nodes) {
            (0..nodes).into_par_iter().map(|i| verify_one(i, Parallelism::None)).collect()
        } else {
            (0..nodes).map(|i| verify_one(i, Parallelism::Children)).collect()
        };
        current = results.into_iter().collect::<Result<_, _>>()?;
    }
    let root = current.pop().ok_or(VerifyError::ProofShape {
        what: "accumulator root",
        expected: 1,
        got: 0,
    })?;
    hyperkzg::verify(vk, &root.commitment, &root.point, root.value, &proof.root_opening, transcript)
        .map_err(VerifyError::RootOpening)
}

/// The proof's shape against the tree: levels, nodes per level, each node's rounds and
/// evaluations, the root opening's vectors. Runs before any arithmetic.
fn check_proof_shape(
    shape: &TreeShape,
    vars: &[Vec<usize>],
    proof: &AccumulatedProof,
) -> Result<(), VerifyError> {
    let shape_err = |what, expected: usize, got: usize| {
        if expected == got { Ok(()) } else { Err(VerifyError::ProofShape { what, expected, got }) }
    };
    shape_err("accumulator levels", shape.levels(), proof.levels.len())?;
    for (level, nodes) in proof.levels.iter().enumerate() {
        shape_err("accumulator nodes of a level", shape.nodes_on(level), nodes.len())?;
        for (index, p) in nodes.iter().enumerate() {
            node::check_shape(p, vars[level][index]).map_err(|source| VerifyError::Node {
                level,
                index,
                source,
            })?;
        }
    }
    // The same checks (and names) as `hyperkzg::verify`, done before any node arithmetic.
    let k = vars.last().and_then(|l| l.first()).copied().unwrap_or(0);
    hyperkzg::check_shape(&proof.root_opening, k).map_err(VerifyError::RootOpening)
}

/// Each leaf's number of variables, after checking its point against its polynomial.
fn leaf_vars(leaves: &[ProverLeaf<'_>]) -> Result<Vec<usize>, InputError> {
    leaves
        .iter()
        .enumerate()
        .map(|(leaf, l)| {
            let (poly_vars, point_vars) = (l.poly.num_vars(), l.claim.num_vars());
            if point_vars > MAX_NUM_VARS {
                Err(InputError::TooManyVariables { leaf, num_vars: point_vars, max: MAX_NUM_VARS })
            } else if poly_vars < point_vars || poly_vars > MAX_NUM_VARS {
                Err(InputError::PointLength { leaf, poly_vars, point_vars })
            } else {
                Ok(point_vars)
            }
        })
        .collect()
}
