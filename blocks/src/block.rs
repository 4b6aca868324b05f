//! The `Block` trait every basic block implements (DESIGN §4).
//!
//! A block is proven **backwards**: its instance carries claims on its outputs, and proving and
//! verifying reduce them to claims on its inputs ([`BlockClaims`]): claims on committed
//! polynomials go to the accumulator, claims on uncommitted tensors go to the blocks that produced
//! them. The four kinds (elementwise, lookup, matmul, permutation) implement it with their own
//! protocols; none of the verbs has a default body, so no block inherits an unchecked behaviour.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::claim::BlockClaims;
use crate::error::{Error, RelationError, VerifyError};
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

/// A basic block: a relation on integer tensors with a sumcheck-based proof.
pub trait Block {
    /// Plain data from the compiler: shapes, tables, index maps, constants.
    type Spec;
    /// The public statement: commitments the block reads and the claims on its outputs.
    type Instance;
    /// What only the prover knows: input and output values, multiplicities, hints.
    type Witness;
    /// The proof, a struct with named fields.
    type Proof: CanonicalSerialize + CanonicalDeserialize + Clone;

    /// Integer semantics (the oracle): outputs from inputs.
    fn eval(spec: &Self::Spec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error>;

    /// The relation without cryptography; names the first violated entry.
    fn check(
        spec: &Self::Spec,
        instance: &Self::Instance,
        witness: &Self::Witness,
    ) -> Result<(), RelationError>;

    /// Proves the instance, returning the proof and the claims it reduces to.
    fn prove(
        spec: &Self::Spec,
        instance: &Self::Instance,
        witness: &Self::Witness,
        transcript: &mut Transcript,
    ) -> Result<(Self::Proof, BlockClaims), Error>;

    /// Replays the proof and returns the claims the caller must still discharge.
    fn verify(
        spec: &Self::Spec,
        instance: &Self::Instance,
        proof: &Self::Proof,
        transcript: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError>;
}
