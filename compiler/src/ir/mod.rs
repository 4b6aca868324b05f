//! The typed IR: a closed [`Op`] set on a `petgraph` graph with static shapes.

#[cfg(feature = "onnx")]
mod graph;
pub mod op;
pub mod shape;

#[cfg(feature = "onnx")]
pub use graph::{Graph, Node, ValueRef};
pub use op::{
    Comparison, Composed, ElemType, Op, PadMode, QuantParams, QuantType, SliceAxis, Window,
};
#[cfg(feature = "onnx")]
pub use petgraph::stable_graph::NodeIndex;
