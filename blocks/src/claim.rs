//! Evaluation claims: what blocks end in and the accumulator consumes (DESIGN §3–5).
//!
//! * [`Claim`] `(C, r, v)`: "the polynomial committed in `C` evaluates to `v` at `r`". Only the
//!   accumulator (or an opening) discharges it.
//! * [`TensorClaim`] `(t, r, v)`: "tensor `t` of the plan, as a padded multilinear polynomial,
//!   evaluates to `v` at `r`", for tensors that are not committed (outputs of arithmetic blocks).
//!   The block that produced `t` reduces it to claims on its own inputs.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::curve::Fr;
use crate::kzg::Commitment;
use crate::transcript::Transcript;

/// A claim about a committed polynomial.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Claim {
    pub commitment: Commitment,
    pub point: Vec<Fr>,
    pub value: Fr,
}

impl Claim {
    /// Number of variables of the claimed polynomial.
    pub fn num_vars(&self) -> usize {
        self.point.len()
    }

    /// Absorbs the whole claim (commitment, point, value).
    pub fn absorb(&self, label: &[u8], t: &mut Transcript) {
        t.append_serializable(label, self);
    }
}

/// Index of a tensor in a block plan.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    CanonicalSerialize,
    CanonicalDeserialize,
)]
pub struct TensorId(pub u32);

/// A claim about an uncommitted tensor, to be reduced by the tensor's producer.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TensorClaim {
    pub tensor: TensorId,
    pub point: Vec<Fr>,
    pub value: Fr,
}

/// What a block hands on after verification (and what its prover hands on after proving).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockClaims {
    /// Claims on committed polynomials (weights, tables, lookup-defined tensors, hints).
    pub committed: Vec<Claim>,
    /// Claims on the uncommitted tensors the block reads.
    pub tensors: Vec<TensorClaim>,
}
