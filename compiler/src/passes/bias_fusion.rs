//! Gemm/bias fusion: `Add(MatMul(x, W), c)` with 2-D operands, or `Add(Gemm(x, W), c)` without
//! a bias, becomes one `Gemm(x, W, c)` — the bias then joins the matmul's accumulator at the
//! product scale instead of costing a separate rescaled addition.

use crate::error::GraphError;
use crate::ir::{Graph, Op, ValueRef};
use crate::tensor::broadcast_shapes;

/// Fuses biases into products; returns the number of fusions.
pub fn run(g: &mut Graph) -> Result<usize, GraphError> {
    let mut fused = 0;
    for idx in g.topo_order()? {
        let node = g.node(idx)?.clone();
        if !matches!(node.op, Op::Add) || node.inputs.len() != 2 {
            continue;
        }
        for (p_slot, c_slot) in [(0, 1), (1, 0)] {
            let (p, c) = (node.inputs[p_slot], node.inputs[c_slot]);
            let prod = g.node(p.node)?.clone();
            let is_const = matches!(g.node(c.node)?.op, Op::Constant { .. });
            if !is_const || g.uses(p).len() != 1 || g.is_output(p) {
                continue;
            }
            let (op, a, b) = match &prod.op {
                Op::MatMul => {
                    let (sa, sb) = (g.shape(prod.inputs[0])?, g.shape(prod.inputs[1])?);
                    if sa.len() != 2 || sb.len() != 2 {
                        continue;
                    }
                    (
                        Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: false },
                        prod.inputs[0],
                        prod.inputs[1],
                    )
                }
                Op::Gemm { alpha, trans_a, trans_b, .. } if prod.inputs.len() == 2 => (
                    Op::Gemm { alpha: *alpha, beta: 1.0, trans_a: *trans_a, trans_b: *trans_b },
                    prod.inputs[0],
                    prod.inputs[1],
                ),
                _ => continue,
            };
            let out = g.shape(p)?.to_vec();
            if broadcast_shapes(&out, g.shape(c)?).as_deref() != Some(out.as_slice()) {
                continue;
            }
            let gemm = g.add_node(&format!("{}+bias", prod.name), op, vec![a, b, c])?;
            g.replace_uses(ValueRef::first(idx), ValueRef::first(gemm))?;
            fused += 1;
            break;
        }
    }
    Ok(fused)
}
