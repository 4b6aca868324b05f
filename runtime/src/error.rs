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
    /// The witness does not satisfy a relation (e.g. a value outside the activation range).
    #[error("{node}: {reason}")]
    Witness {
        /// Where: `node <name>`, or a plan-wide step such as the range lookup.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// The inputs do not fit the plan.
    #[error("input: {0}")]
    Input(String),
    /// The SRS is too small or unusable.
    #[error("srs: {0}")]
    Srs(String),
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
    /// A claim the verifier checks itself (public inputs and outputs) fails.
    #[error("{at}: {what}")]
    Mismatch {
        /// Where.
        at: String,
        /// What does not hold.
        what: String,
    },
    /// The proof does not have the plan's shape.
    #[error("malformed proof: {0}")]
    Malformed(String),
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
        VerifyError::Malformed(e.to_string())
    }
}

/// An inconsistency found by the shared schedule: a rejection for the verifier, a bug or a bad
/// witness for the prover.
#[derive(Debug)]
pub(crate) struct Reject {
    pub at: String,
    pub what: String,
}

impl From<tessera_compiler::plan::StepError> for VerifyError {
    fn from(e: tessera_compiler::plan::StepError) -> Self {
        VerifyError::Malformed(e.to_string())
    }
}

impl From<Error> for VerifyError {
    fn from(e: Error) -> Self {
        VerifyError::Malformed(e.to_string())
    }
}

impl From<Reject> for VerifyError {
    fn from(r: Reject) -> Self {
        VerifyError::Mismatch { at: r.at, what: r.what }
    }
}

impl From<Reject> for Error {
    fn from(r: Reject) -> Self {
        Error::Witness { node: r.at, reason: r.what }
    }
}
