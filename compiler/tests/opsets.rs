//! Opset differences: parameters that were attributes in opset 11–12 and became inputs in 13+
//! (Split, Squeeze, Unsqueeze, ReduceSum) and 18+ (ReduceMean, Split's num_outputs) import to
//! the same IR and compute the same values.

mod common;

use common::build::{i64_tensor, int_attr, ints_attr, model, node};
use tessera_compiler::interp::eval_float;
use tessera_compiler::{ImportOptions, OnnxModel, Tensor};

fn run(bytes: &[u8], x: &Tensor<f64>) -> Vec<Tensor<f64>> {
    let g = OnnxModel::from_bytes(bytes).unwrap().into_ir(ImportOptions::default()).unwrap();
    eval_float(&g, std::slice::from_ref(x)).unwrap()
}

fn x() -> Tensor<f64> {
    Tensor::new(vec![1, 2, 6], (0..12).map(f64::from).collect()).unwrap()
}

#[test]
fn split_attribute_input_and_num_outputs_agree() {
    let old = model(
        11,
        &[1, 2, 6],
        vec![node(
            "Split",
            &["x"],
            &["a", "b"],
            vec![int_attr("axis", 2), ints_attr("split", &[2, 4])],
        )],
        vec![],
        &["a", "b"],
    );
    let new = model(
        13,
        &[1, 2, 6],
        vec![node("Split", &["x", "s"], &["a", "b"], vec![int_attr("axis", -1)])],
        vec![i64_tensor("s", &[2, 4])],
        &["a", "b"],
    );
    let (o, n) = (run(&old, &x()), run(&new, &x()));
    assert_eq!(o, n);
    assert_eq!(o[0].data(), &[0.0, 1.0, 6.0, 7.0]);
    // Opset 18: num_outputs, the last part may be smaller.
    let even = model(
        18,
        &[1, 2, 6],
        vec![node(
            "Split",
            &["x"],
            &["a", "b", "c", "d"],
            vec![int_attr("axis", 2), int_attr("num_outputs", 4)],
        )],
        vec![],
        &["a", "b", "c", "d"],
    );
    let parts = run(&even, &x());
    let sizes: Vec<usize> = parts.iter().map(|t| t.shape()[2]).collect();
    assert_eq!(sizes, vec![2, 2, 2, 0]);
}

#[test]
fn squeeze_unsqueeze_and_reductions_agree() {
    let old = model(
        11,
        &[1, 2, 6],
        vec![
            node("Squeeze", &["x"], &["s"], vec![ints_attr("axes", &[0])]),
            node("Unsqueeze", &["s"], &["u"], vec![ints_attr("axes", &[1])]),
            node(
                "ReduceSum",
                &["u"],
                &["r"],
                vec![ints_attr("axes", &[2]), int_attr("keepdims", 0)],
            ),
            node("ReduceMean", &["u"], &["m"], vec![ints_attr("axes", &[-1])]),
        ],
        vec![],
        &["r", "m"],
    );
    let new = model(
        18,
        &[1, 2, 6],
        vec![
            node("Squeeze", &["x", "a0"], &["s"], vec![]),
            node("Unsqueeze", &["s", "a1"], &["u"], vec![]),
            node("ReduceSum", &["u", "a2"], &["r"], vec![int_attr("keepdims", 0)]),
            node("ReduceMean", &["u", "am"], &["m"], vec![]),
        ],
        vec![
            i64_tensor("a0", &[0]),
            i64_tensor("a1", &[1]),
            i64_tensor("a2", &[2]),
            i64_tensor("am", &[-1]),
        ],
        &["r", "m"],
    );
    let (o, n) = (run(&old, &x()), run(&new, &x()));
    assert_eq!(o, n);
    assert_eq!(o[0].shape(), &[2, 1]);
    assert_eq!(o[0].data(), &[15.0, 51.0]);
    assert_eq!(o[1].shape(), &[2, 1, 1]);
    assert_eq!(o[1].data(), &[2.5, 8.5]);
}

#[test]
fn softmax_before_opset_13_needs_the_last_axis() {
    let last = model(
        11,
        &[1, 2, 6],
        vec![node("Softmax", &["x"], &["y"], vec![int_attr("axis", 2)])],
        vec![],
        &["y"],
    );
    let y = run(&last, &x());
    let row: f64 = y[0].data()[..6].iter().sum();
    assert!((row - 1.0).abs() < 1e-12);
    // Default axis 1 flattens two axes in opset 11: a different operation, rejected by name.
    let flat = model(11, &[1, 2, 6], vec![node("Softmax", &["x"], &["y"], vec![])], vec![], &["y"]);
    let err = OnnxModel::from_bytes(&flat).unwrap().into_ir(ImportOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("node y (Softmax):"), "{err}");
}
