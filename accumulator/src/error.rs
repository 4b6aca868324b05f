//! Error types of the accumulator.
//!
//! * [`InputError`]: the leaves or the arity handed to `prove`/`verify` are unusable (no proof is
//!   involved yet).
//! * [`ProveError`]: proving failed — bad input, a false leaf claim (found by the debug-build
//!   relation check), or a kernel error (SRS too small).
//! * [`VerifyError`]: a proof was rejected; says *where* (which fold node, the root opening, the
//!   decider) and wraps the kernel's [`KernelVerifyError`] that says *what*. Verification returns
//!   it on any proof bytes and never panics.

use thiserror::Error;

pub use tessera_blocks::VerifyError as KernelVerifyError;

/// The leaves or the arity are unusable.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum InputError {
    #[error("no leaf claims to accumulate")]
    NoLeaves,
    #[error("arity {0} is below 2 (use `Arity::AllInOne` for a single node)")]
    ArityTooSmall(usize),
    #[error("leaf {leaf}: {num_vars} variables exceed the maximum of {max}")]
    TooManyVariables { leaf: usize, num_vars: usize, max: usize },
    #[error("leaf {leaf}: the polynomial has {poly_vars} variables but the point has {point_vars}")]
    PointLength { leaf: usize, poly_vars: usize, point_vars: usize },
}

/// Why proving failed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ProveError {
    #[error("accumulator input: {0}")]
    Input(#[from] InputError),
    /// Found by the relation check that `prove` runs in debug builds (see the crate doc).
    #[error("leaf {leaf}: the claimed value is not the polynomial's evaluation at the point")]
    FalseLeaf { leaf: usize },
    #[error("accumulator: {0}")]
    Kernel(#[from] tessera_blocks::Error),
}

/// Why an accumulated proof was rejected.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum VerifyError {
    /// The leaves or the arity given to the verifier are unusable.
    #[error("accumulator input: {0}")]
    Input(#[from] InputError),
    /// The proof does not have the tree's shape (checked before any arithmetic).
    #[error("malformed accumulated proof: {what} has {got} entries, expected {expected}")]
    ProofShape { what: &'static str, expected: usize, got: usize },
    /// A fold node's proof is malformed or its checks fail.
    #[error("fold node (level {level}, index {index}): {source}")]
    Node { level: usize, index: usize, source: KernelVerifyError },
    /// The opening of the root claim fails (before any pairing).
    #[error("root opening: {0}")]
    RootOpening(KernelVerifyError),
    /// The decider's multi-pairing fails.
    #[error("decider: {0}")]
    Decider(KernelVerifyError),
}

/// Drops the location, keeping the kernel's reason: for callers with one error type for every
/// protocol (and for the kernel's conformance suite).
impl From<VerifyError> for KernelVerifyError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Input(e) => KernelVerifyError::Input(tessera_blocks::Error::Invalid {
                what: "accumulator input",
                reason: e.to_string(),
            }),
            VerifyError::ProofShape { what, expected, got } => {
                KernelVerifyError::ProofShape { what, expected, got }
            }
            VerifyError::Node { source, .. }
            | VerifyError::RootOpening(source)
            | VerifyError::Decider(source) => source,
        }
    }
}
