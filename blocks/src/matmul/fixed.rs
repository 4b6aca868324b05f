//! `Y = α·op(X)·op(W) + β·b` with `W` (and `b`) fixed: spec, instance, witness, proof, the integer
//! semantics and the relation check. The protocol is in [`super::prover`] and [`super::verifier`].

use std::sync::Arc;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::index::{count, join, num_vars};
use super::weights::SparseWeights;
use crate::claim::{BlockClaims, Claim, TensorClaim, TensorId};
use crate::curve::{Fr, fr_from_i64};
use crate::error::{Error, RelationError};
use crate::kzg::Commitment;
use crate::mle::MAX_NUM_VARS;
use crate::sumcheck::{SumOfProducts, SumcheckProof};
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

pub(super) const PROTOCOL: &str = "matmul";

/// Shapes and constants of one (Gemm-style) product with a fixed weight.
///
/// `X` is `[rows…, inner]` (`[inner, rows]` with `trans_input`, which needs exactly one row axis),
/// `W` is `[inner, cols]` (`[cols, inner]` with `trans_weight`), `b` is `[cols]` when `bias`, and
/// `Y` is `[rows…, cols]`. Without `bias`, `beta` is ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulSpec {
    pub rows: Vec<usize>,
    pub inner: usize,
    pub cols: usize,
    pub trans_input: bool,
    pub trans_weight: bool,
    pub alpha: i64,
    pub beta: i64,
    pub bias: bool,
}

impl MatmulSpec {
    /// Plain `Y = X·W` (ONNX MatMul with a constant right operand).
    pub fn matmul(rows: Vec<usize>, inner: usize, cols: usize) -> Self {
        Self {
            rows,
            inner,
            cols,
            trans_input: false,
            trans_weight: false,
            alpha: 1,
            beta: 0,
            bias: false,
        }
    }

    /// Shape errors, before any arithmetic.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::Invalid { what: "matmul spec", reason });
        if self.inner == 0 || self.cols == 0 || self.rows.contains(&0) {
            return bad(format!("empty axis in {self:?}"));
        }
        if self.trans_input && self.rows.len() != 1 {
            return bad("trans_input needs exactly one row axis".into());
        }
        count(&self.input_shape())?;
        let vars = self.row_vars() + self.inner_vars() + self.col_vars();
        if vars > MAX_NUM_VARS {
            return bad(format!("{vars} variables exceed {MAX_NUM_VARS}"));
        }
        Ok(())
    }

    /// Stored shape of `X`.
    pub fn input_shape(&self) -> Vec<usize> {
        if self.trans_input {
            join_shape(&[self.inner], &self.rows)
        } else {
            join_shape(&self.rows, &[self.inner])
        }
    }

    /// Stored shape of `W`.
    pub fn weight_shape(&self) -> Vec<usize> {
        if self.trans_weight { vec![self.cols, self.inner] } else { vec![self.inner, self.cols] }
    }

    /// Shape of `Y`.
    pub fn output_shape(&self) -> Vec<usize> {
        join_shape(&self.rows, &[self.cols])
    }

    pub(super) fn row_vars(&self) -> usize {
        num_vars(&self.rows)
    }

    pub(super) fn inner_vars(&self) -> usize {
        axis_vars(&[self.inner])[0]
    }

    pub(super) fn col_vars(&self) -> usize {
        axis_vars(&[self.cols])[0]
    }

    /// `α·f_0·f_1`, the sumcheck's expression.
    pub(super) fn expression(&self) -> SumOfProducts {
        SumOfProducts { terms: vec![(fr_from_i64(self.alpha), vec![0, 1])] }
    }
}

fn join_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter().chain(b).copied().collect()
}

/// The statement: which tensor `X` is, the fixed commitments, and the claim on `Y`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulInstance {
    pub input: TensorId,
    pub weight: Commitment,
    pub bias: Option<Commitment>,
    pub output: TensorClaim,
}

