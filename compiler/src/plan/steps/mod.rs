//! One home per proving step: each file declares the step's data, its named slots, its range checks
//! and bounds, its witness (the slots from the node's values), and its reduction — one body run
//! by the prover and by the verifier through a [`Ctx`].
//!
//! **Derived steps** commit nothing; their `reduce` turns a claim on the output into claims on the
//! inputs through one block: [`matmul`], [`conv`], [`batched_matmul`], [`linear`] (`Linear`,
//! `BiasAdd`), [`hadamard`], [`axis_sum`], [`sum_pool`], [`maps`] (`Slice`, `Reshape`,
//! `Transpose`, `Gather`, `Concat`). Their lowering rules stay with the op they come from, in
//! `plan/lower.rs` (one `QOp` may become several kinds of step).
//!
//! **Committed steps**:
//!
//! | file | step | slots | relation (see the file) |
//! |---|---|---|---|
//! | [`division`] | `Rescale`, `DivConst` | `[y, r]` | `x + ⌊d/2⌋ = d·y + r`, `0 ≤ r < d` |
//! | [`div_round`] | `DivRound` | `[y, r, d̄]` | `2·x·2^s + d̄ = 2·d̄·y + r`, `0 ≤ r < 2d̄` |
//! | [`sqrt`] | `Sqrt` | `[y, e]` | `x = y² + e`, `0 ≤ e ≤ 2y` |
//! | [`clamp`] | `Clamp` | `[z]` or `[z, w]` | zero products of range-checked differences |
//! | [`max_pool`] | `MaxPool` | `[y, d_0 … d_{K−1}]` | `d_k = y − tap_k ≥ 0`, `Π d_k = 0` |
//! | [`reduce_max`] | `ReduceMax` | `[y, D, S]` | `D = y − x ≥ 0`, `S` one-hot, `S·D = 0` |
//! | [`arg_max`] | `ArgMax` | `[i, m, D, S]` | `D = K·(m − x) + σ·(i − J) ≥ 0`, `0 ≤ i < K`, `S` one-hot, `S·D = 0` |
//! | [`lookup`] | `Lookup` | `[y]` | `(x, y)` rows of the table's merged lookup |
//!
//! **Adding a relation step**: a file here with the step's struct (serde data of the plan), its
//! `Slot` names, `lower` (the step and its range checks, from the quantized node) and its
//! [`StepKind`] implementation (`slots`, `witness`, `reduce`); one line in the `steps!` list of
//! [`super::Step`], which generates the variant and every dispatch; one arm in the lowering's op
//! match. Its tests go in the runtime's step conformance suite.
//!
//! A reduction draws its challenges and sends its evaluations through the [`Ctx`]; it may only
//! use what both sides know (the plan, the commitments, the transcript), and reads the witness
//! only inside the closures it passes to [`Ctx::send`] and [`Ctx::block`], which the verifier
//! never calls.

pub mod arg_max;
pub mod axis_sum;
pub mod batched_matmul;
pub mod clamp;
pub mod conv;
pub mod div_round;
pub mod division;
pub mod hadamard;
pub mod linear;
pub mod lookup;
pub mod maps;
pub mod matmul;
pub mod max_pool;
pub mod reduce_max;
pub mod sqrt;
pub mod sum_pool;

use ark_ff::Zero;
use tessera_blocks::block::Block;
use tessera_blocks::claim::{BlockClaims, Claim, TensorClaim, TensorId};
use tessera_blocks::elementwise::{Broadcast, BroadcastSpec, Instance};
use tessera_blocks::kzg::Commitment;
use tessera_blocks::tensor::{IntTensor, axis_vars};
use tessera_blocks::{Fr, Transcript};

use super::interval::Interval;
use super::witness::{Witness, eval_lin, ranked};
use super::{BlockPlan, Lin, Ref};
use crate::quant::qop::{QId, QNode};

/// A tensor that no node holds: the input of a block whose claim the step itself reduces.
pub const VIRTUAL: TensorId = TensorId(u32::MAX);
/// A second such tensor.
pub const VIRTUAL_LEFT: TensorId = TensorId(u32::MAX - 1);

