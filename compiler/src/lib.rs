#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
// Library code returns typed errors: no unwrap, expect or panic outside tests (test helpers of the
// `test-utils` feature excepted, see `testing`).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod error;
pub mod functions;
pub mod interp;
pub mod ir;
pub mod kernels;
#[cfg(feature = "onnx")]
pub mod onnx;
#[cfg(feature = "onnx")]
pub mod passes;
#[cfg(feature = "onnx")]
mod pipeline;
pub mod plan;
pub mod quant;
pub mod tensor;

pub use error::{CompileError, EvalError, GraphError, ImportError, QuantError};
#[cfg(feature = "onnx")]
pub use ir::Graph;
pub use ir::Op;
#[cfg(feature = "onnx")]
pub use onnx::{ImportOptions, OnnxModel};
#[cfg(feature = "onnx")]
pub use pipeline::{CompileOptions, Compiled, compile};
pub use plan::{BlockPlan, LowerOptions, PlanError, lower};
pub use tensor::Tensor;
