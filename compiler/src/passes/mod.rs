//! Graph-to-graph rewrites on the float IR, one per file. Each keeps the graph's meaning —
//! `eval(g) == eval(pass(g))`, checked by the equivalence tests in `tests/passes.rs` — and
//! returns how many rewrites it made.
//!
//! | pass | rewrite |
//! |---|---|
//! | [`dead_nodes`] | removes nodes no graph output depends on |
//! | [`constant_folding`] | evaluates nodes whose inputs are all constants (except DequantizeLinear, whose integers quantization keeps) |
//! | [`bias_fusion`] | `Add(MatMul(x, W), b)` → `Gemm(x, W, b)` for 2-D products; `Add(Gemm(x, W), b)` → `Gemm(x, W, b)` |
//! | [`batch_norm_folding`] | `BatchNormalization(Conv(x, W, b))` → `Conv(x, W', b')`, same after a Gemm |
//! | [`layout_maps`] | `Flatten`, `Squeeze`, `Unsqueeze`, `Identity` and their chains with `Reshape` → one `Reshape` (the row-major index map) |
//! | [`qdq_folding`] | `QuantizeLinear(f(DequantizeLinear(q)))` → `f(q)` when `f` only moves or selects elements and both use the same parameters |

pub mod batch_norm_folding;
pub mod bias_fusion;
pub mod constant_folding;
pub mod dead_nodes;
pub mod layout_maps;
pub mod qdq_folding;

use tracing::{debug, instrument};

use crate::error::GraphError;
use crate::ir::Graph;

/// A graph rewrite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// [`dead_nodes::run`].
    DeadNodes,
    /// [`constant_folding::run`].
    ConstantFolding,
    /// [`bias_fusion::run`].
    BiasFusion,
    /// [`batch_norm_folding::run`].
    BatchNormFolding,
    /// [`qdq_folding::run`].
    QdqFolding,
    /// [`layout_maps::run`].
    LayoutMaps,
}

impl Pass {
    /// The default pipeline.
    pub const DEFAULT: [Pass; 6] = [
        Pass::ConstantFolding,
        Pass::QdqFolding,
        Pass::BatchNormFolding,
        Pass::BiasFusion,
        Pass::LayoutMaps,
        Pass::DeadNodes,
    ];

    /// Runs the pass; returns the number of rewrites.
    pub fn run(self, g: &mut Graph) -> Result<usize, GraphError> {
        match self {
            Pass::DeadNodes => dead_nodes::run(g),
            Pass::ConstantFolding => constant_folding::run(g),
            Pass::BiasFusion => bias_fusion::run(g),
            Pass::BatchNormFolding => batch_norm_folding::run(g),
            Pass::QdqFolding => qdq_folding::run(g),
            Pass::LayoutMaps => layout_maps::run(g),
        }
    }
}

/// Runs `passes` in order (each followed by dead-node removal) and returns the new graph.
#[instrument(skip_all, fields(passes = passes.len()))]
pub fn optimized(graph: &Graph, passes: &[Pass]) -> Result<Graph, GraphError> {
    let mut g = graph.clone();
    for &p in passes {
        let n = p.run(&mut g)?;
        dead_nodes::run(&mut g)?;
        debug!(pass = ?p, rewrites = n, "pass");
    }
    Ok(g)
}
