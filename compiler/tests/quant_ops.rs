//! Targeted quantization behaviour on small hand-built graphs.

use tessera_compiler::ir::{ElemType, Graph, Op, ValueRef};
use tessera_compiler::quant::{QuantConfig, quantize};
use tessera_compiler::{EvalError, Tensor};

fn constant(g: &mut Graph, name: &str, t: Tensor<f64>) -> ValueRef {
    ValueRef::first(
        g.add_node(name, Op::Constant { value: t, elem: ElemType::Real }, vec![]).unwrap(),
    )
}

#[test]
fn small_constant_multipliers_keep_their_precision() {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![1, 4], ElemType::Real));
    let c = constant(&mut g, "c", Tensor::scalar(1.234e-3));
    let y = g.add_node("y", Op::Mul, vec![x, c]).unwrap();
    g.set_outputs(vec![("y".into(), ValueRef::first(y))]);
    let model = quantize(&g, &QuantConfig::default()).unwrap();
    let input = Tensor::new(vec![1, 4], vec![0.5, -0.75, 0.125, 1.0]).unwrap();
    let out = model.run(std::slice::from_ref(&input)).unwrap();
    for (q, x) in out[0].data().iter().zip(input.data()) {
        let want = x * 1.234e-3;
        assert!((q - want).abs() <= 1e-3 * want.abs() + 1e-9, "{q} vs {want}");
    }
}

#[test]
fn division_by_a_non_positive_tensor_is_a_typed_error() {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![1, 2], ElemType::Real));
    let relu = ValueRef::first(g.add_node("r", Op::Relu, vec![x]).unwrap());
    let y = g.add_node("y", Op::Div, vec![x, relu]).unwrap();
    g.set_outputs(vec![("y".into(), ValueRef::first(y))]);
    // Calibration on positive inputs succeeds…
    let cal = tessera_compiler::quant::Calibration::Samples(vec![vec![
        Tensor::new(vec![1, 2], vec![0.5, 2.0]).unwrap(),
    ]]);
    let model = quantize(&g, &QuantConfig { calibration: cal, ..QuantConfig::default() }).unwrap();
    let ok = model.run(&[Tensor::new(vec![1, 2], vec![0.5, 2.0]).unwrap()]).unwrap();
    assert!(ok[0].data().iter().all(|v| (v - 1.0).abs() < 1e-3));
    // …and a non-positive divisor at run time is reported, not wrapped or panicked.
    let err = model.run(&[Tensor::new(vec![1, 2], vec![-1.0, 2.0]).unwrap()]).unwrap_err();
    assert!(matches!(&err, EvalError::Node { node, .. } if node == "y"), "{err}");
}

#[test]
fn clip_bounds_are_quantized_inward() {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![1, 3], ElemType::Real));
    let y = g.add_node("y", Op::Clip { min: -0.3, max: 0.6 }, vec![x]).unwrap();
    g.set_outputs(vec![("y".into(), ValueRef::first(y))]);
    let model = quantize(&g, &QuantConfig::default()).unwrap();
    let out = model.run(&[Tensor::new(vec![1, 3], vec![-1.0, 0.25, 1.0]).unwrap()]).unwrap();
    let d = out[0].data();
    assert!(d[0] >= -0.3 && d[0] < -0.3 + 1e-3);
    assert!((d[1] - 0.25).abs() < 1e-3);
    assert!(d[2] <= 0.6 && d[2] > 0.6 - 1e-3);
}

/// An integer constant output (an exporter's `arange`) is its integers, not their fixed-point
/// encoding (issue 17: it came out multiplied by 2^s), directly and through a layout op.
#[test]
fn an_integer_constant_output_is_its_integers() {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![1, 4], ElemType::Real));
    let y = g.add_node("y", Op::Relu, vec![x]).unwrap();
    let values = Tensor::new(vec![4], vec![0.0, 1.0, 2.0, 3.0]).unwrap();
    let arange = ValueRef::first(
        g.add_node("arange", Op::Constant { value: values, elem: ElemType::Integer }, vec![])
            .unwrap(),
    );
    let grid = g.add_node("grid", Op::Reshape { shape: vec![2, 2] }, vec![arange]);
    let grid = ValueRef::first(grid.unwrap());
    g.set_outputs(vec![
        ("y".into(), ValueRef::first(y)),
        ("arange".into(), arange),
        ("grid".into(), grid),
    ]);
    let model = quantize(&g, &QuantConfig::default()).unwrap();
    let out = model.run(&[Tensor::new(vec![1, 4], vec![0.5, -1.0, 2.0, 0.0]).unwrap()]).unwrap();
    assert_eq!(out[1].data(), &[0.0, 1.0, 2.0, 3.0]);
    assert_eq!(out[2].data(), &[0.0, 1.0, 2.0, 3.0]);
}