/// What a step's reduction may do: the schedule of the runtime implements it once for the prover
/// (which proves, records and keeps the witness) and once for the verifier (which replays).
pub trait Ctx<'p> {
    /// The side's error.
    type Error: From<StepError> + From<tessera_blocks::Error>;

    /// The plan being proven.
    fn plan(&self) -> &'p BlockPlan;

    /// The shared transcript.
    fn transcript(&mut self) -> &mut Transcript;

    /// `n` challenges under `label`.
    fn challenge(&mut self, label: &'static [u8], n: usize) -> Vec<Fr> {
        self.transcript().challenge_scalars(label, n)
    }

    /// Evaluations the prover sends (computed from the witness, or read from the proof), then
    /// absorbed under `label` by both sides.
    fn send(
        &mut self,
        label: &'static [u8],
        count: usize,
        values: &dyn Fn(&Witness) -> Result<Vec<Fr>, StepError>,
    ) -> Result<Vec<Fr>, Self::Error>;

    /// Proves (and records) or replays (and verifies) one block.
    fn block<B: Block>(
        &mut self,
        at: &str,
        spec: &B::Spec,
        instance: &B::Instance,
        witness: &dyn Fn(&Witness) -> Result<B::Witness, StepError>,
    ) -> Result<BlockClaims, Self::Error>
    where
        B::Proof: 'static;

    /// Makes the claim `lin(point) = value` on a linear form over committed tensors (of `shape`)
    /// an accumulator leaf.
    fn leaf(
        &mut self,
        lin: &Lin,
        shape: &[usize],
        point: Vec<Fr>,
        value: Fr,
    ) -> Result<(), Self::Error>;

    /// Hands the claim `node(point) = value` to the node's producer.
    fn route(&mut self, node: QId, point: Vec<Fr>, value: Fr);

    /// Records the claim `Π factors(point) = value` (tensors of `shape`); all such claims are
    /// proven together after the last node, in one batch.
    fn product(&mut self, node: QId, shape: &[usize], factors: &[Lin], point: Vec<Fr>, value: Fr);

    /// The verifying key's commitment to weight `id`.
    fn weight(&self, id: QId) -> Result<Commitment, Self::Error>;

    /// Makes a claim on weight `id`'s commitment an accumulator leaf.
    fn weight_leaf(&mut self, id: QId, claim: Claim);
}

/// Errors of a step's witness and reduction, naming the node and its op.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepError {
    /// The step's parameters do not fit the plan (a verifier rejects such a plan).
    #[error("node {node} ({op}): malformed step: {what}")]
    Malformed {
        /// Node name.
        node: String,
        /// Step kind.
        op: &'static str,
        /// What does not fit.
        what: &'static str,
    },
    /// The node's values break its relation (the prover's inputs are out of range).
    #[error("node {node} ({op}): {what}")]
    Witness {
        /// Node name.
        node: String,
        /// Step kind.
        op: &'static str,
        /// Which value and why.
        what: String,
    },
    /// The proof fails a check the step makes itself (a verifier rejects it).
    #[error("node {node} ({op}): {what}")]
    Rejected {
        /// Node name.
        node: String,
        /// Step kind.
        op: &'static str,
        /// What does not hold.
        what: &'static str,
    },
    /// A tensor the step reads is not in the witness (only the verifier has none).
    #[error("node #{node}: slot {slot} is not in the witness")]
    Missing {
        /// Node index.
        node: QId,
        /// Slot.
        slot: usize,
    },
    /// A kernel operation failed.
    #[error(transparent)]
    Kernel(#[from] tessera_blocks::Error),
}

/// The committed tensors of a witness so far, by slot reference.
pub type Committed = std::collections::BTreeMap<Ref, IntTensor>;

/// What every step kind declares: one implementation per step struct, in the step's file, and one
/// line in the `steps!` list of [`super::Step`], which dispatches to it.
///
/// A derived step (it commits nothing) implements [`StepKind::reduce_claim`]; a committed step
/// implements [`StepKind::slots`], [`StepKind::witness`] and [`StepKind::reduce`]. The defaults
/// are the other kind's: nothing committed, and a malformed-step error if the schedule asks a step
/// for a reduction it does not have.
pub trait StepKind {
    /// The step's name in errors (the variant's name).
    const KIND: &'static str;

    /// The nodes the step reads directly (linear forms over committed tensors excepted).
    fn inputs(&self) -> Vec<QId>;

