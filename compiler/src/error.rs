//! Error types of every compiler stage. Messages are lowercase and name the node, tensor or input
//! at fault.

use std::path::PathBuf;

use thiserror::Error;

/// Errors of the IR: shape inference and graph surgery. Every variant names the node.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GraphError {
    /// The op cannot take inputs of these shapes.
    #[error("node {node} ({op}): {reason}")]
    Shape {
        /// Node name.
        node: String,
        /// Op name.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The op received the wrong number of inputs.
    #[error("node {node} ({op}): expected {expected} inputs, found {found}")]
    Arity {
        /// Node name.
        node: String,
        /// Op name.
        op: &'static str,
        /// Accepted input counts, e.g. "2 or 3".
        expected: String,
        /// Inputs supplied.
        found: usize,
    },
    /// A node refers to a value that does not exist.
    #[error("node {node}: input refers to a missing value")]
    DanglingInput {
        /// Node name.
        node: String,
    },
    /// The graph has a cycle.
    #[error("graph has a cycle through node {node}")]
    Cycle {
        /// A node on the cycle.
        node: String,
    },
}

/// Errors of ONNX import.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid ONNX protobuf (corrupt or truncated file).
    #[error("corrupt onnx model: {reason}")]
    Corrupt {
        /// The decoder's message.
        reason: String,
    },
    /// The model has no graph.
    #[error("onnx model has no graph")]
    MissingGraph,
    /// The default-domain opset is outside 11..=21.
    #[error("onnx opset {version} is not supported (supported: 11 to 21)")]
    UnsupportedOpset {
        /// Declared version.
        version: i64,
    },
    /// A node uses a domain other than the default ONNX domain.
    #[error("node {node} ({op_type}): domain {domain} is not supported")]
    UnsupportedDomain {
        /// Node name.
        node: String,
        /// Its op type.
        op_type: String,
        /// The domain.
        domain: String,
    },
    /// No importer for this op type.
    #[error("node {node} ({op_type}): unsupported op")]
    UnsupportedOp {
        /// Node name.
        node: String,
        /// Its op type.
        op_type: String,
    },
    /// An attribute or constant input has a value the compiler does not support.
    #[error("node {node} ({op_type}): {reason}")]
    UnsupportedNode {
        /// Node name.
        node: String,
        /// Its op type.
        op_type: String,
        /// What is not supported.
        reason: String,
    },
    /// A tensor stores its data in an external file.
    #[error("tensor {tensor}: external data is not supported")]
    ExternalData {
        /// Tensor name.
        tensor: String,
    },
    /// A sparse initializer (only dense tensors are supported).
    #[error("tensor {tensor}: sparse tensors are not supported")]
    SparseTensor {
        /// Tensor name.
        tensor: String,
    },
    /// A tensor has an element type the compiler cannot decode.
    #[error("tensor {tensor}: data type {data_type} is not supported")]
    UnsupportedDataType {
        /// Tensor name.
        tensor: String,
        /// ONNX `TensorProto.DataType` code.
        data_type: i32,
    },
    /// A tensor's payload does not match its dims.
    #[error("tensor {tensor}: expected {expected} elements, found {found}")]
    TensorLength {
        /// Tensor name.
        tensor: String,
        /// Elements implied by the dims.
        expected: usize,
        /// Elements found.
        found: usize,
    },
    /// A tensor has a negative dimension.
    #[error("tensor {tensor}: invalid dimensions {dims:?}")]
    BadDims {
        /// Tensor name.
        tensor: String,
        /// The dims.
        dims: Vec<i64>,
    },
    /// A graph input has a dynamic or missing dimension other than the leading batch axis.
    #[error("input {input}: dimension {axis} is dynamic ({dim}); only the batch axis may be")]
    DynamicDim {
        /// Input name.
        input: String,
        /// Axis.
        axis: usize,
        /// The symbolic name or "unknown".
        dim: String,
    },
    /// A graph input has no tensor type or shape.
    #[error("input {input}: missing tensor type or shape")]
    MissingInputShape {
        /// Input name.
        input: String,
    },
    /// A node reads a value that no earlier node, input or initializer defines.
    #[error("node {node}: input {input} is not defined")]
    UndefinedValue {
        /// Node name.
        node: String,
        /// The missing value name.
        input: String,
    },
    /// A graph output is not produced by any node.
    #[error("graph output {output} is not defined")]
    UndefinedOutput {
        /// Output name.
        output: String,
    },
    /// A parameter input that the compiler needs at compile time is not a constant.
    #[error("node {node} ({op_type}): input {input} must be a constant")]
    NotConstant {
        /// Node name.
        node: String,
        /// Its op type.
        op_type: String,
        /// The input value name.
        input: String,
    },
    /// Shape inference failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Errors of the interpreters.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvalError {
    /// Wrong number of graph inputs.
    #[error("expected {expected} inputs, found {found}")]
    InputCount {
        /// Declared inputs.
        expected: usize,
        /// Supplied inputs.
        found: usize,
    },
    /// A graph input has the wrong shape.
    #[error("input {input}: expected shape {expected:?}, found {found:?}")]
    InputShape {
        /// Input name.
        input: String,
        /// Declared shape.
        expected: Vec<usize>,
        /// Supplied shape.
        found: Vec<usize>,
    },
    /// A node cannot be evaluated.
    #[error("node {node}: {reason}")]
    Node {
        /// Node name.
        node: String,
        /// What went wrong.
        reason: String,
    },
    /// The graph is malformed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Errors of quantization.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QuantError {
    /// The op has no fixed-point lowering in this form.
    #[error("node {node} ({op}): cannot quantize: {reason}")]
    Unsupported {
        /// Node name.
        node: String,
        /// Op name.
        op: &'static str,
        /// Why.
        reason: String,
    },
    /// Calibration failed (the float model could not be evaluated).
    #[error("calibration failed: {0}")]
    Calibration(#[from] EvalError),
    /// Calibration data is unusable.
    #[error("calibration data: {reason}")]
    CalibrationData {
        /// Why.
        reason: String,
    },
    /// On the calibration inputs a range-checked value exceeds the activation range at every
    /// scale the configuration allows: the prover would refuse such inputs.
    #[error(
        "node {node} ({op}): calibrated values reach {value}, beyond the {bits}-bit activation \
         range even at {scale_bits} scale bits; allow fewer scale bits (--scale-bits) or \
         calibrate on inputs of the range the model will see"
    )]
    Range {
        /// Node name.
        node: String,
        /// Op name.
        op: &'static str,
        /// The largest |value| observed.
        value: i64,
        /// Activation bits.
        bits: u32,
        /// The smallest scale bits tried.
        scale_bits: u32,
    },
}

/// Any compiler error, for callers that run several stages.
#[derive(Debug, Error)]
pub enum CompileError {
    /// Import failed.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A graph operation failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// Evaluation failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// Quantization failed.
    #[error(transparent)]
    Quant(#[from] QuantError),
}
