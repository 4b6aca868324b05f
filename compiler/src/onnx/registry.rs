//! The op registry: ONNX op type → importer. The only string dispatch in the compiler.

use crate::error::ImportError;
use crate::functions::{FUNCTIONS, TableFn};
use crate::ir::{Comparison, Composed, ElemType, Op};
use crate::onnx::context::{Built, Imported, NodeCtx};

mod layout;
mod nn;
mod shapes;

/// An importer turns one ONNX node into an IR op (or a constant).
pub type Importer = fn(&NodeCtx<'_>) -> Result<Imported, ImportError>;

const REGISTRY: &[(&str, Importer)] = &[
    ("Abs", |c| unary(c, Op::Composed(Composed::Abs))),
    ("Add", |c| binary(c, Op::Add)),
    ("And", |c| binary(c, Op::Composed(Composed::And))),
    ("ArgMax", layout::arg_max),
    ("AveragePool", nn::average_pool),
    ("BatchNormalization", nn::batch_norm),
    ("Clip", clip),
    ("Cast", shapes::cast),
    ("Concat", layout::concat),
    ("Constant", |c| Ok(Imported::Constant(c.constant_attr()?))),
    ("ConstantOfShape", shapes::constant_of_shape),
    ("Conv", nn::conv),
    ("DequantizeLinear", nn::dequantize),
    ("Div", div),
    ("Dropout", dropout),
    ("Equal", |c| binary(c, Op::Compare(Comparison::Equal))),
    ("Expand", shapes::expand),
    ("Flatten", layout::flatten),
    ("Gather", layout::gather),
    ("Gemm", nn::gemm),
    ("Greater", |c| binary(c, Op::Compare(Comparison::Greater))),
    ("GreaterOrEqual", |c| binary(c, Op::Compare(Comparison::GreaterOrEqual))),
    ("GlobalAveragePool", |c| unary(c, Op::GlobalAveragePool)),
    ("HardSigmoid", |c| {
        let (alpha, beta) = (c.float("alpha", 0.2)?, c.float("beta", 0.5)?);
        unary(c, Op::Composed(Composed::HardSigmoid { alpha, beta }))
    }),
    ("HardSwish", |c| unary(c, Op::Composed(Composed::HardSwish))),
    ("Identity", identity),
    ("LayerNormalization", nn::layer_norm),
    ("LeakyRelu", |c| {
        let alpha = c.float("alpha", 0.01)?;
        unary(c, Op::Composed(Composed::LeakyRelu { alpha }))
    }),
    ("Less", |c| binary(c, Op::Compare(Comparison::Less))),
    ("LessOrEqual", |c| binary(c, Op::Compare(Comparison::LessOrEqual))),
    ("MatMul", |c| binary(c, Op::MatMul)),
    ("Max", |c| variadic(c, Composed::Max)),
    ("MaxPool", nn::max_pool),
    ("Min", |c| variadic(c, Composed::Min)),
    ("Mul", |c| binary(c, Op::Mul)),
    ("Neg", |c| unary(c, Op::Composed(Composed::Neg))),
    ("Not", |c| unary(c, Op::Composed(Composed::Not))),
    ("Or", |c| binary(c, Op::Composed(Composed::Or))),
    ("QuantizeLinear", nn::quantize),
    ("ReduceMax", |c| layout::reduce_max(c, false)),
    ("ReduceMean", |c| layout::reduce(c, true)),
    ("ReduceMin", |c| layout::reduce_max(c, true)),
    ("ReduceSum", |c| layout::reduce(c, false)),
    ("PRelu", |c| binary(c, Op::Composed(Composed::PRelu))),
    ("Pad", layout::pad),
    ("Pow", pow),
    ("Range", shapes::range),
    ("Relu", |c| unary(c, Op::Relu)),
    ("Reshape", layout::reshape),
    ("Sign", |c| unary(c, Op::Composed(Composed::Sign))),
    ("Shape", shapes::shape),
    ("Size", shapes::size),
    ("Slice", layout::slice),
    ("Softmax", softmax),
    ("Sqrt", |c| unary(c, Op::Sqrt)),
    ("Split", layout::split),
    ("Squeeze", layout::squeeze),
    ("Sub", |c| binary(c, Op::Sub)),
    ("Transpose", layout::transpose),
    ("Unsqueeze", layout::unsqueeze),
    ("Where", |c| {
        node(
            Op::Composed(Composed::Where),
            (0..3).map(|i| c.required(i)).collect::<Result<_, _>>()?,
        )
    }),
    ("Xor", |c| binary(c, Op::Composed(Composed::Xor))),
];

/// `Max` / `Min` of two inputs (the form exporters write; more inputs are refused by name).
fn variadic(c: &NodeCtx<'_>, op: Composed) -> Result<Imported, ImportError> {
    match c.num_inputs() {
        1 => node(Op::Identity, vec![c.required(0)?]),
        2 => binary(c, Op::Composed(op)),
        n => Err(c.err(format!("{n} inputs (two are supported)"))),
    }
}

/// The importer for an op type, if supported: the list above, then the function tables.
pub fn lookup(op_type: &str) -> Option<Importer> {
    let listed = REGISTRY.iter().find(|(name, _)| *name == op_type).map(|(_, f)| *f);
    let variant = op_type.contains(':');
    listed.or_else(|| TableFn::find(op_type).filter(|_| !variant).map(|_| function as Importer))
}

/// Every supported ONNX op type, sorted.
pub fn supported_op_types() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = REGISTRY.iter().map(|(n, _)| *n).collect();
    all.extend(FUNCTIONS.iter().map(|f| f.name).filter(|n| !n.contains(':')));
    all.sort_unstable();
    all
}

