//! Elementwise ops composed of existing integer ops — clamps (ReLUs and 0/1 steps), linear forms
//! and products — so the prover needs nothing new for them (the walkthrough's composed-op path).
//!
//! With `x'` the input's integers at its scale `s` (zero point removed; coarser inputs requantized
//! to `2^−bits`), `p = relu(x')` and `n = relu(−x')`:
//!
//! | op | integers | scale |
//! |---|---|---|
//! | `Neg` | `−x'` | `s` |
//! | `Abs` | `p + n` | `s` |
//! | `Sign` | `clamp(x', 0, 1) − clamp(−x', 0, 1)` | 1 |
//! | `LeakyRelu(α)` | `2^k·p − a·n`, `a = round(α·2^k)` | `s/2^k` |
//! | `PRelu(slope)` | `2^k·p − a∘n`, `a = round(slope·2^k)` per entry (a constant) | `s/2^k` |
//! | `HardSigmoid(α, β)` | `clamp(rescale(a·x' + B), 0, 2^bits)`, `B = round(β·2^k/s)` | `2^−bits` |
//! | `HardSwish` | `x' · HardSigmoid(x; 1/6, 1/2)` | `s·2^−bits` |
//! | `Max(a, b)`, `Min(a, b)` | `b + relu(a − b)`, `a − relu(a − b)` at a common scale | common |
//! | `Where(c, a, b)` | `b + c·(a − b)`, `c` a computed 0/1 or a constant mask | common |
//! | `Not`, `And`, `Or`, `Xor` of 0/1 | `1 − x`, `a·b`, `a + b − a·b`, `a + b − 2·a·b` | 1 |
//!
//! `k` is [`MULTIPLIER_BITS`]: the relative error of `α` is at most `2^−(k+1)/α`.

use crate::error::QuantError;
use crate::ir::{Composed, Node};
use crate::quant::builder::QVal;
use crate::quant::lower::Lowering;
use crate::quant::qop::{QId, QOp};

/// Bits of the integer multipliers `a = round(α·2^k)`.
pub const MULTIPLIER_BITS: u32 = 12;

