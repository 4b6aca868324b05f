//! The reference interpreter of the quantized IR: exact integer semantics (those of the committed
//! steps from their files in [`crate::plan::steps`], so the value and its proof have one
//! definition), the oracle that
//! witness generation and every lowering will be compared against. It also records the value
//! range of every node, which sizes the range checks and lookups of the proof.

use crate::error::EvalError;
use crate::ir::Op;
use crate::kernels::{layout, linalg, pool};
use crate::quant::qop::{QGraph, QOp};
use crate::tensor::Tensor;

/// Observed `[min, max]` of each node's output over every run so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ranges {
    /// One entry per node; `None` until the node produced a value.
    pub nodes: Vec<Option<(i64, i64)>>,
}

impl Ranges {
    fn record(&mut self, id: usize, t: &Tensor<i64>) {
        if self.nodes.len() <= id {
            self.nodes.resize(id + 1, None);
        }
        let (mut lo, mut hi) = self.nodes[id].unwrap_or((i64::MAX, i64::MIN));
        for &v in t.data() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !t.is_empty() {
            self.nodes[id] = Some((lo, hi));
        }
    }

    /// Observed range of node `id`.
    pub fn get(&self, id: usize) -> Option<(i64, i64)> {
        self.nodes.get(id).copied().flatten()
    }
}

// The integer semantics of the committed steps live with their relations, in the step files.
pub use crate::plan::steps::division::{div_round, rescale};
pub use crate::plan::steps::sqrt::isqrt;

/// The float op with the same shape rule, for ops whose kernels index by shape.
fn shape_equivalent(op: &QOp) -> Option<Op> {
    Some(match op {
        QOp::MatMul => Op::MatMul,
        QOp::Gemm { trans_a, trans_b } => {
            Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: *trans_a, trans_b: *trans_b }
        }
        QOp::Conv { window, group } => Op::Conv { window: window.clone(), group: *group },
        QOp::MaxPool { window } | QOp::SumPool { window } => Op::MaxPool { window: window.clone() },
        QOp::ReduceSum { axes } => Op::ReduceSum { axes: axes.clone(), keepdims: true },
        QOp::ReduceMax { axis } | QOp::ArgMax { axis, .. } => {
            Op::ReduceSum { axes: vec![*axis], keepdims: true }
        }
        QOp::Transpose { perm } => Op::Transpose { perm: perm.clone() },
        QOp::Slice { axes } => Op::Slice { axes: axes.clone() },
        QOp::Concat { axis } => Op::Concat { axis: *axis },
        QOp::Gather { axis, indices } => Op::Gather { axis: *axis, indices: indices.clone() },
        _ => return None,
    })
}

