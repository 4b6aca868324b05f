//! The block plan: a quantized graph lowered to the basic blocks that prove it (DESIGN §4, §6).
//!
//! [`lower`] assigns every node of a [`QGraph`] a [`Role`] — what the verifier knows about the
//! tensor — and a [`Step`] — the block that proves how it is computed:
//!
//! | role | meaning | who discharges a claim on it |
//! |---|---|---|
//! | [`Role::PublicInput`] | the quantized input travels in the proof | the verifier evaluates it |
//! | [`Role::PrivateInput`] | committed by the prover, range-checked | the accumulator |
//! | [`Role::Weight`] | committed at setup, in the verifying key | the accumulator |
//! | [`Role::Scalar`] | a public quantization constant (zero point, multiplier) | folded into linear ops |
//! | [`Role::Committed`] | defined by a lookup relation (see [`Step::committed`]) | the accumulator |
//! | [`Role::Derived`] | the output of an arithmetic block | the block that produced it |
//!
//! Every range check of the whole model — rescale remainders and quotients, the differences that
//! prove a clamp or a max — is a [`RangeCheck`] into the **one** range table `[0, 2^T)` with
//! `T = `[`RANGE_TABLE_BITS`], as limbs: all of them form one lookup (same-table merge). A check
//! `v ∈ [0, 2^b)` with `b` not a multiple of `T` is exact through a second lookup of its top limb
//! `l`, as `l + 2^T − 2^{b_top}` (`b_top` the top limb's bits).
//!
//! Likewise every [`Step::Lookup`] node of one function table, across the whole model, is looked
//! up by **one** lookup into that table ([`FunctionLookup`], built by [`merge_lookups`]): one
//! `(x, y)` vector per node, one multiplicity vector per table (committed with the statement, not
//! by the node).
//!
//! A committed node may commit helper tensors next to its value (its *slots*, see
//! [`Step::committed`]); a helper's shape is [`BlockPlan::slot_shape`] (the differences and the
//! selector of a max have the input's shape).
//!
//! A plan is compiled for one batch size (the leading axis), is serializable with a format
//! version, and has a digest over its public part (everything but the weights' values), which the
//! verifying key binds.

mod bounds;
mod interval;
mod lower;
mod merge_lookups;
pub mod steps;
pub mod witness;

use serde::{Deserialize, Serialize};

use tessera_blocks::claim::TensorClaim;
use tessera_blocks::tensor::IntTensor;

use crate::quant::qop::{QGraph, QId, QOp};
use crate::tensor::Tensor;
use steps::StepKind;

pub use lower::{LowerOptions, lower};
pub use merge_lookups::merge_lookups;
pub use steps::{Ctx, StepError};
pub use witness::Witness;

/// Version of the plan format; files of another version are rejected.
pub const PLAN_VERSION: u32 = 3;

/// Bits of the range table every range check decomposes into.
pub const RANGE_TABLE_BITS: u32 = 12;

/// What the verifier knows about a node's tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// A model input whose quantized values are public.
    PublicInput,
    /// A model input the proof commits to instead of revealing.
    PrivateInput,
    /// A constant tensor committed in the verifying key (weights, biases).
    Weight,
    /// A public single-number constant.
    Scalar(i64),
    /// A tensor defined by a lookup relation: committed during proving.
    Committed,
    /// The output of an arithmetic block: never committed.
    Derived,
}

/// A committed tensor of the proof: slot `slot` of node `node` (slot 0 is the node's value; the
/// others are the step's helper tensors, see [`Step::committed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ref {
    /// Node.
    pub node: QId,
    /// Slot.
    pub slot: usize,
}

/// `Σ c_i·t_i + constant` on the unpadded region: a linear form over committed tensors, whose
/// commitment the verifier derives homomorphically.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lin {
    /// Committed tensors and their coefficients.
    pub terms: Vec<(Ref, i64)>,
    /// Constant added on every real entry.
    pub constant: i64,
}

impl Ref {
    /// Slot `slot` (a step's slot name) of node `node`.
    pub fn new(node: QId, slot: impl Into<usize>) -> Self {
        Self { node, slot: slot.into() }
    }
}

impl Lin {
    /// The committed value of `r`.
    pub fn of(r: Ref) -> Self {
        Self { terms: vec![(r, 1)], constant: 0 }
    }

