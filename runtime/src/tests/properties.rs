//! Property test: prove → verify on random small graphs. A chain of one to three committed steps
//! (rescale, division by a constant, clamp, ReLU, square root after a clamp to `[0, 4000]`) on a
//! private `[1, n]` input: the proof verifies and proves the outputs of the integer reference
//! interpreter.

use proptest::prelude::*;
use tessera_compiler::quant::run_quantized;

use super::*;

/// One op of the chain, as the ops it adds.
fn op() -> impl Strategy<Value = Vec<QOp>> {
    prop_oneof![
        (1u32..=4).prop_map(|shift| vec![QOp::Rescale { shift }]),
        (2i64..=9).prop_map(|divisor| vec![QOp::DivConst { divisor }]),
        (-50i64..=0, 1i64..=50)
            .prop_map(|(lo, hi)| vec![QOp::Clamp { lo: Some(lo), hi: Some(hi) }]),
        Just(vec![QOp::Clamp { lo: Some(0), hi: None }]),
        Just(vec![QOp::Clamp { lo: Some(0), hi: Some(4000) }, QOp::Sqrt]),
    ]
}

fn graph() -> impl Strategy<Value = (usize, Vec<QOp>, Vec<i64>)> {
    (1usize..=6, prop::collection::vec(op(), 1..=3)).prop_flat_map(|(n, ops)| {
        let ops: Vec<QOp> = ops.into_iter().flatten().collect();
        (Just(n), Just(ops), prop::collection::vec(-2000i64..=2000, n))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn random_chains_prove_and_verify((n, ops, data) in graph()) {
        let mut nodes = vec![(QOp::Input { index: 0 }, vec![], vec![1, n])];
        for (i, op) in ops.into_iter().enumerate() {
            nodes.push((op, vec![i], vec![1, n]));
        }
        let last = nodes.len() - 1;
        let k = keys(nodes, vec![], last);
        let x = [t(&[1, n], &data)];
        let (outputs, proof) =
            prove_with(&k.pk, &x, ProveOptions::default(), None).expect("an honest witness");
        verify(&k.vk, &proof).expect("the honest proof verifies");
        let reference = run_quantized(&k.pk.plan.graph, &x, None).expect("the interpreter runs");
        prop_assert_eq!(outputs[0].data(), reference[last].data());
    }
}
