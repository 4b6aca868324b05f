//! Lowering of non-linear and normalising ops: function tables, softmax, layer and batch
//! normalisation, reductions and pooling.
//!
//! Rounding rules (all proven later as a quotient plus a range-checked remainder):
//! - tables hold `round(f(x / 2^s) · 2^s)` (half away from zero) for every integer `x` of the
//!   domain; inputs outside the domain are first saturated to it by a `Clamp`;
//! - divisions round half up: `floor((x + floor(d/2)) / d)`;
//! - square roots round down: `floor(sqrt(x))`.

use crate::error::QuantError;
use crate::functions::Domain;
use crate::ir::{Node, Op};
use crate::quant::builder::QVal;
use crate::quant::lower::Lowering;
use crate::quant::qop::{QOp, TableFn};
use crate::tensor::Tensor;

/// Softmax's exp reads `x − max(x) ≤ 0`: below `−16` it is under `2^−16`.
const SOFTMAX_EXP_DOMAIN: (f64, f64) = (-16.0, 0.0);

/// Lowers the ops not handled in [`crate::quant::lower`].
pub fn lower(l: &mut Lowering<'_>, node: &Node) -> Result<Vec<QVal>, QuantError> {
    let name = node.name.as_str();
    let x = l.value(node.inputs[0])?;
    let unit = l.b.unit();
    let out_shape = node.shapes.first().cloned().unwrap_or_default();
    let v = match &node.op {
        Op::Function(func) => {
            let (lo, hi) = match func.def().domain {
                Domain::Saturating(lo, hi) => (lo, hi),
                Domain::Linear { lo, hi, below, above } => {
                    let x = l.b.requant(name, x, unit)?;
                    return Ok(vec![linear_tails(l, node, *func, x, (lo, hi), (below, above))?]);
                }
                Domain::Calibrated { min, max } => {
                    // The calibrated input range, with margin, bounds the table.
                    let range = l.b.ranges.get(&node.inputs[0]).copied();
                    let (cmin, cmax) = range.unwrap_or((min, max));
                    ((cmin * 1.5 - 1.0).clamp(min, max), (cmax * 1.5 + 1.0).clamp(min, max))
                }
            };
            let x = l.b.requant(name, x, unit)?;
            table(l, name, *func, x, lo, hi)?
        }
        Op::Sqrt => {
            // sqrt(q · 2^−2s) = floor(sqrt(q)) · 2^−s, with y² ≤ q < (y+1)² range-checked.
            let x = l.b.requant(name, x, unit * unit)?;
            let id = l.b.unary(name, QOp::Sqrt, x.id);
            QVal { id, scale: unit, zero: 0 }
        }
        Op::Softmax { axis } => {
            let x = l.b.requant(name, x, unit)?;
            let m =
                reduce(l, &format!("{name}.max"), QOp::ReduceMax { axis: *axis }, x.id, &[*axis]);
            let d = l.b.binary(&format!("{name}.shift"), QOp::Sub, x.id, m)?;
            let (lo, hi) = SOFTMAX_EXP_DOMAIN;
            let e = table(
                l,
                &format!("{name}.exp"),
                TableFn::EXP,
                QVal { id: d, scale: unit, zero: 0 },
                lo,
                hi,
            )?;
            let s = reduce(
                l,
                &format!("{name}.sum"),
                QOp::ReduceSum { axes: vec![*axis] },
                e.id,
                &[*axis],
            );
            let id = l.b.binary(name, QOp::DivRound { shift: l.b.bits }, e.id, s)?;
            QVal { id, scale: unit, zero: 0 }
        }
        Op::ArgMax { axis, keepdims, last } => {
            // The integers order like the reals they encode (a positive scale): no rescale.
            if x.scale <= 0.0 {
                return Err(Lowering::err(node, "an input of non-positive scale"));
            }
            let op = QOp::ArgMax { axis: *axis, last: *last };
            let id = if *keepdims {
                reduce(l, name, op, x.id, &[*axis])
            } else {
                let kept = reduce(l, &format!("{name}.kept"), op, x.id, &[*axis]);
                l.b.push(name, QOp::Reshape, vec![kept], out_shape.clone())
            };
            QVal { id, scale: 1.0, zero: 0 }
        }
        Op::ReduceMax { axes, min, .. } => {
            // One max step per axis (the minimum is the max of −x); then the output's shape.
            let x = l.b.coarsen(name, x)?;
            let x = l.b.drop_zero(name, x)?;
            let mut id = x.id;
            if *min {
                id = l.b.negate(name, id)?;
            }
            for (i, &a) in axes.iter().enumerate() {
                id = reduce(l, &format!("{name}.max{i}"), QOp::ReduceMax { axis: a }, id, &[a]);
            }
            if *min {
                id = l.b.negate(&format!("{name}.min"), id)?;
            }
            let id = l.b.push(name, QOp::Reshape, vec![id], out_shape);
            QVal { id, ..x }
        }
        Op::LayerNorm { stats: true, .. } => {
            return Err(Lowering::err(
                node,
                "the mean and inverse standard deviation outputs are not quantized",
            ));
        }
        Op::LayerNorm { axis, epsilon, .. } => layer_norm(l, node, x, *axis, *epsilon)?,
        Op::ReduceSum { axes, .. } | Op::ReduceMean { axes, .. } => {
            let x = l.b.drop_zero(name, x)?;
            let mut id = reduce(
                l,
                &format!("{name}.sum"),
                QOp::ReduceSum { axes: axes.clone() },
                x.id,
                axes,
            );
            if matches!(node.op, Op::ReduceMean { .. }) {
                let shape = l.b.shape(x.id);
                let n: usize = axes.iter().map(|&a| shape[a]).product();
                id = l.b.unary(&format!("{name}.mean"), QOp::DivConst { divisor: n as i64 }, id);
            }
            let id = l.b.push(name, QOp::Reshape, vec![id], out_shape);
            QVal { id, ..x }
        }
        Op::MaxPool { window } => {
            let x = l.b.coarsen(name, x)?;
            let id = match separable(window) {
                // A window of more taps than one product check takes (a 3×3 pool's nine): a
                // maximum over its columns, then over its rows (max is associative and padding
                // never wins, so the two passes give the window's maximum).
                Some((across, down)) if window.kernel.iter().product::<usize>() > MAX_POOL_TAPS => {
                    let mut mid = l.b.shape(x.id);
                    let spatial = mid[2..].to_vec();
                    let extents = crate::ir::shape::window_out(&across, &spatial)
                        .map_err(|e| Lowering::err(node, e))?;
                    mid.truncate(2);
                    mid.extend(extents);
                    let rows = format!("{name}.rows");
                    let r = l.b.push(&rows, QOp::MaxPool { window: across }, vec![x.id], mid);
                    l.b.push(name, QOp::MaxPool { window: down }, vec![r], out_shape)
                }
                _ => l.b.push(name, QOp::MaxPool { window: window.clone() }, vec![x.id], out_shape),
            };
            QVal { id, ..x }
        }
        Op::AveragePool { window, count_include_pad } => {
            let x = l.b.drop_zero(name, x)?;
            let sums = l.b.push(
                &format!("{name}.sum"),
                QOp::SumPool { window: window.clone() },
                vec![x.id],
                out_shape.clone(),
            );
            let full: usize = window.kernel.iter().product();
            let counts =
                window_counts(&out_shape, window, l.b.shape(x.id).get(2..).unwrap_or_default());
            let id = if *count_include_pad || counts.iter().all(|&c| c == full) {
                l.b.unary(name, QOp::DivConst { divisor: full as i64 }, sums)
            } else {
                let mut shape = vec![1, 1];
                shape.extend_from_slice(&out_shape[2..]);
                let t = Tensor::new(shape, counts.iter().map(|&c| c as i64).collect())
                    .map_err(|e| Lowering::err(node, e.to_string()))?;
                let d = l.b.konst(&format!("{name}.counts"), t);
                l.b.binary(name, QOp::DivRound { shift: 0 }, sums, d)?
            };
            QVal { id, ..x }
        }
        Op::GlobalAveragePool => {
            let x = l.b.drop_zero(name, x)?;
            let shape = l.b.shape(x.id);
            let axes: Vec<usize> = (2..shape.len()).collect();
            let n: usize = shape[2..].iter().product();
            let s = reduce(
                l,
                &format!("{name}.sum"),
                QOp::ReduceSum { axes: axes.clone() },
                x.id,
                &axes,
            );
            let id = l.b.unary(name, QOp::DivConst { divisor: n as i64 }, s);
            QVal { id, ..x }
        }
        Op::BatchNorm { epsilon } => {
            let p = |i: usize| {
                node.inputs
                    .get(i)
                    .and_then(|&v| l.const_float(v))
                    .ok_or_else(|| Lowering::err(node, "parameters must be constant"))
            };
            let (scale, bias, mean, var) = (p(1)?, p(2)?, p(3)?, p(4)?);
            let c = scale.len();
            let a: Vec<f64> =
                (0..c).map(|i| scale.data()[i] / (var.data()[i] + epsilon).sqrt()).collect();
            let bb: Vec<f64> = (0..c).map(|i| bias.data()[i] - mean.data()[i] * a[i]).collect();
            let mut shape = vec![c];
            shape.resize(out_shape.len() - 1, 1);
            let at =
                Tensor::new(shape.clone(), a).map_err(|e| Lowering::err(node, e.to_string()))?;
            let bt = Tensor::new(shape, bb).map_err(|e| Lowering::err(node, e.to_string()))?;
            let x = l.b.requant(name, x, unit)?;
            let aq = l.b.multiplier(&format!("{name}.a"), &at);
            let y = l.b.binary(&format!("{name}.mul"), QOp::Mul, x.id, aq.id)?;
            let scale = unit * aq.scale;
            let bq = l.b.quantize_const(&format!("{name}.b"), &bt, scale);
            let id = l.b.binary(name, QOp::Add, y, bq.id)?;
            QVal { id, scale, zero: 0 }
        }
        other => {
            return Err(Lowering::err(node, format!("no integer lowering for {}", other.name())));
        }
    };
    Ok(vec![v])
}