/// Softmax of large, close logits (issue 17: `[10000, …, 10003]` gave `[0.25; 4]`), calibrated on
/// such inputs: the row maximum is subtracted before the exponential, so the outputs are
/// onnxruntime's (references computed with its CPU provider, `Softmax(axis = -1)`, float32).
#[test]
fn softmax_of_large_logits_matches_onnxruntime() {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![1, 4], ElemType::Real));
    let y = g.add_node("y", Op::Softmax { axis: 1 }, vec![x]).unwrap();
    g.set_outputs(vec![("y".into(), ValueRef::first(y))]);
    let rows = [
        ([10000.0, 10001.0, 10002.0, 10003.0], [0.0320586, 0.0871443, 0.2368828, 0.6439143]),
        ([9990.0, 10003.0, 9999.0, 10001.5], [1.8e-06, 0.8055109, 0.0147534, 0.1797338]),
    ];
    let input = |r: &[f64; 4]| Tensor::new(vec![1, 4], r.to_vec()).unwrap();
    let cal = tessera_compiler::quant::Calibration::Samples(
        rows.iter().map(|(r, _)| vec![input(r)]).collect(),
    );
    let model = quantize(&g, &QuantConfig { calibration: cal, ..QuantConfig::default() }).unwrap();
    for (r, want) in &rows {
        let out = model.run(&[input(r)]).unwrap();
        for (a, b) in out[0].data().iter().zip(want) {
            assert!((a - b).abs() < 0.01, "{r:?}: {:?} vs onnxruntime {want:?}", out[0].data());
        }
    }
}

/// Scales are chosen so that every calibrated range-checked value fits the activation range:
/// a square of values near 1000 (10^6, beyond 2^23 at the default 4 or more scale bits) compiles
/// at fewer bits when they are allowed, and is a compile-time error naming the node otherwise.
#[test]
fn scales_drop_until_calibrated_values_fit_or_the_node_is_named() {
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![1, 4], ElemType::Real));
    let sq = ValueRef::first(g.add_node("square", Op::Mul, vec![x, x]).unwrap());
    let y = g.add_node("y", Op::Relu, vec![sq]).unwrap();
    g.set_outputs(vec![("y".into(), ValueRef::first(y))]);
    let sample = Tensor::new(vec![1, 4], vec![1000.0, -900.0, 10.0, 0.5]).unwrap();
    let cal = || tessera_compiler::quant::Calibration::Samples(vec![vec![sample.clone()]]);
    let err = quantize(&g, &QuantConfig { calibration: cal(), ..QuantConfig::default() });
    match err {
        Err(tessera_compiler::QuantError::Range { node, value, .. }) => {
            assert!(node.starts_with('y') || node.starts_with("square"), "{node}");
            assert!(value >= 1 << 23, "{value}");
        }
        other => panic!("expected a range error, got {:?}", other.map(|m| m.report.scale_bits)),
    }
    let config = QuantConfig { calibration: cal(), min_scale_bits: 0, ..QuantConfig::default() };
    let model = quantize(&g, &config).expect("fewer scale bits fit");
    assert!(model.report.scale_bits <= 2, "{}", model.report.scale_bits);
    let out = model.run(std::slice::from_ref(&sample)).unwrap();
    assert!((out[0].data()[0] - 1e6).abs() <= 1e6 * 1e-3, "{:?}", out[0].data());
}

/// Constant-mode padding has no proof step yet: quantization refuses it, naming the node
/// (edge and reflect padding are gathers: `models/pad_modes`).
#[test]
fn constant_padding_is_refused_by_name() {
    use tessera_compiler::ir::PadMode;
    let mut g = Graph::new();
    let x = ValueRef::first(g.add_input("x", vec![1, 4], ElemType::Real));
    let op = Op::Pad { pads: vec![(0, 0), (1, 2)], mode: PadMode::Constant(0.5) };
    let y = g.add_node("p", op, vec![x]).unwrap();
    g.set_outputs(vec![("y".into(), ValueRef::first(y))]);
    let x = Tensor::new(vec![1, 4], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let float = tessera_compiler::interp::eval_float(&g, std::slice::from_ref(&x)).unwrap();
    assert_eq!(float[0].data(), &[0.5, 1.0, 2.0, 3.0, 4.0, 0.5, 0.5]);
    let err = quantize(&g, &QuantConfig::default()).map(|_| ()).unwrap_err();
    assert!(
        matches!(&err, tessera_compiler::QuantError::Unsupported { node, .. } if node == "p"),
        "{err}"
    );
}
