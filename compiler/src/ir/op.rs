//! The closed set of operations of the IR.
//!
//! Every parameter that ONNX may pass either as an attribute or as a constant input (depending on
//! the opset) is resolved at import and stored here, with axes normalised to non-negative indices
//! and shapes made static. Inside the compiler there is no string dispatch: passes, shape inference
//! and interpreters match on [`Op`].

use crate::tensor::Tensor;

/// Integer element type of a quantized tensor (QuantizeLinear output, int8 weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantType {
    /// Signed 8-bit, range [-128, 127].
    I8,
    /// Unsigned 8-bit, range [0, 255].
    U8,
    /// Signed 32-bit (biases of int8 models; dequantized only).
    I32,
}

impl QuantType {
    /// Smallest and largest representable value.
    pub fn bounds(self) -> (i64, i64) {
        match self {
            QuantType::I8 => (-128, 127),
            QuantType::U8 => (0, 255),
            QuantType::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        }
    }
}

/// Element type of a constant, kept so that integer weights stay integers through quantization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemType {
    /// A real number (float, float16, double in ONNX).
    Real,
    /// An integer (int8, uint8, int32, int64 in ONNX).
    Integer,
}

/// Sliding-window geometry shared by Conv, MaxPool and AveragePool (spatial axes only).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// Kernel extent per spatial axis.
    pub kernel: Vec<usize>,
    /// Stride per spatial axis.
    pub strides: Vec<usize>,
    /// Padding before each spatial axis.
    pub pads_begin: Vec<usize>,
    /// Padding after each spatial axis.
    pub pads_end: Vec<usize>,
    /// Dilation per spatial axis.
    pub dilations: Vec<usize>,
    /// Output extents round up (pooling `ceil_mode`); windows never start in the end padding.
    pub ceil_mode: bool,
}

/// One axis of a Slice: `start`, `end` (exclusive) and `step`, already clamped to the axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SliceAxis {
    /// Axis index.
    pub axis: usize,
    /// First index taken.
    pub start: i64,
    /// Bound (exclusive in the direction of `step`).
    pub end: i64,
    /// Non-zero step.
    pub step: i64,
}

/// Per-tensor or per-axis affine quantization parameters: real = (q − zero_point) · scale.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantParams {
    /// One scale per tensor or per channel of `axis`.
    pub scale: Vec<f64>,
    /// One zero point per tensor or per channel of `axis` (same length as `scale`).
    pub zero_point: Vec<i64>,
    /// Channel axis when per-axis; ignored for per-tensor parameters.
    pub axis: usize,
    /// Integer type of the quantized side.
    pub qtype: QuantType,
}

