//! What the prover knows: every node's value and every committed tensor, and the integer helpers
//! the steps derive them with.

use std::collections::BTreeMap;

use tessera_blocks::block::Block;
use tessera_blocks::elementwise::{Broadcast, BroadcastSpec};
use tessera_blocks::permutation::{StructuredMapSpec, WindowAxis};
use tessera_blocks::tensor::IntTensor;

use super::steps::StepError;
use super::{Lin, Ref};

/// Everything the prover knows.
#[derive(Clone, Debug, Default)]
pub struct Witness {
    /// Per node.
    pub values: Vec<IntTensor>,
    /// Committed tensors by reference.
    pub committed: BTreeMap<Ref, IntTensor>,
    /// Per range check, its limbs (least significant first).
    pub limbs: Vec<Vec<IntTensor>>,
    /// How often each range-table row is looked up.
    pub multiplicities: Vec<u64>,
    /// Per [`super::FunctionLookup`] of the plan, how often each row of its padded table is
    /// looked up by all its nodes.
    pub function_multiplicities: Vec<Vec<u64>>,
}

/// `Σ c_i·t_i + constant` entrywise (`constant` only when `with_constant`).
pub fn eval_lin(
    committed: &BTreeMap<Ref, IntTensor>,
    lin: &Lin,
    shape: &[usize],
    with_constant: bool,
) -> Result<IntTensor, StepError> {
    let len: usize = shape.iter().product();
    let k = if with_constant { lin.constant } else { 0 };
    let mut out = vec![k; len];
    for (r, c) in &lin.terms {
        let t = committed.get(r).ok_or(StepError::Missing { node: r.node, slot: r.slot })?;
        if t.data().len() != len {
            return Err(StepError::Malformed {
                node: format!("#{}", r.node),
                op: "linear form",
                what: "a linear form mixes shapes",
            });
        }
        for (o, x) in out.iter_mut().zip(t.data()) {
            *o += c * x;
        }
    }
    Ok(IntTensor::new(shape.to_vec(), out)?)
}

/// The view of tap `k` of a `kernel` window with `stride` over `[B, C, H, W]`.
pub fn pool_tap(
    in_shape: &[usize],
    out_shape: &[usize],
    kernel: [usize; 2],
    stride: [usize; 2],
    pads: [usize; 2],
    dilation: [usize; 2],
    k: usize,
) -> StructuredMapSpec {
    let (ky, kx) = (k / kernel[1], k % kernel[1]);
    let axis = |axis: usize, offset: usize| WindowAxis {
        axis,
        offset,
        stride: stride[axis - 2],
        dilation: dilation[axis - 2],
        pad_before: pads[axis - 2],
        out_len: out_shape.get(axis).copied().unwrap_or(0),
    };
    StructuredMapSpec::window(in_shape, &[axis(2, ky), axis(3, kx)])
}

/// `x` broadcast (numpy rules, aligned right) to `shape`.
pub fn broadcast_to(x: &IntTensor, shape: &[usize]) -> Result<IntTensor, StepError> {
    let spec =
        BroadcastSpec { in_shape: ranked(x.shape(), shape.len()), out_shape: shape.to_vec() };
    let x = IntTensor::new(spec.in_shape.clone(), x.data().to_vec())?;
    Ok(Broadcast::eval(&spec, &[x])?.remove(0))
}

/// `shape` left-padded with ones to `rank` axes.
pub fn ranked(shape: &[usize], rank: usize) -> Vec<usize> {
    let mut s = vec![1; rank.saturating_sub(shape.len())];
    s.extend_from_slice(shape);
    s
}
