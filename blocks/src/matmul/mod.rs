//! The matmul block (DESIGN §4): `Y = α·op(X)·op(W) + β·b` with a fixed, committed weight `W`
//! ([`FixedMatmul`], ONNX MatMul/Gemm), `Y = A·B` with two tensor operands batched over heads
//! ([`BatchedMatmul`], attention's `Q·Kᵀ` and `P·V`), and 2-D convolution as a matmul over
//! shifted views of its input ([`conv::Conv`]).
//!
//! **Papers.** The matmul sumcheck is Thaler, "Time-optimal interactive proofs for circuit
//! evaluation" (CRYPTO 2013) §5; the sparse prover follows SpaGKR (Li, Liang, Dong, ePrint
//! 2024/1018): bind the fixed matrix from its non-zero entries only.
//!
//! **Encoding.** Tensors are [`crate::tensor::IntTensor::to_mle`] polynomials: every axis padded
//! to a power of two separately, variables most-significant first. Leading axes of `X` and `Y`
//! (batch, sequence, positions) are "rows"; a point on `Y` is `(r_rows, r_cols)`.
//!
//! | symbol | meaning |
//! |---|---|
//! | `M`, `K`, `N` | rows (product of leading axes), shared axis, output columns |
//! | `r_rows`, `r_cols` | the output claim's point, split at the row/column boundary |
//! | `r_k` | the sumcheck's final point (the library's challenges, never the prover's) |
//! | `A(k)`, `B(k)` | `X̃(r_rows, k)` and `W̃(k, r_cols)`, the bound tables |
//! | `ind(r_rows)` | `Σ_{i<M} eq(r_rows, i)` over the unpadded rows, `O(log M)` for the verifier |
//!
//! **Fixed weight ([`FixedMatmul`]).** Given `Ỹ(r_rows, r_cols) = v`:
//! `v = α·Σ_k A(k)·B(k) + β·ind(r_rows)·b̃(r_cols)`, because `Y = α·X·W + β·1·bᵀ` on the unpadded
//! rows and zero on the padding rows (padding rows of `X` are zero, and the bias is added only
//! where `ind` is one). Transcript order:
//! 1. the statement: variant, shapes, flags, `α`, `β`, the tensor id of `X`, the commitments to `W`
//!    (and `b`), the output claim;
//! 2. with a bias, the prover's `b̃(r_cols)`;
//! 3. the sumcheck of `α·A·B` (degree 2, `⌈log K⌉` rounds) on the claim
//!    `v − β·ind(r_rows)·b̃(r_cols)`, to the point `r_k`;
//! 4. `A(r_k)`, `B(r_k)`; the verifier checks `α·A(r_k)·B(r_k)` against the sumcheck's last claim.
//!
//! It emits a [`crate::claim::TensorClaim`] `X̃(r_rows, r_k) = A(r_k)` and [`crate::claim::Claim`]s
//! `W̃(r_k, r_cols) = B(r_k)` and `b̃(r_cols)` on the instance's commitments (never ones from
//! the proof). Gemm's `transA`/`transB` only swap the sub-points of the emitted claims
//! (`(r_k, r_rows)`, `(r_cols, r_k)`): no transpose is materialized (the prover's CSR form of a
//! `transB` weight is built once, with the proving key). `α = 0` leaves claims that are true for
//! every `X`, `W`, which is right: `Y` does not depend on them.
//!
//! **Proof** ([`MatmulProof`]): `⌈log K⌉` rounds of 2 field elements, `A(r_k)`, `B(r_k)`, and
//! `b̃(r_cols)` with a bias: `32·(2⌈log K⌉ + 2 [+1])` bytes plus length prefixes (`K = 256`:
//! 649 bytes, `K = 1024`: 793 bytes compressed, without bias).
//!
//! **Prover cost.** `A` is one pass over `X` (`M·K` multiply-adds, parallel over row blocks), `B` one
//! pass over the non-zero weights ([`SparseWeights`]; `±1` entries are additions), the sumcheck is
//! `O(K)`. The work on `W` is proportional to its non-zeros; a dense `W` only pays a column index
//! per entry. The work on `X` is not: with `M ≥ K`, `X` dominates and sparsity of `W` alone cannot
//! speed up the whole proof by more than `(MK + KN)/(MK + nnz)`.
//!
//! **Two tensors ([`BatchedMatmul`]).** A degree-3 sumcheck over `(head, k)`; see [`batched`].
//!
//! **Convolution ([`conv::Conv`]).** Two sumchecks (taps over `(group, channel, ky, kx)`, then the
//! input window, batched with a regroup of the weight when `group > 1`) with index maps the
//! verifier evaluates from its own spec; no im2col copy, and a grouped or depthwise weight costs
//! the prover its own entries only; see [`conv`].
//!
//! **Choices and limits.** Gemm's `C` is a committed bias of shape `[N]` (broadcast over rows);
//! a full `[M, N]` `C` is not supported. `transA` needs a single row axis (Gemm is 2-D). The two
//! tensor product needs equal head axes (no broadcasting). Conv has no bias (a bias is a
//! broadcast add in the elementwise block); pooling does not reuse the maps yet.
//!
//! **Measured** (`cargo bench -p tessera-benches --bench matmul`, 2 shared cores, noisy): proof
//! bytes 505 (`K = 64`), 649 (`K = 256`), 793 (`K = 1024`); batched `8×[128,64]·[64,128]`: 1,008;
//! conv `[1,16,32,32] * [32,16,3,3]`: 1,729; depthwise `[1,32,32,32] * [32,1,3,3]` (group 32):
//! 1,833.