    /// `a·self + b·other`.
    pub fn combine(&self, a: i64, other: &Lin, b: i64) -> Lin {
        let mut terms: Vec<(Ref, i64)> = Vec::new();
        for (r, c) in self
            .terms
            .iter()
            .map(|(r, c)| (r, a * c))
            .chain(other.terms.iter().map(|(r, c)| (r, b * c)))
        {
            match terms.iter_mut().find(|(t, _)| *t == *r) {
                Some((_, acc)) => *acc += c,
                None => terms.push((*r, c)),
            }
        }
        terms.retain(|(_, c)| *c != 0);
        Lin { terms, constant: a * self.constant + b * other.constant }
    }

    /// `self + k`.
    pub fn plus(mut self, k: i64) -> Lin {
        self.constant += k;
        self
    }
}

/// `value ∈ [0, 2^{T·(limbs − 1) + top_bits})`, proven with `limbs` limbs in the range table
/// `[0, 2^T)`. When `top_bits < T` the top limb `l` is looked up a second time as
/// `l + 2^T − 2^{top_bits}`, which bounds it by `2^{top_bits}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeCheck {
    /// The node whose relation needs the check (for error messages).
    pub node: QId,
    /// The checked value.
    pub value: Lin,
    /// Number of `T`-bit limbs.
    pub limbs: u32,
    /// Bits of the top limb, at most `T`.
    pub top_bits: u32,
}

impl RangeCheck {
    /// The offset of the top limb's second lookup, `2^T − 2^{top_bits}`, if it has one.
    pub fn top_shift(&self, table_bits: u32) -> Option<i64> {
        (self.top_bits < table_bits).then(|| (1i64 << table_bits) - (1i64 << self.top_bits))
    }
}

/// All [`Step::Lookup`] nodes that read function table `table`: one lookup block, one vector
/// `(x, y)` per node, one multiplicity vector (over the padded table's rows) for all of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionLookup {
    /// Table index in [`QGraph::tables`].
    pub table: usize,
    /// The lookup nodes, in increasing order (at least one).
    pub nodes: Vec<QId>,
}

