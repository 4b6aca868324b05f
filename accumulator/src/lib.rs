#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

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
