//! Tessera's runtime: keys, witness generation, the proving schedule, proofs and their files, the
//! verifier — and the `tessera` command line (in `src/bin/`).
//!
//! ```text
//! BlockPlan ──setup(srs)──▶ ProvingKey, VerifyingKey
//! ProvingKey + quantized inputs ──prove──▶ outputs, Proof
//! VerifyingKey + Proof ──verify──▶ Ok(()) | VerifyError
//! ```
//!
//! Without the default `cli` feature the library links the compiler without its ONNX importer
//! (no protobuf, no petgraph): a verifier needs only the plan, its steps and the kernel.
//!
//! The schedule (`src/schedule/`) is shared by the prover and the verifier, so the two transcripts
//! agree by construction; its module doc lists what is proved and in which transcript order.
#![warn(missing_docs)]
// Library code returns typed errors: no unwrap, expect or panic outside tests (test helpers of the
// `test-utils` feature excepted, see `testing`).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod error;
pub mod files;
pub mod io;
mod keys;
pub mod proof;
mod prover;
mod schedule;
mod statement;
#[cfg(test)]
mod tests;
mod verifier;
mod witness;

pub use error::{Error, Malformed, ScheduleError, VerifyError};
pub use keys::{ProvingKey, VerifyingKey, required_srs_size, setup};
pub use proof::{Proof, PublicTensor, PublicValues};
pub use prover::{DEFAULT_FOLD_BUDGET, FoldArity, ProveOptions, prove};
pub use verifier::verify;
