#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Library code returns typed errors: no unwrap, expect or panic outside tests (test helpers of the
// `test-utils` feature excepted, see `testing`).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod error;
pub mod node;
pub mod shape;
pub mod tree;

pub use error::{InputError, KernelVerifyError, ProveError, VerifyError};
pub use node::NodeProof;
pub use shape::{Arity, TreeShape};
pub use tree::{
    AccumulatedProof, ProverLeaf, check_leaves, decide, prove, verify, verify_and_decide,
};

#[cfg(test)]
mod tests;