/// An IR operation. Inputs are positional; see each variant for their meaning.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Graph input number `index` (no inputs).
    Input {
        /// Position among the graph's inputs.
        index: usize,
        /// Whether the input holds real numbers or integers (e.g. already-quantized data).
        elem: ElemType,
    },
    /// A constant tensor (initializer or `Constant` node).
    Constant {
        /// The value.
        value: Tensor<f64>,
        /// Whether the ONNX tensor was an integer tensor.
        elem: ElemType,
    },
    /// `alpha · A' · B' + beta · C` with optional transposes; inputs A, B, optional C.
    Gemm {
        /// Scale of the product.
        alpha: f64,
        /// Scale of the bias.
        beta: f64,
        /// Transpose A.
        trans_a: bool,
        /// Transpose B.
        trans_b: bool,
    },
    /// Numpy matmul with broadcasting batch axes; inputs A, B.
    MatMul,
    /// N-d convolution (NCHW…); inputs X, W, optional bias.
    Conv {
        /// Window geometry.
        window: Window,
        /// Number of groups.
        group: usize,
    },
    /// Broadcasting addition.
    Add,
    /// Broadcasting subtraction.
    Sub,
    /// Broadcasting multiplication.
    Mul,
    /// Broadcasting division (the quantizer requires a constant divisor).
    Div,
    /// Integer division truncating toward zero (ONNX `Div` on integer tensors).
    IntDiv,
    /// max(x, 0).
    Relu,
    /// A tabulated elementwise function ([`crate::functions::FUNCTIONS`]).
    Function(crate::functions::TableFn),
    /// Square root (ONNX `Sqrt`, and `Pow` with exponent 0.5).
    Sqrt,
    /// Softmax along one axis.
    Softmax {
        /// Normalised axis.
        axis: usize,
    },
    /// Layer normalisation over the axes from `axis` to the last; inputs X, scale, optional bias.
    LayerNorm {
        /// First normalised axis.
        axis: usize,
        /// Added to the variance.
        epsilon: f64,
        /// Also output the mean and the inverse standard deviation (outputs 1 and 2).
        stats: bool,
    },
    /// Mean over `axes`.
    ReduceMean {
        /// Sorted, normalised axes.
        axes: Vec<usize>,
        /// Keep reduced axes with extent 1.
        keepdims: bool,
    },
    /// Max (or min) over `axes`.
    ReduceMax {
        /// Sorted, normalised axes.
        axes: Vec<usize>,
        /// Keep reduced axes with extent 1.
        keepdims: bool,
        /// The minimum instead (ONNX `ReduceMin`).
        min: bool,
    },
    /// Sum over `axes`.
    ReduceSum {
        /// Sorted, normalised axes.
        axes: Vec<usize>,
        /// Keep reduced axes with extent 1.
        keepdims: bool,
    },
    /// The index of the maximum along `axis` (ONNX `ArgMax`).
    ArgMax {
        /// Normalised axis.
        axis: usize,
        /// Keep the reduced axis with extent 1.
        keepdims: bool,
        /// Ties go to the last maximal entry instead of the first (`select_last_index`).
        last: bool,
    },
    /// Max pooling (padding never wins the max).
    MaxPool {
        /// Window geometry.
        window: Window,
    },
    /// Average pooling.
    AveragePool {
        /// Window geometry.
        window: Window,
        /// Whether padded cells count in the divisor.
        count_include_pad: bool,
    },
    /// Mean over all spatial axes, keeping them with extent 1.
    GlobalAveragePool,
    /// Inference batch normalisation; inputs X, scale, bias, mean, var.
    BatchNorm {
        /// Added to the variance.
        epsilon: f64,
    },
    /// Row-major reshape to a static shape.
    Reshape {
        /// Output shape.
        shape: Vec<usize>,
    },
    /// Reshape to 2-D `[prod(dims[..axis]), prod(dims[axis..])]`.
    Flatten {
        /// Split point.
        axis: usize,
    },
    /// Axis permutation: output axis i is input axis `perm[i]`.
    Transpose {
        /// The permutation.
        perm: Vec<usize>,
    },
    /// Remove extent-1 axes.
    Squeeze {
        /// Sorted, normalised axes of the input.
        axes: Vec<usize>,
    },
    /// Insert extent-1 axes.
    Unsqueeze {
        /// Sorted, normalised axes of the output.
        axes: Vec<usize>,
    },
    /// Concatenation along an axis (any number of inputs).
    Concat {
        /// Normalised axis.
        axis: usize,
    },
    /// Strided slice.
    Slice {
        /// One entry per sliced axis.
        axes: Vec<SliceAxis>,
    },
    /// Split along an axis into consecutive parts (one output per part).
    Split {
        /// Normalised axis.
        axis: usize,
        /// Extent of each part.
        sizes: Vec<usize>,
    },
    /// Gather with constant indices along an axis.
    Gather {
        /// Normalised axis.
        axis: usize,
        /// Non-negative indices (already wrapped).
        indices: Tensor<usize>,
    },
    /// Copy of the input.
    Identity,
    /// A copy as another element type (ONNX `Cast`; only to real types so far).
    Cast {
        /// The target type.
        to: ElemType,
    },
    /// Padding of each axis by `(before, after)` entries (ONNX `Pad`, non-negative pads).
    Pad {
        /// Per axis.
        pads: Vec<(usize, usize)>,
        /// What the new entries hold.
        mode: PadMode,
    },
    /// `x^n` for a constant integer `n ≥ 2` (ONNX `Pow`; `n − 1` products when quantized).
    Powi(u32),
    /// An elementwise op composed of clamps and linear forms when quantized
    /// (the quantizer's `composed` module).
    Composed(Composed),
    /// Broadcasting comparison: 1 where it holds, else 0 (ONNX's bool, as a real).
    Compare(Comparison),
    /// Clamp to `[min, max]`.
    Clip {
        /// Lower bound (−∞ when absent).
        min: f64,
        /// Upper bound (+∞ when absent).
        max: f64,
    },
    /// q = saturate(round_half_even(x / scale) + zero_point).
    QuantizeLinear(QuantParams),
    /// x = (q − zero_point) · scale.
    DequantizeLinear(QuantParams),
}

