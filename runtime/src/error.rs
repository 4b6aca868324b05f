//! Errors of setup, proving and verification. Every message names the node, field or file at
//! fault.

use thiserror::Error;

/// Setup and proving errors (the prover's own side: bad inputs, a witness out of range).
#[derive(Debug, Error)]
pub enum Error {
    /// The plan cannot be proven as it is.
    #[error(transparent)]
    Plan(#[from] tessera_compiler::PlanError),
    /// A kernel operation failed.
    #[error("{0}")]
    Kernel(#[from] tessera_blocks::Error),
    /// A step's witness or reduction failed (the node and its op named).
    #[error(transparent)]
    Step(#[from] tessera_compiler::plan::StepError),
    /// The schedule found an inconsistency (a bug, or a witness the plan does not fit).
    #[error(transparent)]
    Schedule(ScheduleError),
    /// A value of the witness is outside the range its range check proves (an input beyond the
    /// calibrated range, or a bound the compiler chose too small).
    #[error("node {node}: range check: a value is outside [0, 2^{bits}){detail}")]
    Range {
        /// The node whose relation needs the check.
        node: String,
        /// The checked bits.
        bits: u32,
        /// The decomposition's reason, when it has one (`: …`).
        detail: String,
    },
    /// A function lookup's input is outside its table's domain.
    #[error("function lookup of table {table}: {reason}")]
    OutOfTable {
        /// The table.
        table: usize,
        /// The lookup's reason (which value).
        reason: String,
    },
    /// A block refuses to prove its part (its relation check, or its prover, failed).
    #[error("{at}: {kind}: {reason}")]
    Block {
        /// Where: `node <name>` or a plan-wide step.
        at: String,
        /// The block's proof kind.
        kind: &'static str,
        /// The block's reason.
        reason: String,
    },
    /// Another number of inputs than the model takes.
    #[error("input: {got} inputs given, the model takes {expected}")]
    InputCount {
        /// The model's inputs.
        expected: usize,
        /// Given.
        got: usize,
    },
    /// An input of another shape than the plan's.
    #[error("input: input {input} has shape {got:?}, the plan expects {expected:?}")]
    InputShape {
        /// The input's name.
        input: String,
        /// The plan's shape.
        expected: Vec<usize>,
        /// The given shape.
        got: Vec<usize>,
    },
    /// The reference interpreter cannot run the plan on the inputs (the node named).
    #[error("input: {0}")]
    Interpret(tessera_compiler::EvalError),
    /// A fold arity no tree has.
    #[error("fold arity {0}: 0 (one node) or 2 to 65536")]
    FoldArity(usize),
    /// The SRS has fewer powers than the plan needs.
    #[error("srs: the plan needs {need} powers, the SRS has {have}")]
    SrsTooSmall {
        /// Powers the plan needs.
        need: usize,
        /// Powers the SRS has.
        have: usize,
    },
    /// The SRS could not be written.
    #[error("srs: {0}")]
    SrsWrite(String),
    /// An invariant of the prover's own data broke (a bug, never the user's input): names it.
    #[error("internal: {0}")]
    Internal(&'static str),
    /// The accumulator failed.
    #[error("accumulator: {0}")]
    Accumulator(#[from] tessera_accumulator::ProveError),
}

/// Why a proof was rejected. Never a panic, whatever the bytes.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// A block's proof does not verify.
    #[error("{at}: {source}")]
    Block {
        /// Which step (node name and role).
        at: String,
        /// The block's reason.
        source: tessera_blocks::VerifyError,
    },
    /// A claim the verifier checks itself fails, or the proof does not fit the plan's schedule.
    #[error(transparent)]
    Schedule(ScheduleError),
    /// A step's reduction refuses the proof (the node and its step named).
    #[error(transparent)]
    Step(tessera_compiler::plan::StepError),
    /// The proof does not have the plan's shape.
    #[error("malformed proof: {0}")]
    Malformed(Malformed),
    /// A public tensor of the proof is not named as the plan names it.
    #[error("public {what} {index} is named {got:?} in the proof, {expected:?} in the plan")]
    PublicName {
        /// `input` or `output`.
        what: &'static str,
        /// Its position among the plan's inputs or outputs.
        index: usize,
        /// The plan's name.
        expected: String,
        /// The proof's name.
        got: String,
    },
    /// The accumulator's fold nodes, root opening or decider fail.
    #[error("accumulator: {0}")]
    Accumulator(#[from] tessera_accumulator::VerifyError),
}

impl From<tessera_blocks::Error> for VerifyError {
    fn from(e: tessera_blocks::Error) -> Self {
        VerifyError::Malformed(Malformed::Kernel(e.to_string()))
    }
}

/// How a proof does not have the plan's shape (or its data cannot be decoded).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Malformed {
    /// A list of the proof has another length than the plan needs.
    #[error("{got} {what}, the plan needs {expected}")]
    Count {
        /// Which list (`public inputs`, `tensor commitments`, `evals`, …).
        what: &'static str,
        /// Its length in the proof.
        got: usize,
        /// The length the plan needs.
        expected: usize,
    },
    /// A public tensor does not have the plan's shape, or its data does not fit it.
    #[error("public tensor {name}: {reason}")]
    PublicTensor {
        /// Its name.
        name: String,
        /// What does not fit.
        reason: String,
    },
    /// Block proof `index` is another kind than the schedule needs next.
    #[error("block proof {index} is a {got} proof, a {expected} proof is expected")]
    ProofKind {
        /// Its position.
        index: usize,
        /// Its kind.
        got: &'static str,
        /// The kind the schedule needs.
        expected: &'static str,
    },
    /// The block proofs end before the schedule does.
    #[error("the proof ends after {index} block proofs, a {expected} proof is expected next")]
    ProofsEnd {
        /// How many there are.
        index: usize,
        /// The kind the schedule needs next.
        expected: &'static str,
    },
    /// Block proof `index` does not decode.
    #[error("block proof {index} ({kind}): {reason}")]
    ProofBytes {
        /// Its position.
        index: usize,
        /// Its kind.
        kind: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// Block proofs or bytes are left after the schedule.
    #[error("{proofs} block proofs and {bytes} bytes left over after the schedule")]
    LeftOver {
        /// Proofs not read.
        proofs: usize,
        /// Bytes not read.
        bytes: usize,
    },
    /// A fold-arity code no tree has, or not the canonical one for the leaves.
    #[error("fold arity {code}: {reason}")]
    Arity {
        /// The proof's code.
        code: u32,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A kernel operation on the proof's data failed (a point or a size the kernel refuses).
    #[error("{0}")]
    Kernel(String),
}

impl From<Malformed> for VerifyError {
    fn from(m: Malformed) -> Self {
        VerifyError::Malformed(m)
    }
}

/// An inconsistency the shared schedule finds: a rejection for the verifier, a bug or a bad witness
/// for the prover. Every variant names where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    /// A committed slot the plan needs has no commitment in the proof.
    #[error("{node}: no commitment for slot {slot}")]
    MissingCommitment {
        /// The node, as `node <name>`.
        node: String,
        /// Slot.
        slot: usize,
    },
    /// The verifying key has no commitment for a weight the plan reads.
    #[error("{node}: no weight commitment in the key")]
    MissingWeight {
        /// The node, as `node <name>`.
        node: String,
    },
    /// The proof has no limbs for a range check.
    #[error("{node}: missing range limbs")]
    MissingLimbs {
        /// The node, as `node <name>`.
        node: String,
    },
    /// A range check's constant overflows.
    #[error("{node}: a range check constant overflows")]
    RangeConstant {
        /// The node, as `node <name>`.
        node: String,
    },
    /// A public input or output the plan has is missing.
    #[error("{node}: missing public {what}")]
    MissingPublic {
        /// The node, as `node <name>`.
        node: String,
        /// `input` or `output`.
        what: &'static str,
    },
    /// A claim on a public input does not hold.
    #[error("{node}: a claim on the public input does not hold")]
    PublicInputClaim {
        /// The node, as `node <name>`.
        node: String,
    },
    /// A claim reached a public scalar or a constant linear form (which nothing may claim).
    #[error("{at}: claim on a constant")]
    ClaimOnConstant {
        /// Node name, or `linear form`.
        at: String,
    },
    /// A block returned other claims than the schedule expects.
    #[error("{at}: unexpected claims")]
    UnexpectedClaims {
        /// Which step (`range lookup`, `padding checks`, `product checks`, a function lookup).
        at: String,
    },
    /// A merged function lookup does not fit the plan or the key.
    #[error("function lookup of table {table}: {what}")]
    FunctionLookup {
        /// Table index.
        table: usize,
        /// What does not fit.
        what: &'static str,
    },
}

impl From<ScheduleError> for VerifyError {
    fn from(e: ScheduleError) -> Self {
        VerifyError::Schedule(e)
    }
}

impl From<ScheduleError> for Error {
    fn from(e: ScheduleError) -> Self {
        Error::Schedule(e)
    }
}

impl From<Error> for VerifyError {
    fn from(e: Error) -> Self {
        VerifyError::Malformed(Malformed::Kernel(e.to_string()))
    }
}

impl From<tessera_compiler::plan::StepError> for VerifyError {
    fn from(e: tessera_compiler::plan::StepError) -> Self {
        VerifyError::Step(e)
    }
}
