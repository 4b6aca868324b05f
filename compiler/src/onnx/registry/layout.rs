//! Importers of layout and reduction ops, including the opset differences where attributes
//! became inputs (Reshape, Split, Squeeze, Unsqueeze, Reduce*, Slice).

use crate::error::ImportError;
use crate::ir::{Op, PadMode, SliceAxis};
use crate::onnx::context::{Imported, NodeCtx};
use crate::onnx::registry::node;
use crate::tensor::{Tensor, numel};

pub fn reshape(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let input = c.shape(0)?;
    let target = c.const_ints(1)?.ok_or_else(|| c.err("missing shape input"))?;
    let allow_zero = c.int("allowzero", 0)? != 0;
    let mut shape = Vec::with_capacity(target.len());
    let mut infer_at = None;
    for (i, &d) in target.iter().enumerate() {
        match d {
            -1 if infer_at.is_none() => {
                infer_at = Some(i);
                shape.push(1);
            }
            0 if !allow_zero => {
                shape.push(*input.get(i).ok_or_else(|| c.err("0 refers to a missing axis"))?)
            }
            d if d >= 0 => shape.push(d as usize),
            _ => return Err(c.err(format!("invalid target shape {target:?}"))),
        }
    }
    // Batch override: a target that spells out the exported batch in front keeps the batch axis.
    if let Some((exported, compiled)) = c.batch()
        && exported != compiled
        && infer_at != Some(0)
        && shape.first() == Some(&exported)
        && input.first() == Some(&compiled)
    {
        shape[0] = compiled;
    }
    let total = numel(&input);
    if let Some(i) = infer_at {
        let known = numel(&shape);
        if known == 0 || !total.is_multiple_of(known) {
            return Err(c.err(format!("cannot reshape {input:?} to {target:?}")));
        }
        shape[i] = total / known;
    }
    node(Op::Reshape { shape }, vec![c.required(0)?])
}

pub fn flatten(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let rank = c.rank(0)?;
    let a = c.int("axis", 1)?;
    let axis = if a == rank as i64 { rank } else { c.axis(a, rank)? };
    node(Op::Flatten { axis }, vec![c.required(0)?])
}

pub fn transpose(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let rank = c.rank(0)?;
    let perm = match c.ints("perm")? {
        Some(p) => p.iter().map(|&a| c.axis(a, rank)).collect::<Result<Vec<_>, _>>()?,
        None => (0..rank).rev().collect(),
    };
    node(Op::Transpose { perm }, vec![c.required(0)?])
}

/// Axes from the attribute (older opsets) or the second input (newer ones).
fn axes_param(c: &NodeCtx<'_>, input_since: i64) -> Result<Option<Vec<i64>>, ImportError> {
    if c.opset() >= input_since { c.const_ints(1) } else { c.ints("axes") }
}

pub fn squeeze(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let shape = c.shape(0)?;
    let axes = match axes_param(c, 13)? {
        Some(a) => c.axes(&a, shape.len())?,
        None => (0..shape.len()).filter(|&i| shape[i] == 1).collect(),
    };
    node(Op::Squeeze { axes }, vec![c.required(0)?])
}

pub fn unsqueeze(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let a = axes_param(c, 13)?.ok_or_else(|| c.err("missing axes"))?;
    let axes = c.axes(&a, c.rank(0)? + a.len())?;
    node(Op::Unsqueeze { axes }, vec![c.required(0)?])
}

pub fn reduce(c: &NodeCtx<'_>, mean: bool) -> Result<Imported, ImportError> {
    let rank = c.rank(0)?;
    let since = if mean { 18 } else { 13 };
    let keepdims = c.int("keepdims", 1)? != 0;
    let axes = match axes_param(c, since)? {
        Some(a) if !a.is_empty() => c.axes(&a, rank)?,
        _ if c.int("noop_with_empty_axes", 0)? != 0 => {
            return node(Op::Identity, vec![c.required(0)?]);
        }
        _ => (0..rank).collect(),
    };
    let op =
        if mean { Op::ReduceMean { axes, keepdims } } else { Op::ReduceSum { axes, keepdims } };
    node(op, vec![c.required(0)?])
}

/// `ArgMax` (opset 1+; `select_last_index` from opset 12).
pub fn arg_max(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let rank = c.rank(0)?;
    let axis = c.axis(c.int("axis", 0)?, rank)?;
    let keepdims = c.int("keepdims", 1)? != 0;
    let last = c.int("select_last_index", 0)? != 0;
    node(Op::ArgMax { axis, keepdims, last }, vec![c.required(0)?])
}