impl Op {
    /// A short, stable name for messages and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Input { .. } => "Input",
            Op::Constant { .. } => "Constant",
            Op::Gemm { .. } => "Gemm",
            Op::MatMul => "MatMul",
            Op::Conv { .. } => "Conv",
            Op::Add => "Add",
            Op::Sub => "Sub",
            Op::Mul => "Mul",
            Op::Div | Op::IntDiv => "Div",
            Op::Relu => "Relu",
            Op::Function(f) => f.name(),
            Op::Sqrt => "Sqrt",
            Op::Softmax { .. } => "Softmax",
            Op::LayerNorm { .. } => "LayerNormalization",
            Op::ReduceMean { .. } => "ReduceMean",
            Op::ReduceMax { min: false, .. } => "ReduceMax",
            Op::ReduceMax { min: true, .. } => "ReduceMin",
            Op::ReduceSum { .. } => "ReduceSum",
            Op::ArgMax { .. } => "ArgMax",
            Op::MaxPool { .. } => "MaxPool",
            Op::AveragePool { .. } => "AveragePool",
            Op::GlobalAveragePool => "GlobalAveragePool",
            Op::BatchNorm { .. } => "BatchNormalization",
            Op::Reshape { .. } => "Reshape",
            Op::Flatten { .. } => "Flatten",
            Op::Transpose { .. } => "Transpose",
            Op::Squeeze { .. } => "Squeeze",
            Op::Unsqueeze { .. } => "Unsqueeze",
            Op::Concat { .. } => "Concat",
            Op::Slice { .. } => "Slice",
            Op::Split { .. } => "Split",
            Op::Gather { .. } => "Gather",
            Op::Identity => "Identity",
            Op::Cast { .. } => "Cast",
            Op::Compare(c) => c.name(),
            Op::Composed(c) => c.name(),
            Op::Powi(_) => "Pow",
            Op::Pad { .. } => "Pad",
            Op::Clip { .. } => "Clip",
            Op::QuantizeLinear(_) => "QuantizeLinear",
            Op::DequantizeLinear(_) => "DequantizeLinear",
        }
    }

    /// Number of outputs this op produces.
    pub fn num_outputs(&self) -> usize {
        match self {
            Op::Split { sizes, .. } => sizes.len(),
            Op::LayerNorm { stats: true, .. } => 3,
            _ => 1,
        }
    }
}

/// The comparisons of ONNX (`a ∘ b`, elementwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `a < b`.
    Less,
    /// `a ≤ b`.
    LessOrEqual,
    /// `a > b`.
    Greater,
    /// `a ≥ b`.
    GreaterOrEqual,
    /// `a = b`.
    Equal,
}

impl Comparison {
    /// The ONNX op type.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::Less => "Less",
            Comparison::LessOrEqual => "LessOrEqual",
            Comparison::Greater => "Greater",
            Comparison::GreaterOrEqual => "GreaterOrEqual",
            Comparison::Equal => "Equal",
        }
    }

    /// Whether `a ∘ b` holds.
    pub fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Comparison::Less => a < b,
            Comparison::LessOrEqual => a <= b,
            Comparison::Greater => a > b,
            Comparison::GreaterOrEqual => a >= b,
            Comparison::Equal => a == b,
        }
    }
}

