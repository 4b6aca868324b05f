//! Building blocks of quantization: emitting integer nodes and converting between encodings.
//!
//! Every quantized value carries an affine encoding `real = (q − zero) · scale`. Float-model
//! activations use the canonical scale `2^−s`; products carry the product of their operands'
//! scales until a consumer needs them back at `2^−s` (a [`QOp::Rescale`]); int8 tensors of QDQ
//! models keep their own scale and zero point, and conversions to other scales use the rational
//! recipe `y = ((q − z) · a) >> k`.

use std::collections::HashMap;

use crate::error::QuantError;
use crate::ir::{Graph, ValueRef};
use crate::quant::qop::{QGraph, QId, QNode, QOp, Table, TableFn};
use crate::tensor::{Tensor, broadcast_shapes};

/// A quantized value: node `id` holds integers `q` with `real = (q − zero) · scale`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QVal {
    /// Producing node.
    pub id: QId,
    /// Real value of one step.
    pub scale: f64,
    /// Integer encoding real zero.
    pub zero: i64,
}

/// Precision (bits) of the integer multiplier `a` in rational rescaling `(x·a) >> k`.
pub const RATIONAL_BITS: i32 = 16;

/// Quantization state: the graph being built and the float-side context.
pub struct Builder<'a> {
    /// The integer graph under construction.
    pub q: QGraph,
    /// Canonical scale bits `s`.
    pub bits: u32,
    /// The float graph.
    pub float: &'a Graph,
    /// Float values of constant-valued nodes.
    pub consts: &'a HashMap<ValueRef, Tensor<f64>>,
    /// Calibrated `[min, max]` of every float value.
    pub ranges: &'a HashMap<ValueRef, (f64, f64)>,
    tables: HashMap<(TableFn, i64, usize), usize>,
    /// Conversions already emitted: (node, zero, target scale bits) → converted value, so a value
    /// read by several consumers at the same scale is rescaled once.
    requants: HashMap<(QId, i64, u64), QVal>,
    /// The ONNX op type of the float node being lowered: recorded in every node pushed for it.
    pub source: &'static str,
}

impl<'a> Builder<'a> {
    /// A builder with canonical scale `2^−bits`.
    pub fn new(
        float: &'a Graph,
        bits: u32,
        consts: &'a HashMap<ValueRef, Tensor<f64>>,
        ranges: &'a HashMap<ValueRef, (f64, f64)>,
    ) -> Self {
        Self {
            q: QGraph::default(),
            bits,
            float,
            consts,
            ranges,
            tables: HashMap::new(),
            requants: HashMap::new(),
            source: "",
        }
    }

    /// The canonical activation scale `2^−s`.
    pub fn unit(&self) -> f64 {
        (-(self.bits as f64)).exp2()
    }

    /// Appends a node and returns its id.
    pub fn push(&mut self, name: &str, op: QOp, inputs: Vec<QId>, shape: Vec<usize>) -> QId {
        let source = self.source.to_string();
        self.q.nodes.push(QNode { name: name.to_string(), op, inputs, shape, source });
        self.q.nodes.len() - 1
    }

    /// Shape of node `id`.
    pub fn shape(&self, id: QId) -> Vec<usize> {
        self.q.nodes.get(id).map(|n| n.shape.clone()).unwrap_or_default()
    }

    /// Appends a node whose shape equals its first input's.
    pub fn unary(&mut self, name: &str, op: QOp, x: QId) -> QId {
        let shape = self.shape(x);
        self.push(name, op, vec![x], shape)
    }

    /// Appends a broadcasting binary node.
    pub fn binary(&mut self, name: &str, op: QOp, a: QId, b: QId) -> Result<QId, QuantError> {
        let (sa, sb) = (self.shape(a), self.shape(b));
        let shape = broadcast_shapes(&sa, &sb).ok_or_else(|| QuantError::Unsupported {
            node: name.to_string(),
            op: "broadcast",
            reason: format!("shapes {sa:?} and {sb:?} do not broadcast"),
        })?;
        Ok(self.push(name, op, vec![a, b], shape))
    }

    /// A constant node.
    pub fn konst(&mut self, name: &str, t: Tensor<i64>) -> QId {
        let shape = t.shape().to_vec();
        self.push(name, QOp::Const(t), Vec::new(), shape)
    }

    /// A scalar constant node.
    pub fn scalar(&mut self, name: &str, v: i64) -> QId {
        self.konst(name, Tensor::scalar(v))
    }

    /// Quantizes a float constant at `scale` (`round(v / scale)`, half away from zero).
    pub fn quantize_const(&mut self, name: &str, t: &Tensor<f64>, scale: f64) -> QVal {
        let id = self.konst(name, t.map(|&v| (v / scale).round() as i64));
        QVal { id, scale, zero: 0 }
    }

    /// Quantizes a constant multiplier at a power-of-two scale `2^−k` chosen so that its largest
    /// entry has `s` significant bits (small constants such as 1e-3 keep their precision instead
    /// of rounding to a few steps of `2^−s`).
    pub fn multiplier(&mut self, name: &str, t: &Tensor<f64>) -> QVal {
        let max = t.data().iter().fold(0f64, |m, v| m.max(v.abs()));
        let k = if max > 0.0 && max.is_finite() {
            (self.bits as i64 - 1 - max.log2().floor() as i64).clamp(0, 40) as i32
        } else {
            self.bits as i32
        };
        self.quantize_const(name, t, (-(k as f64)).exp2())
    }

    /// `−x` at `x`'s scale (the linear form `0 − x`).
    pub fn negate(&mut self, name: &str, x: QId) -> Result<QId, QuantError> {
        let zero = self.scalar(&format!("{name}.zero"), 0);
        self.binary(&format!("{name}.negated"), QOp::Sub, zero, x)
    }

