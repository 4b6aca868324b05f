//! The quantized IR: integer ops chosen so that each maps onto one kind of proof block.
//!
//! | op | block | relation proven later |
//! |---|---|---|
//! | `MatMul`, `Gemm`, `Conv` | matmul | `Y = X·W` over integers (conv as matmul over an index map) |
//! | `Add`, `Sub`, `Mul`, `ReduceSum`, `SumPool` | elementwise | Hadamard / linear combinations / axis sums |
//! | `Rescale`, `DivConst`, `DivRound`, `Sqrt`, `Clamp`, `ReduceMax`, `MaxPool` | lookup (range checks) | quotient and remainder range-checked |
//! | `Lookup` | lookup | `(x, T[x])` in a fixed table |
//! | `Reshape`, `Transpose`, `Slice`, `Concat`, `Gather` | permutation | `out[i] = in[σ(i)]` |
//!
//! Every node has exactly one output (ONNX `Split` becomes several `Slice`s), a static shape, and
//! reads earlier nodes only (the node list is in topological order).

use serde::{Deserialize, Serialize};

pub use crate::functions::TableFn;
use crate::ir::{SliceAxis, Window};
use crate::tensor::Tensor;

/// Identifier of a node: its position in [`QGraph::nodes`].
pub type QId = usize;

/// An integer op.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum QOp {
    /// Graph input `index`, encoded by the caller as `round(x · 2^scale_bits)`.
    Input {
        /// Position among the graph inputs.
        index: usize,
    },
    /// A constant integer tensor (weights, biases, table-independent parameters).
    Const(Tensor<i64>),
    /// Numpy matmul with broadcast batch axes.
    MatMul,
    /// 2-D product with optional transposes (no bias: a following `Add` adds it).
    Gemm {
        /// Transpose A.
        trans_a: bool,
        /// Transpose B.
        trans_b: bool,
    },
    /// Grouped convolution without bias.
    Conv {
        /// Window geometry.
        window: Window,
        /// Groups.
        group: usize,
    },
    /// Broadcasting `a + b`.
    Add,
    /// Broadcasting `a − b`.
    Sub,
    /// Broadcasting `a · b`.
    Mul,
    /// `y = floor((x + 2^(shift−1)) / 2^shift)`: proven as `x + 2^(shift−1) = 2^shift·y + r`,
    /// `0 ≤ r < 2^shift`, with `y` range-checked.
    Rescale {
        /// Number of bits dropped (≥ 1).
        shift: u32,
    },
    /// `y = floor((x + floor(d/2)) / d)` for a public constant `d > 0`; `0 ≤ r < d`.
    DivConst {
        /// The divisor.
        divisor: i64,
    },
    /// Inputs `(x, d)` with `d > 0`: `y = floor((x·2^shift + floor(d/2)) / d)`; proven with
    /// `0 ≤ r < d` (d broadcasts against x).
    DivRound {
        /// Extra precision bits applied to `x`.
        shift: u32,
    },
    /// `y = floor(sqrt(x))` for `x ≥ 0`: proven as `y² ≤ x < (y+1)²`.
    Sqrt,
    /// `y = min(max(x, lo), hi)` (comparisons are range checks).
    Clamp {
        /// Lower bound.
        lo: Option<i64>,
        /// Upper bound.
        hi: Option<i64>,
    },
    /// `y = T[x]` for table `table` of [`QGraph::tables`]; `x` must lie in the table's domain
    /// (a `Clamp` in front saturates it).
    Lookup {
        /// Table index.
        table: usize,
    },
    /// Sum over axes (kept with extent 1).
    ReduceSum {
        /// Axes.
        axes: Vec<usize>,
    },
    /// Max over one axis (kept with extent 1).
    ReduceMax {
        /// Axis.
        axis: usize,
    },
    /// The index of the first maximum along one axis (the last with `last`), kept with extent 1.
    ArgMax {
        /// Axis.
        axis: usize,
        /// Ties go to the last maximal entry.
        last: bool,
    },
    /// Max pooling (padding never wins).
    MaxPool {
        /// Window geometry.
        window: Window,
    },
    /// Window sums (average pooling before the division).
    SumPool {
        /// Window geometry.
        window: Window,
    },
    /// Row-major reshape.
    Reshape,
    /// Axis permutation.
    Transpose {
        /// Output axis i is input axis `perm[i]`.
        perm: Vec<usize>,
    },
    /// Strided slice.
    Slice {
        /// Sliced axes.
        axes: Vec<SliceAxis>,
    },
    /// Concatenation.
    Concat {
        /// Axis.
        axis: usize,
    },
    /// Gather with constant indices.
    Gather {
        /// Axis.
        axis: usize,
        /// Indices.
        indices: Tensor<usize>,
    },
}

