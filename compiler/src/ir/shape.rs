//! Static shape inference for every [`Op`]. Called by [`crate::ir::Graph::add_node`], so every
//! node of a graph has known output shapes; errors are turned into [`GraphError`]s naming the node.

use crate::error::GraphError;
use crate::ir::op::{Op, Window};
use crate::tensor::{broadcast_shapes, numel};

type Shape = Vec<usize>;

/// Output shapes of `op` applied to inputs of shapes `ins` (graph inputs have declared shapes and
/// are not inferred).
pub fn infer(node: &str, op: &Op, ins: &[&[usize]]) -> Result<Vec<Shape>, GraphError> {
    let fail = |reason: String| GraphError::Shape { node: node.to_string(), op: op.name(), reason };
    let arity = |lo: usize, hi: usize| -> Result<(), GraphError> {
        if ins.len() < lo || ins.len() > hi {
            let expected = if lo == hi { lo.to_string() } else { format!("{lo} to {hi}") };
            return Err(GraphError::Arity {
                node: node.to_string(),
                op: op.name(),
                expected,
                found: ins.len(),
            });
        }
        Ok(())
    };
    let one = |s: Shape| Ok(vec![s]);
    match op {
        Op::Input { .. } => Err(fail("input shapes are declared, not inferred".into())),
        Op::Constant { value, .. } => {
            arity(0, 0)?;
            one(value.shape().to_vec())
        }
        Op::Gemm { trans_a, trans_b, .. } => {
            arity(2, 3)?;
            let (a, b) = (ins[0], ins[1]);
            if a.len() != 2 || b.len() != 2 {
                return Err(fail(format!("operands must be 2-d, found {a:?} and {b:?}")));
            }
            let (m, k) = if *trans_a { (a[1], a[0]) } else { (a[0], a[1]) };
            let (k2, n) = if *trans_b { (b[1], b[0]) } else { (b[0], b[1]) };
            if k != k2 {
                return Err(fail(format!("inner dimensions differ: {k} vs {k2}")));
            }
            if let Some(c) = ins.get(2)
                && broadcast_shapes(&[m, n], c) != Some(vec![m, n])
            {
                return Err(fail(format!("bias {c:?} does not broadcast to [{m}, {n}]")));
            }
            one(vec![m, n])
        }
        Op::MatMul => {
            arity(2, 2)?;
            matmul_shape(ins[0], ins[1]).map_err(fail).map(|s| vec![s])
        }
        Op::Conv { window, group } => {
            arity(2, 3)?;
            let (x, w) = (ins[0], ins[1]);
            let sp = window.kernel.len();
            if x.len() != sp + 2 || w.len() != sp + 2 {
                return Err(fail(format!(
                    "input {x:?} and weight {w:?} must have rank {}",
                    sp + 2
                )));
            }
            if *group == 0 || x[1] != w[1] * group || w[0] % group != 0 {
                return Err(fail(format!("channels: input {x:?}, weight {w:?}, group {group}")));
            }
            if w[2..] != window.kernel[..] {
                return Err(fail(format!(
                    "weight {w:?} does not match kernel {:?}",
                    window.kernel
                )));
            }
            if let Some(b) = ins.get(2)
                && b[..] != [w[0]]
            {
                return Err(fail(format!("bias {b:?} must be [{}]", w[0])));
            }
            let mut out = vec![x[0], w[0]];
            out.extend(window_out(window, &x[2..]).map_err(fail)?);
            one(out)
        }
        Op::Pad { pads, mode } => {
            arity(1, 1)?;
            if pads.len() != ins[0].len() {
                return Err(fail(format!("{} pads for rank {}", pads.len(), ins[0].len())));
            }
            let reflect = matches!(mode, crate::ir::PadMode::Reflect);
            if pads.iter().zip(ins[0]).any(|((b, e), &n)| reflect && (*b >= n || *e >= n)) {
                return Err(fail("reflect pads must be below the axis extent".into()));
            }
            one(pads.iter().zip(ins[0]).map(|((b, e), n)| b + n + e).collect())
        }
        Op::Composed(c) => {
            arity(c.arity(), c.arity())?;
            let mut out = ins[0].to_vec();
            for s in &ins[1..] {
                out = broadcast_shapes(&out, s).ok_or_else(|| {
                    fail(format!("shapes {:?} and {s:?} do not broadcast", ins[0]))
                })?;
            }
            one(out)
        }
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::IntDiv | Op::Compare(_) => {
            arity(2, 2)?;
            broadcast_shapes(ins[0], ins[1]).map(|s| vec![s]).ok_or_else(|| {
                fail(format!("shapes {:?} and {:?} do not broadcast", ins[0], ins[1]))
            })
        }
        Op::Relu
        | Op::Powi(_)
        | Op::Function(_)
        | Op::Sqrt
        | Op::Identity
        | Op::Cast { .. }
        | Op::Clip { .. } => {
            arity(1, 1)?;
            one(ins[0].to_vec())
        }
        Op::QuantizeLinear(q) | Op::DequantizeLinear(q) => {
            arity(1, 1)?;
            if q.scale.len() != 1 && ins[0].get(q.axis) != Some(&q.scale.len()) {
                return Err(fail(format!(
                    "{} scales for axis {} of {:?}",
                    q.scale.len(),
                    q.axis,
                    ins[0]
                )));
            }
            one(ins[0].to_vec())
        }
        Op::Softmax { axis } => {
            arity(1, 1)?;
            check_axis(*axis, ins[0]).map_err(fail)?;
            one(ins[0].to_vec())
        }
        Op::LayerNorm { axis, .. } => {
            arity(2, 3)?;
            check_axis(*axis, ins[0]).map_err(fail)?;
            let norm = &ins[0][*axis..];
            for p in &ins[1..] {
                if broadcast_shapes(norm, p).as_deref() != Some(norm) {
                    return Err(fail(format!("parameter {p:?} does not broadcast to {norm:?}")));
                }
            }
            if let Op::LayerNorm { stats: true, .. } = op {
                let mut reduced = ins[0].to_vec();
                reduced[*axis..].iter_mut().for_each(|d| *d = 1);
                return Ok(vec![ins[0].to_vec(), reduced.clone(), reduced]);
            }
            one(ins[0].to_vec())
        }
        Op::ArgMax { axis, keepdims, .. } => {
            arity(1, 1)?;
            check_axis(*axis, ins[0]).map_err(fail)?;
            let mut out = ins[0].to_vec();
            if *keepdims {
                out[*axis] = 1;
            } else {
                out.remove(*axis);
            }
            one(out)
        }
        Op::ReduceMean { axes, keepdims }
        | Op::ReduceSum { axes, keepdims }
        | Op::ReduceMax { axes, keepdims, .. } => {
            arity(1, 1)?;
            let x = ins[0];
            for &a in axes {
                check_axis(a, x).map_err(fail)?;
            }
            let out = x
                .iter()
                .enumerate()
                .filter_map(|(i, &d)| match (axes.contains(&i), keepdims) {
                    (true, true) => Some(1),
                    (true, false) => None,
                    (false, _) => Some(d),
                })
                .collect();
            one(out)
        }
        Op::MaxPool { window } | Op::AveragePool { window, .. } => {
            arity(1, 1)?;
            let x = ins[0];
            if x.len() != window.kernel.len() + 2 {
                return Err(fail(format!(
                    "input {x:?} must have rank {}",
                    window.kernel.len() + 2
                )));
            }
            let mut out = x[..2].to_vec();
            out.extend(window_out(window, &x[2..]).map_err(fail)?);
            one(out)
        }
        Op::GlobalAveragePool => {
            arity(1, 1)?;
            let x = ins[0];
            if x.len() < 3 {
                return Err(fail(format!("input {x:?} must have rank at least 3")));
            }
            let mut out = x[..2].to_vec();
            out.resize(x.len(), 1);
            one(out)
        }
        Op::BatchNorm { .. } => {
            arity(5, 5)?;
            let x = ins[0];
            if x.len() < 2 {
                return Err(fail(format!("input {x:?} must have rank at least 2")));
            }
            for p in &ins[1..] {
                if p[..] != [x[1]] {
                    return Err(fail(format!("parameter {p:?} must be [{}]", x[1])));
                }
            }
            one(x.to_vec())
        }
        Op::Reshape { shape } => {
            arity(1, 1)?;
            if numel(shape) != numel(ins[0]) {
                return Err(fail(format!("cannot reshape {:?} to {shape:?}", ins[0])));
            }
            one(shape.clone())
        }
        Op::Flatten { axis } => {
            arity(1, 1)?;
            let x = ins[0];
            if *axis > x.len() {
                return Err(fail(format!("axis {axis} out of range for {x:?}")));
            }
            one(vec![numel(&x[..*axis]), numel(&x[*axis..])])
        }
        Op::Transpose { perm } => {
            arity(1, 1)?;
            let x = ins[0];
            let mut seen = vec![false; x.len()];
            if perm.len() != x.len()
                || perm.iter().any(|&p| p >= x.len() || std::mem::replace(&mut seen[p], true))
            {
                return Err(fail(format!(
                    "perm {perm:?} is not a permutation of the axes of {x:?}"
                )));
            }
            one(perm.iter().map(|&p| x[p]).collect())
        }
        Op::Squeeze { axes } => {
            arity(1, 1)?;
            let x = ins[0];
            for &a in axes {
                if x.get(a) != Some(&1) {
                    return Err(fail(format!("axis {a} of {x:?} is not of extent 1")));
                }
            }
            one(x.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect())
        }
        Op::Unsqueeze { axes } => {
            arity(1, 1)?;
            let rank = ins[0].len() + axes.len();
            let mut rest = ins[0].iter();
            let mut out = Vec::with_capacity(rank);
            for i in 0..rank {
                if axes.contains(&i) {
                    out.push(1);
                } else {
                    out.push(
                        *rest.next().ok_or_else(|| fail(format!("axes {axes:?} out of range")))?,
                    );
                }
            }
            one(out)
        }
        Op::Concat { axis } => {
            if ins.is_empty() {
                return Err(fail("needs at least one input".into()));
            }
            let first = ins[0];
            check_axis(*axis, first).map_err(fail)?;
            let mut out = first.to_vec();
            out[*axis] = 0;
            for s in ins {
                let same = s.len() == first.len()
                    && s.iter().zip(first).enumerate().all(|(i, (a, b))| i == *axis || a == b);
                if !same {
                    return Err(fail(format!("shapes {first:?} and {s:?} differ off axis {axis}")));
                }
                out[*axis] += s[*axis];
            }
            one(out)
        }
        Op::Slice { axes } => {
            arity(1, 1)?;
            let mut out = ins[0].to_vec();
            for s in axes {
                check_axis(s.axis, ins[0]).map_err(fail)?;
                out[s.axis] = slice_len(s.start, s.end, s.step);
            }
            one(out)
        }
        Op::Split { axis, sizes } => {
            arity(1, 1)?;
            check_axis(*axis, ins[0]).map_err(fail)?;
            if sizes.iter().sum::<usize>() != ins[0][*axis] {
                return Err(fail(format!(
                    "sizes {sizes:?} do not sum to axis {axis} of {:?}",
                    ins[0]
                )));
            }
            Ok(sizes
                .iter()
                .map(|&n| {
                    let mut s = ins[0].to_vec();
                    s[*axis] = n;
                    s
                })
                .collect())
        }
        Op::Gather { axis, indices } => {
            arity(1, 1)?;
            let x = ins[0];
            check_axis(*axis, x).map_err(fail)?;
            if indices.data().iter().any(|&i| i >= x[*axis]) {
                return Err(fail(format!("index out of range for axis {axis} of {x:?}")));
            }
            let mut out = x[..*axis].to_vec();
            out.extend_from_slice(indices.shape());
            out.extend_from_slice(&x[*axis + 1..]);
            one(out)
        }
    }
}

