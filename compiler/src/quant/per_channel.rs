//! Products with per-channel int8 weights (a per-axis DequantizeLinear over an integer constant,
//! as onnxruntime's `per_channel=True` writes them), keeping the weight integers.
//!
//! The accumulator of output channel `o` has scale `S_x · S_w[o]`; the int32 bias is added at that
//! scale exactly, then one per-channel rational `(acc · a[o]) >> K` with
//! `a[o] / 2^K ≈ S_w[o] / max S_w` brings every channel to the common scale `S_x · max S_w`.

use crate::error::QuantError;
use crate::ir::{ElemType, Node, Op, ValueRef};
use crate::quant::builder::{QVal, RATIONAL_BITS};
use crate::quant::lower::Lowering;
use crate::quant::qop::QOp;
use crate::tensor::Tensor;

/// Integer weights with one scale per channel of `axis` (zero points all 0).
struct ChannelWeights {
    q: Tensor<i64>,
    scales: Vec<f64>,
    axis: usize,
}

fn channel_weights(l: &Lowering<'_>, w: ValueRef) -> Option<ChannelWeights> {
    let node = l.b.float.node(w.node).ok()?;
    let Op::DequantizeLinear(p) = &node.op else { return None };
    if p.scale.len() < 2
        || p.zero_point.iter().any(|&z| z != 0)
        || p.scale.iter().any(|&s| s <= 0.0)
    {
        return None;
    }
    let src = node.inputs[0];
    let src_node = l.b.float.node(src.node).ok()?;
    if !matches!(src_node.op, Op::Constant { elem: ElemType::Integer, .. }) {
        return None;
    }
    let ints = l.const_float(src)?;
    Some(ChannelWeights { q: ints.map(|&v| v as i64), scales: p.scale.clone(), axis: p.axis })
}

/// Lowers a Gemm, MatMul or Conv whose weight is per-channel int8; `Ok(None)` when the node does
/// not have that form (the generic lowering then applies).
pub fn lower(l: &mut Lowering<'_>, node: &Node) -> Result<Option<QVal>, QuantError> {
    let name = node.name.as_str();
    let out = node.shapes.first().cloned().unwrap_or_default();
    let Some(&w) = node.inputs.get(1) else { return Ok(None) };
    let Some(cw) = channel_weights(l, w) else { return Ok(None) };
    let w_rank = cw.q.shape().len();
    // Which weight axis holds the output channel, and where that channel sits in the output.
    let (w_axis, out_axis, op, alpha, beta) = match &node.op {
        Op::Conv { window, group } => {
            (0, 1, QOp::Conv { window: window.clone(), group: *group }, 1.0, 1.0)
        }
        Op::Gemm { alpha, beta, trans_a, trans_b } => (
            usize::from(!*trans_b),
            1,
            QOp::Gemm { trans_a: *trans_a, trans_b: *trans_b },
            *alpha,
            *beta,
        ),
        Op::MatMul if w_rank == 2 => (1, out.len().saturating_sub(1), QOp::MatMul, 1.0, 1.0),
        _ => return Ok(None),
    };
    if cw.axis != w_axis || alpha <= 0.0 || out.get(out_axis) != Some(&cw.scales.len()) {
        return Ok(None);
    }
    let x = l.value(node.inputs[0])?;
    let x = l.b.operand(&format!("{name}.a"), x)?;
    let wq = l.b.konst(&format!("{name}.w"), cw.q);
    let mut acc = l.b.push(name, op, vec![x.id, wq], out.clone());
    let scales: Vec<f64> = cw.scales.iter().map(|s| s * x.scale * alpha).collect();
    let mut chan_shape = vec![scales.len()];
    chan_shape.resize(out.len() - out_axis, 1);
    let err = |e: crate::tensor::ShapeMismatch| Lowering::err(node, e.to_string());
    if let Some(&c) = node.inputs.get(2) {
        let Some(b) = l.const_float(c).filter(|b| b.len() == scales.len()) else { return Ok(None) };
        let bq: Vec<i64> =
            b.data().iter().zip(&scales).map(|(v, s)| (beta * v / s).round() as i64).collect();
        let bias =
            l.b.konst(&format!("{name}.bias"), Tensor::new(chan_shape.clone(), bq).map_err(err)?);
        acc = l.b.binary(&format!("{name}.add_bias"), QOp::Add, acc, bias)?;
    }
    let target = scales.iter().copied().fold(0.0, f64::max);
    let k = RATIONAL_BITS as u32;
    let a: Vec<i64> =
        scales.iter().map(|s| (s / target * f64::from(1u32 << k)).round() as i64).collect();
    let m = l.b.konst(&format!("{name}.channel_mult"), Tensor::new(chan_shape, a).map_err(err)?);
    let p = l.b.binary(&format!("{name}.channel_mul"), QOp::Mul, acc, m)?;
    let id = l.b.unary(&format!("{name}.channel_rescale"), QOp::Rescale { shift: k }, p);
    Ok(Some(QVal { id, scale: target, zero: 0 }))
}