impl QOp {
    /// Short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            QOp::Input { .. } => "Input",
            QOp::Const(_) => "Const",
            QOp::MatMul => "MatMul",
            QOp::Gemm { .. } => "Gemm",
            QOp::Conv { .. } => "Conv",
            QOp::Add => "Add",
            QOp::Sub => "Sub",
            QOp::Mul => "Mul",
            QOp::Rescale { .. } => "Rescale",
            QOp::DivConst { .. } => "DivConst",
            QOp::DivRound { .. } => "DivRound",
            QOp::Sqrt => "Sqrt",
            QOp::Clamp { .. } => "Clamp",
            QOp::Lookup { .. } => "Lookup",
            QOp::ReduceSum { .. } => "ReduceSum",
            QOp::ReduceMax { .. } => "ReduceMax",
            QOp::ArgMax { .. } => "ArgMax",
            QOp::MaxPool { .. } => "MaxPool",
            QOp::SumPool { .. } => "SumPool",
            QOp::Reshape => "Reshape",
            QOp::Transpose { .. } => "Transpose",
            QOp::Slice { .. } => "Slice",
            QOp::Concat { .. } => "Concat",
            QOp::Gather { .. } => "Gather",
        }
    }

    /// The proof block this op lowers to.
    pub fn block(&self) -> BlockKind {
        match self {
            QOp::Input { .. } | QOp::Const(_) => BlockKind::Data,
            QOp::MatMul | QOp::Gemm { .. } | QOp::Conv { .. } => BlockKind::Matmul,
            QOp::Add | QOp::Sub | QOp::Mul | QOp::ReduceSum { .. } | QOp::SumPool { .. } => {
                BlockKind::Elementwise
            }
            QOp::Rescale { .. }
            | QOp::DivConst { .. }
            | QOp::DivRound { .. }
            | QOp::Sqrt
            | QOp::Clamp { .. }
            | QOp::Lookup { .. }
            | QOp::ReduceMax { .. }
            | QOp::ArgMax { .. }
            | QOp::MaxPool { .. } => BlockKind::Lookup,
            QOp::Reshape
            | QOp::Transpose { .. }
            | QOp::Slice { .. }
            | QOp::Concat { .. }
            | QOp::Gather { .. } => BlockKind::Permutation,
        }
    }
}

/// The four basic blocks of DESIGN §4, plus data (inputs and committed constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BlockKind {
    /// Inputs and constants (no relation).
    Data,
    /// Matrix products.
    Matmul,
    /// Hadamard products, sums, linear ops.
    Elementwise,
    /// Range checks and table lookups.
    Lookup,
    /// Index maps.
    Permutation,
}

/// One node of the quantized graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QNode {
    /// Name: the float node it comes from, with a suffix for helper steps.
    pub name: String,
    /// The op.
    pub op: QOp,
    /// Input node ids (all smaller than this node's id).
    pub inputs: Vec<QId>,
    /// Output shape.
    pub shape: Vec<usize>,
    /// The ONNX op type of the node it comes from (empty for graphs built by hand).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

impl QNode {
    /// The node as errors name it: its name and, when known, the ONNX op it comes from.
    pub fn label(&self) -> String {
        if self.source.is_empty() {
            self.name.clone()
        } else {
            format!("{} [ONNX {}]", self.name, self.source)
        }
    }
}

/// A function table: `values[i] = round(f((lo + i) / 2^in_bits) · 2^out_bits)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The function.
    pub func: TableFn,
    /// Smallest input.
    pub lo: i64,
    /// Input scale bits.
    pub in_bits: u32,
    /// Output scale bits.
    pub out_bits: u32,
    /// Outputs for inputs `lo, lo+1, …`.
    pub values: Vec<i64>,
}

impl Table {
    /// Largest input.
    pub fn hi(&self) -> i64 {
        self.lo + self.values.len() as i64 - 1
    }
}

/// How a graph input or output maps to reals: `real = (q − zero) · scale`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    /// Real value of one integer step.
    pub scale: f64,
    /// Integer representing zero.
    pub zero: i64,
}

/// The quantized graph.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct QGraph {
    /// Nodes in topological order.
    pub nodes: Vec<QNode>,
    /// Function tables (deduplicated: one per function and domain).
    pub tables: Vec<Table>,
    /// Graph inputs: name, node id and encoding.
    pub inputs: Vec<(String, QId, Encoding)>,
    /// Graph outputs: name, node id and encoding.
    pub outputs: Vec<(String, QId, Encoding)>,
}

impl std::fmt::Display for QGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (id, n) in self.nodes.iter().enumerate() {
            let ins: Vec<String> = n.inputs.iter().map(|i| format!("%{i}")).collect();
            let detail = match &n.op {
                QOp::Rescale { shift } => format!(" >>{shift}"),
                QOp::Clamp { lo, hi } => format!(" [{lo:?}, {hi:?}]"),
                QOp::Lookup { table } => format!(" table {table}"),
                QOp::DivConst { divisor } => format!(" /{divisor}"),
                QOp::DivRound { shift } => format!(" <<{shift}"),
                _ => String::new(),
            };
            writeln!(
                f,
                "%{id} = {}{detail}({}) {:?}  # {}",
                n.op.name(),
                ins.join(", "),
                n.shape,
                n.name
            )?;
        }
        for (name, id, e) in &self.outputs {
            writeln!(f, "output {name} = %{id} as (q − {}) · {:e}", e.zero, e.scale)?;
        }
        Ok(())
    }
}
