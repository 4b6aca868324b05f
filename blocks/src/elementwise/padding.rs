//! The zero-padding check of committed tensors: `T_i(b) = 0` for every padded position `b` of
//! every tensor `T_i` of the batch, with an empty proof.
//!
//! A committed tensor's prover chose every entry of its table, padding included, so nothing else
//! implies that its padding is zero. The padded positions of a shape with padded extents `2^{n_a}`
//! are the union, over the axes `a` whose extent `d_a` is not a power of two, of the slabs
//! `b_a ≥ d_a`. Each slab is a union of at most `n_a` aligned dyadic blocks of that axis's index,
//! `[j, j + 2^k)` with `2^k | j` ([`padded_blocks`]). Fixing axis `a`'s top `n_a − k` variables
//! (most significant first, the order of [`crate::mle`]) to the bits of `j/2^k` restricts `T̃` to
//! the block: a multilinear polynomial in the other variables, zero if and only if every entry of
//! the block is zero. So, after **every** commitment is absorbed, the verifier draws the other
//! variables at random, and the block's claim `T̃_i(point) = 0` is an ordinary evaluation claim on
//! the commitment (an accumulator leaf). If an entry of the block is non-zero, the claim is false
//! except with probability `n_i/|Fr|` (Schwartz–Zippel). Nothing is sent: the claims' values are
//! zero and their points are the transcript's.
//!
//! What it does not check: coefficients of a commitment past its `2^{n_i}` entries (a KZG
//! commitment bounds no degree). Nothing needs them to be zero (issue 22): every claim on a
//! committed tensor, these included, sits at a point of the tensor's own `n_i` variables, and the
//! accumulator pads points only with *leading* zeros, which give those coefficients the weight 0.
//!
//! Transcript: `"padding check"`, the number of tensors, every commitment, then per tensor, per
//! padded axis, per block, the block's free coordinates. Proof: empty. Claims: one per block, at
//! most `Σ_a n_a` per tensor (two for a `[B, 10]` tensor).

use ark_ff::{One, Zero};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Valid, Validate,
    Write,
};

use crate::block::Block;
use crate::claim::{BlockClaims, Claim};
use crate::curve::Fr;
use crate::error::{Error, RelationError, VerifyError};
use crate::kzg::Commitment;
use crate::mle::DenseMle;
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

const PROTOCOL: &str = "padding check";

/// The padding-check verb.
pub struct PaddingCheck;

/// The tensors' (unpadded) shapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddingCheckSpec {
    pub shapes: Vec<Vec<usize>>,
}

/// The commitments whose padding is checked, one per shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddingCheckInstance {
    pub commitments: Vec<Commitment>,
}

/// Nothing: every claim's point is drawn from the transcript and its value is zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaddingCheckProof {}

impl CanonicalSerialize for PaddingCheckProof {
    fn serialize_with_mode<W: Write>(&self, _: W, _: Compress) -> Result<(), SerializationError> {
        Ok(())
    }

    fn serialized_size(&self, _: Compress) -> usize {
        0
    }
}

impl Valid for PaddingCheckProof {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl CanonicalDeserialize for PaddingCheckProof {
    fn deserialize_with_mode<R: Read>(
        _: R,
        _: Compress,
        _: Validate,
    ) -> Result<Self, SerializationError> {
        Ok(Self {})
    }
}

impl Block for PaddingCheck {
    type Spec = PaddingCheckSpec;
    type Instance = PaddingCheckInstance;
    /// The committed tables themselves (they may hold anything in their padding).
    type Witness = Vec<DenseMle>;
    type Proof = PaddingCheckProof;

    /// The identity: the check does not compute anything.
    fn eval(spec: &PaddingCheckSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        let fits = inputs.len() == spec.shapes.len()
            && inputs.iter().zip(&spec.shapes).all(|(x, s)| x.shape() == s.as_slice());
        if !fits {
            return Err(Error::Invalid {
                what: PROTOCOL,
                reason: "expects one tensor of each of the spec's shapes".into(),
            });
        }
        Ok(inputs.to_vec())
    }

    fn check(
        spec: &PaddingCheckSpec,
        instance: &PaddingCheckInstance,
        witness: &Vec<DenseMle>,
    ) -> Result<(), RelationError> {
        let violated = |detail: String| RelationError::Violated { relation: PROTOCOL, detail };
        check_sizes(spec, instance).map_err(|e| violated(e.to_string()))?;
        if witness.len() != spec.shapes.len() {
            return Err(violated("one table per shape expected".into()));
        }
        for (k, (shape, table)) in spec.shapes.iter().zip(witness).enumerate() {
            let mask = padding_mask(shape).map_err(|e| violated(e.to_string()))?;
            if mask.len() != table.evals().len() {
                return Err(violated(format!("tensor {k}: table size does not match the shape")));
            }
            let bad =
                table.evals().iter().zip(&mask).position(|(v, m)| !m.is_zero() && !v.is_zero());
            if let Some(i) = bad {
                return Err(violated(format!("tensor {k}: padded entry {i} is non-zero")));
            }
        }
        Ok(())
    }

