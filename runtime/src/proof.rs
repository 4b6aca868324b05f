//! The proof: public values, the prover's commitments, every block's proof in schedule order, and
//! the accumulated opening. Canonical arkworks encoding, compressed points, validated on read.

use std::any::TypeId;

use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Valid, Validate,
    Write,
};
use tessera_accumulator::AccumulatedProof;
use tessera_blocks::Fr;
use tessera_blocks::elementwise::{
    BroadcastProof, HadamardBatchProof, HadamardProof, LinearProof, PaddingCheckProof,
};
use tessera_blocks::kzg::Commitment;
use tessera_blocks::lookup::LookupProof;
use tessera_blocks::matmul::conv::ConvProof;
use tessera_blocks::matmul::{BatchedProof, MatmulProof};
use tessera_blocks::permutation::{ConcatProof, MapProof};
use tessera_blocks::tensor::IntTensor;

use crate::error::{Malformed, VerifyError};

/// A quantized tensor shown to the verifier. Its values are encoded compactly (zigzag
/// varints: quantized values take one to four bytes instead of eight), canonically: a decoder
/// rejects non-minimal encodings, so each tensor has exactly one encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicTensor {
    /// The model's name for it.
    pub name: String,
    /// Shape (batch first).
    pub shape: Vec<u64>,
    /// Row-major quantized values.
    pub data: Vec<i64>,
}

fn zigzag_varint(values: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 2);
    for v in values {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            out.push((z as u8 & 0x7f) | 0x80);
            z >>= 7;
        }
        out.push(z as u8);
    }
    out
}

fn from_zigzag_varint(bytes: &[u8], count: usize) -> Result<Vec<i64>, SerializationError> {
    let mut out = Vec::with_capacity(count.min(bytes.len()));
    let mut it = bytes.iter();
    while let Some(&first) = it.next() {
        let (mut z, mut shift, mut last) = (u64::from(first & 0x7f), 7u32, first);
        while last & 0x80 != 0 {
            let &b = it.next().ok_or(SerializationError::InvalidData)?;
            // Ten bytes at most, no bits beyond 64, and no trailing zero byte (minimal encoding).
            if shift > 63 || (shift == 63 && b > 1) || b == 0 {
                return Err(SerializationError::InvalidData);
            }
            z |= u64::from(b & 0x7f) << shift;
            shift += 7;
            last = b;
        }
        out.push(((z >> 1) as i64) ^ -((z & 1) as i64));
    }
    if out.len() != count {
        return Err(SerializationError::InvalidData);
    }
    Ok(out)
}

impl CanonicalSerialize for PublicTensor {
    fn serialize_with_mode<W: Write>(
        &self,
        mut w: W,
        c: Compress,
    ) -> Result<(), SerializationError> {
        self.name.serialize_with_mode(&mut w, c)?;
        self.shape.serialize_with_mode(&mut w, c)?;
        (self.data.len() as u64).serialize_with_mode(&mut w, c)?;
        zigzag_varint(&self.data).serialize_with_mode(&mut w, c)
    }

    fn serialized_size(&self, c: Compress) -> usize {
        self.name.serialized_size(c)
            + self.shape.serialized_size(c)
            + 8
            + zigzag_varint(&self.data).serialized_size(c)
    }
}

impl Valid for PublicTensor {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl CanonicalDeserialize for PublicTensor {
    fn deserialize_with_mode<R: Read>(
        mut r: R,
        c: Compress,
        v: Validate,
    ) -> Result<Self, SerializationError> {
        let name = String::deserialize_with_mode(&mut r, c, v)?;
        let shape = Vec::<u64>::deserialize_with_mode(&mut r, c, v)?;
        let count = u64::deserialize_with_mode(&mut r, c, v)?;
        let bytes = Vec::<u8>::deserialize_with_mode(&mut r, c, v)?;
        let count = usize::try_from(count).map_err(|_| SerializationError::InvalidData)?;
        let data = from_zigzag_varint(&bytes, count)?;
        Ok(Self { name, shape, data })
    }
}

impl PublicTensor {
    /// From a tensor.
    pub fn new(name: &str, t: &IntTensor) -> Self {
        Self {
            name: name.to_string(),
            shape: t.shape().iter().map(|d| *d as u64).collect(),
            data: t.data().to_vec(),
        }
    }