/// `Clamp` to the table domain, then `Lookup`; the output has the canonical scale.
fn table(
    l: &mut Lowering<'_>,
    name: &str,
    func: TableFn,
    x: QVal,
    lo: f64,
    hi: f64,
) -> Result<QVal, QuantError> {
    let unit = l.b.unit();
    let (lo, hi) = ((lo / unit).floor() as i64, (hi / unit).ceil() as i64);
    let t = l.b.table(func, lo, hi);
    let c = l.b.unary(&format!("{name}.clamp"), QOp::Clamp { lo: Some(lo), hi: Some(hi) }, x.id);
    let id = l.b.unary(name, QOp::Lookup { table: t }, c);
    Ok(QVal { id, scale: unit, zero: 0 })
}

/// `T[clamp(x, lo, hi)] + (max(x, hi) − hi)·above + (min(x, lo) − lo)·below` for slopes 0 or 1:
/// the table inside the domain, the function's lines beyond it.
fn linear_tails(
    l: &mut Lowering<'_>,
    node: &Node,
    func: crate::functions::TableFn,
    x: QVal,
    (lo, hi): (f64, f64),
    (below, above): (f64, f64),
) -> Result<QVal, QuantError> {
    let (name, unit) = (node.name.as_str(), l.b.unit());
    let mut acc = table(l, &format!("{name}.table"), func, x, lo, hi)?.id;
    let (lo_q, hi_q) = ((lo / unit).floor() as i64, (hi / unit).ceil() as i64);
    for (slope, bound, clamp, tag) in [
        (above, hi_q, QOp::Clamp { lo: Some(hi_q), hi: None }, "above"),
        (below, lo_q, QOp::Clamp { lo: None, hi: Some(lo_q) }, "below"),
    ] {
        if slope == 0.0 {
            continue;
        }
        if slope != 1.0 {
            return Err(Lowering::err(node, "a table's linear tail needs slope 0 or 1"));
        }
        let c = l.b.unary(&format!("{name}.{tag}"), clamp, x.id);
        let k = l.b.scalar(&format!("{name}.{tag}.bound"), bound);
        let excess = l.b.binary(&format!("{name}.{tag}.excess"), QOp::Sub, c, k)?;
        acc = l.b.binary(&format!("{name}.{tag}.sum"), QOp::Add, acc, excess)?;
    }
    Ok(QVal { id: acc, scale: unit, zero: 0 })
}

