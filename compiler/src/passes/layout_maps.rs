//! Layout ops to index maps: every op that only re-indexes its input in row-major order —
//! `Flatten`, `Squeeze`, `Unsqueeze`, `Identity` and chains of them with `Reshape` — becomes a
//! single `Reshape` to the final static shape, the one row-major index map the prover knows (a
//! renaming of index variables when the padded layouts agree, a general fixed map otherwise).
//! `Transpose`, `Slice`, `Concat`, `Split` and `Gather` are index maps of their own and stay.

use crate::error::GraphError;
use crate::ir::{Graph, Op, ValueRef};

fn is_row_major(op: &Op) -> bool {
    matches!(
        op,
        Op::Reshape { .. }
            | Op::Flatten { .. }
            | Op::Squeeze { .. }
            | Op::Unsqueeze { .. }
            | Op::Identity
            | Op::Cast { .. }
    )
}

/// Rewrites each row-major re-indexing node to one `Reshape` of the value its chain starts from;
/// returns how many nodes changed. Nodes left without users are for dead-node removal.
pub fn run(g: &mut Graph) -> Result<usize, GraphError> {
    let mut changed = 0;
    for idx in g.topo_order()? {
        let (op, inputs) = {
            let n = g.node(idx)?;
            (n.op.clone(), n.inputs.clone())
        };
        if !is_row_major(&op) {
            continue;
        }
        let Some(&first) = inputs.first() else { continue };
        // Walk back through the chain (earlier nodes were already rewritten to one Reshape).
        let mut source = first;
        while let Ok(n) = g.node(source.node) {
            match (&n.op, n.inputs.first()) {
                (o, Some(&up)) if is_row_major(o) => source = up,
                _ => break,
            }
        }
        let shape = g.shape(ValueRef::first(idx))?.to_vec();
        let target = Op::Reshape { shape };
        if target == op && source == first {
            continue;
        }
        g.replace_node(idx, target, vec![source])?;
        changed += 1;
    }
    Ok(changed)
}
