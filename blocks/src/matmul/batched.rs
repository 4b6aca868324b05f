//! `Y = A·B` with both operands tensors, batched over leading "head" axes (attention's `Q·Kᵀ`,
//! `P·V`).
//!
//! Shapes: `A` is `[heads…, M, K]`, `B` is `[heads…, K, N]` (`[heads…, N, K]` with `trans_right`),
//! `Y` is `[heads…, M, N]`; the head axes of all three are equal (no broadcasting). Given
//! `Ỹ(r_h, r_i, r_j) = v`:
//!
//! ```text
//! v = Σ_{h', k} eq(r_h, h')·Ã(h', r_i, k)·B̃(h', k, r_j)
//! ```
//!
//! one degree-3 sumcheck over `(h', k)` (heads most significant) with tables `E(h', k) = eq(r_h, h')`,
//! `Â(h', k) = Σ_i eq(r_i, i)·A[h', i, k]`, `B̂(h', k) = Σ_j B[h', k, j]·eq(r_j, j)`. At its final
//! point `(ρ_h, ρ_k)` the verifier computes `eq(r_h, ρ_h)` itself, checks
//! `eq(r_h, ρ_h)·Â(ρ)·B̂(ρ)` against the last claim, and emits two tensor claims:
//! `Ã(ρ_h, r_i, ρ_k)` and `B̃(ρ_h, ρ_k, r_j)` (`B̃(ρ_h, r_j, ρ_k)` with `trans_right`).
//!
//! Transcript: statement (variant, shapes, flag, tensor ids, output claim); the sumcheck; the two
//! evaluations. Proof: `⌈log H⌉ + ⌈log K⌉` rounds of 3 field elements and two evaluations.

use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;
use tracing::instrument;

use super::index::{SmallInts, count, join, num_vars, padded_indices};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim, TensorId};
use crate::curve::Fr;
use crate::error::{Error, RelationError, VerifyError};
use crate::mle::{DenseMle, MAX_NUM_VARS, eq_eval, eq_table};
use crate::sumcheck::{
    SumOfProducts, SumcheckInstance, SumcheckProof, SumcheckStatement, prove_batch, verify_batch,
};
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

const PROTOCOL: &str = "batched matmul";

/// Shapes of a batched two-tensor product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchedSpec {
    pub heads: Vec<usize>,
    pub rows: usize,
    pub inner: usize,
    pub cols: usize,
    pub trans_right: bool,
}

impl BatchedSpec {
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::Invalid { what: "batched matmul spec", reason });
        if self.rows == 0 || self.inner == 0 || self.cols == 0 || self.heads.contains(&0) {
            return bad(format!("empty axis in {self:?}"));
        }
        count(&self.left_shape())?;
        count(&self.right_shape())?;
        count(&self.output_shape())?;
        let v = num_vars(&self.heads) + num_vars(&[self.rows, self.inner, self.cols]);
        if v > MAX_NUM_VARS {
            return bad(format!("{v} variables exceed {MAX_NUM_VARS}"));
        }
        Ok(())
    }

    fn with_heads(&self, tail: [usize; 2]) -> Vec<usize> {
        self.heads.iter().copied().chain(tail).collect()
    }

    pub fn left_shape(&self) -> Vec<usize> {
        self.with_heads([self.rows, self.inner])
    }

    pub fn right_shape(&self) -> Vec<usize> {
        if self.trans_right {
            self.with_heads([self.cols, self.inner])
        } else {
            self.with_heads([self.inner, self.cols])
        }
    }

    pub fn output_shape(&self) -> Vec<usize> {
        self.with_heads([self.rows, self.cols])
    }

    /// Variables of (heads, rows, inner, cols).
    fn vars(&self) -> (usize, usize, usize, usize) {
        let v = axis_vars(&[self.rows, self.inner, self.cols]);
        (num_vars(&self.heads), v[0], v[1], v[2])
    }
}

/// The statement: the two operand tensors and the claim on `Y`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchedInstance {
    pub left: TensorId,
    pub right: TensorId,
    pub output: TensorClaim,
}

/// What the prover knows.
#[derive(Clone, Debug)]
pub struct BatchedWitness {
    pub left: IntTensor,
    pub right: IntTensor,
    pub output: IntTensor,
}

/// The sumcheck over `(h', k)` and `Â(ρ)`, `B̂(ρ)`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BatchedProof {
    pub sumcheck: SumcheckProof,
    pub left_eval: Fr,
    pub right_eval: Fr,
}

impl BatchedProof {
    /// Size of the compressed encoding, in bytes.
    pub fn size_in_bytes(&self) -> usize {
        self.compressed_size()
    }
}

/// `Y = A·B` per head (see the module doc).
pub struct BatchedMatmul;

fn shape_error(what: &'static str, got: &[usize], want: &[usize]) -> Error {
    Error::Invalid { what, reason: format!("shape {got:?}, spec says {want:?}") }
}