    /// `v`'s integers without zero point, at its scale or the canonical one if coarser.
    pub fn integers(&mut self, name: &str, v: QVal) -> Result<QVal, QuantError> {
        if v.scale > self.unit() {
            self.requant(name, v, self.unit())
        } else {
            self.drop_zero(name, v)
        }
    }

    /// Two values at a common scale: the finer of theirs, at most the canonical one.
    pub fn common_scale(
        &mut self,
        name: &str,
        a: QVal,
        b: QVal,
    ) -> Result<(QVal, QVal), QuantError> {
        let target = a.scale.min(b.scale).min(self.unit());
        Ok((
            self.requant(&format!("{name}.a"), a, target)?,
            self.requant(&format!("{name}.b"), b, target)?,
        ))
    }

    /// Removes a non-zero zero point: `q − z`.
    pub fn drop_zero(&mut self, name: &str, v: QVal) -> Result<QVal, QuantError> {
        if v.zero == 0 {
            return Ok(v);
        }
        let z = self.scalar(&format!("{name}.zero"), v.zero);
        let id = self.binary(&format!("{name}.sub_zero"), QOp::Sub, v.id, z)?;
        Ok(QVal { id, scale: v.scale, zero: 0 })
    }

    /// Converts `v` to `target` scale with zero point 0: exact for power-of-two ratios above one,
    /// a [`QOp::Rescale`] for power-of-two ratios below one, and `(q·a) >> k` otherwise.
    pub fn requant(&mut self, name: &str, v: QVal, target: f64) -> Result<QVal, QuantError> {
        let key = (v.id, v.zero, target.to_bits());
        if let Some(&done) = self.requants.get(&key) {
            return Ok(done);
        }
        let out = self.requant_uncached(name, v, target)?;
        self.requants.insert(key, out);
        Ok(out)
    }

    fn requant_uncached(&mut self, name: &str, v: QVal, target: f64) -> Result<QVal, QuantError> {
        let v = self.drop_zero(name, v)?;
        let ratio = v.scale / target;
        if (ratio - 1.0).abs() < 1e-12 {
            return Ok(QVal { scale: target, ..v });
        }
        if !(ratio.is_finite() && ratio > 0.0) || ratio.log2().abs() > 40.0 {
            return Err(QuantError::Unsupported {
                node: name.to_string(),
                op: "rescale",
                reason: format!("scale ratio {ratio:e} is out of range"),
            });
        }
        let log = ratio.log2();
        let id = if (log - log.round()).abs() < 1e-12 && log.round() >= 1.0 {
            let m = self.scalar(&format!("{name}.pow2"), 1i64 << (log.round() as u32));
            self.binary(&format!("{name}.upscale"), QOp::Mul, v.id, m)?
        } else if (log - log.round()).abs() < 1e-12 {
            self.unary(
                &format!("{name}.rescale"),
                QOp::Rescale { shift: (-log.round()) as u32 },
                v.id,
            )
        } else {
            let k = (RATIONAL_BITS - log.floor() as i32).max(1) as u32;
            let a = (ratio * (k as f64).exp2()).round() as i64;
            let m = self.scalar(&format!("{name}.mult"), a);
            let p = self.binary(&format!("{name}.mul"), QOp::Mul, v.id, m)?;
            self.unary(&format!("{name}.rescale"), QOp::Rescale { shift: k }, p)
        };
        Ok(QVal { id, scale: target, zero: 0 })
    }

    /// Brings `v` to a zero point of 0 and a scale no finer than `2^−s` (operands of products
    /// and tables): values already coarser (int8 tensors) keep their scale.
    pub fn operand(&mut self, name: &str, v: QVal) -> Result<QVal, QuantError> {
        if v.scale < self.unit() * (1.0 - 1e-9) {
            self.requant(name, v, self.unit())
        } else {
            self.drop_zero(name, v)
        }
    }

    /// Operand of a product with a constant: only values finer than `2^−2s` (products of
    /// products) are brought back to `2^−s`, so an accumulator times a constant is rescaled once,
    /// by its consumer, instead of twice.
    pub fn const_operand(&mut self, name: &str, v: QVal) -> Result<QVal, QuantError> {
        if v.scale < self.unit() * self.unit() * (1.0 - 1e-9) {
            self.requant(name, v, self.unit())
        } else {
            self.drop_zero(name, v)
        }
    }

    /// Brings a value finer than `2^−s` (a product) back to `2^−s`; coarser values are unchanged.
    /// Used before monotone ops (ReLU, Clip, MaxPool), which commute with rounding, so their
    /// comparisons range-check activations of `s` bits instead of accumulators.
    pub fn coarsen(&mut self, name: &str, v: QVal) -> Result<QVal, QuantError> {
        if v.scale < self.unit() * (1.0 - 1e-9) {
            self.requant(name, v, self.unit())
        } else {
            Ok(v)
        }
    }

    /// Index of the table of `func` on inputs `[lo, hi]` at scale bits `s` (created once).
    pub fn table(&mut self, func: TableFn, lo: i64, hi: i64) -> usize {
        let key = (func, lo, (hi - lo + 1).max(1) as usize);
        if let Some(&t) = self.tables.get(&key) {
            return t;
        }
        let (bits, unit) = (self.bits, self.unit());
        let f = |x: f64| func.eval(x);
        let values = (lo..=hi).map(|i| (f(i as f64 * unit) / unit).round() as i64).collect();
        self.q.tables.push(Table { func, lo, in_bits: bits, out_bits: bits, values });
        self.tables.insert(key, self.q.tables.len() - 1);
        self.q.tables.len() - 1
    }
}