    /// As a tensor, checking that it has `shape`.
    pub fn to_tensor(&self, shape: &[usize]) -> Result<IntTensor, VerifyError> {
        let ok = self.shape.len() == shape.len()
            && self.shape.iter().zip(shape).all(|(a, b)| *a == *b as u64);
        if !ok {
            return Err(Malformed::PublicTensor {
                name: self.name.clone(),
                reason: format!("shape {:?}, the plan says {shape:?}", self.shape),
            }
            .into());
        }
        IntTensor::new(shape.to_vec(), self.data.clone()).map_err(|e| {
            Malformed::PublicTensor { name: self.name.clone(), reason: e.to_string() }.into()
        })
    }
}

/// The public inputs (empty when they are private) and outputs, in the plan's order.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PublicValues {
    /// Model inputs.
    pub inputs: Vec<PublicTensor>,
    /// Model outputs.
    pub outputs: Vec<PublicTensor>,
}

/// Every block proof in the order the schedule runs them: one kind byte per proof (see
/// `kinds`) and their compressed encodings back to back, then the evaluations the prover sends
/// between blocks. A new block kind is one entry of `kinds`; nothing else here changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BlockProofs {
    /// The kind of each proof, as its index in `kinds`.
    pub kinds: Vec<u8>,
    /// The proofs' compressed encodings, in order.
    pub bytes: Vec<u8>,
    /// Evaluations the prover sends between blocks.
    pub evals: Vec<Fr>,
}

/// Every block proof type a proof may hold, with its name; a proof's kind byte is its index here.
fn kinds() -> [(TypeId, &'static str); 11] {
    [
        (TypeId::of::<LookupProof>(), "lookup"),
        (TypeId::of::<PaddingCheckProof>(), "padding"),
        (TypeId::of::<MatmulProof>(), "matmul"),
        (TypeId::of::<ConvProof>(), "conv"),
        (TypeId::of::<LinearProof>(), "linear"),
        (TypeId::of::<BroadcastProof>(), "broadcast"),
        (TypeId::of::<HadamardProof>(), "hadamard"),
        (TypeId::of::<HadamardBatchProof>(), "products"),
        (TypeId::of::<MapProof>(), "maps"),
        (TypeId::of::<BatchedProof>(), "batched"),
        (TypeId::of::<ConcatProof>(), "concat"),
    ]
}

/// The kind byte of proof type `P` (its index in [`kinds`]), `None` for a type no proof holds.
pub(crate) fn kind_of<P: 'static>() -> Option<u8> {
    let id = TypeId::of::<P>();
    kinds().iter().position(|(t, _)| *t == id).map(|k| k as u8)
}

/// The name of kind byte `k`.
pub fn kind_name(k: u8) -> &'static str {
    kinds().get(usize::from(k)).map_or("unknown", |(_, name)| *name)
}

/// The name of proof type `P`'s kind (`unknown` for a type no proof holds).
pub(crate) fn kind_name_of<P: 'static>() -> &'static str {
    kind_of::<P>().map_or("unknown", kind_name)
}

impl BlockProofs {
    /// Appends one proof (its kind must be in `kinds`).
    pub(crate) fn push<P: CanonicalSerialize + 'static>(
        &mut self,
        proof: &P,
    ) -> Result<(), SerializationError> {
        let kind = kind_of::<P>().ok_or(SerializationError::InvalidData)?;
        proof.serialize_compressed(&mut self.bytes)?;
        self.kinds.push(kind);
        Ok(())
    }

    /// How many proofs of each kind (for `inspect`), kinds without proofs left out.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        (0..kinds().len() as u8)
            .map(|k| (kind_name(k), self.kinds.iter().filter(|x| **x == k).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// How many proofs of kind `name`.
    pub fn count(&self, name: &str) -> usize {
        self.kinds.iter().filter(|k| kind_name(**k) == name).count()
    }

    /// The proofs one after the other, for the verifier.
    pub(crate) fn reader(&self) -> ProofReader<'_> {
        ProofReader { kinds: &self.kinds, bytes: &self.bytes, next: 0 }
    }
}

