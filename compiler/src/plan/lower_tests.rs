//! Unit tests of the lowering (`plan/lower.rs`): roles, steps and range checks of small graphs.

use super::*;
use crate::quant::CompileReport;
use crate::quant::qop::{Encoding, QGraph};
use crate::tensor::Tensor;

/// Lowers nodes `(op, inputs, shape)` (node 0 the input), the last node the output.
fn plan(nodes: Vec<(QOp, Vec<QId>, Vec<usize>)>, private: bool) -> Result<BlockPlan, PlanError> {
    let output = nodes.len() - 1;
    let nodes: Vec<QNode> = nodes
        .into_iter()
        .enumerate()
        .map(|(i, (op, inputs, shape))| QNode {
            name: format!("n{i}"),
            op,
            inputs,
            shape,
            source: String::new(),
        })
        .collect();
    let enc = Encoding { scale: 1.0, zero: 0 };
    let graph = QGraph {
        nodes,
        tables: vec![],
        inputs: vec![("x".into(), 0, enc)],
        outputs: vec![("y".into(), output, enc)],
    };
    let report = CompileReport { activation_bits: 16, scale_bits: 4, ..Default::default() };
    let options = LowerOptions { model: "t".into(), private_input: private };
    lower(&QuantizedModel { graph, report }, &options)
}

fn input(shape: &[usize]) -> (QOp, Vec<QId>, Vec<usize>) {
    (QOp::Input { index: 0 }, vec![], shape.to_vec())
}

fn konst(shape: &[usize], data: Vec<i64>) -> (QOp, Vec<QId>, Vec<usize>) {
    (QOp::Const(Tensor::new(shape.to_vec(), data).unwrap()), vec![], shape.to_vec())
}

#[test]
fn scalars_fold_into_linear_steps_and_tensors_into_hadamards() {
    let p = plan(
        vec![
            input(&[1, 4]),
            konst(&[1], vec![3]),
            (QOp::Mul, vec![0, 1], vec![1, 4]),
            (QOp::Sub, vec![2, 1], vec![1, 4]),
            (QOp::Mul, vec![3, 0], vec![1, 4]),
        ],
        false,
    )
    .unwrap();
    assert_eq!(p.roles[1], Role::Scalar(3));
    assert_eq!(p.steps[2], Step::Linear(linear::Linear { terms: vec![(0, 3)], constant: 0 }));
    assert_eq!(p.steps[3], Step::Linear(linear::Linear { terms: vec![(2, 1)], constant: -3 }));
    assert_eq!(p.steps[4], Step::Hadamard(hadamard::Hadamard { left: 3, right: 0 }));
    assert!(p.range_checks.is_empty(), "nothing is committed: no range checks");
}

#[test]
fn a_constant_matrix_is_a_fixed_weight_product_and_a_computed_one_is_batched() {
    let p = plan(
        vec![
            input(&[2, 3]),
            konst(&[3, 2], vec![1, 2, 3, 4, 5, 6]),
            (QOp::MatMul, vec![0, 1], vec![2, 2]),
        ],
        false,
    )
    .unwrap();
    assert_eq!(p.roles[1], Role::Weight);
    let want = matmul::Matmul { input: 0, weight: 1, trans_weight: false };
    assert_eq!(p.steps[2], Step::Matmul(want));
    let p = plan(
        vec![
            input(&[2, 3, 4]),
            (QOp::Transpose { perm: vec![0, 2, 1] }, vec![0], vec![2, 4, 3]),
            (QOp::MatMul, vec![0, 1], vec![2, 3, 3]),
        ],
        false,
    )
    .unwrap();
    let want = batched_matmul::BatchedMatmul { left: 0, right: 1 };
    assert_eq!(p.steps[2], Step::BatchedMatmul(want));
}

