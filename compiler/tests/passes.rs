//! Equivalence tests for every pass: `eval(g) == eval(pass(g))` on every shipped model and on
//! small seeded graphs built to contain each pass's pattern, plus a check that the pattern was
//! actually rewritten.

mod common;

use common::{input_tensor, model_cases};
use tessera_compiler::interp::eval_float;
use tessera_compiler::ir::{ElemType, Graph, Op, ValueRef, Window};
use tessera_compiler::passes::{Pass, optimized};
use tessera_compiler::{ImportOptions, OnnxModel, Tensor};

/// Deterministic values in [-1, 1).
fn seeded(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn konst(g: &mut Graph, name: &str, shape: &[usize], seed: u64) -> ValueRef {
    let n = shape.iter().product();
    let t = Tensor::new(shape.to_vec(), seeded(n, seed)).unwrap();
    ValueRef::first(
        g.add_node(name, Op::Constant { value: t, elem: ElemType::Real }, vec![]).unwrap(),
    )
}

fn assert_equivalent(name: &str, a: &Graph, b: &Graph, inputs: &[Vec<Tensor<f64>>]) {
    for x in inputs {
        let (ya, yb) = (eval_float(a, x).unwrap(), eval_float(b, x).unwrap());
        for (ta, tb) in ya.iter().zip(&yb) {
            assert_eq!(ta.shape(), tb.shape(), "{name}");
            for (u, v) in ta.data().iter().zip(tb.data()) {
                assert!((u - v).abs() <= 1e-9 * (1.0 + u.abs()), "{name}: {u} vs {v}");
            }
        }
    }
}

fn count(g: &Graph, op: &str) -> usize {
    g.op_counts().into_iter().find(|(n, _)| *n == op).map_or(0, |(_, c)| c)
}

#[test]
fn every_pass_preserves_every_shipped_model() {
    for case in model_cases() {
        let graph = OnnxModel::load(&case.onnx).unwrap().into_ir(ImportOptions::default()).unwrap();
        let inputs: Vec<Vec<Tensor<f64>>> =
            case.test_set.examples.iter().take(5).map(|e| vec![input_tensor(&case, e)]).collect();
        for pass in Pass::DEFAULT {
            let g = optimized(&graph, &[pass]).unwrap();
            assert_equivalent(&format!("{} {pass:?}", case.name), &graph, &g, &inputs);
        }
        let all = optimized(&graph, &Pass::DEFAULT).unwrap();
        assert_equivalent(&case.name, &graph, &all, &inputs);
        assert!(all.node_count() <= graph.node_count());
    }
}

#[test]
fn qdq_folding_removes_identity_requantizations() {
    let path = common::models_dir().join("digits_cnn_int8_qdq/model.onnx");
    let graph = OnnxModel::load(path).unwrap().into_ir(ImportOptions::default()).unwrap();
    let mut g = graph.clone();
    // MaxPool ×2 and Flatten sit between a DequantizeLinear and a QuantizeLinear of equal parameters.
    assert_eq!(Pass::QdqFolding.run(&mut g).unwrap(), 3);
    Pass::DeadNodes.run(&mut g).unwrap();
    assert_eq!(count(&g, "QuantizeLinear"), count(&graph, "QuantizeLinear") - 3);
}

/// x[2,3,5,5] → Conv(4 out, 3×3, pad 1) → BatchNorm → Flatten → MatMul(100×6) → Add(bias)
/// → Gemm(6×4, no bias) → BatchNorm; plus a dead branch and a constant subexpression.
fn synthetic() -> Graph {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![2, 3, 5, 5], ElemType::Real));
    let w = konst(&mut g, "w", &[4, 3, 3, 3], 1);
    let b = konst(&mut g, "b", &[4], 2);
    let window = Window {
        kernel: vec![3, 3],
        strides: vec![1, 1],
        pads_begin: vec![1, 1],
        pads_end: vec![1, 1],
        dilations: vec![1, 1],
        ceil_mode: false,
    };
    let conv =
        ValueRef::first(g.add_node("conv", Op::Conv { window, group: 1 }, vec![x, w, b]).unwrap());
    let bn_params: Vec<ValueRef> =
        (0..4).map(|i| konst(&mut g, &format!("bn{i}"), &[4], 10 + i)).collect();
    // Variances must be positive.
    let var = ValueRef::first(
        g.add_node(
            "var",
            Op::Constant {
                value: Tensor::new(vec![4], vec![0.5, 1.0, 1.5, 2.0]).unwrap(),
                elem: ElemType::Real,
            },
            vec![],
        )
        .unwrap(),
    );
    let bn = g
        .add_node(
            "bn",
            Op::BatchNorm { epsilon: 1e-5 },
            vec![conv, bn_params[0], bn_params[1], bn_params[2], var],
        )
        .unwrap();
    let flat = g.add_node("flat", Op::Flatten { axis: 1 }, vec![ValueRef::first(bn)]).unwrap();
    // A constant subexpression: (c1 + c2) used as the MatMul weight.
    let c1 = konst(&mut g, "c1", &[100, 6], 20);
    let c2 = konst(&mut g, "c2", &[100, 6], 21);
    let wsum = ValueRef::first(g.add_node("wsum", Op::Add, vec![c1, c2]).unwrap());
    let mm =
        ValueRef::first(g.add_node("mm", Op::MatMul, vec![ValueRef::first(flat), wsum]).unwrap());
    let bias = konst(&mut g, "bias", &[6], 22);
    let add = ValueRef::first(g.add_node("add", Op::Add, vec![mm, bias]).unwrap());
    let w2 = konst(&mut g, "w2", &[6, 4], 23);
    let gemm = ValueRef::first(
        g.add_node(
            "gemm",
            Op::Gemm { alpha: 0.5, beta: 1.0, trans_a: false, trans_b: false },
            vec![add, w2],
        )
        .unwrap(),
    );
    let bn2 = g
        .add_node(
            "bn2",
            Op::BatchNorm { epsilon: 1e-5 },
            vec![gemm, bn_params[0], bn_params[1], bn_params[2], var],
        )
        .unwrap();
    // Dead: this Relu and the unused constant bn3.
    let _dead = g.add_node("dead", Op::Relu, vec![add]).unwrap();
    g.set_outputs(vec![("y".into(), ValueRef::first(bn2))]);
    g
}