pub mod batched;
pub mod conv;
mod fixed;
mod index;
mod prover;
mod verifier;
mod weights;

pub use batched::{BatchedInstance, BatchedMatmul, BatchedProof, BatchedSpec, BatchedWitness};
pub use fixed::{MatmulInstance, MatmulProof, MatmulSpec, MatmulWeights, MatmulWitness, product};
pub use index::prefix_indicator;
pub use weights::SparseWeights;

use crate::block::Block;
use crate::claim::BlockClaims;
use crate::error::{Error, RelationError, VerifyError};
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

/// `Y = α·op(X)·op(W) + β·b` with `W` and `b` fixed (see the module doc).
pub struct FixedMatmul;

impl Block for FixedMatmul {
    type Spec = MatmulSpec;
    type Instance = MatmulInstance;
    type Witness = MatmulWitness;
    type Proof = MatmulProof;

    /// `inputs = [X, W]` or `[X, W, b]` (stored layouts); returns `[Y]`.
    fn eval(spec: &MatmulSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        let (x, w, b) = match inputs {
            [x, w] => (x, w, None),
            [x, w, b] => (x, w, Some(b)),
            _ => {
                return Err(Error::Length {
                    what: "matmul inputs",
                    expected: 2,
                    got: inputs.len(),
                });
            }
        };
        Ok(vec![product(spec, x, &MatmulWeights::new(spec, w, b)?)?])
    }

    fn check(
        spec: &MatmulSpec,
        instance: &MatmulInstance,
        witness: &MatmulWitness,
    ) -> Result<(), RelationError> {
        fixed::check_relation(spec, instance, witness)
    }

    fn prove(
        spec: &MatmulSpec,
        instance: &MatmulInstance,
        witness: &MatmulWitness,
        transcript: &mut Transcript,
    ) -> Result<(MatmulProof, BlockClaims), Error> {
        prover::prove(spec, instance, witness, transcript)
    }

    fn verify(
        spec: &MatmulSpec,
        instance: &MatmulInstance,
        proof: &MatmulProof,
        transcript: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        verifier::verify(spec, instance, proof, transcript)
    }
}

#[cfg(test)]
pub(crate) mod tests;