#[test]
fn a_rescale_commits_quotient_and_remainder_with_their_range_checks() {
    let p =
        plan(vec![input(&[1, 4]), (QOp::Rescale { shift: 5 }, vec![0], vec![1, 4])], true).unwrap();
    assert_eq!(p.roles[1], Role::Committed);
    assert_eq!(p.steps[1].committed(), 2);
    let checks: Vec<&RangeCheck> = p.range_checks.iter().filter(|c| c.node == 1).collect();
    // The quotient signed (16 bits: two limbs, the top of 4 bits) and the remainder in 5 bits.
    let quotient = Lin::of(Ref { node: 1, slot: 0 }).plus(1 << 15);
    assert!(checks.iter().any(|c| c.value == quotient && c.limbs == 2 && c.top_bits == 4));
    let remainder = Lin::of(Ref { node: 1, slot: 1 });
    assert!(checks.iter().any(|c| c.value == remainder && c.limbs == 1 && c.top_bits == 5));
}

/// The arg-max's equation `K·(m − x_h) = σ·(h − i)` forces `i = h` only over the integers:
/// `m` and `i` must be range-checked, or a field element `m` could pay for any index. An
/// integer witness cannot show that wrap, so the checks are asserted here.
#[test]
fn an_arg_max_checks_its_index_maximum_and_differences() {
    let p = plan(
        vec![input(&[1, 2, 5]), (QOp::ArgMax { axis: 2, last: false }, vec![0], vec![1, 2, 1])],
        true,
    )
    .unwrap();
    assert_eq!(p.steps[1].committed(), 4);
    let at = |slot| Ref { node: 1, slot };
    let on = |slot: usize| -> Vec<&RangeCheck> {
        p.range_checks
            .iter()
            .filter(|c| c.value.terms.iter().any(|(r, _)| *r == at(slot)))
            .collect()
    };
    // i ≥ 0 and 4 − i ≥ 0 (K = 5); m − lo ≥ 0 and hi − m ≥ 0; D ≥ 0.
    let index = on(0);
    assert!(index.iter().any(|c| c.value == Lin::of(at(0))), "i ≥ 0");
    assert!(index.iter().any(|c| c.value == Lin { terms: vec![(at(0), -1)], constant: 4 }));
    let max = on(1);
    assert_eq!(max.len(), 2, "m bounded on both sides: {max:?}");
    assert!(max.iter().any(|c| c.value.terms == [(at(1), 1)]));
    assert!(max.iter().any(|c| c.value.terms == [(at(1), -1)]));
    assert!(on(2).iter().any(|c| c.value == Lin::of(at(2))), "D ≥ 0");
    assert!(on(3).is_empty(), "S is binary by its zero product, not a range check");
}

#[test]
fn a_relu_after_a_rescale_drops_the_quotients_own_check() {
    let p = plan(
        vec![
            input(&[1, 4]),
            (QOp::Rescale { shift: 3 }, vec![0], vec![1, 4]),
            (QOp::Clamp { lo: Some(0), hi: None }, vec![1], vec![1, 4]),
        ],
        true,
    )
    .unwrap();
    let quotient_only =
        |c: &RangeCheck| c.node == 1 && matches!(c.value.terms.as_slice(), [(r, 1)] if r.slot == 0);
    assert!(!p.range_checks.iter().any(quotient_only), "the clamp's checks bound it");
    assert!(p.range_checks.iter().any(|c| c.node == 2), "the clamp keeps its own checks");
}

#[test]
fn unsupported_shapes_name_the_node() {
    let e = plan(
        vec![
            input(&[2, 3]),
            (QOp::Input { index: 1 }, vec![], vec![3, 2]),
            (QOp::Add, vec![0, 1], vec![2, 3]),
        ],
        false,
    )
    .unwrap_err();
    assert!(matches!(&e, PlanError::Unsupported { node, op: "Add", .. } if node == "n2"), "{e:?}");
    // A clamp of a product (derived, uncommitted) has no committed form to range-check.
    let e = plan(
        vec![
            input(&[1, 4]),
            (QOp::Mul, vec![0, 0], vec![1, 4]),
            (QOp::Clamp { lo: Some(0), hi: None }, vec![1], vec![1, 4]),
        ],
        false,
    )
    .unwrap_err();
    assert!(matches!(&e, PlanError::Unsupported { op: "Clamp", .. }), "{e:?}");
    // A clamp of a public input commits the input (bound to its public values when proven).
    let p = plan(
        vec![input(&[1, 4]), (QOp::Clamp { lo: Some(0), hi: None }, vec![0], vec![1, 4])],
        false,
    )
    .unwrap();
    assert_eq!((p.roles[0], p.steps[0].committed()), (Role::PublicInput, 1));
}