/// Reads [`BlockProofs`] back in order, checking each proof's kind.
pub(crate) struct ProofReader<'p> {
    kinds: &'p [u8],
    bytes: &'p [u8],
    next: usize,
}

impl ProofReader<'_> {
    /// The next proof, which must be of type `P`.
    pub fn read<P: CanonicalDeserialize + 'static>(&mut self) -> Result<P, VerifyError> {
        let want = kind_of::<P>().ok_or(Malformed::ProofKind {
            index: self.next,
            got: "unknown",
            expected: "unknown",
        })?;
        let Some(&got) = self.kinds.get(self.next) else {
            return Err(Malformed::ProofsEnd { index: self.next, expected: kind_name(want) }.into());
        };
        if got != want {
            return Err(Malformed::ProofKind {
                index: self.next,
                got: kind_name(got),
                expected: kind_name(want),
            }
            .into());
        }
        let proof = P::deserialize_compressed(&mut self.bytes).map_err(|e| {
            Malformed::ProofBytes { index: self.next, kind: kind_name(want), reason: e.to_string() }
        })?;
        self.next += 1;
        Ok(proof)
    }

    /// Whether every proof and byte was read.
    pub fn finish(&self) -> Result<(), VerifyError> {
        if self.next != self.kinds.len() || !self.bytes.is_empty() {
            return Err(Malformed::LeftOver {
                proofs: self.kinds.len() - self.next.min(self.kinds.len()),
                bytes: self.bytes.len(),
            }
            .into());
        }
        Ok(())
    }
}

/// A Tessera proof for one batch.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof {
    /// What the verifier is shown.
    pub public: PublicValues,
    /// Commitments to the committed tensors, in plan order (node, then slot).
    pub commitments: Vec<Commitment>,
    /// Commitments to the range-check limbs, check by check, limb 0 excepted (the verifier
    /// derives it from the checked value's and the other limbs' commitments).
    pub limbs: Vec<Commitment>,
    /// Commitment to the range table's multiplicities.
    pub multiplicities: Commitment,
    /// Commitments to the multiplicities of each merged function lookup (one per table), in the
    /// plan's order.
    pub function_multiplicities: Vec<Commitment>,
    /// Block proofs.
    pub blocks: BlockProofs,
    /// Fold-tree arity (0: one node over every leaf).
    pub arity: u32,
    /// Fold nodes and the root opening.
    pub accumulator: AccumulatedProof,
}

impl Proof {
    /// Compressed size in bytes.
    pub fn size_in_bytes(&self) -> usize {
        self.compressed_size()
    }

    /// Bytes of the public inputs and outputs it carries (data the verifier needs anyway, part of
    /// [`Self::size_in_bytes`]).
    pub fn public_size_in_bytes(&self) -> usize {
        self.public.compressed_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_values_round_trip_compactly_and_canonically() {
        let data = vec![0, 1, -1, 63, -64, 64, 4095, -70000, i64::MAX, i64::MIN];
        let t = PublicTensor { name: "x".into(), shape: vec![2, 5], data: data.clone() };
        let mut bytes = Vec::new();
        t.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(bytes.len(), t.compressed_size());
        assert_eq!(PublicTensor::deserialize_compressed(bytes.as_slice()).unwrap(), t);
        // One byte for small values, ten at most.
        assert_eq!(zigzag_varint(&[5, -3]).len(), 2);
        assert_eq!(zigzag_varint(&[i64::MIN]).len(), 10);
        // Non-minimal (a trailing zero byte), overlong, truncated and miscounted encodings.
        for bad in [&[0x80u8, 0x00][..], &[0xff; 11][..], &[0x80][..]] {
            assert!(from_zigzag_varint(bad, 1).is_err(), "{bad:?} accepted");
        }
        assert!(from_zigzag_varint(&[1, 2], 1).is_err());
        assert!(from_zigzag_varint(&[1], 2).is_err());
        assert_eq!(
            from_zigzag_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 1)
                .unwrap(),
            vec![i64::MIN]
        );
    }
}
