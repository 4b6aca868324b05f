//! Grouped and depthwise convolutions through the runtime: the proven outputs equal the integer
//! interpreter, and the group count is bound by the plan (validation, digest) and the proof.

use tessera_compiler::Tensor;
use tessera_compiler::ir::Window;
use tessera_compiler::plan::{PlanError, Step};
use tessera_compiler::quant::interp::run_quantized;
use tessera_compiler::quant::qop::QOp;

use super::{Keys, keys, t};
use crate::error::VerifyError;
use crate::prover::{ProveOptions, prove_with};
use crate::verifier::verify;

fn window(stride: usize, pad: usize) -> Window {
    Window {
        kernel: vec![3, 3],
        strides: vec![stride; 2],
        pads_begin: vec![pad; 2],
        pads_end: vec![pad; 2],
        dilations: vec![1, 1],
        ceil_mode: false,
    }
}

/// Small weights that vary with the index, `[M, C/g, 3, 3]`.
fn weight(m: usize, cg: usize, salt: i64) -> QOp {
    let n = m * cg * 9;
    let data: Vec<i64> = (0..n as i64).map(|i| (i * 7 + salt) % 11 - 5).collect();
    QOp::Const(Tensor::new(vec![m, cg, 3, 3], data).expect("weight"))
}

fn input(shape: &[usize]) -> Tensor<i64> {
    let n: usize = shape.iter().product();
    t(shape, &(0..n as i64).map(|i| (i * 5) % 13 - 6).collect::<Vec<_>>())
}

/// `x [2, 4, 5, 5]` → group-2 conv (stride 2, pads 1) → depthwise conv (pads 1) → `[2, 4, 3, 3]`.
#[test]
fn grouped_then_depthwise_conv_proves_and_matches_the_interpreter() {
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![2, 4, 5, 5]),
            (weight(4, 2, 1), vec![], vec![4, 2, 3, 3]),
            (QOp::Conv { window: window(2, 1), group: 2 }, vec![0, 1], vec![2, 4, 3, 3]),
            (weight(4, 1, 3), vec![], vec![4, 1, 3, 3]),
            (QOp::Conv { window: window(1, 1), group: 4 }, vec![2, 3], vec![2, 4, 3, 3]),
        ],
        vec![],
        4,
    );
    let x = [input(&[2, 4, 5, 5])];
    let (outputs, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    verify(&k.vk, &proof).expect("the honest proof verifies");
    let reference = run_quantized(&k.pk.plan.graph, &x, None).expect("interpreter");
    assert_eq!(outputs[0].data(), reference[4].data());
    assert_eq!(outputs[0].shape(), reference[4].shape());
}

/// `x [1, 6, 4, 4]` → conv with `group` (6 output channels, pads 1).
fn grouped_keys(group: usize) -> Keys {
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 6, 4, 4]),
            (weight(6, 6 / group, 2), vec![], vec![6, 6 / group, 3, 3]),
            (QOp::Conv { window: window(1, 1), group }, vec![0, 1], vec![1, 6, 4, 4]),
        ],
        vec![],
        2,
    )
}

/// The group is part of the plan: its digest changes with it, validation rejects a group that
/// does not fit the shapes, and a proof made for group 2 is rejected by the verifying key of
/// the same graph with group 3 (same input and output shapes).
#[test]
fn a_proof_for_another_group_count_is_rejected() {
    let (two, three) = (grouped_keys(2), grouped_keys(3));
    let mut edited = two.vk.plan.clone();
    let Step::Conv(conv) = &mut edited.steps[2] else { panic!("step 2 is the conv") };
    let group = &mut conv.group;
    *group = 3;
    assert_ne!(edited.digest(), two.vk.plan.digest());
    assert!(matches!(edited.validate(), Err(PlanError::Inconsistent(_))));
    assert_ne!(two.vk.digest(), three.vk.digest());

    let x = [input(&[1, 6, 4, 4])];
    let (_, proof) = prove_with(&two.pk, &x, ProveOptions::default(), None).expect("proves");
    verify(&two.vk, &proof).expect("the honest proof verifies");
    let e = verify(&three.vk, &proof).expect_err("group 3 must reject a group-2 proof");
    // The verifying-key digest, absorbed first, differs: the first block checked already fails.
    assert!(matches!(e, VerifyError::Block { .. }), "{e:?}");
}
