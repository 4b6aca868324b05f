#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod error;
pub mod functions;
pub mod interp;
pub mod ir;
pub mod kernels;
pub mod onnx;
pub mod passes;
mod pipeline;
pub mod plan;
pub mod quant;
pub mod tensor;

pub use error::{CompileError, EvalError, GraphError, ImportError, QuantError};
pub use ir::{Graph, Op};
pub use onnx::{ImportOptions, OnnxModel};
pub use pipeline::{CompileOptions, Compiled, compile};
pub use plan::{BlockPlan, LowerOptions, PlanError, lower};
pub use tensor::Tensor;