/// `Pad`: constant, edge or reflect mode; pads (and the constant) as attributes before opset 11,
/// as inputs from 11, with an optional `axes` input from 18. Negative pads (crops) are refused.
pub fn pad(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let rank = c.rank(0)?;
    let (pads, value) = if c.opset() < 11 {
        let pads = c.ints("pads")?.ok_or_else(|| c.err("missing pads"))?;
        (pads, c.float("value", 0.0)?)
    } else {
        let pads = c.const_ints(1)?.ok_or_else(|| c.err("missing pads"))?;
        let value = match c.input_name(2).filter(|n| !n.is_empty()) {
            Some(_) => c.constant(2)?.and_then(|d| d.value.data().first().copied()).unwrap_or(0.0),
            None => 0.0,
        };
        (pads, value)
    };
    let axes: Vec<usize> = match c.input_name(3).filter(|n| !n.is_empty()) {
        Some(_) => {
            let a = c.const_ints(3)?.ok_or_else(|| c.err("missing axes"))?;
            c.axes(&a, rank)?
        }
        None => (0..rank).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(c.err(format!("{} pads for {} axes", pads.len(), axes.len())));
    }
    if pads.iter().any(|&p| p < 0) {
        return Err(c.err("negative pads (crops) are not supported"));
    }
    let mut per_axis = vec![(0usize, 0usize); rank];
    for (k, &a) in axes.iter().enumerate() {
        per_axis[a] = (pads[k] as usize, pads[k + axes.len()] as usize);
    }
    let mode = match c.string("mode", "constant")?.as_str() {
        "constant" => PadMode::Constant(value),
        "edge" => PadMode::Edge,
        "reflect" => PadMode::Reflect,
        other => return Err(c.err(format!("mode {other:?} is not supported"))),
    };
    node(Op::Pad { pads: per_axis, mode }, vec![c.required(0)?])
}

/// `ReduceMax` / `ReduceMin` (axes an input from opset 18).
pub fn reduce_max(c: &NodeCtx<'_>, min: bool) -> Result<Imported, ImportError> {
    let rank = c.rank(0)?;
    let keepdims = c.int("keepdims", 1)? != 0;
    let axes = match axes_param(c, 18)? {
        Some(a) if !a.is_empty() => c.axes(&a, rank)?,
        _ if c.int("noop_with_empty_axes", 0)? != 0 => {
            return node(Op::Identity, vec![c.required(0)?]);
        }
        _ => (0..rank).collect(),
    };
    let mut axes = axes;
    axes.sort_unstable();
    axes.dedup();
    node(Op::ReduceMax { axes, keepdims, min }, vec![c.required(0)?])
}

pub fn concat(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let rank = c.rank(0)?;
    let axis =
        c.axis(c.int("axis", i64::MIN)?, rank).map_err(|_| c.err("missing or invalid axis"))?;
    let inputs = (0..c.num_inputs()).filter_map(|i| c.input_name(i).map(str::to_string)).collect();
    node(Op::Concat { axis }, inputs)
}

pub fn gather(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let shape = c.shape(0)?;
    let axis = c.axis(c.int("axis", 0)?, shape.len())?;
    let d = c.constant(1)?.ok_or_else(|| c.err("missing indices"))?;
    let n = shape[axis] as i64;
    let mut idx = Vec::with_capacity(d.value.len());
    for &v in d.value.data() {
        let i = v as i64;
        let w = if i < 0 { i + n } else { i };
        if !(0..n).contains(&w) {
            return Err(c.err(format!("index {i} out of range for axis extent {n}")));
        }
        idx.push(w as usize);
    }
    let indices = Tensor::new(d.value.shape().to_vec(), idx).map_err(|e| c.err(e.to_string()))?;
    node(Op::Gather { axis, indices }, vec![c.required(0)?])
}

pub fn split(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let shape = c.shape(0)?;
    let axis = c.axis(c.int("axis", 0)?, shape.len())?;
    let extent = shape[axis];
    let given = if c.opset() >= 13 { c.const_ints(1)? } else { c.ints("split")? };
    let sizes: Vec<usize> = match given {
        Some(s) if !s.is_empty() => s
            .iter()
            .map(|&v| usize::try_from(v).map_err(|_| c.err("negative split size")))
            .collect::<Result<_, _>>()?,
        _ => {
            let parts = if c.opset() >= 18 {
                c.int("num_outputs", c.num_outputs() as i64)?
            } else {
                c.num_outputs() as i64
            };
            let parts = usize::try_from(parts)
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| c.err("no outputs"))?;
            // Equal parts; opset 18 lets the last one be smaller.
            let chunk = extent.div_ceil(parts);
            (0..parts).map(|i| chunk.min(extent.saturating_sub(i * chunk))).collect()
        }
    };
    node(Op::Split { axis, sizes }, vec![c.required(0)?])
}

pub fn slice(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let shape = c.shape(0)?;
    // Before opset 10 starts, ends and axes are attributes, and there are no steps.
    let (starts, ends, axes, steps) = if c.opset() < 10 {
        let starts = c.ints("starts")?.ok_or_else(|| c.err("missing starts"))?;
        let ends = c.ints("ends")?.ok_or_else(|| c.err("missing ends"))?;
        (starts, ends, c.ints("axes")?, None)
    } else {
        let starts = c.const_ints(1)?.ok_or_else(|| c.err("missing starts"))?;
        let ends = c.const_ints(2)?.ok_or_else(|| c.err("missing ends"))?;
        (starts, ends, c.const_ints(3)?, c.const_ints(4)?)
    };
    let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(c.err("starts, ends, axes and steps differ in length"));
    }
    let mut out = Vec::with_capacity(starts.len());
    for i in 0..starts.len() {
        let axis = c.axis(axes[i], shape.len())?;
        let n = shape[axis] as i64;
        let step = steps[i];
        if step == 0 {
            return Err(c.err("step 0"));
        }
        let norm = |v: i64| if v < 0 { v.saturating_add(n) } else { v };
        let (start, end) = if step > 0 {
            (norm(starts[i]).clamp(0, n), norm(ends[i]).clamp(0, n))
        } else {
            (norm(starts[i]).clamp(0, n - 1), norm(ends[i]).clamp(-1, n - 1))
        };
        out.push(SliceAxis { axis, start, end, step });
    }
    node(Op::Slice { axes: out }, vec![c.required(0)?])
}