/// Declares [`Step`], one variant per step struct, and its dispatch to each struct's
/// [`steps::StepKind`]: a new step kind is its file and one line of the list below.
macro_rules! steps {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// The block that proves a node: one variant per step kind, each defined (with its slots,
        /// checks, witness and reduction) in its file of [`steps`].
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum Step {
            /// A model input: no relation; a private input is committed (`[x]`), and so is a
            /// public input that an op needs committed (a clamp, pool, lookup or max reading
            /// it), bound to the public values by one claim at a random point.
            Input {
                /// Whether the input is committed rather than public.
                private: bool,
                /// A public input also committed (`[x]`).
                #[serde(default, skip_serializing_if = "std::ops::Not::not")]
                committed: bool,
            },
            /// A constant: no relation.
            Data,
            $($(#[$doc])* $variant($ty),)*
        }

        impl Step {
            /// The name of the step's kind (for errors).
            pub fn kind(&self) -> &'static str {
                match self {
                    Step::Input { .. } => "Input",
                    Step::Data => "Data",
                    $(Step::$variant(_) => <$ty as StepKind>::KIND,)*
                }
            }

            /// The nodes the step reads directly (linear forms over committed tensors excepted).
            pub fn inputs(&self) -> Vec<QId> {
                match self {
                    Step::Input { .. } | Step::Data => vec![],
                    $(Step::$variant(s) => s.inputs(),)*
                }
            }

            /// How many tensors the prover commits for this step (see each variant).
            pub fn committed(&self) -> usize {
                match self {
                    Step::Input { private, committed } => usize::from(*private || *committed),
                    Step::Data => 0,
                    $(Step::$variant(s) => s.slots(),)*
                }
            }

            /// The worst-case interval of node `id`'s entries ([`bounds`]).
            pub(crate) fn bound(
                &self,
                id: QId,
                nodes: &[crate::quant::qop::QNode],
                b: &dyn Fn(QId) -> Option<interval::Interval>,
                committed: Option<interval::Interval>,
            ) -> Option<interval::Interval> {
                match self {
                    Step::Input { .. } | Step::Data => committed,
                    $(Step::$variant(s) => s.bound(id, nodes, b, committed),)*
                }
            }

            /// The node whose shape committed slot `slot` of node `id` has.
            pub fn slot_node(&self, id: QId, slot: usize) -> QId {
                match self {
                    Step::Input { .. } | Step::Data => id,
                    $(Step::$variant(s) => s.slot_node(id, slot),)*
                }
            }

            /// The step's own checks against the plan ([`StepKind::validate`]).
            fn validate_step(&self, plan: &BlockPlan) -> Result<(), &'static str> {
                match self {
                    Step::Input { .. } | Step::Data => Ok(()),
                    $(Step::$variant(s) => s.validate(plan),)*
                }
            }

            /// The linear form over committed tensors a clamp, max pool or lookup reads.
            pub fn committed_input(&self) -> Option<&Lin> {
                match self {
                    Step::Input { .. } | Step::Data => None,
                    $(Step::$variant(s) => s.committed_input(),)*
                }
            }

            /// The tensors the step commits for node `id`, in slot order, from the node values
            /// and the slots committed before (`None`: the step commits nothing).
            pub fn witness(
                &self,
                plan: &BlockPlan,
                id: QId,
                values: &[IntTensor],
                committed: &steps::Committed,
            ) -> Result<Option<Vec<IntTensor>>, StepError> {
                let n = steps::Node::new(plan, id, self.kind());
                match self {
                    Step::Input { private, committed } if *private || *committed => {
                        Ok(Some(vec![n.value(values, id)?.clone()]))
                    }
                    Step::Input { .. } | Step::Data => Ok(None),
                    $(Step::$variant(s) if s.slots() == 0 => Ok(None),
                    Step::$variant(s) => s.witness(&n, values, committed).map(Some),)*
                }
            }

            /// Proves (prover) or checks (verifier) the relation that defines committed node
            /// `id`.
            pub fn reduce<'p, C: Ctx<'p>>(&self, c: &mut C, id: QId) -> Result<(), C::Error> {
                match self {
                    Step::Input { .. } | Step::Data => Err(steps::Node::new(c.plan(), id, self.kind())
                        .malformed("a committed node without a relation")
                        .into()),
                    $(Step::$variant(s) => s.reduce(c, id),)*
                }
            }

            /// Reduces a claim on derived node `id` through its block to claims on its inputs.
            pub fn reduce_claim<'p, C: Ctx<'p>>(
                &self,
                c: &mut C,
                id: QId,
                claim: TensorClaim,
            ) -> Result<(), C::Error> {
                match self {
                    Step::Input { .. } | Step::Data => Err(steps::Node::new(c.plan(), id, self.kind())
                        .malformed("a derived node without an arithmetic block")
                        .into()),
                    $(Step::$variant(s) => s.reduce_claim(c, id, claim),)*
                }
            }
        }
    };
}

steps! {
    /// [`steps::matmul`].
    Matmul(steps::matmul::Matmul),
    /// [`steps::conv`].
    Conv(steps::conv::Conv),
    /// [`steps::linear`].
    Linear(steps::linear::Linear),
    /// [`steps::linear`].
    BiasAdd(steps::linear::BiasAdd),
    /// [`steps::hadamard`].
    Hadamard(steps::hadamard::Hadamard),
    /// [`steps::maps`].
    Reshape(steps::maps::Reshape),
    /// [`steps::division`]: `x + 2^{s−1} = 2^s·y + r`; commits `[y, r]`.
    Rescale(steps::division::Rescale),
    /// [`steps::clamp`]: commits `[z]` or `[z, w]`.
    Clamp(steps::clamp::Clamp),
    /// [`steps::max_pool`]: commits `[y, d_0, …, d_{K−1}]`.
    MaxPool(steps::max_pool::MaxPool),
    /// [`steps::sum_pool`].
    SumPool(steps::sum_pool::SumPool),
    /// [`steps::axis_sum`].
    AxisSum(steps::axis_sum::AxisSum),
    /// [`steps::division`]: `x + ⌊d/2⌋ = d·y + r`; commits `[y, r]`.
    DivConst(steps::division::DivConst),
    /// [`steps::div_round`]: commits `[y, r, d̄]`.
    DivRound(steps::div_round::DivRound),
    /// [`steps::sqrt`]: commits `[y, e]`.
    Sqrt(steps::sqrt::Sqrt),
    /// [`steps::reduce_max`]: commits `[y, D, S]`.
    ReduceMax(steps::reduce_max::ReduceMax),
    /// [`steps::arg_max`]: commits `[i, m, D, S]`.
    ArgMax(steps::arg_max::ArgMax),
    /// [`steps::lookup`]: commits `[y]`; proven by the table's [`FunctionLookup`].
    Lookup(steps::lookup::Lookup),
    /// [`steps::maps`].
    Slice(steps::maps::Slice),
    /// [`steps::maps`].
    Transpose(steps::maps::Transpose),
    /// [`steps::maps`].
    Gather(steps::maps::Gather),
    /// [`steps::maps`].
    Concat(steps::maps::Concat),
    /// [`steps::batched_matmul`].
    BatchedMatmul(steps::batched_matmul::BatchedMatmul),
}