#[test]
fn each_pass_rewrites_its_pattern_and_keeps_the_meaning() {
    let graph = synthetic();
    let inputs: Vec<Vec<Tensor<f64>>> = (0..3)
        .map(|s| vec![Tensor::new(vec![2, 3, 5, 5], seeded(150, 100 + s)).unwrap()])
        .collect();
    let cases: [(Pass, usize); 4] = [
        (Pass::ConstantFolding, 1),
        (Pass::BatchNormFolding, 2),
        (Pass::BiasFusion, 1),
        (Pass::DeadNodes, 2),
    ];
    for (pass, expected) in cases {
        let mut g = graph.clone();
        assert_eq!(pass.run(&mut g).unwrap(), expected, "{pass:?}");
        assert_equivalent(&format!("{pass:?}"), &graph, &g, &inputs);
    }
    let all = optimized(&graph, &Pass::DEFAULT).unwrap();
    assert_equivalent("pipeline", &graph, &all, &inputs);
    assert_eq!(count(&all, "BatchNormalization"), 0);
    assert_eq!(count(&all, "MatMul"), 0);
    assert_eq!(count(&all, "Add"), 0);
    assert_eq!(count(&all, "Relu"), 0);
}

#[test]
fn batch_norm_after_a_non_product_is_left_alone() {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![1, 2, 3], ElemType::Real));
    let r = ValueRef::first(g.add_node("relu", Op::Relu, vec![x]).unwrap());
    let p: Vec<ValueRef> = (0..3).map(|i| konst(&mut g, &format!("p{i}"), &[2], 30 + i)).collect();
    let var = ValueRef::first(
        g.add_node(
            "var",
            Op::Constant {
                value: Tensor::new(vec![2], vec![1.0, 2.0]).unwrap(),
                elem: ElemType::Real,
            },
            vec![],
        )
        .unwrap(),
    );
    let bn =
        g.add_node("bn", Op::BatchNorm { epsilon: 1e-5 }, vec![r, p[0], p[1], p[2], var]).unwrap();
    g.set_outputs(vec![("y".into(), ValueRef::first(bn))]);
    assert_eq!(Pass::BatchNormFolding.run(&mut g.clone()).unwrap(), 0);
    assert_eq!(Pass::BiasFusion.run(&mut g.clone()).unwrap(), 0);
    assert_eq!(Pass::QdqFolding.run(&mut g.clone()).unwrap(), 0);
}

/// x[2,3,1,4] → Squeeze(axis 2) → Identity → Unsqueeze(axis 0) → Flatten(2) → Transpose → Reshape
/// → Relu: the row-major chain becomes one Reshape; the Transpose stays an index map of its own.
#[test]
fn layout_maps_collapse_row_major_chains_into_one_reshape() {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![2, 3, 1, 4], ElemType::Real));
    let add = |g: &mut Graph, name: &str, op: Op, v: ValueRef| {
        ValueRef::first(g.add_node(name, op, vec![v]).unwrap())
    };
    let a = add(&mut g, "squeeze", Op::Squeeze { axes: vec![2] }, x);
    let b = add(&mut g, "identity", Op::Identity, a);
    let c = add(&mut g, "unsqueeze", Op::Unsqueeze { axes: vec![0] }, b);
    let d = add(&mut g, "flatten", Op::Flatten { axis: 2 }, c);
    let e = add(&mut g, "transpose", Op::Transpose { perm: vec![1, 0] }, d);
    let f = add(&mut g, "reshape", Op::Reshape { shape: vec![4, 2, 3] }, e);
    let y = add(&mut g, "relu", Op::Relu, f);
    g.set_outputs(vec![("y".into(), y)]);
    let mut h = g.clone();
    assert!(Pass::LayoutMaps.run(&mut h).unwrap() >= 4);
    Pass::DeadNodes.run(&mut h).unwrap();
    for op in ["Squeeze", "Unsqueeze", "Flatten", "Identity"] {
        assert_eq!(count(&h, op), 0, "{op} left");
    }
    assert_eq!(count(&h, "Reshape"), 2, "one Reshape before the Transpose, one after");
    assert_eq!(count(&h, "Transpose"), 1);
    let inputs: Vec<Vec<Tensor<f64>>> =
        (0..3).map(|s| vec![Tensor::new(vec![2, 3, 1, 4], seeded(24, s)).unwrap()]).collect();
    assert_equivalent("layout maps", &g, &h, &inputs);
    // A second run finds nothing to do.
    assert_eq!(Pass::LayoutMaps.run(&mut h).unwrap(), 0);
}
