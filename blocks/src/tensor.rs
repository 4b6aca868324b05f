//! Integer tensors and their multilinear encoding.
//!
//! A tensor of shape `[n_1, …, n_d]` (row-major) becomes a multilinear polynomial by padding
//! **every axis** to a power of two with zeros and concatenating the axes' index bits,
//! outermost axis most significant (DESIGN §3). Axis `a` gets `⌈log2 n_a⌉` variables, so a point is
//! the concatenation of per-axis points and layout maps act on whole axes. Values are embedded in
//! `Fr` as `x mod p` ([`crate::curve::fr_from_i64`]).

use crate::curve::{Fr, fr_from_i64};
use crate::error::Error;
use crate::mle::DenseMle;

/// A dense row-major tensor of signed integers: the quantized values the blocks' `eval` computes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntTensor {
    shape: Vec<usize>,
    data: Vec<i64>,
}

impl IntTensor {
    /// Checks that `data` has `Π shape` entries.
    pub fn new(shape: Vec<usize>, data: Vec<i64>) -> Result<Self, Error> {
        let expected =
            shape.iter().try_fold(1usize, |a, d| a.checked_mul(*d)).ok_or(Error::Invalid {
                what: "tensor shape",
                reason: format!("{shape:?} overflows"),
            })?;
        if data.len() != expected {
            return Err(Error::Length { what: "tensor data", expected, got: data.len() });
        }
        Ok(Self { shape, data })
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn data(&self) -> &[i64] {
        &self.data
    }

    /// Variables per axis: `⌈log2 n_a⌉` (0 for axes of length 1 or 0).
    pub fn axis_vars(&self) -> Vec<usize> {
        axis_vars(&self.shape)
    }

    /// The padded multilinear encoding of the module doc.
    pub fn to_mle(&self) -> DenseMle {
        let vars = self.axis_vars();
        let padded: Vec<usize> = vars.iter().map(|v| 1usize << v).collect();
        let total: usize = padded.iter().product();
        let mut evals = vec![Fr::from(0u64); total];
        for (i, x) in self.data.iter().enumerate() {
            evals[padded_index(&self.shape, &padded, i)] = fr_from_i64(*x);
        }
        // `total` is a product of powers of two, so no padding happens here.
        DenseMle::zero_padded(evals)
    }
}

/// `⌈log2 n⌉` per axis.
pub fn axis_vars(shape: &[usize]) -> Vec<usize> {
    shape.iter().map(|n| n.max(&1).next_power_of_two().trailing_zeros() as usize).collect()
}

/// Position of row-major entry `i` of `shape` in its padded multilinear table.
pub fn padded_position(shape: &[usize], i: usize) -> usize {
    let padded: Vec<usize> = axis_vars(shape).iter().map(|v| 1usize << v).collect();
    padded_index(shape, &padded, i)
}

/// [`padded_position`] of every row-major entry of `shape`, in order.
pub fn padded_positions(shape: &[usize]) -> Vec<usize> {
    let padded: Vec<usize> = axis_vars(shape).iter().map(|v| 1usize << v).collect();
    let n: usize = shape.iter().product();
    (0..n).map(|i| padded_index(shape, &padded, i)).collect()
}

/// Position of row-major entry `i` of `shape` inside the padded shape.
fn padded_index(shape: &[usize], padded: &[usize], mut i: usize) -> usize {
    let mut out = 0;
    let mut stride = 1;
    for (n, p) in shape.iter().zip(padded).rev() {
        out += (i % n) * stride;
        i /= n;
        stride *= p;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_padded_separately() {
        let t = IntTensor::new(vec![3, 5], (0..15).collect()).unwrap();
        assert_eq!(t.axis_vars(), vec![2, 3]);
        let mle = t.to_mle();
        assert_eq!(mle.num_vars(), 5);
        // Entry (2, 4) = 14 sits at padded index 2·8 + 4.
        assert_eq!(mle.evals()[20], Fr::from(14u64));
        // Row padding (row 3) and column padding (columns 5..8) are zero.
        assert!(mle.evals()[24..].iter().all(|x| *x == Fr::from(0u64)));
        assert!(mle.evals()[5..8].iter().all(|x| *x == Fr::from(0u64)));
        assert_eq!(IntTensor::new(vec![], vec![-7]).unwrap().to_mle().evals(), &[-Fr::from(7u64)]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(matches!(IntTensor::new(vec![2, 2], vec![1; 3]), Err(Error::Length { .. })));
        assert!(matches!(IntTensor::new(vec![usize::MAX, 3], vec![]), Err(Error::Invalid { .. })));
    }
}
