//! Dead-node removal: drops every node that no graph output depends on. Graph inputs stay (they
//! are part of the model's signature).

use std::collections::HashSet;

use crate::error::GraphError;
use crate::ir::{Graph, Op};

/// Removes dead nodes; returns how many.
pub fn run(g: &mut Graph) -> Result<usize, GraphError> {
    let mut live = HashSet::new();
    let mut stack: Vec<_> = g.outputs().iter().map(|(_, v)| v.node).collect();
    while let Some(n) = stack.pop() {
        if live.insert(n) {
            stack.extend(g.node(n)?.inputs.iter().map(|v| v.node));
        }
    }
    let mut removed = 0;
    for idx in g.node_indices() {
        if !live.contains(&idx) && !matches!(g.node(idx)?.op, Op::Input { .. }) {
            g.remove_node(idx);
            removed += 1;
        }
    }
    Ok(removed)
}
