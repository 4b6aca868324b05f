//! Batch-norm folding: an inference BatchNormalization with constant parameters right after a
//! Conv or Gemm with constant weights is folded into them. Per output channel `o`, with
//! `A = scale / sqrt(var + eps)`: `W'[o] = A[o] · W[o]` and `b'[o] = (b[o] − mean[o]) · A[o] + bias[o]`.

use crate::error::GraphError;
use crate::interp::float_ops::channel;
use crate::ir::{ElemType, Graph, Op, ValueRef};
use crate::tensor::Tensor;

fn constant(g: &Graph, v: ValueRef) -> Result<Option<Tensor<f64>>, GraphError> {
    Ok(match &g.node(v.node)?.op {
        Op::Constant { value, .. } => Some(value.clone()),
        _ => None,
    })
}

/// Folds batch norms; returns the number folded.
pub fn run(g: &mut Graph) -> Result<usize, GraphError> {
    let mut folded = 0;
    for idx in g.topo_order()? {
        let bn = g.node(idx)?.clone();
        let Op::BatchNorm { epsilon } = bn.op else { continue };
        let p = bn.inputs[0];
        if g.uses(p).len() != 1 || g.is_output(p) {
            continue;
        }
        let params: Option<Vec<Tensor<f64>>> =
            bn.inputs[1..].iter().map(|&v| constant(g, v)).collect::<Result<_, _>>()?;
        let Some(params) = params else { continue };
        let (scale, bias, mean, var) =
            (params[0].data(), params[1].data(), params[2].data(), params[3].data());
        let a: Vec<f64> = (0..scale.len()).map(|c| scale[c] / (var[c] + epsilon).sqrt()).collect();
        let prod = g.node(p.node)?.clone();
        if !matches!(prod.op, Op::Conv { .. } | Op::Gemm { .. }) {
            continue;
        }
        let Some(&wv) = prod.inputs.get(1) else { continue };
        let Some(w) = constant(g, wv)? else { continue };
        let old_bias = match prod.inputs.get(2) {
            Some(&b) => match constant(g, b)? {
                Some(t) if t.len() == a.len() => Some(t),
                _ => continue,
            },
            None => None,
        };
        // Which axis of W holds the output channel.
        let (w_axis, op) = match &prod.op {
            Op::Conv { .. } => (0, prod.op.clone()),
            Op::Gemm { trans_b, beta, .. } if *beta == 1.0 || old_bias.is_none() => {
                let Op::Gemm { alpha, trans_a, trans_b: tb, .. } = prod.op else { continue };
                (if *trans_b { 0 } else { 1 }, Op::Gemm { alpha, beta: 1.0, trans_a, trans_b: tb })
            }
            _ => continue,
        };
        let mut w2 = w.clone();
        let wshape = w.shape().to_vec();
        for (i, v) in w2.data_mut().iter_mut().enumerate() {
            *v *= a[channel(i, &wshape, w_axis)];
        }
        let b2: Vec<f64> = (0..a.len())
            .map(|c| {
                // alpha · x·W + C, then (· − mean)·A + bias = alpha · x·(W·A) + (C − mean)·A + bias.
                let b = old_bias.as_ref().map_or(0.0, |t| t.data()[c]);
                (b - mean[c]) * a[c] + bias[c]
            })
            .collect();
        let b2 = Tensor::new(vec![a.len()], b2).map_err(|e| GraphError::Shape {
            node: bn.name.clone(),
            op: "BatchNormalization",
            reason: e.to_string(),
        })?;
        let wc = g.add_node(
            &format!("{}.folded_w", prod.name),
            Op::Constant { value: w2, elem: ElemType::Real },
            Vec::new(),
        )?;
        let bc = g.add_node(
            &format!("{}.folded_b", prod.name),
            Op::Constant { value: b2, elem: ElemType::Real },
            Vec::new(),
        )?;
        let new = g.add_node(
            &format!("{}+bn", prod.name),
            op,
            vec![prod.inputs[0], ValueRef::first(wc), ValueRef::first(bc)],
        )?;
        g.replace_uses(ValueRef::first(idx), ValueRef::first(new))?;
        folded += 1;
    }
    Ok(folded)
}
