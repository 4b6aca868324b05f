//! Error types of the kernel, one enum per kind of failure.
//!
//! * [`Error`]: a caller passed inputs of the wrong shape or size (prover side, setup, helpers).
//! * [`VerifyError`]: a proof was rejected; every variant names what is wrong. Verifiers return it
//!   on any bytes and never panic.
//! * [`RelationError`]: a witness does not satisfy a relation (`check`, before any proving).

use thiserror::Error;

/// Misuse of a kernel function: wrong lengths, sizes beyond the SRS, malformed inputs.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum Error {
    #[error("{what}: expected length {expected}, got {got}")]
    Length { what: &'static str, expected: usize, got: usize },
    #[error("{what}: length {len} is not a power of two")]
    NotPowerOfTwo { what: &'static str, len: usize },
    #[error("{what}: needs {needed} SRS powers but the SRS has {available}")]
    SrsTooSmall { what: &'static str, needed: usize, available: usize },
    #[error("{what}: {reason}")]
    Invalid { what: &'static str, reason: String },
}

/// Why a verifier rejected a proof.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum VerifyError {
    /// The proof has the wrong number of some element (checked before any arithmetic).
    #[error("malformed proof: {what} has {got} entries, expected {expected}")]
    ProofShape { what: &'static str, expected: usize, got: usize },
    /// The sumcheck's last claim does not match the oracle evaluations.
    #[error("{protocol}: sumcheck final claim does not match the oracle evaluations")]
    SumcheckFinal { protocol: &'static str },
    /// A claimed evaluation contradicts a relation the verifier can check directly.
    #[error("{protocol}: {what} does not hold")]
    Mismatch { protocol: &'static str, what: &'static str },
    /// A challenge or evaluation point the protocol needs to be non-zero was zero.
    #[error("{protocol}: degenerate challenge {what}")]
    DegenerateChallenge { protocol: &'static str, what: &'static str },
    /// The final pairing equation failed.
    #[error("pairing check failed")]
    Pairing,
    /// The inputs given to the verifier (not the proof) are inconsistent.
    #[error("verifier input: {0}")]
    Input(#[from] Error),
}

/// A witness that does not satisfy its relation, found by `check` before proving.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum RelationError {
    #[error("{relation}: {detail}")]
    Violated { relation: &'static str, detail: String },
}
