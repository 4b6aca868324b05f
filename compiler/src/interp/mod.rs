//! Interpreters: [`float`] runs the imported graph in `f64` (compared against onnxruntime's
//! reference outputs); the quantized integer interpreter lives in [`crate::quant`].

pub mod float;
pub(crate) mod float_ops;
pub mod math;

pub use float::{FloatRun, eval_float, run_float};