/// Lowers one composed op.
pub fn lower(l: &mut Lowering<'_>, node: &Node, op: Composed) -> Result<QVal, QuantError> {
    let name = node.name.as_str();
    let input = |i: usize| {
        node.inputs.get(i).copied().ok_or_else(|| Lowering::err(node, format!("missing input {i}")))
    };
    let k = MULTIPLIER_BITS;
    match op {
        Composed::Neg => {
            let x = integers(l, name, input(0)?)?;
            let id = l.b.negate(name, x.id)?;
            Ok(QVal { id, ..x })
        }
        Composed::Abs => {
            let x = integers(l, name, input(0)?)?;
            let (p, n) = parts(l, name, x.id)?;
            Ok(QVal { id: l.b.binary(name, QOp::Add, p, n)?, ..x })
        }
        Composed::Sign => {
            let x = integers(l, name, input(0)?)?;
            let step = QOp::Clamp { lo: Some(0), hi: Some(1) };
            let up = l.b.unary(&format!("{name}.positive"), step.clone(), x.id);
            let neg = l.b.negate(name, x.id)?;
            let down = l.b.unary(&format!("{name}.negative"), step, neg);
            Ok(QVal { id: l.b.binary(name, QOp::Sub, up, down)?, scale: 1.0, zero: 0 })
        }
        Composed::LeakyRelu { alpha } => {
            let x = integers(l, name, input(0)?)?;
            let (p, n) = parts(l, name, x.id)?;
            let a = multiplier(node, alpha)?;
            let p = scaled(l, &format!("{name}.pos"), p, 1 << k)?;
            let n = scaled(l, &format!("{name}.neg"), n, a)?;
            let id = l.b.binary(name, QOp::Sub, p, n)?;
            Ok(QVal { id, scale: x.scale / f64::from(1u32 << k), zero: 0 })
        }
        Composed::PRelu => {
            // The slope per entry, as integers a = round(slope·2^k) expanded to x's shape.
            let slope = l
                .const_float(input(1)?)
                .ok_or_else(|| Lowering::err(node, "a computed slope is not supported"))?;
            let x = integers(l, name, input(0)?)?;
            let shape = l.b.shape(x.id);
            let wide = crate::kernels::layout::broadcast_to(slope, &shape)
                .ok_or_else(|| Lowering::err(node, "the slope does not broadcast to the input"))?;
            let mut a = Vec::with_capacity(wide.data().len());
            for &v in wide.data() {
                a.push(multiplier(node, v)?);
            }
            let a = crate::tensor::Tensor::new(shape, a)
                .map_err(|e| Lowering::err(node, e.to_string()))?;
            let a = l.b.konst(&format!("{name}.slope"), a);
            let (p, n) = parts(l, name, x.id)?;
            let p = scaled(l, &format!("{name}.pos"), p, 1 << k)?;
            let n = l.b.binary(&format!("{name}.neg"), QOp::Mul, n, a)?;
            let id = l.b.binary(name, QOp::Sub, p, n)?;
            Ok(QVal { id, scale: x.scale / f64::from(1u32 << k), zero: 0 })
        }
        Composed::HardSigmoid { alpha, beta } => {
            let x = integers(l, name, input(0)?)?;
            hard_sigmoid(l, node, name, x, alpha, beta)
        }
        Composed::HardSwish => {
            let x = integers(l, name, input(0)?)?;
            let h = hard_sigmoid(l, node, &format!("{name}.gate"), x, 1.0 / 6.0, 0.5)?;
            let id = l.b.binary(name, QOp::Mul, x.id, h.id)?;
            Ok(QVal { id, scale: x.scale * h.scale, zero: 0 })
        }
        Composed::Max | Composed::Min => {
            let (a, b, scale) = common(l, name, input(0)?, input(1)?)?;
            let d = l.b.binary(&format!("{name}.diff"), QOp::Sub, a, b)?;
            let r = l.b.unary(&format!("{name}.excess"), QOp::Clamp { lo: Some(0), hi: None }, d);
            let id = match op {
                Composed::Max => l.b.binary(name, QOp::Add, b, r)?,
                _ => l.b.binary(name, QOp::Sub, a, r)?,
            };
            Ok(QVal { id, scale, zero: 0 })
        }
        Composed::Where => {
            // A constant condition (a causal mask) is a 0/1 weight; a computed one is a
            // comparison's committed 0/1.
            let c = match l.const_float(input(0)?) {
                Some(mask) => {
                    let mask = mask.map(|&v| i64::from(v != 0.0));
                    l.b.konst(&format!("{name}.mask"), mask)
                }
                None => bits(l, name, input(0)?)?,
            };
            let (a, b, scale) = common(l, name, input(1)?, input(2)?)?;
            let d = l.b.binary(&format!("{name}.diff"), QOp::Sub, a, b)?;
            let m = l.b.binary(&format!("{name}.select"), QOp::Mul, c, d)?;
            Ok(QVal { id: l.b.binary(name, QOp::Add, b, m)?, scale, zero: 0 })
        }
        Composed::Not => {
            let x = bits(l, name, input(0)?)?;
            let one = l.b.scalar(&format!("{name}.one"), 1);
            Ok(QVal { id: l.b.binary(name, QOp::Sub, one, x)?, scale: 1.0, zero: 0 })
        }
        Composed::And | Composed::Or | Composed::Xor => {
            let (a, b) = (bits(l, name, input(0)?)?, bits(l, name, input(1)?)?);
            let ab = l.b.binary(&format!("{name}.both"), QOp::Mul, a, b)?;
            let id = match op {
                Composed::And => ab,
                _ => {
                    let sum = l.b.binary(&format!("{name}.sum"), QOp::Add, a, b)?;
                    let twice = if op == Composed::Xor { 2 } else { 1 };
                    let ab = scaled(l, &format!("{name}.both_scaled"), ab, twice)?;
                    l.b.binary(name, QOp::Sub, sum, ab)?
                }
            };
            Ok(QVal { id, scale: 1.0, zero: 0 })
        }
    }
}

