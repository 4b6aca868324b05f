//! The typed IR: a closed [`Op`] set on a `petgraph` graph with static shapes.

mod graph;
pub mod op;
pub mod shape;

pub use graph::{Graph, Node, ValueRef};
pub use op::{ElemType, Op, QuantParams, QuantType, SliceAxis, Window};
pub use petgraph::stable_graph::NodeIndex;
