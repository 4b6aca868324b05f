//! Tensor kernels written once for the float (`f64`) and the integer (`i64`) interpreters.
//!
//! Layout kernels only move elements; linear kernels (matmul, conv, sums) only add and multiply,
//! so on `i64` they are exact integer arithmetic — the semantics the matmul and elementwise blocks
//! will prove.

pub mod layout;
pub mod linalg;
pub mod pool;

use std::fmt::Debug;

/// Element types the kernels operate on.
///
/// Kernels add and multiply only through [`Scalar::add`] and [`Scalar::mul`]: on `i64` these
/// saturate instead of wrapping or panicking, so an overflow shows up as `i64::MIN`/`i64::MAX`,
/// which the integer interpreter reports as an error.
pub trait Scalar: Copy + Default + Debug + PartialOrd {
    /// Sum.
    fn add(self, other: Self) -> Self;
    /// Product.
    fn mul(self, other: Self) -> Self;
}

impl Scalar for f64 {
    fn add(self, other: Self) -> Self {
        self + other
    }
    fn mul(self, other: Self) -> Self {
        self * other
    }
}

impl Scalar for i64 {
    fn add(self, other: Self) -> Self {
        self.saturating_add(other)
    }
    fn mul(self, other: Self) -> Self {
        self.saturating_mul(other)
    }
}

/// Multi-index iteration helper: advances `idx` in row-major order within `shape`; returns false
/// after the last index.
pub fn next_index(idx: &mut [usize], shape: &[usize]) -> bool {
    for i in (0..idx.len()).rev() {
        idx[i] += 1;
        if idx[i] < shape[i] {
            return true;
        }
        idx[i] = 0;
    }
    false
}