/// The input's integers without zero point (`Builder::integers`).
fn integers(l: &mut Lowering<'_>, name: &str, v: crate::ir::ValueRef) -> Result<QVal, QuantError> {
    let x = l.value(v)?;
    l.b.integers(name, x)
}

/// A 0/1 input (an ONNX bool) as integers of scale 1.
fn bits(l: &mut Lowering<'_>, name: &str, v: crate::ir::ValueRef) -> Result<QId, QuantError> {
    let x = l.value(v)?;
    Ok(l.b.requant(&format!("{name}.bits"), x, 1.0)?.id)
}

/// Two inputs at a common scale (`Builder::common_scale`).
fn common(
    l: &mut Lowering<'_>,
    name: &str,
    a: crate::ir::ValueRef,
    b: crate::ir::ValueRef,
) -> Result<(QId, QId, f64), QuantError> {
    let (va, vb) = (l.value(a)?, l.value(b)?);
    let (va, vb) = l.b.common_scale(name, va, vb)?;
    Ok((va.id, vb.id, va.scale))
}

/// `(relu(x), relu(−x))`.
fn parts(l: &mut Lowering<'_>, name: &str, x: QId) -> Result<(QId, QId), QuantError> {
    let relu = QOp::Clamp { lo: Some(0), hi: None };
    let p = l.b.unary(&format!("{name}.relu"), relu.clone(), x);
    let neg = l.b.negate(name, x)?;
    Ok((p, l.b.unary(&format!("{name}.relu_neg"), relu, neg)))
}

/// `c·x` for an integer `c`.
fn scaled(l: &mut Lowering<'_>, name: &str, x: QId, c: i64) -> Result<QId, QuantError> {
    let c = l.b.scalar(&format!("{name}.factor"), c);
    l.b.binary(name, QOp::Mul, x, c)
}

/// `round(α·2^k)`, for `|α| < 2^20`.
fn multiplier(node: &Node, alpha: f64) -> Result<i64, QuantError> {
    if !alpha.is_finite() || alpha.abs() >= f64::from(1u32 << 20) {
        return Err(Lowering::err(node, format!("a coefficient {alpha} out of range")));
    }
    Ok((alpha * f64::from(1u32 << MULTIPLIER_BITS)).round() as i64)
}

/// `clamp(α·x + β, 0, 1)` at the canonical scale.
fn hard_sigmoid(
    l: &mut Lowering<'_>,
    node: &Node,
    name: &str,
    x: QVal,
    alpha: f64,
    beta: f64,
) -> Result<QVal, QuantError> {
    let k = MULTIPLIER_BITS;
    let u = x.scale / f64::from(1u32 << k);
    let a = multiplier(node, alpha)?;
    let b = (beta / u).round();
    if !b.is_finite() || b.abs() >= (1u64 << 50) as f64 {
        return Err(Lowering::err(node, format!("an offset {beta} out of range")));
    }
    let ax = scaled(l, &format!("{name}.ax"), x.id, a)?;
    let offset = l.b.scalar(&format!("{name}.beta"), b as i64);
    let z = l.b.binary(&format!("{name}.affine"), QOp::Add, ax, offset)?;
    let unit = l.b.unit();
    let z = l.b.requant(&format!("{name}.rescaled"), QVal { id: z, scale: u, zero: 0 }, unit)?;
    let hi = (1.0 / unit).round() as i64;
    let id = l.b.unary(name, QOp::Clamp { lo: Some(0), hi: Some(hi) }, z.id);
    Ok(QVal { id, scale: unit, zero: 0 })
}
