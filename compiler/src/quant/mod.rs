//! Quantization to fixed point (DESIGN §2) and the integer reference interpreter.
//!
//! `quantize(&graph, &QuantConfig)` calibrates the float graph, chooses the scale bits `s`, and
//! lowers every float op to integer ops of [`qop::QOp`] — each of which maps onto one proof block
//! (matmul, elementwise, lookup/range check, permutation). Float models become fixed point
//! `round(v · 2^s)`; int8 QDQ models keep their integers and convert scales with rationals
//! `a / 2^k`. The result is a [`QuantizedModel`]: the integer graph, its tables, and a
//! [`CompileReport`].

#[cfg(feature = "onnx")]
pub mod builder;
#[cfg(feature = "onnx")]
pub mod calibrate;
#[cfg(feature = "onnx")]
mod composed;
pub mod interp;
#[cfg(feature = "onnx")]
mod lower;
#[cfg(feature = "onnx")]
mod nonlinear;
#[cfg(feature = "onnx")]
mod per_channel;
pub mod qop;
#[cfg(feature = "onnx")]
mod quantize;
pub mod report;

use crate::error::EvalError;
use crate::quant::qop::QGraph;
use crate::tensor::Tensor;

#[cfg(feature = "onnx")]
pub use calibrate::Calibration;
pub use interp::{Ranges, run_quantized};
#[cfg(feature = "onnx")]
pub use quantize::{QuantConfig, quantize};
pub use report::CompileReport;

/// A quantized model: the integer graph and its compile report.
#[derive(Clone, Debug)]
pub struct QuantizedModel {
    /// The integer graph.
    pub graph: QGraph,
    /// What quantization decided and measured.
    pub report: CompileReport,
}

impl QuantizedModel {
    /// Encodes float inputs as integers: `round(x / scale) + zero`, saturated to the activation
    /// range.
    pub fn encode_inputs(&self, inputs: &[Tensor<f64>]) -> Vec<Tensor<i64>> {
        let bound = 1i64 << (self.report.activation_bits - 1);
        inputs
            .iter()
            .zip(&self.graph.inputs)
            .map(|(t, (_, _, e))| {
                t.map(|&x| ((x / e.scale).round() as i64 + e.zero).clamp(-bound, bound - 1))
            })
            .collect()
    }

    /// Integer outputs for integer inputs.
    pub fn run_int(
        &self,
        inputs: &[Tensor<i64>],
        ranges: Option<&mut Ranges>,
    ) -> Result<Vec<Tensor<i64>>, EvalError> {
        let vals = run_quantized(&self.graph, inputs, ranges)?;
        self.graph
            .outputs
            .iter()
            .map(|(name, id, _)| {
                vals.get(*id).cloned().ok_or_else(|| EvalError::Node {
                    node: name.clone(),
                    reason: "output not computed".into(),
                })
            })
            .collect()
    }

    /// Float in, float out: encode, run on integers, decode `(q − zero) · scale`.
    pub fn run(&self, inputs: &[Tensor<f64>]) -> Result<Vec<Tensor<f64>>, EvalError> {
        if inputs.len() != self.graph.inputs.len() {
            return Err(EvalError::InputCount {
                expected: self.graph.inputs.len(),
                found: inputs.len(),
            });
        }
        let outs = self.run_int(&self.encode_inputs(inputs), None)?;
        Ok(outs
            .iter()
            .zip(&self.graph.outputs)
            .map(|(t, (_, _, e))| t.map(|&q| (q - e.zero) as f64 * e.scale))
            .collect())
    }
}