    /// How many tensors the prover commits for the step.
    fn slots(&self) -> usize {
        0
    }

    /// The worst-case interval of the node's entries (the plan's `bounds` module), from the
    /// bounds `b` of the nodes before it (`None`: unknown); `committed` is the interval of its
    /// own committed value (slot 0), which a committed step's bound is.
    fn bound(
        &self,
        id: QId,
        nodes: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        committed: Option<Interval>,
    ) -> Option<Interval> {
        let _ = (id, nodes, b);
        committed
    }

    /// The node whose shape committed slot `slot` of node `id` has (its own, unless a helper has
    /// another node's shape).
    fn slot_node(&self, id: QId, slot: usize) -> QId {
        let _ = slot;
        id
    }

    /// Checks of the step's parameters against the plan beyond the generic ones (inputs before
    /// the node, committed references known), run when a plan is read: `Err` says what is wrong.
    fn validate(&self, plan: &BlockPlan) -> Result<(), &'static str> {
        let _ = plan;
        Ok(())
    }

    /// The linear form over committed tensors the step reads (a clamp, max pool or lookup).
    fn committed_input(&self) -> Option<&Lin> {
        None
    }

    /// The committed tensors of node `n`, in slot order, from the node values and the slots
    /// committed before (called only when [`StepKind::slots`] is not zero).
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        committed: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        let _ = (values, committed);
        Err(n.malformed("a step without committed tensors"))
    }

    /// Proves (prover) or checks (verifier) the relation that defines committed node `id`.
    fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
        Err(Node::new(c.plan(), id, Self::KIND)
            .malformed("a committed node without a relation")
            .into())
    }

    /// Reduces a claim on derived node `id` through its block to claims on its inputs.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let _ = claim;
        Err(Node::new(c.plan(), id, Self::KIND)
            .malformed("a derived node without an arithmetic block")
            .into())
    }
}

/// A node as a step sees it: its name, kind and shapes.
pub struct Node<'p> {
    /// The plan.
    pub plan: &'p BlockPlan,
    /// Its index.
    pub id: QId,
    /// The step kind (for errors).
    pub op: &'static str,
}

impl<'p> Node<'p> {
    /// Node `id` of `plan`.
    pub fn new(plan: &'p BlockPlan, id: QId, op: &'static str) -> Self {
        Self { plan, id, op }
    }

    /// Its output shape.
    pub fn shape(&self) -> Vec<usize> {
        shape(self.plan, self.id)
    }

    /// Node `j`'s shape.
    pub fn shape_of(&self, j: QId) -> Vec<usize> {
        shape(self.plan, j)
    }

    /// The slot reference `slot` of this node.
    pub fn at(&self, slot: impl Into<usize>) -> Ref {
        Ref { node: self.id, slot: slot.into() }
    }

    /// A witness error at this node.
    pub fn witness_error(&self, what: String) -> StepError {
        StepError::Witness { node: name(self.plan, self.id), op: self.op, what }
    }

    /// A failed check of this node's step.
    pub fn rejected(&self, what: &'static str) -> StepError {
        StepError::Rejected { node: name(self.plan, self.id), op: self.op, what }
    }

    /// A malformed-step error at this node.
    pub fn malformed(&self, what: &'static str) -> StepError {
        StepError::Malformed { node: name(self.plan, self.id), op: self.op, what }
    }

    /// The value of node `j` from the witness values.
    pub fn value<'v>(&self, values: &'v [IntTensor], j: QId) -> Result<&'v IntTensor, StepError> {
        values.get(j).ok_or(StepError::Missing { node: j, slot: 0 })
    }

    /// `"node <name>"`, as blocks name the step they prove.
    pub fn label(&self) -> String {
        format!("node {}", name(self.plan, self.id))
    }
}

/// Node `id`'s name (`#id` if the plan has no such node).
pub fn name(plan: &BlockPlan, id: QId) -> String {
    plan.graph.nodes.get(id).map_or_else(|| format!("#{id}"), |n| n.label())
}

/// Node `id`'s shape (empty if the plan has no such node).
pub fn shape(plan: &BlockPlan, id: QId) -> Vec<usize> {
    plan.graph.nodes.get(id).map(|n| n.shape.clone()).unwrap_or_default()
}