/// Number of elements a slice `start..end` by `step` selects (inputs already clamped).
pub fn slice_len(start: i64, end: i64, step: i64) -> usize {
    let n =
        if step > 0 { (end - start + step - 1) / step } else { (start - end - step - 1) / -step };
    usize::try_from(n).unwrap_or(0)
}

fn check_axis(axis: usize, shape: &[usize]) -> Result<(), String> {
    if axis < shape.len() { Ok(()) } else { Err(format!("axis {axis} out of range for {shape:?}")) }
}

/// Spatial output extents of a sliding window (floor mode).
pub(crate) fn window_out(w: &Window, spatial: &[usize]) -> Result<Vec<usize>, String> {
    let n = w.kernel.len();
    if spatial.len() != n
        || w.strides.len() != n
        || w.pads_begin.len() != n
        || w.pads_end.len() != n
        || w.dilations.len() != n
    {
        return Err(format!("window parameters do not match {n} spatial axes"));
    }
    (0..n)
        .map(|i| {
            let padded = spatial[i].saturating_add(w.pads_begin[i]).saturating_add(w.pads_end[i]);
            let span = w.dilations[i].saturating_mul(w.kernel[i].max(1) - 1).saturating_add(1);
            if w.strides[i] == 0 || padded < span {
                return Err(format!(
                    "window {:?} does not fit spatial extents {spatial:?}",
                    w.kernel
                ));
            }
            let mut out = if w.ceil_mode {
                (padded - span).div_ceil(w.strides[i])
            } else {
                (padded - span) / w.strides[i]
            } + 1;
            // With ceil_mode the last window must still start inside the input or its front padding.
            if w.ceil_mode && (out - 1) * w.strides[i] >= spatial[i] + w.pads_begin[i] {
                out -= 1;
            }
            Ok(out)
        })
        .collect()
}

fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Shape, String> {
    if a.is_empty() || b.is_empty() {
        return Err("operands must have rank at least 1".into());
    }
    let a2: Vec<usize> = if a.len() == 1 { vec![1, a[0]] } else { a.to_vec() };
    let b2: Vec<usize> = if b.len() == 1 { vec![b[0], 1] } else { b.to_vec() };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(format!("inner dimensions differ: {a:?} x {b:?}"));
    }
    let batch = broadcast_shapes(&a2[..a2.len() - 2], &b2[..b2.len() - 2])
        .ok_or_else(|| format!("batch axes of {a:?} and {b:?} do not broadcast"))?;
    let mut out = batch;
    if a.len() > 1 {
        out.push(m);
    }
    if b.len() > 1 {
        out.push(n);
    }
    Ok(out)
}