fn check_operands(spec: &BatchedSpec, a: &IntTensor, b: &IntTensor) -> Result<(), Error> {
    spec.validate()?;
    if a.shape() != spec.left_shape() {
        return Err(shape_error("batched matmul left", a.shape(), &spec.left_shape()));
    }
    if b.shape() != spec.right_shape() {
        return Err(shape_error("batched matmul right", b.shape(), &spec.right_shape()));
    }
    Ok(())
}

/// `B[h, k, j]` in the stored layout.
fn right_at(spec: &BatchedSpec, b: &[i64], h: usize, k: usize, j: usize) -> i64 {
    let (kk, n) = (spec.inner, spec.cols);
    if spec.trans_right { b[h * n * kk + j * kk + k] } else { b[h * kk * n + k * n + j] }
}

pub(super) fn absorb_statement(t: &mut Transcript, spec: &BatchedSpec, instance: &BatchedInstance) {
    t.append_bytes(b"matmul variant", b"two tensors");
    t.append_u64(b"matmul head axes", spec.heads.len() as u64);
    for d in &spec.heads {
        t.append_u64(b"matmul heads", *d as u64);
    }
    for d in [spec.rows, spec.inner, spec.cols, spec.trans_right as usize] {
        t.append_u64(b"matmul dims", d as u64);
    }
    t.append_serializable(b"matmul left", &instance.left);
    t.append_serializable(b"matmul right", &instance.right);
    t.append_serializable(b"matmul output claim", &instance.output);
}

/// Splits `(r_h, r_i, r_j)`, checking the length.
fn split(spec: &BatchedSpec, p: &[Fr]) -> Result<[Vec<Fr>; 3], Error> {
    let (hv, iv, _, jv) = spec.vars();
    if p.len() != hv + iv + jv {
        return Err(Error::Length {
            what: "matmul output point",
            expected: hv + iv + jv,
            got: p.len(),
        });
    }
    Ok([p[..hv].to_vec(), p[hv..hv + iv].to_vec(), p[hv + iv..].to_vec()])
}

/// The claims on `A` and `B` at the sumcheck's final point `(ρ_h, ρ_k)`.
fn emitted(
    spec: &BatchedSpec,
    inst: &BatchedInstance,
    [_, r_i, r_j]: &[Vec<Fr>; 3],
    rho: &[Fr],
    proof: &BatchedProof,
) -> BlockClaims {
    let (rho_h, rho_k) = rho.split_at(spec.vars().0.min(rho.len()));
    let right_point =
        if spec.trans_right { join(&[rho_h, r_j, rho_k]) } else { join(&[rho_h, rho_k, r_j]) };
    let tensors = vec![
        TensorClaim {
            tensor: inst.left,
            point: join(&[rho_h, r_i, rho_k]),
            value: proof.left_eval,
        },
        TensorClaim { tensor: inst.right, point: right_point, value: proof.right_eval },
    ];
    BlockClaims { committed: vec![], tensors }
}

impl Block for BatchedMatmul {
    type Spec = BatchedSpec;
    type Instance = BatchedInstance;
    type Witness = BatchedWitness;
    type Proof = BatchedProof;

    /// `inputs = [A, B]`; returns `[Y]` (`i128` accumulation; overflow is an error).
    fn eval(spec: &BatchedSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        let [a, b] = inputs else {
            return Err(Error::Length { what: "matmul inputs", expected: 2, got: inputs.len() });
        };
        check_operands(spec, a, b)?;
        let (m, kk, n) = (spec.rows, spec.inner, spec.cols);
        let mut out = Vec::new();
        for h in 0..count(&spec.heads)? {
            for i in 0..m {
                for j in 0..n {
                    let s: i128 = (0..kk)
                        .map(|k| {
                            a.data()[(h * m + i) * kk + k] as i128
                                * right_at(spec, b.data(), h, k, j) as i128
                        })
                        .sum();
                    out.push(i64::try_from(s).map_err(|_| Error::Invalid {
                        what: "matmul product",
                        reason: "overflows i64".into(),
                    })?);
                }
            }
        }
        Ok(vec![IntTensor::new(spec.output_shape(), out)?])
    }

    fn check(
        spec: &BatchedSpec,
        inst: &BatchedInstance,
        w: &BatchedWitness,
    ) -> Result<(), RelationError> {
        let violated = |detail: String| RelationError::Violated { relation: PROTOCOL, detail };
        let y = Self::eval(spec, &[w.left.clone(), w.right.clone()])
            .map_err(|e| violated(e.to_string()))?;
        if w.output.shape() != spec.output_shape() {
            return Err(violated(format!("Y has shape {:?}", w.output.shape())));
        }
        let (m, n) = (spec.rows, spec.cols);
        if let Some(p) = y[0].data().iter().zip(w.output.data()).position(|(a, b)| a != b) {
            let (h, i, j) = (p / (m * n), p / n % m, p % n);
            return Err(violated(format!("Y[{h}][{i}][{j}] ≠ Σ_k A·B (head {h} flattened)")));
        }
        match w.output.to_mle().evaluate(&inst.output.point) {
            Ok(v) if v == inst.output.value => Ok(()),
            Ok(_) => Err(violated("the claim on Y does not hold".into())),
            Err(e) => Err(violated(e.to_string())),
        }
    }

