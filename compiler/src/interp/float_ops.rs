//! Float semantics of each op.

use crate::ir::{Op, QuantParams};
use crate::kernels::{layout, linalg, pool};
use crate::tensor::{Tensor, numel};

type R = Result<Vec<Tensor<f64>>, String>;

fn bin(
    a: &Tensor<f64>,
    b: &Tensor<f64>,
    f: impl Fn(f64, f64) -> f64,
) -> Result<Tensor<f64>, String> {
    layout::zip_broadcast(a, b, f).ok_or_else(|| "operands do not broadcast".to_string())
}

/// Channel index of flat position `i` for per-axis parameters on `axis` of `shape`.
pub(crate) fn channel(i: usize, shape: &[usize], axis: usize) -> usize {
    let inner: usize = shape[axis + 1..].iter().product();
    (i / inner.max(1)) % shape[axis].max(1)
}

fn quant_param(q: &QuantParams, i: usize, shape: &[usize]) -> (f64, i64) {
    let c = if q.scale.len() == 1 { 0 } else { channel(i, shape, q.axis) };
    (q.scale[c], q.zero_point[c])
}

/// Normalises over the trailing axes from `axis`: returns (x − mean) / sqrt(var + eps), and
/// per row the mean and 1 / sqrt(var + eps).
fn normalize(x: &Tensor<f64>, axis: usize, eps: f64) -> (Tensor<f64>, Vec<f64>, Vec<f64>) {
    let n: usize = x.shape()[axis..].iter().product();
    let mut out = x.clone();
    let (mut means, mut invs) = (Vec::new(), Vec::new());
    for row in out.data_mut().chunks_mut(n.max(1)) {
        let mean = row.iter().sum::<f64>() / n as f64;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        let inv = 1.0 / (var + eps).sqrt();
        row.iter_mut().for_each(|v| *v = (*v - mean) * inv);
        means.push(mean);
        invs.push(inv);
    }
    (out, means, invs)
}