/// Number of variables of a tensor of `shape` (each axis padded to a power of two).
pub fn num_vars(shape: &[usize]) -> usize {
    axis_vars(shape).iter().sum()
}

/// Committed slot `r` in the witness.
pub fn slot(w: &Witness, r: Ref) -> Result<&IntTensor, StepError> {
    w.committed.get(&r).ok_or(StepError::Missing { node: r.node, slot: r.slot })
}

/// The evaluations of committed slots at `point`.
pub fn eval_refs(w: &Witness, refs: &[Ref], point: &[Fr]) -> Result<Vec<Fr>, StepError> {
    refs.iter().map(|r| Ok(slot(w, *r)?.to_mle().evaluate(point)?)).collect()
}

/// `Π f_k` entrywise, in checked integers.
pub fn product(
    w: &Witness,
    factors: &[Lin],
    shape: &[usize],
    node: &Node<'_>,
) -> Result<IntTensor, StepError> {
    let mut acc: Option<Vec<i64>> = None;
    for f in factors {
        let t = eval_lin(&w.committed, f, shape, true)?;
        acc = Some(match acc {
            None => t.data().to_vec(),
            Some(a) => a
                .iter()
                .zip(t.data())
                .map(|(x, y)| x.checked_mul(*y))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| node.witness_error("a product overflows".into()))?,
        });
    }
    Ok(IntTensor::new(shape.to_vec(), acc.unwrap_or_default())?)
}

/// Proves `Π_k f_k = 0` entrywise for linear forms `f_k` of `shape` (a product claim at a fresh
/// point).
pub fn zero_product<'p, C: Ctx<'p>>(c: &mut C, id: QId, shape: &[usize], factors: &[Lin]) {
    let point = c.challenge(b"zero check point", num_vars(shape));
    c.product(id, shape, factors, point, Fr::zero());
}

/// Reduces a claim on `broadcast(source)` (a tensor of node `id`'s shape) to a claim on
/// `source`, routed to its producer.
pub fn broadcast_claim<'p, C: Ctx<'p>>(
    c: &mut C,
    id: QId,
    source: QId,
    claim: TensorClaim,
) -> Result<(), C::Error> {
    let plan = c.plan();
    let out_shape = shape(plan, id);
    let in_shape = ranked(&shape(plan, source), out_shape.len());
    let label = format!("node {}", name(plan, id));
    let spec = BroadcastSpec { in_shape: in_shape.clone(), out_shape };
    let instance = Instance { output: claim, inputs: vec![TensorId(source as u32)] };
    let claims = c.block::<Broadcast>(&label, &spec, &instance, &|w| {
        Ok(vec![IntTensor::new(in_shape.clone(), value(w, source)?.data().to_vec())?])
    })?;
    absorb(c, id, claims, None)
}

/// The value of node `j` in the witness.
pub fn value(w: &Witness, j: QId) -> Result<&IntTensor, StepError> {
    w.values.get(j).ok_or(StepError::Missing { node: j, slot: 0 })
}

/// Makes leaves of a block's claims on `weight`'s commitment (none other may be claimed) and
/// routes its tensor claims, which must be on nodes before `id`, to their producers.
pub fn absorb<'p, C: Ctx<'p>>(
    c: &mut C,
    id: QId,
    claims: BlockClaims,
    weight: Option<QId>,
) -> Result<(), C::Error> {
    let plan = c.plan();
    let bad = |what| StepError::Malformed { node: name(plan, id), op: "block", what };
    for claim in claims.committed {
        match weight {
            Some(w) if claim.commitment == c.weight(w)? => c.weight_leaf(w, claim),
            _ => return Err(bad("a block claimed an unknown commitment").into()),
        }
    }
    for t in claims.tensors {
        let j = t.tensor.0 as usize;
        if j >= id {
            return Err(bad("a block claimed a later tensor").into());
        }
        c.route(j, t.point, t.value);
    }
    Ok(())
}

/// The one tensor claim a block returned.
pub fn single_claim(claims: BlockClaims, node: &Node<'_>) -> Result<TensorClaim, StepError> {
    let [t] = <[TensorClaim; 1]>::try_from(claims.tensors)
        .map_err(|_| node.malformed("a block returned other claims than one"))?;
    Ok(t)
}