    fn prove(
        spec: &PaddingCheckSpec,
        instance: &PaddingCheckInstance,
        witness: &Vec<DenseMle>,
        t: &mut Transcript,
    ) -> Result<(PaddingCheckProof, BlockClaims), Error> {
        check_sizes(spec, instance)?;
        if witness.len() != spec.shapes.len() {
            return Err(Error::Length {
                what: "padding check tables",
                expected: spec.shapes.len(),
                got: witness.len(),
            });
        }
        for (shape, table) in spec.shapes.iter().zip(witness) {
            if table.num_vars() != shape_vars(shape) {
                return Err(Error::Length {
                    what: "padding check table variables",
                    expected: shape_vars(shape),
                    got: table.num_vars(),
                });
            }
        }
        Ok((PaddingCheckProof {}, block_claims(t, spec, instance)))
    }

    fn verify(
        spec: &PaddingCheckSpec,
        instance: &PaddingCheckInstance,
        _proof: &PaddingCheckProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        check_sizes(spec, instance)?;
        Ok(block_claims(t, spec, instance))
    }
}

fn check_sizes(spec: &PaddingCheckSpec, instance: &PaddingCheckInstance) -> Result<(), Error> {
    if spec.shapes.is_empty() || instance.commitments.len() != spec.shapes.len() {
        return Err(Error::Length {
            what: "padding check commitments",
            expected: spec.shapes.len().max(1),
            got: instance.commitments.len(),
        });
    }
    Ok(())
}

/// Absorbs every commitment, then draws each block's point: no point may be known when any
/// table is committed. One claim `T̃_i(point) = 0` per padded block, tensor by tensor.
pub(crate) fn block_claims(
    t: &mut Transcript,
    spec: &PaddingCheckSpec,
    instance: &PaddingCheckInstance,
) -> BlockClaims {
    t.append_bytes(b"block", PROTOCOL.as_bytes());
    t.append_u64(b"padding check tensors", instance.commitments.len() as u64);
    t.append_serializable(b"padding check commitments", &instance.commitments);
    let mut committed = Vec::new();
    for (shape, commitment) in spec.shapes.iter().zip(&instance.commitments) {
        let vars = axis_vars(shape);
        let total: usize = vars.iter().sum();
        for (a, (&d, &n)) in shape.iter().zip(&vars).enumerate() {
            for (prefix, k) in padded_blocks(d, n) {
                let fixed = n - k;
                let free = t.challenge_scalars(b"padding check point", total - fixed);
                let mut free = free.into_iter();
                let mut point = Vec::with_capacity(total);
                for (b, &nb) in vars.iter().enumerate() {
                    if b == a {
                        // The block's prefix bits, most significant first.
                        point
                            .extend((0..fixed).rev().map(|i| Fr::from(((prefix >> i) & 1) as u64)));
                        point.extend(free.by_ref().take(k));
                    } else {
                        point.extend(free.by_ref().take(nb));
                    }
                }
                committed.push(Claim { commitment: *commitment, point, value: Fr::zero() });
            }
        }
    }
    BlockClaims { committed, tensors: vec![] }
}

/// The aligned dyadic blocks `[j, j + 2^k)` that cover the padded indices `[d, 2^n)` of an axis
/// of extent `d` (`2^{n−1} < d ≤ 2^n`), as `(j/2^k, k)`; none when `d = 2^n`.
pub fn padded_blocks(d: usize, n: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut j = d;
    while j < 1 << n {
        // An empty axis (d = 0) is one block: all of it.
        let k = if j == 0 { n } else { j.trailing_zeros() as usize };
        out.push((j >> k, k));
        j += 1 << k;
    }
    out
}

fn shape_vars(shape: &[usize]) -> usize {
    axis_vars(shape).iter().sum()
}

/// `1 − Ĩ` on the hypercube: 1 on padded positions, 0 inside the tensor.
fn padding_mask(shape: &[usize]) -> Result<Vec<Fr>, Error> {
    let inside = IntTensor::new(shape.to_vec(), vec![1; shape.iter().product()])?.to_mle();
    Ok(inside.evals().iter().map(|v| Fr::one() - v).collect())
}