/// Runs the quantized graph on integer inputs; returns every node's value. When `ranges` is
/// given, every node's output range is merged into it.
pub fn run_quantized(
    g: &QGraph,
    inputs: &[Tensor<i64>],
    mut ranges: Option<&mut Ranges>,
) -> Result<Vec<Tensor<i64>>, EvalError> {
    if inputs.len() != g.inputs.len() {
        return Err(EvalError::InputCount { expected: g.inputs.len(), found: inputs.len() });
    }
    let mut vals: Vec<Tensor<i64>> = Vec::with_capacity(g.nodes.len());
    for (id, n) in g.nodes.iter().enumerate() {
        let fail = |reason: String| EvalError::Node { node: n.name.clone(), reason };
        let mut ins = Vec::with_capacity(n.inputs.len());
        for &i in &n.inputs {
            ins.push(vals.get(i).ok_or_else(|| fail(format!("input {i} is not computed yet")))?);
        }
        let arg = |i: usize| ins.get(i).copied().ok_or_else(|| fail(format!("missing input {i}")));
        let bin = |f: fn(i64, i64) -> i64| -> Result<Tensor<i64>, EvalError> {
            layout::zip_broadcast(arg(0)?, arg(1)?, f)
                .ok_or_else(|| fail("operands do not broadcast".into()))
        };
        // Kernels index by shape: check shapes first, as ONNX-level shape inference would, so a
        // hand-built inconsistent graph is an error and never a panic.
        if let Some(op) = shape_equivalent(&n.op) {
            let in_shapes: Vec<&[usize]> = ins.iter().map(|t| t.shape()).collect();
            let shapes = crate::ir::shape::infer(&n.name, &op, &in_shapes)?;
            if shapes.first() != Some(&n.shape) {
                return Err(fail(format!(
                    "inputs give shape {:?}, node declares {:?}",
                    shapes.first(),
                    n.shape
                )));
            }
        }
        let out = match &n.op {
            QOp::Input { index } => {
                let t = inputs.get(*index).ok_or_else(|| fail("missing input".into()))?;
                if t.shape() != n.shape.as_slice() {
                    return Err(EvalError::InputShape {
                        input: n.name.clone(),
                        expected: n.shape.clone(),
                        found: t.shape().to_vec(),
                    });
                }
                t.clone()
            }
            QOp::Const(t) => t.clone(),
            QOp::MatMul => linalg::matmul(arg(0)?, arg(1)?),
            QOp::Gemm { trans_a, trans_b } => linalg::gemm(arg(0)?, arg(1)?, *trans_a, *trans_b),
            QOp::Conv { window, group } => {
                linalg::conv(arg(0)?, arg(1)?, window, *group, &n.shape[2..])
            }
            QOp::Add => bin(i64::saturating_add)?,
            QOp::Sub => bin(i64::saturating_sub)?,
            QOp::Mul => bin(i64::saturating_mul)?,
            QOp::Rescale { shift } => arg(0)?.map(|&x| rescale(x, *shift)),
            QOp::DivConst { divisor } => arg(0)?.map(|&x| div_round(x, *divisor)),
            QOp::DivRound { shift } => {
                let (x, d) = (arg(0)?, arg(1)?);
                if d.data().iter().any(|&v| v <= 0) {
                    return Err(fail("divisor is not positive".into()));
                }
                let s = *shift;
                layout::zip_broadcast(x, d, |x, d| {
                    div_round(x.saturating_mul(1i64 << s.min(62)), d)
                })
                .ok_or_else(|| fail("operands do not broadcast".into()))?
            }
            QOp::Sqrt => {
                let x = arg(0)?;
                if x.data().iter().any(|&v| v < 0) {
                    return Err(fail("square root of a negative value".into()));
                }
                x.map(|&v| isqrt(v))
            }
            QOp::Clamp { lo, hi } => arg(0)?.map(|&x| {
                let x = lo.map_or(x, |l| x.max(l));
                hi.map_or(x, |h| x.min(h))
            }),
            QOp::Lookup { table } => {
                let t = g.tables.get(*table).ok_or_else(|| fail("missing table".into()))?;
                let x = arg(0)?;
                let mut out = Vec::with_capacity(x.len());
                for &v in x.data() {
                    let i = usize::try_from(v - t.lo).ok().filter(|&i| i < t.values.len());
                    out.push(
                        t.values[i.ok_or_else(|| fail(format!("{v} outside the table domain")))?],
                    );
                }
                Tensor::from_parts(x.shape().to_vec(), out)
            }
            QOp::ReduceSum { axes } => layout::reduce_sum(arg(0)?, axes),
            QOp::ReduceMax { axis } => layout::reduce_max(arg(0)?, *axis, i64::MIN),
            QOp::ArgMax { axis, last } => layout::arg_max(arg(0)?, *axis, *last),
            QOp::MaxPool { window } => pool::max_pool(arg(0)?, window, &n.shape[2..], i64::MIN),
            QOp::SumPool { window } => pool::sum_pool(arg(0)?, window, &n.shape[2..]).0,
            QOp::Reshape => {
                arg(0)?.clone().reshaped(n.shape.clone()).map_err(|e| fail(e.to_string()))?
            }
            QOp::Transpose { perm } => layout::transpose(arg(0)?, perm),
            QOp::Slice { axes } => layout::slice(arg(0)?, axes),
            QOp::Concat { axis } => layout::concat(&ins, *axis),
            QOp::Gather { axis, indices } => layout::gather(arg(0)?, *axis, indices),
        };
        // Saturated arithmetic marks overflow; a reference interpreter must not wrap silently.
        if out.data().iter().any(|&v| v == i64::MAX || v == i64::MIN) {
            return Err(fail("integer overflow (a value reached the i64 range)".into()));
        }
        if out.shape() != n.shape.as_slice() {
            return Err(fail(format!("produced shape {:?}, expected {:?}", out.shape(), n.shape)));
        }
        if let Some(r) = ranges.as_deref_mut() {
            r.record(id, &out);
        }
        vals.push(out);
    }
    Ok(vals)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::quant::qop::QNode;

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let big = Tensor::new(vec![2], vec![1i64 << 40, 3]).unwrap();
        let node = |name: &str, op, inputs| QNode {
            name: name.into(),
            op,
            inputs,
            shape: vec![2],
            source: String::new(),
        };
        let g = QGraph {
            nodes: vec![node("c", QOp::Const(big), vec![]), node("sq", QOp::Mul, vec![0, 0])],
            ..QGraph::default()
        };
        let err = run_quantized(&g, &[], None).unwrap_err();
        assert!(matches!(&err, EvalError::Node { node, .. } if node == "sq"), "{err}");
    }

    #[test]
    fn inconsistent_hand_built_graph_is_an_error() {
        let a = Tensor::new(vec![2, 3], vec![1i64; 6]).unwrap();
        let node = |name: &str, op, inputs, shape: Vec<usize>| QNode {
            name: name.into(),
            op,
            inputs,
            shape,
            source: String::new(),
        };
        let g = QGraph {
            nodes: vec![
                node("a", QOp::Const(a), vec![], vec![2, 3]),
                node("mm", QOp::Gemm { trans_a: false, trans_b: false }, vec![0, 0], vec![2, 3]),
            ],
            ..QGraph::default()
        };
        let err = run_quantized(&g, &[], None).unwrap_err();
        assert!(err.to_string().starts_with("node mm (Gemm): inner dimensions differ"), "{err}");
    }

    #[test]
    fn rounding_rules() {
        assert_eq!([rescale(5, 1), rescale(-5, 1), rescale(6, 2), rescale(-6, 2)], [3, -2, 2, -1]);
        assert_eq!(
            [div_round(7, 2), div_round(-7, 2), div_round(10, 4), div_round(-10, 4)],
            [4, -3, 3, -2]
        );
        assert_eq!([isqrt(0), isqrt(15), isqrt(16), isqrt(1 << 40)], [0, 3, 4, 1 << 20]);
    }
}
