//! Dense row-major tensors with a static shape, generic over the element type.
//!
//! The float interpreter uses `Tensor<f64>`, the quantized interpreter `Tensor<i64>`; layout and
//! linear-algebra kernels in [`crate::kernels`] are written once for both.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Unchecked serialized form of a [`Tensor`].
#[derive(Deserialize)]
struct TensorParts<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T> TryFrom<TensorParts<T>> for Tensor<T> {
    type Error = ShapeMismatch;

    fn try_from(p: TensorParts<T>) -> Result<Self, ShapeMismatch> {
        Tensor::new(p.shape, p.data)
    }
}

/// A tensor's element count does not match its shape.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("shape {shape:?} needs {expected} elements, found {found}")]
pub struct ShapeMismatch {
    /// The requested shape.
    pub shape: Vec<usize>,
    /// Its element count.
    pub expected: usize,
    /// The number of elements supplied.
    pub found: usize,
}

/// A dense row-major tensor. Deserialization checks the element count against the shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TensorParts<T>", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Tensor<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T> Tensor<T> {
    /// A tensor of `shape` holding `data` in row-major order.
    pub fn new(shape: Vec<usize>, data: Vec<T>) -> Result<Self, ShapeMismatch> {
        let expected = numel(&shape);
        if expected != data.len() {
            return Err(ShapeMismatch { shape, expected, found: data.len() });
        }
        Ok(Self { shape, data })
    }

    /// A tensor from parts whose sizes the caller derived from the same shape (kernels).
    pub(crate) fn from_parts(shape: Vec<usize>, data: Vec<T>) -> Self {
        debug_assert_eq!(numel(&shape), data.len());
        Self { shape, data }
    }

    /// A rank-0 tensor.
    pub fn scalar(value: T) -> Self {
        Self { shape: Vec::new(), data: vec![value] }
    }

    /// The shape (one entry per axis).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// Mutable elements in row-major order.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The elements, consuming the tensor.
    pub fn into_data(self) -> Vec<T> {
        self.data
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor has no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The same elements under another shape with the same element count.
    pub fn reshaped(self, shape: Vec<usize>) -> Result<Self, ShapeMismatch> {
        Self::new(shape, self.data)
    }

    /// Applies `f` to every element.
    pub fn map<U>(&self, f: impl FnMut(&T) -> U) -> Tensor<U> {
        Tensor { shape: self.shape.clone(), data: self.data.iter().map(f).collect() }
    }
}

/// Number of elements of a shape (1 for a scalar).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().fold(1usize, |a, &d| a.saturating_mul(d))
}

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut out = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        out[i] = out[i + 1] * shape[i + 1];
    }
    out
}

/// Numpy-style broadcast of two shapes, or `None` when they are incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out.push(match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_element_count() {
        let err = Tensor::new(vec![2, 3], vec![0.0; 5]).unwrap_err();
        assert_eq!(err, ShapeMismatch { shape: vec![2, 3], expected: 6, found: 5 });
        assert_eq!(Tensor::scalar(3i64).shape(), &[] as &[usize]);
    }

    #[test]
    fn strides_and_broadcast() {
        assert_eq!(strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(broadcast_shapes(&[2, 1, 4], &[3, 1]), Some(vec![2, 3, 4]));
        assert_eq!(broadcast_shapes(&[2, 3], &[4]), None);
    }
}
