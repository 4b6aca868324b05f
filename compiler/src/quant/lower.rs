//! Lowering of each float op to integer ops (linear algebra, arithmetic, layout, Q/DQ).
//! Non-linear ops are in [`crate::quant::nonlinear`].

use std::collections::HashMap;

use crate::error::QuantError;
use crate::ir::{Comparison, ElemType, Node, NodeIndex, Op, PadMode, ValueRef};
use crate::quant::builder::{Builder, QVal};
use crate::quant::nonlinear;
use crate::quant::per_channel;
use crate::quant::qop::QOp;
use crate::tensor::Tensor;

/// Maps float values to quantized ones while lowering.
pub struct Lowering<'a> {
    /// Node builder.
    pub b: Builder<'a>,
    /// Quantized value of each lowered float value.
    pub map: HashMap<ValueRef, QVal>,
    /// Float values that do not depend on any graph input.
    pub const_valued: std::collections::HashSet<NodeIndex>,
}

impl<'a> Lowering<'a> {
    /// An error for `node`.
    pub fn err(node: &Node, reason: impl Into<String>) -> QuantError {
        QuantError::Unsupported {
            node: node.name.clone(),
            op: node.op.name(),
            reason: reason.into(),
        }
    }

    /// The float value of a constant-valued input, if it is one.
    pub fn const_float(&self, v: ValueRef) -> Option<&'a Tensor<f64>> {
        if self.const_valued.contains(&v.node) { self.b.consts.get(&v) } else { None }
    }

    /// The quantized value of a float value, materialising constants on first use: integer
    /// tensors under a per-tensor DequantizeLinear keep their integers; other constants are
    /// quantized at the canonical scale.
    pub fn value(&mut self, v: ValueRef) -> Result<QVal, QuantError> {
        if let Some(q) = self.map.get(&v) {
            return Ok(*q);
        }
        let node = self.b.float.node(v.node).map_err(|e| QuantError::Unsupported {
            node: format!("#{}", v.node.index()),
            op: "value",
            reason: e.to_string(),
        })?;
        let t = self
            .const_float(v)
            .ok_or_else(|| Self::err(node, "value used before it is computed"))?;
        // The constant's nodes carry its own op, then lowering goes on with the consumer's.
        let consumer = std::mem::replace(&mut self.b.source, node.op.name());
        let q = match &node.op {
            Op::DequantizeLinear(p) if p.scale.len() == 1 => {
                let src = node.inputs[0];
                let src_node =
                    self.b.float.node(src.node).map_err(|e| Self::err(node, e.to_string()))?;
                match (&src_node.op, self.const_float(src)) {
                    (Op::Constant { elem: ElemType::Integer, .. }, Some(ints)) => {
                        let id = self.b.konst(&src_node.name, ints.map(|&x| x as i64));
                        QVal { id, scale: p.scale[0], zero: p.zero_point[0] }
                    }
                    _ => self.b.quantize_const(&node.name, t, self.b.unit()),
                }
            }
            _ => self.b.quantize_const(&node.name, t, self.b.unit()),
        };
        self.b.source = consumer;
        self.map.insert(v, q);
        Ok(q)
    }

    /// Lowers one non-constant float node; returns one quantized value per output.
    pub fn lower(&mut self, node: &Node) -> Result<Vec<QVal>, QuantError> {
        self.b.source = node.op.name();
        let name = node.name.as_str();
        let out_shape = node.shapes.first().cloned().unwrap_or_default();
        let input = |i: usize| {
            node.inputs.get(i).copied().ok_or_else(|| Self::err(node, format!("missing input {i}")))
        };
        let one = |v: QVal| Ok(vec![v]);
        if matches!(node.op, Op::Gemm { .. } | Op::MatMul | Op::Conv { .. })
            && let Some(v) = per_channel::lower(self, node)?
        {
            return one(v);
        }
        match &node.op {
            Op::Input { .. } | Op::Constant { .. } => {
                Err(Self::err(node, "inputs and constants are not lowered"))
            }
            Op::Gemm { alpha, beta, trans_a, trans_b } => {
                let op = QOp::Gemm { trans_a: *trans_a, trans_b: *trans_b };
                let y = self.product(node, op, input(0)?, input(1)?, out_shape.clone())?;
                let y = self.scale_by(node, y, *alpha)?;
                match node.inputs.get(2) {
                    Some(&c) => one(self.add_bias(node, y, c, *beta, None)?),
                    None => one(y),
                }
            }
            Op::MatMul => {
                let (a, b) = (input(0)?, input(1)?);
                match (self.const_float(a), self.const_float(b)) {
                    // W·X with a constant W: (Xᵀ·Wᵀ)ᵀ, so the constant is the fixed right
                    // factor the prover's matmul step takes (transposes are free renamings).
                    (Some(w), None) if w.shape().len() == 2 && out_shape.len() >= 2 => {
                        one(self.constant_left_matmul(node, w, b, out_shape)?)
                    }
                    _ => one(self.product(node, QOp::MatMul, a, b, out_shape)?),
                }
            }
            Op::Conv { window, group } => {
                let op = QOp::Conv { window: window.clone(), group: *group };
                let y = self.product(node, op, input(0)?, input(1)?, out_shape.clone())?;
                match node.inputs.get(2) {
                    Some(&c) => {
                        let mut bshape = vec![out_shape[1]];
                        bshape.resize(out_shape.len() - 1, 1);
                        one(self.add_bias(node, y, c, 1.0, Some(&bshape))?)
                    }
                    None => one(y),
                }
            }
            Op::Add | Op::Sub => one(self.add_sub(node, input(0)?, input(1)?)?),
            Op::Compare(c) => one(self.compare(node, *c, input(0)?, input(1)?)?),
            Op::Mul => one(self.mul(node, input(0)?, input(1)?)?),
            Op::Div => {
                let x = self.value(input(0)?)?;
                let unit = self.b.unit();
                let Some(d) = self.const_float(input(1)?) else {
                    // x / d for a tensor d: both at 2^−s, then y = floor((x·2^s + ⌊d/2⌋) / d),
                    // proven with a range-checked remainder; d must be positive (norms, sums).
                    let x = self.b.requant(&format!("{name}.x"), x, unit)?;
                    let d = self.value(input(1)?)?;
                    let d = self.b.requant(&format!("{name}.d"), d, unit)?;
                    let id =
                        self.b.binary(name, QOp::DivRound { shift: self.b.bits }, x.id, d.id)?;
                    return one(QVal { id, scale: unit, zero: 0 });
                };
                if d.data().contains(&0.0) {
                    return Err(Self::err(node, "division by zero"));
                }
                let x = self.b.const_operand(name, x)?;
                let r = self.b.multiplier(&format!("{name}.recip"), &d.map(|&v| 1.0 / v));
                let id = self.b.binary(name, QOp::Mul, x.id, r.id)?;
                one(QVal { id, scale: x.scale * r.scale, zero: 0 })
            }
            Op::Relu => {
                let x = self.value(input(0)?)?;
                let x = self.b.coarsen(name, x)?;
                let id = self.b.unary(name, QOp::Clamp { lo: Some(x.zero), hi: None }, x.id);
                one(QVal { id, ..x })
            }
            Op::Clip { min, max } => {
                let x = self.value(input(0)?)?;
                let x = self.b.coarsen(name, x)?;
                let lo = min.is_finite().then(|| (min / x.scale).ceil() as i64 + x.zero);
                let hi = max.is_finite().then(|| (max / x.scale).floor() as i64 + x.zero);
                let id = self.b.unary(name, QOp::Clamp { lo, hi }, x.id);
                one(QVal { id, ..x })
            }
            Op::Identity | Op::Cast { .. } => one(self.value(input(0)?)?),
            Op::IntDiv => one(self.int_div(node, input(0)?, input(1)?)?),
            Op::Composed(c) => one(crate::quant::composed::lower(self, node, *c)?),
            Op::Pad { pads, mode } => one(self.pad(node, input(0)?, pads, *mode)?),
            Op::Powi(n) => {
                // x^n as n − 1 products, each factor at the canonical scale (the running power
                // is requantized before the next product).
                let x = self.value(input(0)?)?;
                let x = self.b.operand(&format!("{name}.x"), x)?;
                let mut acc = x;
                for i in 1..*n {
                    let a = self.b.operand(&format!("{name}.power{i}"), acc)?;
                    let label =
                        if i + 1 == *n { name.to_string() } else { format!("{name}.p{}", i + 1) };
                    let id = self.b.binary(&label, QOp::Mul, a.id, x.id)?;
                    acc = QVal { id, scale: a.scale * x.scale, zero: 0 };
                }
                one(acc)
            }
            Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } => {
                let x = self.value(input(0)?)?;
                let id = self.b.push(name, QOp::Reshape, vec![x.id], out_shape);
                one(QVal { id, ..x })
            }
            Op::Transpose { perm } => {
                self.layout(node, QOp::Transpose { perm: perm.clone() }, out_shape)
            }
            Op::Slice { axes } => self.layout(node, QOp::Slice { axes: axes.clone() }, out_shape),
            Op::Gather { axis, indices } => {
                self.layout(node, QOp::Gather { axis: *axis, indices: indices.clone() }, out_shape)
            }
            Op::Split { axis, sizes } => {
                let x = self.value(input(0)?)?;
                let mut start = 0i64;
                let mut outs = Vec::with_capacity(sizes.len());
                for (i, &n) in sizes.iter().enumerate() {
                    let a =
                        crate::ir::SliceAxis { axis: *axis, start, end: start + n as i64, step: 1 };
                    start += n as i64;
                    let shape = node.shapes.get(i).cloned().unwrap_or_default();
                    let id = self.b.push(
                        &format!("{name}:{i}"),
                        QOp::Slice { axes: vec![a] },
                        vec![x.id],
                        shape,
                    );
                    outs.push(QVal { id, ..x });
                }
                Ok(outs)
            }
            Op::Concat { axis } => {
                let vals =
                    node.inputs.iter().map(|&v| self.value(v)).collect::<Result<Vec<_>, _>>()?;
                let same = vals.iter().all(|v| v.scale == vals[0].scale && v.zero == vals[0].zero);
                let target = vals.iter().map(|v| v.scale).fold(self.b.unit(), f64::min);
                let mut ids = Vec::with_capacity(vals.len());
                let mut enc = vals.first().copied().ok_or_else(|| Self::err(node, "no inputs"))?;
                for (i, v) in vals.iter().enumerate() {
                    let v = if same {
                        *v
                    } else {
                        self.b.requant(&format!("{name}.in{i}"), *v, target)?
                    };
                    enc = v;
                    ids.push(v.id);
                }
                let id = self.b.push(name, QOp::Concat { axis: *axis }, ids, out_shape);
                one(QVal { id, ..enc })
            }
            Op::QuantizeLinear(p) => {
                if p.scale.len() != 1 {
                    return Err(Self::err(
                        node,
                        "per-axis quantization of activations is not supported",
                    ));
                }
                let x = self.value(input(0)?)?;
                let (s, z) = (p.scale[0], p.zero_point[0]);
                let (lo, hi) = p.qtype.bounds();
                if (x.scale - s).abs() <= 1e-12 * s && x.zero == z {
                    // Same encoding (e.g. after MaxPool/Flatten of a dequantized tensor): the
                    // integers already are the quantized values; saturate only.
                    let id = self.b.unary(name, QOp::Clamp { lo: Some(lo), hi: Some(hi) }, x.id);
                    return one(QVal { id, scale: s, zero: z });
                }
                let y = self.b.requant(name, x, s)?;
                let zid = self.b.scalar(&format!("{name}.zero_point"), z);
                let shifted = self.b.binary(&format!("{name}.add_zero"), QOp::Add, y.id, zid)?;
                let id = self.b.unary(name, QOp::Clamp { lo: Some(lo), hi: Some(hi) }, shifted);
                one(QVal { id, scale: s, zero: z })
            }
            Op::DequantizeLinear(p) => {
                if p.scale.len() != 1 {
                    return Err(Self::err(
                        node,
                        "per-axis dequantization of activations is not supported",
                    ));
                }
                // DequantizeLinear only reinterprets the integers.
                let x = self.value(input(0)?)?;
                one(QVal { id: x.id, scale: p.scale[0], zero: p.zero_point[0] })
            }
            _ => nonlinear::lower(self, node),
        }
    }

    fn layout(&mut self, node: &Node, op: QOp, shape: Vec<usize>) -> Result<Vec<QVal>, QuantError> {
        let x = self.value(node.inputs[0])?;
        let id = self.b.push(&node.name, op, vec![x.id], shape);
        Ok(vec![QVal { id, ..x }])
    }

    /// A matrix product of two operands (zero points removed, fine scales brought to `2^−s`).
    fn product(
        &mut self,
        node: &Node,
        op: QOp,
        a: ValueRef,
        w: ValueRef,
        shape: Vec<usize>,
    ) -> Result<QVal, QuantError> {
        let a = self.value(a)?;
        let a = self.b.operand(&format!("{}.a", node.name), a)?;
        let w = self.value(w)?;
        let w = self.b.operand(&format!("{}.b", node.name), w)?;
        let id = self.b.push(&node.name, op, vec![a.id, w.id], shape);
        Ok(QVal { id, scale: a.scale * w.scale, zero: 0 })
    }

    /// Edge and reflect padding, axis by axis, as gathers of the input's entries; a constant
    /// mode has no proof step yet (the concatenation step reads computed tensors only).
    fn pad(
        &mut self,
        node: &Node,
        x: ValueRef,
        pads: &[(usize, usize)],
        mode: PadMode,
    ) -> Result<QVal, QuantError> {
        if matches!(mode, PadMode::Constant(_)) {
            return Err(Self::err(node, "constant-mode padding is not proven yet"));
        }
        let name = node.name.as_str();
        let x = self.value(x)?;
        let last = pads.iter().rposition(|p| *p != (0, 0));
        let mut id = x.id;
        for (axis, &(before, after)) in pads.iter().enumerate() {
            if before == 0 && after == 0 {
                continue;
            }
            let mut shape = self.b.shape(id);
            let n = shape[axis];
            let len = before + n + after;
            let idx: Option<Vec<usize>> = (0..len).map(|i| mode.source(i, before, n)).collect();
            let idx = idx.ok_or_else(|| Self::err(node, "pads beyond the axis"))?;
            let indices =
                Tensor::new(vec![len], idx).map_err(|e| Self::err(node, e.to_string()))?;
            shape[axis] = len;
            let label =
                if Some(axis) == last { name.to_string() } else { format!("{name}.axis{axis}") };
            id = self.b.push(&label, QOp::Gather { axis, indices }, vec![id], shape);
        }
        Ok(QVal { id, ..x })
    }

    /// `W·X` for a constant 2-D `W` as `(Xᵀ·Wᵀ)ᵀ`, the last two axes swapped.
    fn constant_left_matmul(
        &mut self,
        node: &Node,
        w: &Tensor<f64>,
        x: ValueRef,
        out_shape: Vec<usize>,
    ) -> Result<QVal, QuantError> {
        let name = node.name.as_str();
        let x = self.value(x)?;
        let x = self.b.operand(&format!("{name}.x"), x)?;
        let rank = out_shape.len();
        let mut perm: Vec<usize> = (0..rank).collect();
        perm.swap(rank - 2, rank - 1);
        let swap = |s: &[usize]| {
            let mut t = s.to_vec();
            t.swap(rank - 2, rank - 1);
            t
        };
        let xs = self.b.shape(x.id);
        if xs.len() != rank {
            return Err(Self::err(
                node,
                "a constant left operand needs a right one of the output's rank",
            ));
        }
        let xt = self.b.push(
            &format!("{name}.xt"),
            QOp::Transpose { perm: perm.clone() },
            vec![x.id],
            swap(&xs),
        );
        let wt = crate::kernels::layout::transpose(w, &[1, 0]);
        let unit = self.b.unit();
        let wq = self.b.quantize_const(&format!("{name}.wt"), &wt, unit);
        let yt = self.b.push(&format!("{name}.yt"), QOp::MatMul, vec![xt, wq.id], swap(&out_shape));
        let id = self.b.push(name, QOp::Transpose { perm }, vec![yt], out_shape);
        Ok(QVal { id, scale: x.scale * wq.scale, zero: 0 })
    }

    /// Multiplies by a real constant: free when it is 1, otherwise a product with the constant
    /// quantized as a [`Builder::multiplier`](crate::quant::builder::Builder::multiplier).
    fn scale_by(&mut self, node: &Node, y: QVal, c: f64) -> Result<QVal, QuantError> {
        if c == 1.0 {
            return Ok(y);
        }
        let k = self.b.multiplier(&format!("{}.alpha", node.name), &Tensor::scalar(c));
        let id = self.b.binary(&format!("{}.scaled", node.name), QOp::Mul, y.id, k.id)?;
        Ok(QVal { id, scale: y.scale * k.scale, zero: 0 })
    }

    /// Adds `beta · c` quantized exactly at the accumulator's scale (constant biases); `shape`
    /// reshapes the bias first (Conv's per-channel bias), otherwise it broadcasts as it is.
    fn add_bias(
        &mut self,
        node: &Node,
        y: QVal,
        c: ValueRef,
        beta: f64,
        shape: Option<&[usize]>,
    ) -> Result<QVal, QuantError> {
        let name = format!("{}.bias", node.name);
        let bias = match self.const_float(c) {
            Some(t) => {
                let t = t.map(|&v| v * beta);
                let t = match shape {
                    Some(s) => {
                        t.reshaped(s.to_vec()).map_err(|e| Self::err(node, e.to_string()))?
                    }
                    None => t,
                };
                self.b.quantize_const(&name, &t, y.scale).id
            }
            None if beta != 1.0 => return Err(Self::err(node, "non-constant bias with beta ≠ 1")),
            None => {
                let cv = self.value(c)?;
                let cv = self.b.requant(&name, cv, y.scale)?;
                match shape {
                    Some(s) => self.b.push(
                        &format!("{name}.reshape"),
                        QOp::Reshape,
                        vec![cv.id],
                        s.to_vec(),
                    ),
                    None => cv.id,
                }
            }
        };
        let id = self.b.binary(&format!("{}.add_bias", node.name), QOp::Add, y.id, bias)?;
        Ok(QVal { id, ..y })
    }

    /// `a ∘ b` as 0/1 integers of scale 1: with `a`, `b` at one scale and `d` the difference of
    /// their integers, `[d ≥ 1] = clamp(d, 0, 1)` (`a > b`), `[d ≥ 0] = clamp(d + 1, 0, 1)`
    /// (`a ≥ b`), the operands swapped for `<` and `≤`, and `=` is `[a ≥ b] − [a > b]`. The clamps
    /// are the proof: range-checked differences with a zero product.
    fn compare(
        &mut self,
        node: &Node,
        c: Comparison,
        a: ValueRef,
        b: ValueRef,
    ) -> Result<QVal, QuantError> {
        let (name, unit) = (node.name.as_str(), self.b.unit());
        // Both operands at the canonical scale: a computed one is rescaled (so the clamp reads a
        // committed tensor), a constant one quantized there.
        let mut operand = |v: ValueRef, tag: &str| -> Result<usize, QuantError> {
            match self.const_float(v) {
                Some(t) => Ok(self.b.quantize_const(&format!("{name}.{tag}"), t, unit).id),
                None => {
                    let x = self.value(v)?;
                    Ok(self.b.requant(&format!("{name}.{tag}"), x, unit)?.id)
                }
            }
        };
        let (a, b) = (operand(a, "a")?, operand(b, "b")?);
        let mut step = |tag: &str, first: usize, second: usize, plus: i64, last: bool| {
            let d = self.b.binary(&format!("{name}.{tag}.diff"), QOp::Sub, first, second)?;
            let mut id = d;
            if plus != 0 {
                let k = self.b.scalar(&format!("{name}.{tag}.one"), plus);
                id = self.b.binary(&format!("{name}.{tag}.shift"), QOp::Add, id, k)?;
            }
            let clamp = QOp::Clamp { lo: Some(0), hi: Some(1) };
            let out = if last { name.to_string() } else { format!("{name}.{tag}") };
            Ok::<_, QuantError>(self.b.unary(&out, clamp, id))
        };
        let id = match c {
            Comparison::Greater => step("gt", a, b, 0, true)?,
            Comparison::GreaterOrEqual => step("ge", a, b, 1, true)?,
            Comparison::Less => step("lt", b, a, 0, true)?,
            Comparison::LessOrEqual => step("le", b, a, 1, true)?,
            Comparison::Equal => {
                let (ge, gt) = (step("ge", a, b, 1, false)?, step("gt", a, b, 0, false)?);
                self.b.binary(name, QOp::Sub, ge, gt)?
            }
        };
        Ok(QVal { id, scale: 1.0, zero: 0 })
    }

    /// `a ± b` at a common scale (a constant operand quantized at the other's).
    fn add_sub(&mut self, node: &Node, a: ValueRef, b: ValueRef) -> Result<QVal, QuantError> {
        let op = if matches!(node.op, Op::Sub) { QOp::Sub } else { QOp::Add };
        let name = node.name.as_str();
        let (ca, cb) = (self.const_float(a), self.const_float(b));
        let (ia, ib, scale) = match (ca, cb) {
            (Some(t), None) | (None, Some(t)) => {
                let x = if ca.is_some() { b } else { a };
                let x = self.value(x)?;
                let x = self.b.integers(name, x)?;
                let c = self.b.quantize_const(&format!("{name}.const"), t, x.scale);
                if ca.is_some() { (c.id, x.id, x.scale) } else { (x.id, c.id, x.scale) }
            }
            _ => {
                let (va, vb) = (self.value(a)?, self.value(b)?);
                let (va, vb) = self.b.common_scale(name, va, vb)?;
                (va.id, vb.id, va.scale)
            }
        };
        let id = self.b.binary(name, op, ia, ib)?;
        Ok(QVal { id, scale, zero: 0 })
    }

    /// `trunc(x / d)` for an integer tensor `x` and a constant integer `d ≠ 0` (ONNX `Div` on
    /// integers), composed of existing steps: `⌊relu(x)/|d|⌋ − ⌊relu(−x)/|d|⌋`, negated for
    /// `d < 0` (one of the two parts is 0). Each floor is the rounded division of `a − ⌊|d|/2⌋`:
    /// `a = |d|·q + r` with `0 ≤ r < |d|` is `(a − ⌊|d|/2⌋) + ⌊|d|/2⌋ = |d|·q + r`.
    fn int_div(&mut self, node: &Node, a: ValueRef, b: ValueRef) -> Result<QVal, QuantError> {
        let name = node.name.as_str();
        let d = self
            .const_float(b)
            .ok_or_else(|| Self::err(node, "integer division by a computed tensor"))?;
        let first = d.data().first().copied().ok_or_else(|| Self::err(node, "empty divisor"))?;
        if d.data().iter().any(|&v| v != first) {
            return Err(Self::err(node, "integer division by a non-uniform divisor"));
        }
        if first == 0.0 {
            return Err(Self::err(node, "division by zero"));
        }
        if first.fract() != 0.0 || first.abs() >= (1u64 << 40) as f64 {
            return Err(Self::err(node, "an integer divisor outside (−2^40, 2^40)"));
        }
        let m = first.abs() as i64;
        let x = self.value(a)?;
        let x = self.b.requant(&format!("{name}.x"), x, 1.0)?;
        let neg = self.b.negate(name, x.id)?;
        let half = self.b.scalar(&format!("{name}.half"), m / 2);
        let mut floor = |part: usize, label: &str| -> Result<usize, QuantError> {
            let relu = QOp::Clamp { lo: Some(0), hi: None };
            let p = self.b.unary(&format!("{name}.{label}"), relu, part);
            let shifted = self.b.binary(&format!("{name}.{label}.shift"), QOp::Sub, p, half)?;
            let div = QOp::DivConst { divisor: m };
            Ok(self.b.unary(&format!("{name}.{label}.floor"), div, shifted))
        };
        let (up, down) = (floor(x.id, "pos")?, floor(neg, "negpos")?);
        let (first, second) = if first > 0.0 { (up, down) } else { (down, up) };
        let id = self.b.binary(name, QOp::Sub, first, second)?;
        Ok(QVal { id, scale: 1.0, zero: 0 })
    }

    fn mul(&mut self, node: &Node, a: ValueRef, b: ValueRef) -> Result<QVal, QuantError> {
        let name = node.name.as_str();
        let (ca, cb) = (self.const_float(a), self.const_float(b));
        let (x, y) = match (ca, cb) {
            (Some(t), None) | (None, Some(t)) => {
                let x = self.value(if ca.is_some() { b } else { a })?;
                let x = self.b.const_operand(name, x)?;
                let c = self.b.multiplier(&format!("{name}.const"), t);
                (x, c)
            }
            _ => {
                let va = self.value(a)?;
                let va = self.b.operand(&format!("{name}.a"), va)?;
                let vb = self.value(b)?;
                let vb = self.b.operand(&format!("{name}.b"), vb)?;
                (va, vb)
            }
        };
        let id = self.b.binary(name, QOp::Mul, x.id, y.id)?;
        Ok(QVal { id, scale: x.scale * y.scale, zero: 0 })
    }
}
