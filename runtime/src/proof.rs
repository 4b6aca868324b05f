//! The proof: public values, the prover's commitments, every block's proof in schedule order, and
//! the accumulated opening. Canonical arkworks encoding, compressed points, validated on read.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use tessera_accumulator::AccumulatedProof;
use tessera_blocks::Fr;
use tessera_blocks::elementwise::{BroadcastProof, HadamardProof, LinearProof, PaddingCheckProof};
use tessera_blocks::kzg::Commitment;
use tessera_blocks::lookup::LookupProof;
use tessera_blocks::matmul::conv::ConvProof;
use tessera_blocks::matmul::{BatchedProof, MatmulProof};
use tessera_blocks::permutation::MapProof;
use tessera_blocks::tensor::IntTensor;

use crate::error::VerifyError;

/// A quantized tensor shown to the verifier.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PublicTensor {
    /// The model's name for it.
    pub name: String,
    /// Shape (batch first).
    pub shape: Vec<u64>,
    /// Row-major quantized values.
    pub data: Vec<i64>,
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
            return Err(VerifyError::Malformed(format!(
                "public tensor {} has shape {:?}, the plan says {shape:?}",
                self.name, self.shape
            )));
        }
        IntTensor::new(shape.to_vec(), self.data.clone())
            .map_err(|e| VerifyError::Malformed(format!("public tensor {}: {e}", self.name)))
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

/// Every block proof, by kind, in the order the schedule runs them.
#[derive(Clone, Debug, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BlockProofs {
    /// The merged range-check lookup (at most one).
    pub lookup: Vec<LookupProof>,
    /// Zero-padding checks of committed tensors.
    pub padding: Vec<PaddingCheckProof>,
    /// Fixed-weight products.
    pub matmul: Vec<MatmulProof>,
    /// Convolutions.
    pub conv: Vec<ConvProof>,
    /// Linear combinations.
    pub linear: Vec<LinearProof>,
    /// Broadcasts of biases.
    pub broadcast: Vec<BroadcastProof>,
    /// Hadamard products and zero checks.
    pub hadamard: Vec<HadamardProof>,
    /// Index maps (reshapes, pooling windows).
    pub maps: Vec<MapProof>,
    /// Products of two computed tensors (attention).
    pub batched: Vec<BatchedProof>,
    /// Evaluations the prover sends between blocks.
    pub evals: Vec<Fr>,
}

impl BlockProofs {
    /// Compressed bytes of each kind's proofs (for `inspect`).
    pub fn sizes(&self) -> [(&'static str, usize); 9] {
        [
            ("lookup", self.lookup.compressed_size()),
            ("padding", self.padding.compressed_size()),
            ("matmul", self.matmul.compressed_size()),
            ("conv", self.conv.compressed_size()),
            ("linear", self.linear.compressed_size()),
            ("broadcast", self.broadcast.compressed_size()),
            ("hadamard", self.hadamard.compressed_size()),
            ("maps", self.maps.compressed_size()),
            ("evals", self.evals.compressed_size()),
        ]
    }

    /// How many proofs of each kind (for `inspect` and the consumed-everything check).
    pub fn counts(&self) -> [(&'static str, usize); 10] {
        [
            ("lookup", self.lookup.len()),
            ("padding", self.padding.len()),
            ("matmul", self.matmul.len()),
            ("conv", self.conv.len()),
            ("linear", self.linear.len()),
            ("broadcast", self.broadcast.len()),
            ("hadamard", self.hadamard.len()),
            ("maps", self.maps.len()),
            ("batched", self.batched.len()),
            ("evals", self.evals.len()),
        ]
    }
}

/// A Tessera proof for one batch.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof {
    /// What the verifier is shown.
    pub public: PublicValues,
    /// Commitments to the committed tensors, in plan order (node, then slot).
    pub commitments: Vec<Commitment>,
    /// Commitments to the range-check limbs, check by check.
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

/// Block proofs the schedule records (prover) and replays (verifier), one list per kind.
pub(crate) trait Recorded: Sized + Clone {
    const KIND: &'static str;
    fn list(p: &BlockProofs) -> &Vec<Self>;
    fn list_mut(p: &mut BlockProofs) -> &mut Vec<Self>;
}

macro_rules! recorded {
    ($t:ty, $field:ident) => {
        impl Recorded for $t {
            const KIND: &'static str = stringify!($field);
            fn list(p: &BlockProofs) -> &Vec<Self> {
                &p.$field
            }
            fn list_mut(p: &mut BlockProofs) -> &mut Vec<Self> {
                &mut p.$field
            }
        }
    };
}

recorded!(LookupProof, lookup);
recorded!(PaddingCheckProof, padding);
recorded!(MatmulProof, matmul);
recorded!(ConvProof, conv);
recorded!(LinearProof, linear);
recorded!(BroadcastProof, broadcast);
recorded!(HadamardProof, hadamard);
recorded!(MapProof, maps);
recorded!(BatchedProof, batched);