/// A compiled model, ready for setup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockPlan {
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// Model name (the file stem it was compiled from).
    pub model: String,
    /// Batch size: the leading axis of every input.
    pub batch: usize,
    /// The quantized graph, with the batch in its shapes.
    pub graph: QGraph,
    /// Per node.
    pub roles: Vec<Role>,
    /// Per node.
    pub steps: Vec<Step>,
    /// Every range check, in proving order (one merged lookup).
    pub range_checks: Vec<RangeCheck>,
    /// One merged lookup per function table the steps read, in table order.
    pub function_lookups: Vec<FunctionLookup>,
    /// `T`.
    pub range_table_bits: u32,
    /// Bits of an activation (sign included).
    pub activation_bits: u32,
    /// Scale bits of float models.
    pub scale_bits: u32,
    /// The compile report, as printed.
    pub report: String,
}

impl BlockPlan {
    /// The plan without the weights' values (their shapes stay): what the verifying key holds.
    pub fn public_part(&self) -> BlockPlan {
        let mut p = self.clone();
        for (node, role) in p.graph.nodes.iter_mut().zip(&self.roles) {
            if *role == Role::Weight {
                node.op = QOp::Const(Tensor::scalar(0));
            }
        }
        p
    }

    /// Canonical bytes (JSON of the serde data model: field order is the declaration order).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses [`Self::to_bytes`] and checks the version and the internal consistency.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PlanError> {
        let plan: BlockPlan =
            serde_json::from_slice(bytes).map_err(|e| PlanError::Format(e.to_string()))?;
        if plan.version != PLAN_VERSION {
            return Err(PlanError::Version { found: plan.version, expected: PLAN_VERSION });
        }
        plan.validate()?;
        Ok(plan)
    }

    /// BLAKE3 over the public part: what the verifying key's digest starts from.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"tessera block plan v2");
        h.update(&self.public_part().to_bytes());
        *h.finalize().as_bytes()
    }

    /// Index checks that keep every consumer of a plan from indexing out of bounds.
    pub fn validate(&self) -> Result<(), PlanError> {
        let n = self.graph.nodes.len();
        let bad = |reason: String| Err(PlanError::Inconsistent(reason));
        if self.roles.len() != n || self.steps.len() != n {
            return bad(format!(
                "{n} nodes, {} roles, {} steps",
                self.roles.len(),
                self.steps.len()
            ));
        }
        for (i, node) in self.graph.nodes.iter().enumerate() {
            if node.inputs.iter().any(|&j| j >= i) {
                return bad(format!("node {i} reads a later node"));
            }
            if node.shape.contains(&0) {
                return bad(format!("node {} has an empty axis: {:?}", node.label(), node.shape));
            }
        }
        if self.batch == 0 {
            return bad("batch 0".into());
        }
        let refs_ok = |l: &Lin, before: usize| {
            l.terms.iter().all(|(r, _)| r.node < before && r.slot < self.steps[r.node].committed())
        };
        for (i, s) in self.steps.iter().enumerate() {
            if let Err(what) = s.validate_step(self) {
                return bad(format!("node {i} ({}): {what}", s.kind()));
            }
            if let Some(input) = s.committed_input()
                && !refs_ok(input, i)
            {
                return bad(format!("node {i} reads an unknown committed tensor"));
            }
            let ids = s.inputs();
            if ids.iter().any(|&j| j >= i) {
                return bad(format!("step {i} reads a later node"));
            }
        }
        if self.function_lookups != merge_lookups(&self.steps) {
            return bad("the function lookups do not group the lookup steps by table".into());
        }
        for c in &self.range_checks {
            let top_ok = c.top_bits <= self.range_table_bits;
            if c.node >= n || !refs_ok(&c.value, n) || c.limbs == 0 || !top_ok {
                return bad(format!("range check of node {} is malformed", c.node));
            }
        }
        for l in self
            .steps
            .iter()
            .filter_map(Step::committed_input)
            .chain(self.range_checks.iter().map(|c| &c.value))
        {
            let shape = self.lin_shape(l, 0);
            if l.terms.iter().any(|(r, _)| self.slot_shape(*r) != shape) {
                return bad("a linear form mixes shapes".into());
            }
        }
        for (_, id, _) in self.graph.inputs.iter().chain(&self.graph.outputs) {
            if *id >= n {
                return bad(format!("graph input or output {id} out of range"));
            }
        }
        Ok(())
    }

    /// The shape of committed tensor `r` (a step's helper may differ from its node's shape).
    pub fn slot_shape(&self, r: Ref) -> Vec<usize> {
        let node = self.steps.get(r.node).map_or(r.node, |s| s.slot_node(r.node, r.slot));
        self.graph.nodes.get(node).map(|n| n.shape.clone()).unwrap_or_default()
    }

    /// The input position of every output entry of Gather node `id` (row-major, real entries).
    pub fn gather_sources(&self, id: QId) -> Result<Vec<usize>, PlanError> {
        let bad = |what: &str| PlanError::Inconsistent(format!("gather node {id}: {what}"));
        let (Some(Step::Gather(steps::maps::Gather { input, axis })), Some(node)) =
            (self.steps.get(id), self.graph.nodes.get(id))
        else {
            return Err(bad("not a gather"));
        };
        let QOp::Gather { indices, .. } = &node.op else { return Err(bad("not a gather op")) };
        let in_shape = &self.graph.nodes.get(*input).ok_or_else(|| bad("no input"))?.shape;
        let n = *in_shape.get(*axis).ok_or_else(|| bad("axis"))?;
        if indices.data().iter().any(|i| *i >= n) {
            return Err(bad("an index out of range"));
        }
        let outer: usize = in_shape[..*axis].iter().product();
        let inner: usize = in_shape[*axis + 1..].iter().product();
        let mut sources = Vec::with_capacity(outer * indices.data().len() * inner);
        for o in 0..outer {
            for &i in indices.data() {
                sources.extend((0..inner).map(|b| (o * n + i) * inner + b));
            }
        }
        if sources.len() != node.shape.iter().product::<usize>() {
            return Err(bad("output shape"));
        }
        Ok(sources)
    }

    /// The shape of the tensors a linear form combines (its first term's; else the node's).
    pub fn lin_shape(&self, lin: &Lin, node: QId) -> Vec<usize> {
        match lin.terms.first() {
            Some((r, _)) => self.slot_shape(*r),
            None => self.graph.nodes.get(node).map(|n| n.shape.clone()).unwrap_or_default(),
        }
    }

    /// Number of tensors the prover commits (limbs and multiplicities excluded).
    ///
    /// Multiplicities: one vector for the range lookup, one per [`FunctionLookup`].
    pub fn committed_tensors(&self) -> usize {
        self.steps.iter().map(Step::committed).sum::<usize>()
    }
}

/// Errors of lowering and of reading a plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The prover has no block for this node yet.
    #[error("node {node} ({op}): not supported by the prover: {reason}")]
    Unsupported {
        /// Node name.
        node: String,
        /// Op name.
        op: &'static str,
        /// Why.
        reason: String,
    },
    /// Bytes that are not a plan.
    #[error("not a block plan: {0}")]
    Format(String),
    /// Another plan version.
    #[error("plan format version {found}, this build reads version {expected}")]
    Version {
        /// Found.
        found: u32,
        /// Expected.
        expected: u32,
    },
    /// Indices that do not fit together.
    #[error("inconsistent plan: {0}")]
    Inconsistent(String),
}