/// Evaluates one op on float inputs; `shapes` are the inferred output shapes.
pub fn eval_op(op: &Op, ins: &[&Tensor<f64>], shapes: &[Vec<usize>]) -> R {
    let x = ins.first().copied();
    let x0 = || x.ok_or_else(|| "missing input".to_string());
    let one = |t: Tensor<f64>| Ok(vec![t]);
    let out_shape = shapes.first().cloned().unwrap_or_default();
    match op {
        Op::Input { .. } => Err("inputs are supplied by the caller".into()),
        Op::Constant { value, .. } => one(value.clone()),
        Op::Gemm { alpha, beta, trans_a, trans_b } => {
            let y = linalg::gemm(ins[0], ins[1], *trans_a, *trans_b).map(|v| v * alpha);
            match ins.get(2) {
                Some(c) => one(bin(&y, c, |a, b| a + beta * b)?),
                None => one(y),
            }
        }
        Op::MatMul => one(linalg::matmul(ins[0], ins[1])),
        Op::Conv { window, group } => {
            let y = linalg::conv(ins[0], ins[1], window, *group, &out_shape[2..]);
            match ins.get(2) {
                Some(b) => {
                    let shape =
                        [vec![b.len()], vec![1; out_shape.len().saturating_sub(2)]].concat();
                    let b = (*b).clone().reshaped(shape).map_err(|e| e.to_string())?;
                    one(bin(&y, &b, |a, b| a + b)?)
                }
                None => one(y),
            }
        }
        Op::Add => one(bin(ins[0], ins[1], |a, b| a + b)?),
        Op::Compare(c) => {
            let c = *c;
            one(bin(ins[0], ins[1], |a, b| if c.holds(a, b) { 1.0 } else { 0.0 })?)
        }
        Op::Sub => one(bin(ins[0], ins[1], |a, b| a - b)?),
        Op::Mul => one(bin(ins[0], ins[1], |a, b| a * b)?),
        Op::Div => one(bin(ins[0], ins[1], |a, b| a / b)?),
        Op::IntDiv => {
            if ins[1].data().contains(&0.0) {
                return Err("integer division by zero".into());
            }
            one(bin(ins[0], ins[1], |a, b| (a / b).trunc())?)
        }
        Op::Relu => one(x0()?.map(|&v| v.max(0.0))),
        Op::Powi(n) => one(x0()?.map(|&v| v.powi(*n as i32))),
        Op::Pad { pads, mode } => one(layout::pad(x0()?, pads, *mode, |c| c)),
        Op::Composed(c) => {
            let out = shapes.first().ok_or("missing output shape")?;
            let wide = ins
                .iter()
                .map(|t| layout::broadcast_to(t, out).ok_or("inputs do not broadcast"))
                .collect::<Result<Vec<_>, _>>()?;
            let n = wide.first().map_or(0, |t| t.data().len());
            let data = (0..n)
                .map(|i| c.eval(&wide.iter().map(|t| t.data()[i]).collect::<Vec<_>>()))
                .collect();
            one(Tensor::new(out.clone(), data).map_err(|e| e.to_string())?)
        }
        Op::Function(f) => one(x0()?.map(|&v| f.eval(v))),
        Op::Sqrt => one(x0()?.map(|&v| v.sqrt())),
        Op::Identity | Op::Cast { .. } => one(x0()?.clone()),
        Op::Clip { min, max } => one(x0()?.map(|&v| v.max(*min).min(*max))),
        Op::Softmax { axis } => {
            let x = x0()?;
            let m = layout::reduce_max(x, *axis, f64::NEG_INFINITY);
            let e = bin(x, &m, |a, b| (a - b).exp())?;
            let s = layout::reduce_sum(&e, &[*axis]);
            one(bin(&e, &s, |a, b| a / b)?)
        }
        Op::LayerNorm { axis, epsilon, stats } => {
            let (y, means, invs) = normalize(ins[0], *axis, *epsilon);
            let y = bin(&y, ins[1], |a, b| a * b)?;
            let y = match ins.get(2) {
                Some(b) => bin(&y, b, |a, b| a + b)?,
                None => y,
            };
            if !*stats {
                return one(y);
            }
            let reduced = shapes.get(1).cloned().unwrap_or_default();
            let mean = Tensor::new(reduced.clone(), means).map_err(|e| e.to_string())?;
            let inv = Tensor::new(reduced, invs).map_err(|e| e.to_string())?;
            Ok(vec![y, mean, inv])
        }
        Op::ReduceMax { axes, min, .. } => {
            let sign = if *min { -1.0 } else { 1.0 };
            let mut m = x0()?.map(|&v| sign * v);
            for &a in axes {
                m = layout::reduce_max(&m, a, f64::NEG_INFINITY);
            }
            one(m.map(|&v| sign * v).reshaped(out_shape).map_err(|e| e.to_string())?)
        }
        Op::ReduceSum { axes, .. } | Op::ReduceMean { axes, .. } => {
            let x = x0()?;
            let s = layout::reduce_sum(x, axes);
            let n: usize = axes.iter().map(|&a| x.shape()[a]).product();
            let s = if matches!(op, Op::ReduceMean { .. }) { s.map(|v| v / n as f64) } else { s };
            one(s.reshaped(out_shape).map_err(|e| e.to_string())?)
        }
        Op::ArgMax { axis, last, .. } => {
            let index = layout::arg_max(x0()?, *axis, *last).map(|&i| i as f64);
            one(index.reshaped(out_shape).map_err(|e| e.to_string())?)
        }
        Op::MaxPool { window } => {
            one(pool::max_pool(x0()?, window, &out_shape[2..], f64::NEG_INFINITY))
        }
        Op::AveragePool { window, count_include_pad } => {
            let (s, counts) = pool::sum_pool(x0()?, window, &out_shape[2..]);
            let full = numel(&window.kernel) as f64;
            let n_out = counts.len();
            let mut s = s;
            for (i, v) in s.data_mut().iter_mut().enumerate() {
                *v /= if *count_include_pad { full } else { counts[i % n_out] as f64 };
            }
            one(s)
        }
        Op::GlobalAveragePool => {
            let x = x0()?;
            let axes: Vec<usize> = (2..x.shape().len()).collect();
            let n: usize = x.shape()[2..].iter().product();
            one(layout::reduce_sum(x, &axes).map(|v| v / n as f64))
        }
        Op::BatchNorm { epsilon } => {
            let x = x0()?;
            let (scale, bias, mean, var) =
                (ins[1].data(), ins[2].data(), ins[3].data(), ins[4].data());
            let mut y = x.clone();
            let shape = x.shape().to_vec();
            for (i, v) in y.data_mut().iter_mut().enumerate() {
                let c = channel(i, &shape, 1);
                *v = (*v - mean[c]) / (var[c] + epsilon).sqrt() * scale[c] + bias[c];
            }
            one(y)
        }
        Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } => {
            one(x0()?.clone().reshaped(out_shape).map_err(|e| e.to_string())?)
        }
        Op::Transpose { perm } => one(layout::transpose(x0()?, perm)),
        Op::Concat { axis } => one(layout::concat(ins, *axis)),
        Op::Slice { axes } => one(layout::slice(x0()?, axes)),
        Op::Split { axis, sizes } => Ok(layout::split(x0()?, *axis, sizes)),
        Op::Gather { axis, indices } => one(layout::gather(x0()?, *axis, indices)),
        Op::QuantizeLinear(q) => {
            let x = x0()?;
            let (lo, hi) = q.qtype.bounds();
            let mut y = x.clone();
            for (i, v) in y.data_mut().iter_mut().enumerate() {
                let (s, z) = quant_param(q, i, x.shape());
                // onnxruntime divides in f32 and rounds half to even.
                let r = ((*v as f32) / (s as f32)).round_ties_even() as f64 + z as f64;
                *v = r.clamp(lo as f64, hi as f64);
            }
            one(y)
        }
        Op::DequantizeLinear(q) => {
            let x = x0()?;
            let mut y = x.clone();
            for (i, v) in y.data_mut().iter_mut().enumerate() {
                let (s, z) = quant_param(q, i, x.shape());
                *v = f64::from(((*v - z as f64) as f32) * (s as f32));
            }
            one(y)
        }
    }
}