/// Fixed data in the prover's form (part of the proving key; shared between proofs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulWeights {
    pub weight: SparseWeights,
    pub bias: Option<Vec<i64>>,
}

impl MatmulWeights {
    /// From the stored weight (and bias) tensors of `spec`.
    pub fn new(
        spec: &MatmulSpec,
        weight: &IntTensor,
        bias: Option<&IntTensor>,
    ) -> Result<Self, Error> {
        if weight.shape() != spec.weight_shape() {
            return Err(Error::Invalid {
                what: "matmul weight",
                reason: format!("shape {:?}, spec says {:?}", weight.shape(), spec.weight_shape()),
            });
        }
        let bias = match (spec.bias, bias) {
            (false, None) => None,
            (true, Some(b)) if b.shape() == [spec.cols] => Some(b.data().to_vec()),
            _ => {
                return Err(Error::Invalid {
                    what: "matmul bias",
                    reason: format!("spec bias = {}, expected shape [{}]", spec.bias, spec.cols),
                });
            }
        };
        Ok(Self { weight: SparseWeights::from_tensor(weight, spec.trans_weight)?, bias })
    }
}

/// What the prover knows: `X`, `Y`, and the fixed data.
#[derive(Clone, Debug)]
pub struct MatmulWitness {
    pub input: IntTensor,
    pub output: IntTensor,
    pub weights: Arc<MatmulWeights>,
}

/// The proof: `b̃(r_cols)` (with a bias), the sumcheck over the shared axis, and the two
/// evaluations at its final point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MatmulProof {
    pub bias_eval: Option<Fr>,
    pub sumcheck: SumcheckProof,
    pub input_eval: Fr,
    pub weight_eval: Fr,
}

impl MatmulProof {
    /// Size of the compressed encoding, in bytes.
    pub fn size_in_bytes(&self) -> usize {
        self.compressed_size()
    }
}

/// `Y` from `X` and the fixed data, in integers (`i128` accumulation; overflow is an error).
pub fn product(spec: &MatmulSpec, x: &IntTensor, w: &MatmulWeights) -> Result<IntTensor, Error> {
    spec.validate()?;
    if x.shape() != spec.input_shape() {
        return Err(Error::Invalid {
            what: "matmul input",
            reason: format!("shape {:?}, spec says {:?}", x.shape(), spec.input_shape()),
        });
    }
    if w.weight.inner() != spec.inner || w.weight.cols() != spec.cols {
        return Err(Error::Invalid { what: "matmul weight", reason: "does not match spec".into() });
    }
    let (m, k_len, n) = (count(&spec.rows)?, spec.inner, spec.cols);
    let at = |i: usize, k: usize| {
        if spec.trans_input { x.data()[k * m + i] } else { x.data()[i * k_len + k] }
    };
    let overflow = || Error::Invalid { what: "matmul product", reason: "overflows i64".into() };
    let mut out = Vec::with_capacity(m * n);
    let mut acc = vec![0i128; n];
    for i in 0..m {
        acc.iter_mut().for_each(|a| *a = 0);
        for k in 0..k_len {
            let xv = at(i, k) as i128;
            if xv != 0 {
                for (j, wv) in w.weight.row(k) {
                    acc[j] += xv * wv as i128;
                }
            }
        }
        for (j, a) in acc.iter().enumerate() {
            let b = if spec.bias { w.bias.as_ref().map_or(0, |b| b[j]) as i128 } else { 0 };
            let y = (spec.alpha as i128)
                .checked_mul(*a)
                .and_then(|v| v.checked_add((spec.beta as i128).checked_mul(b)?));
            out.push(y.and_then(|y| i64::try_from(y).ok()).ok_or_else(overflow)?);
        }
    }
    IntTensor::new(spec.output_shape(), out)
}

