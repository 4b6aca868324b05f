//! Tensor kernels written once for the float (`f64`) and the integer (`i64`) interpreters.
//!
//! Layout kernels only move elements; linear kernels (matmul, conv, sums) only add and multiply,
//! so on `i64` they are exact integer arithmetic — the semantics the matmul and elementwise blocks
//! will prove.

pub mod layout;
pub mod linalg;
pub mod pool;

use std::fmt::Debug;
use std::ops::{Add, Mul, Sub};

/// Element types the kernels operate on.
pub trait Scalar:
    Copy + Default + Debug + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
}

impl Scalar for f64 {}
impl Scalar for i64 {}

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