/// A tabulated function of [`FUNCTIONS`], by the node's op type.
fn function(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let f = TableFn::find(c.op_type()).ok_or_else(|| c.err("not a tabulated function"))?;
    // The tables are of fixed functions: Elu and Celu at their default α = 1 only.
    if c.float("alpha", 1.0)? != 1.0 {
        return Err(c.err("only alpha = 1 is supported"));
    }
    // Gelu (opset 20): the erf form, or the tanh approximation as its own table.
    let f = match (c.op_type(), c.string("approximate", "none")?.as_str()) {
        ("Gelu", "none") => f,
        ("Gelu", "tanh") => TableFn::find("Gelu:tanh").ok_or_else(|| c.err("no tanh table"))?,
        ("Gelu", other) => return Err(c.err(format!("approximate = {other:?}"))),
        _ => f,
    };
    unary(c, Op::Function(f))
}

/// A node with the given op and data inputs.
fn node(op: Op, inputs: Vec<String>) -> Result<Imported, ImportError> {
    Ok(Imported::Node(Built { op, inputs }))
}

fn unary(c: &NodeCtx<'_>, op: Op) -> Result<Imported, ImportError> {
    node(op, vec![c.required(0)?])
}

fn binary(c: &NodeCtx<'_>, op: Op) -> Result<Imported, ImportError> {
    node(op, vec![c.required(0)?, c.required(1)?])
}

fn identity(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    match c.constant(0) {
        Ok(Some(d)) => Ok(Imported::Constant(d.clone())),
        _ => unary(c, Op::Identity),
    }
}

fn clip(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    // Before opset 11 the bounds are attributes.
    if c.opset() < 11 {
        let (min, max) = (c.float("min", f64::NEG_INFINITY)?, c.float("max", f64::INFINITY)?);
        return node(Op::Clip { min, max }, vec![c.required(0)?]);
    }
    // Opset ≥ 11: bounds are optional constant inputs.
    let bound = |i: usize, default: f64| -> Result<f64, ImportError> {
        match c.constant(i)? {
            None => Ok(default),
            Some(d) => d.value.data().first().copied().ok_or_else(|| c.err("empty bound")),
        }
    };
    let (min, max) = (bound(1, f64::NEG_INFINITY)?, bound(2, f64::INFINITY)?);
    node(Op::Clip { min, max }, vec![c.required(0)?])
}

/// `Dropout` at inference: the identity. Training mode (a true `training_mode` input, opset 12+)
/// and a used mask output are refused.
fn dropout(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    if c.num_outputs() > 1 {
        return Err(c.err("the mask output is not supported"));
    }
    let training = match c.input_name(2) {
        Some(_) => c.constant(2)?.is_some_and(|d| d.value.data().iter().any(|&v| v != 0.0)),
        None => false,
    };
    if training {
        return Err(c.err("training mode is not supported"));
    }
    node(Op::Identity, vec![c.required(0)?])
}

/// `Div`: on two integer tensors it truncates toward zero (ONNX's integer semantics).
fn div(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let integer = (0..2).all(|i| c.elem(i) == Some(ElemType::Integer));
    binary(c, if integer { Op::IntDiv } else { Op::Div })
}

fn softmax(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let rank = c.rank(0)?;
    let legacy = c.opset() < 13;
    let axis = c.axis(c.int("axis", if legacy { 1 } else { -1 })?, rank)?;
    // Before opset 13 Softmax flattened the axes from `axis` on; that equals the per-axis form
    // only when `axis` is the last axis.
    if legacy && axis + 1 != rank {
        return Err(c.err("opset < 13 softmax over several trailing axes is not supported"));
    }
    node(Op::Softmax { axis }, vec![c.required(0)?])
}

/// `Pow` with a constant exponent that the op set expresses: 2 (a product), 0.5 (a square root), 1.
/// Exporters emit these in decomposed LayerNorm and GELU graphs.
fn pow(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let e = c.constant(1)?.ok_or_else(|| c.err("missing exponent"))?;
    let first = e.value.data().first().copied().ok_or_else(|| c.err("empty exponent"))?;
    if e.value.data().iter().any(|&v| v != first) {
        return Err(c.err("only a uniform constant exponent is supported"));
    }
    let x = c.required(0)?;
    match first {
        2.0 => node(Op::Mul, vec![x.clone(), x]),
        0.5 => node(Op::Sqrt, vec![x]),
        1.0 => node(Op::Identity, vec![x]),
        // The tanh GELU's cube, and other small integer powers: products.
        n if n.fract() == 0.0 && (3.0..=16.0).contains(&n) => node(Op::Powi(n as u32), vec![x]),
        other => Err(
            c.err(format!("exponent {other} is not supported (0.5 and the integers 1 to 16 are)"))
        ),
    }
}
