//! Interpreters: [`float`] runs the imported graph in `f64` (compared against onnxruntime's
//! reference outputs); the quantized integer interpreter lives in [`crate::quant`].

#[cfg(feature = "onnx")]
pub mod float;
#[cfg(feature = "onnx")]
pub(crate) mod float_ops;
pub mod math;

#[cfg(feature = "onnx")]
pub use float::{FloatRun, eval_float, run_float};
