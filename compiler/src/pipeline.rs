//! The whole compiler as one call: `load → into_ir → optimized → quantize`.

use std::path::Path;

use tracing::instrument;

use crate::error::CompileError;
use crate::ir::Graph;
use crate::onnx::{ImportOptions, OnnxModel};
use crate::passes::{Pass, optimized};
use crate::quant::{QuantConfig, QuantizedModel, quantize};

/// Options of [`compile`].
#[derive(Clone, Debug, PartialEq)]
pub struct CompileOptions {
    /// Import options (batch size).
    pub import: ImportOptions,
    /// Passes run on the float graph before quantization.
    pub passes: Vec<Pass>,
    /// Quantization settings (calibration, scale bounds).
    pub quant: QuantConfig,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            import: ImportOptions::default(),
            passes: Pass::DEFAULT.to_vec(),
            quant: QuantConfig::default(),
        }
    }
}

/// Every stage's result.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The optimized float graph (the float reference).
    pub float: Graph,
    /// The quantized model and its report.
    pub quantized: QuantizedModel,
}

/// Compiles an ONNX file.
#[instrument(skip_all, fields(path = %path.as_ref().display()))]
pub fn compile(path: impl AsRef<Path>, options: &CompileOptions) -> Result<Compiled, CompileError> {
    let graph = OnnxModel::load(path)?.into_ir(options.import)?;
    let float = optimized(&graph, &options.passes)?;
    let quantized = quantize(&float, &options.quant)?;
    Ok(Compiled { float, quantized })
}