/// A reduction keeping the reduced axes with extent 1.
fn reduce(l: &mut Lowering<'_>, name: &str, op: QOp, x: usize, axes: &[usize]) -> usize {
    let mut shape = l.b.shape(x);
    for &a in axes {
        if let Some(d) = shape.get_mut(a) {
            *d = 1;
        }
    }
    l.b.push(name, op, vec![x], shape)
}

/// `y = (x − mean) · sqrt(n) · 2^s / sqrt(Σ(x − mean)² + n·eps·2^{2s})`, then `· gamma + beta`.
fn layer_norm(
    l: &mut Lowering<'_>,
    node: &Node,
    x: QVal,
    axis: usize,
    eps: f64,
) -> Result<QVal, QuantError> {
    let name = node.name.as_str();
    let unit = l.b.unit();
    let x = l.b.requant(name, x, unit)?;
    let shape = l.b.shape(x.id);
    let axes: Vec<usize> = (axis..shape.len()).collect();
    let n: usize = shape[axis..].iter().product();
    let sum = reduce(l, &format!("{name}.sum"), QOp::ReduceSum { axes: axes.clone() }, x.id, &axes);
    let mean = l.b.unary(&format!("{name}.mean"), QOp::DivConst { divisor: n as i64 }, sum);
    let c = l.b.binary(&format!("{name}.center"), QOp::Sub, x.id, mean)?;
    let sq = l.b.binary(&format!("{name}.square"), QOp::Mul, c, c)?;
    let ss = reduce(l, &format!("{name}.sumsq"), QOp::ReduceSum { axes: axes.clone() }, sq, &axes);
    let eps_q = ((n as f64) * eps / (unit * unit)).round().max(1.0) as i64;
    let e = l.b.scalar(&format!("{name}.eps"), eps_q);
    let v = l.b.binary(&format!("{name}.var"), QOp::Add, ss, e)?;
    let r = l.b.unary(&format!("{name}.sqrt"), QOp::Sqrt, v);
    let k = l.b.scalar(&format!("{name}.k"), ((n as f64).sqrt() / unit).round() as i64);
    let ck = l.b.binary(&format!("{name}.scaled"), QOp::Mul, c, k)?;
    let y = l.b.binary(&format!("{name}.norm"), QOp::DivRound { shift: 0 }, ck, r)?;
    let gamma = node
        .inputs
        .get(1)
        .and_then(|&v| l.const_float(v))
        .ok_or_else(|| Lowering::err(node, "scale must be constant"))?;
    let g = l.b.multiplier(&format!("{name}.gamma"), gamma);
    let scale = unit * g.scale;
    let mut id = l.b.binary(&format!("{name}.mul_gamma"), QOp::Mul, y, g.id)?;
    if let Some(&bv) = node.inputs.get(2) {
        let beta = l.const_float(bv).ok_or_else(|| Lowering::err(node, "bias must be constant"))?;
        let b = l.b.quantize_const(&format!("{name}.beta"), beta, scale);
        id = l.b.binary(name, QOp::Add, id, b.id)?;
    }
    Ok(QVal { id, scale, zero: 0 })
}

