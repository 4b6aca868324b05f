#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Library code returns typed errors: no unwrap, expect or panic outside tests (test helpers of the
// `test-utils` feature excepted, see `testing`).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod block;
pub mod claim;
pub mod curve;
pub mod elementwise;
pub mod error;
pub mod hyperkzg;
pub mod kzg;
pub mod lookup;
pub mod matmul;
pub mod mle;
pub mod msm;
pub mod permutation;
pub mod srs;
pub mod sumcheck;
pub mod tensor;
#[cfg(feature = "test-utils")]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod testing;
pub mod transcript;
pub mod univariate;

pub use block::Block;
pub use claim::{BlockClaims, Claim, TensorClaim, TensorId};
pub use curve::{Fr, G1, G1Affine, G2Affine};
pub use error::{Error, RelationError, VerifyError};
pub use kzg::{Commitment, PairingClaim};
pub use mle::DenseMle;
pub use srs::{Srs, SrsError, SrsOrigin, VerifierKey};
pub use tensor::IntTensor;
pub use transcript::Transcript;