/// The relation: `Y = α·op(X)·op(W) + β·b` entrywise, and the output claim holds on `Y`.
pub fn check_relation(
    spec: &MatmulSpec,
    instance: &MatmulInstance,
    witness: &MatmulWitness,
) -> Result<(), RelationError> {
    let violated = |detail: String| RelationError::Violated { relation: PROTOCOL, detail };
    let expected =
        product(spec, &witness.input, &witness.weights).map_err(|e| violated(e.to_string()))?;
    if witness.output.shape() != expected.shape() {
        return Err(violated(format!("Y has shape {:?}", witness.output.shape())));
    }
    let n = spec.cols;
    if let Some(pos) = expected.data().iter().zip(witness.output.data()).position(|(a, b)| a != b) {
        return Err(violated(format!("Y[{}][{}] ≠ α·Σ X·W + β·b", pos / n, pos % n)));
    }
    let value = witness.output.to_mle().evaluate(&instance.output.point);
    if value.map_err(|e| violated(e.to_string()))? != instance.output.value {
        return Err(violated("the claim on Y does not hold".into()));
    }
    Ok(())
}

/// Absorbs the statement: shapes and constants, commitments, the output claim.
pub(super) fn absorb_statement(t: &mut Transcript, spec: &MatmulSpec, instance: &MatmulInstance) {
    t.append_bytes(b"matmul variant", b"fixed weight");
    t.append_u64(b"matmul row axes", spec.rows.len() as u64);
    for d in &spec.rows {
        t.append_u64(b"matmul rows", *d as u64);
    }
    t.append_u64(b"matmul inner", spec.inner as u64);
    t.append_u64(b"matmul cols", spec.cols as u64);
    let flags = spec.trans_input as u64 | (spec.trans_weight as u64) << 1 | (spec.bias as u64) << 2;
    t.append_u64(b"matmul flags", flags);
    t.append_scalar(b"matmul alpha", &fr_from_i64(spec.alpha));
    t.append_scalar(b"matmul beta", &fr_from_i64(spec.beta));
    t.append_serializable(b"matmul input", &instance.input);
    t.append_serializable(b"matmul weight", &instance.weight);
    if let Some(b) = &instance.bias {
        t.append_serializable(b"matmul bias", b);
    }
    t.append_serializable(b"matmul output claim", &instance.output);
}

/// The final evaluations, absorbed so later challenges depend on them.
pub(super) fn absorb_evals(t: &mut Transcript, proof_evals: [Fr; 2]) {
    t.append_scalars(b"matmul final evaluations", &proof_evals);
}

/// The claims the block ends in, with transposes applied by swapping sub-points.
pub(super) fn emitted_claims(
    spec: &MatmulSpec,
    instance: &MatmulInstance,
    (r_rows, r_cols): (&[Fr], &[Fr]),
    r_k: &[Fr],
    proof: &MatmulProof,
) -> BlockClaims {
    let input_point = if spec.trans_input { join(&[r_k, r_rows]) } else { join(&[r_rows, r_k]) };
    let weight_point = if spec.trans_weight { join(&[r_cols, r_k]) } else { join(&[r_k, r_cols]) };
    let mut committed =
        vec![Claim { commitment: instance.weight, point: weight_point, value: proof.weight_eval }];
    if let (Some(c), Some(v)) = (instance.bias, proof.bias_eval) {
        committed.push(Claim { commitment: c, point: r_cols.to_vec(), value: v });
    }
    let tensors =
        vec![TensorClaim { tensor: instance.input, point: input_point, value: proof.input_eval }];
    BlockClaims { committed, tensors }
}

/// `v − β·(Σ_{i<M} eq(r_rows, i))·b̃(r_cols)`: the sum the sumcheck proves.
pub(super) fn sumcheck_claim(
    spec: &MatmulSpec,
    value: Fr,
    r_rows: &[Fr],
    bias_eval: Option<Fr>,
) -> Fr {
    match bias_eval {
        Some(b) if spec.bias => {
            value - fr_from_i64(spec.beta) * super::index::box_indicator(r_rows, &spec.rows) * b
        }
        _ => value,
    }
}