    #[instrument(skip_all, fields(heads = ?spec.heads, rows = spec.rows, inner = spec.inner))]
    fn prove(
        spec: &BatchedSpec,
        inst: &BatchedInstance,
        w: &BatchedWitness,
        t: &mut Transcript,
    ) -> Result<(BatchedProof, BlockClaims), Error> {
        check_operands(spec, &w.left, &w.right)?;
        let r = split(spec, &inst.output.point)?;
        absorb_statement(t, spec, inst);
        let (hv, _, kv, _) = spec.vars();
        let (eq_h, eq_i, eq_j) = (eq_table(&r[0])?, eq_table(&r[1])?, eq_table(&r[2])?);
        let k_pad = 1usize << kv;
        let len = k_pad << hv;
        let (m, kk, n) = (spec.rows, spec.inner, spec.cols);
        let small = SmallInts::new();
        let mut e = vec![Fr::zero(); len];
        let (mut a, mut b) = (vec![Fr::zero(); len], vec![Fr::zero(); len]);
        let heads = padded_indices(&spec.heads);
        // Per head: Â(h, k) = Σ_i eq_i·A[h, i, k]; B̂(h, k) = Σ_j B[h, k, j]·eq_j.
        let per_head: Vec<(Vec<Fr>, Vec<Fr>)> = (0..heads.len())
            .into_par_iter()
            .map(|h| {
                let mut ah = vec![Fr::zero(); kk];
                for (i, row) in
                    w.left.data()[h * m * kk..(h + 1) * m * kk].chunks_exact(kk).enumerate()
                {
                    for (s, v) in ah.iter_mut().zip(row) {
                        small.mul_add(s, eq_i[i], *v);
                    }
                }
                let mut bh = vec![Fr::zero(); kk];
                for (k, s) in bh.iter_mut().enumerate() {
                    for (j, ej) in eq_j.iter().take(n).enumerate() {
                        small.mul_add(s, *ej, right_at(spec, w.right.data(), h, k, j));
                    }
                }
                (ah, bh)
            })
            .collect();
        for (ph, (ah, bh)) in heads.iter().zip(per_head) {
            a[ph * k_pad..ph * k_pad + kk].copy_from_slice(&ah);
            b[ph * k_pad..ph * k_pad + kk].copy_from_slice(&bh);
        }
        for (hp, chunk) in e.chunks_exact_mut(k_pad).enumerate() {
            chunk.iter_mut().for_each(|x| *x = eq_h[hp]);
        }
        let polys = vec![DenseMle::new(e)?, DenseMle::new(a)?, DenseMle::new(b)?];
        let out = prove_batch(
            vec![SumcheckInstance { polys, expr: SumOfProducts::product(3) }],
            &[inst.output.value],
            t,
        )?;
        let (left_eval, right_eval) = match out.final_evals.first().map(Vec::as_slice) {
            Some([_, a, b]) => (*a, *b),
            _ => return Err(Error::Invalid { what: PROTOCOL, reason: "sumcheck output".into() }),
        };
        t.append_scalars(b"matmul final evaluations", &[left_eval, right_eval]);
        let proof = BatchedProof { sumcheck: out.proof, left_eval, right_eval };
        let claims = emitted(spec, inst, &r, &out.point, &proof);
        Ok((proof, claims))
    }

    fn verify(
        spec: &BatchedSpec,
        inst: &BatchedInstance,
        proof: &BatchedProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        spec.validate()?;
        let r = split(spec, &inst.output.point)?;
        absorb_statement(t, spec, inst);
        let (hv, _, kv, _) = spec.vars();
        let statement =
            SumcheckStatement { num_vars: hv + kv, degree: 3, claim: inst.output.value };
        let sub = verify_batch(&[statement], &proof.sumcheck, t)?;
        // The verifier's own eq(r_h, ρ_h); ρ has hv + kv entries after verify_batch's shape check.
        let rho_h = sub.point.get(..hv).ok_or(VerifyError::ProofShape {
            what: "sumcheck rounds",
            expected: hv + kv,
            got: sub.point.len(),
        })?;
        let eq_h = eq_eval(&r[0], rho_h)?;
        let expr = SumOfProducts::product(3);
        sub.check_final(PROTOCOL, &[&expr], &[vec![eq_h, proof.left_eval, proof.right_eval]])?;
        t.append_scalars(b"matmul final evaluations", &[proof.left_eval, proof.right_eval]);
        Ok(emitted(spec, inst, &r, &sub.point, proof))
    }
}