/// Number of in-bounds cells of each output window position.
fn window_counts(out_shape: &[usize], w: &crate::ir::Window, in_sp: &[usize]) -> Vec<usize> {
    let out_sp = out_shape.get(2..).unwrap_or_default();
    let n: usize = out_sp.iter().product();
    let mut counts = Vec::with_capacity(n);
    let mut pos = vec![0; out_sp.len()];
    for _ in 0..n {
        let mut c = 1;
        for d in 0..pos.len() {
            let valid = (0..w.kernel[d])
                .filter(|&k| {
                    let p = (pos[d] * w.strides[d] + k * w.dilations[d]) as isize
                        - w.pads_begin[d] as isize;
                    p >= 0 && (p as usize) < in_sp[d]
                })
                .count();
            c *= valid;
        }
        counts.push(c);
        crate::kernels::next_index(&mut pos, out_sp);
    }
    counts
}

/// The most taps of one max-pool step: its zero product `Π_k d_k = 0` is one product check of at
/// most seven factors (the kernel's `HadamardBatch`); a larger one would be split into partial
/// products, which overflow 64-bit integers for real activations.
const MAX_POOL_TAPS: usize = 7;

/// A 2-D window as a pass along the last axis (`1 × kw`) then one along the first (`kh × 1`).
fn separable(w: &crate::ir::Window) -> Option<(crate::ir::Window, crate::ir::Window)> {
    if w.kernel.len() != 2 {
        return None;
    }
    let pass = |a: usize| crate::ir::Window {
        kernel: (0..2).map(|i| if i == a { w.kernel[i] } else { 1 }).collect(),
        strides: (0..2).map(|i| if i == a { w.strides[i] } else { 1 }).collect(),
        pads_begin: (0..2).map(|i| if i == a { w.pads_begin[i] } else { 0 }).collect(),
        pads_end: (0..2).map(|i| if i == a { w.pads_end[i] } else { 0 }).collect(),
        dilations: (0..2).map(|i| if i == a { w.dilations[i] } else { 1 }).collect(),
        ceil_mode: w.ceil_mode,
    };
    Some((pass(1), pass(0)))
}