/// Elementwise ops the quantizer composes from clamps, linear forms and products (the logic ops
/// read ONNX bools as 0/1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Composed {
    /// `−x`.
    Neg,
    /// `|x|`.
    Abs,
    /// `sign(x)` in `{−1, 0, 1}`.
    Sign,
    /// `x` if `x ≥ 0`, else `α·x`.
    LeakyRelu {
        /// `α`.
        alpha: f64,
    },
    /// `x` if `x ≥ 0`, else `slope·x`, the slope a constant broadcasting to `x` (two inputs).
    PRelu,
    /// `clamp(α·x + β, 0, 1)`.
    HardSigmoid {
        /// `α`.
        alpha: f64,
        /// `β`.
        beta: f64,
    },
    /// `x · HardSigmoid(x; 1/6, 1/2)`.
    HardSwish,
    /// `max(a, b)`, broadcasting.
    Max,
    /// `min(a, b)`, broadcasting.
    Min,
    /// `c ? a : b`, broadcasting (three inputs).
    Where,
    /// `1 − x` of a bool.
    Not,
    /// `a·b` of bools.
    And,
    /// `a + b − a·b` of bools.
    Or,
    /// `a + b − 2·a·b` of bools.
    Xor,
}

impl Composed {
    /// The ONNX op type.
    pub fn name(self) -> &'static str {
        match self {
            Composed::Neg => "Neg",
            Composed::Abs => "Abs",
            Composed::Sign => "Sign",
            Composed::LeakyRelu { .. } => "LeakyRelu",
            Composed::PRelu => "PRelu",
            Composed::HardSigmoid { .. } => "HardSigmoid",
            Composed::HardSwish => "HardSwish",
            Composed::Max => "Max",
            Composed::Min => "Min",
            Composed::Where => "Where",
            Composed::Not => "Not",
            Composed::And => "And",
            Composed::Or => "Or",
            Composed::Xor => "Xor",
        }
    }

    /// Number of inputs.
    pub fn arity(self) -> usize {
        match self {
            Composed::Max
            | Composed::Min
            | Composed::And
            | Composed::Or
            | Composed::Xor
            | Composed::PRelu => 2,
            Composed::Where => 3,
            _ => 1,
        }
    }

    /// The real function of the inputs.
    pub fn eval(self, v: &[f64]) -> f64 {
        let hard_sigmoid = |x: f64, a: f64, b: f64| (a * x + b).clamp(0.0, 1.0);
        let bit = |x: f64| x != 0.0;
        let of = |b: bool| f64::from(u8::from(b));
        match (self, v) {
            (Composed::Neg, [x]) => -x,
            (Composed::Abs, [x]) => x.abs(),
            (Composed::Sign, [x]) => of(*x > 0.0) - of(*x < 0.0),
            (Composed::PRelu, [x, slope]) => {
                if *x >= 0.0 {
                    *x
                } else {
                    slope * x
                }
            }
            (Composed::LeakyRelu { alpha }, [x]) => {
                if *x >= 0.0 {
                    *x
                } else {
                    alpha * x
                }
            }
            (Composed::HardSigmoid { alpha, beta }, [x]) => hard_sigmoid(*x, alpha, beta),
            (Composed::HardSwish, [x]) => x * hard_sigmoid(*x, 1.0 / 6.0, 0.5),
            (Composed::Max, [a, b]) => a.max(*b),
            (Composed::Min, [a, b]) => a.min(*b),
            (Composed::Where, [c, a, b]) => {
                if bit(*c) {
                    *a
                } else {
                    *b
                }
            }
            (Composed::Not, [x]) => of(!bit(*x)),
            (Composed::And, [a, b]) => of(bit(*a) && bit(*b)),
            (Composed::Or, [a, b]) => of(bit(*a) || bit(*b)),
            (Composed::Xor, [a, b]) => of(bit(*a) != bit(*b)),
            _ => f64::NAN,
        }
    }
}

/// What `Pad` puts in the new entries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// A constant.
    Constant(f64),
    /// The nearest edge entry.
    Edge,
    /// The mirror image, without repeating the edge.
    Reflect,
}

impl PadMode {
    /// The source index along an axis of `n` entries of output position `i` padded by `before`
    /// (`None`: a constant entry).
    pub fn source(self, i: usize, before: usize, n: usize) -> Option<usize> {
        let j = i as i64 - before as i64;
        let last = n as i64 - 1;
        if (0..n as i64).contains(&j) {
            return Some(j as usize);
        }
        match self {
            PadMode::Constant(_) => None,
            PadMode::Edge => Some(j.clamp(0, last) as usize),
            PadMode::Reflect => Some(if j < 0 { -j } else { 2 * last - j } as usize),
        }
    }
}
