//! The prover's form of a fixed weight matrix: compressed sparse rows (CSR) over the shared axis.
//!
//! Binding the output columns, `B(k) = Σ_j W[k, j]·eq(r_cols, j)`, then touches only the non-zero
//! entries (SpaGKR's observation, ePrint 2024/1018): a 90 %-zero `W` costs a tenth of a dense one,
//! and a dense `W` pays only the index array. Entries `±1` cost an addition, not a multiplication,
//! so ternary weights are cheaper still.

use ark_ff::Zero;
use rayon::prelude::*;

use super::index::SmallInts;
use crate::curve::Fr;
use crate::error::Error;
use crate::mle::eq_table;
use crate::tensor::IntTensor;

/// `W` as a logical `[inner, cols]` matrix (a `transB` weight is transposed once, at setup), keeping
/// only non-zero entries, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparseWeights {
    inner: usize,
    cols: usize,
    row_start: Vec<usize>,
    col: Vec<u32>,
    val: Vec<i64>,
}

impl SparseWeights {
    /// From the stored tensor: `[inner, cols]`, or `[cols, inner]` when `transposed` (Gemm's `transB`).
    pub fn from_tensor(w: &IntTensor, transposed: bool) -> Result<Self, Error> {
        let &[a, b] = w.shape() else {
            return Err(Error::Invalid {
                what: "matmul weight",
                reason: format!("expected a matrix, got shape {:?}", w.shape()),
            });
        };
        if b > u32::MAX as usize || a > u32::MAX as usize {
            return Err(Error::Invalid { what: "matmul weight", reason: "axis too long".into() });
        }
        let (inner, cols) = if transposed { (b, a) } else { (a, b) };
        let at =
            |k: usize, j: usize| if transposed { w.data()[j * b + k] } else { w.data()[k * b + j] };
        let mut row_start = Vec::with_capacity(inner + 1);
        let (mut col, mut val) = (Vec::new(), Vec::new());
        row_start.push(0);
        for k in 0..inner {
            for j in 0..cols {
                let x = at(k, j);
                if x != 0 {
                    col.push(j as u32);
                    val.push(x);
                }
            }
            row_start.push(col.len());
        }
        Ok(Self { inner, cols, row_start, col, val })
    }

    /// Length of the shared axis `K`.
    pub fn inner(&self) -> usize {
        self.inner
    }

    /// Number of output columns `N`.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of stored (non-zero) entries.
    pub fn nnz(&self) -> usize {
        self.val.len()
    }

    /// Row `k`'s non-zero entries as `(column, value)`.
    pub fn row(&self, k: usize) -> impl Iterator<Item = (usize, i64)> + '_ {
        let range = self.row_start[k]..self.row_start[k + 1];
        self.col[range.clone()].iter().map(|j| *j as usize).zip(self.val[range].iter().copied())
    }

    /// `W̃(k, r_cols)` for every `k < inner` (no padding): the weight side of the prover alone.
    pub fn bind(&self, r_cols: &[Fr]) -> Result<Vec<Fr>, Error> {
        let eq = eq_table(r_cols)?;
        if eq.len() < self.cols {
            return Err(Error::Length {
                what: "matmul column point",
                expected: self.cols,
                got: eq.len(),
            });
        }
        Ok(self.bind_cols(&eq, self.inner, &SmallInts::new()))
    }

    /// `B(k) = Σ_j W[k, j]·eq_cols[j]` for `k < inner`, zero up to `padded_len`.
    /// `eq_cols` must have at least `cols` entries (callers build it from `r_cols`).
    pub(super) fn bind_cols(
        &self,
        eq_cols: &[Fr],
        padded_len: usize,
        small: &SmallInts,
    ) -> Vec<Fr> {
        let row = |k: usize| {
            let mut acc = Fr::zero();
            for (j, w) in self.row(k) {
                small.mul_add(&mut acc, eq_cols[j], w);
            }
            acc
        };
        let mut out: Vec<Fr> = if self.nnz() >= 1 << 12 {
            (0..self.inner).into_par_iter().map(row).collect()
        } else {
            (0..self.inner).map(row).collect()
        };
        out.resize(padded_len.max(self.inner), Fr::zero());
        out
    }
}
