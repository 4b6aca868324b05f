//! QDQ folding: `QuantizeLinear(f(DequantizeLinear(q)))` with the same per-tensor scale and zero
//! point on both sides, where `f` only moves or selects elements (or takes a max, which commutes
//! with the increasing map `q ↦ (q − z)·S`), is `f(q)`: dequantizing and requantizing an in-range
//! integer returns it unchanged. The integer model then skips a rescale and a saturation.

use crate::error::GraphError;
use crate::ir::{Graph, Op, ValueRef};

fn moves_elements(op: &Op) -> bool {
    matches!(
        op,
        Op::Reshape { .. }
            | Op::Flatten { .. }
            | Op::Squeeze { .. }
            | Op::Unsqueeze { .. }
            | Op::Transpose { .. }
            | Op::Slice { .. }
            | Op::Gather { .. }
            | Op::Identity
            | Op::Cast { .. }
            | Op::MaxPool { .. }
    )
}

/// Folds requantizations that are the identity; returns how many.
pub fn run(g: &mut Graph) -> Result<usize, GraphError> {
    let mut folded = 0;
    for idx in g.topo_order()? {
        let q = g.node(idx)?.clone();
        let Op::QuantizeLinear(qp) = &q.op else { continue };
        let f = g.node(q.inputs[0].node)?.clone();
        if !moves_elements(&f.op) || f.inputs.len() != 1 {
            continue;
        }
        let dq = g.node(f.inputs[0].node)?.clone();
        let Op::DequantizeLinear(dp) = &dq.op else { continue };
        let same = qp.scale.len() == 1
            && dp.scale == qp.scale
            && dp.zero_point == qp.zero_point
            && dp.qtype == qp.qtype;
        if !same {
            continue;
        }
        let moved = g.add_node(&format!("{}.int", f.name), f.op.clone(), vec![dq.inputs[0]])?;
        g.replace_uses(ValueRef::first(idx), ValueRef::first(moved))?;
        folded += 1;
    }
    Ok(folded)
}
