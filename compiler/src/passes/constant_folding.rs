//! Constant folding: a node whose inputs are all `Constant` nodes is evaluated once and replaced
//! by constants. DequantizeLinear is left alone so that quantization sees the integer weights.

use crate::error::GraphError;
use crate::interp::float_ops::eval_op;
use crate::ir::{ElemType, Graph, Op, ValueRef};

/// Folds constant subgraphs; returns the number of folded nodes.
pub fn run(g: &mut Graph) -> Result<usize, GraphError> {
    let mut folded = 0;
    for idx in g.topo_order()? {
        let node = g.node(idx)?.clone();
        if matches!(node.op, Op::Input { .. } | Op::Constant { .. } | Op::DequantizeLinear(_)) {
            continue;
        }
        let mut ins = Vec::with_capacity(node.inputs.len());
        let mut all_const = true;
        let mut all_int = true;
        for v in &node.inputs {
            match &g.node(v.node)?.op {
                Op::Constant { value, elem } => {
                    all_int &= *elem == ElemType::Integer;
                    ins.push(value.clone());
                }
                _ => all_const = false,
            }
        }
        if !all_const {
            continue;
        }
        let refs: Vec<_> = ins.iter().collect();
        let Ok(outs) = eval_op(&node.op, &refs, &node.shapes) else { continue };
        // Integers stay integers through ops that only move elements, and QuantizeLinear makes them.
        let keeps_int = matches!(
            node.op,
            Op::Add
                | Op::Sub
                | Op::Mul
                | Op::IntDiv
                | Op::Reshape { .. }
                | Op::Flatten { .. }
                | Op::Squeeze { .. }
                | Op::Unsqueeze { .. }
                | Op::Transpose { .. }
                | Op::Slice { .. }
                | Op::Split { .. }
                | Op::Concat { .. }
                | Op::Gather { .. }
                | Op::Identity
        );
        let elem = if matches!(node.op, Op::QuantizeLinear(_)) || (all_int && keeps_int) {
            ElemType::Integer
        } else {
            ElemType::Real
        };
        for (port, value) in outs.into_iter().enumerate() {
            let name = if port == 0 { node.name.clone() } else { format!("{}:{port}", node.name) };
            let c = g.add_node(&name, Op::Constant { value, elem }, Vec::new())?;
            g.replace_uses(ValueRef { node: idx, port }, ValueRef::first(c))?;
        }
        folded += 1;
    }
    Ok(folded)
}
