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

/// Opsets 7–10: Clip's bounds (before 11) and Slice's parameters (before 10) were attributes;
/// Dropout is the identity at inference in either form.
#[test]
fn clip_slice_and_dropout_of_old_opsets_agree_with_new_ones() {
    use common::build::{f32_tensor, float_attr};
    let clip_old = model(
        10,
        &[1, 2, 6],
        vec![node("Clip", &["x"], &["y"], vec![float_attr("min", 2.0), float_attr("max", 7.5)])],
        vec![],
        &["y"],
    );
    let clip_new = model(
        13,
        &[1, 2, 6],
        vec![node("Clip", &["x", "lo", "hi"], &["y"], vec![])],
        vec![f32_tensor("lo", &[], &[2.0]), f32_tensor("hi", &[], &[7.5])],
        &["y"],
    );
    let (o, n) = (run(&clip_old, &x()), run(&clip_new, &x()));
    assert_eq!(o, n);
    assert_eq!(&o[0].data()[..4], &[2.0, 2.0, 2.0, 3.0]);
    assert_eq!(o[0].data()[11], 7.5);

    let slice_old = model(
        9,
        &[1, 2, 6],
        vec![node(
            "Slice",
            &["x"],
            &["y"],
            vec![ints_attr("starts", &[1]), ints_attr("ends", &[-1]), ints_attr("axes", &[2])],
        )],
        vec![],
        &["y"],
    );
    let slice_new = model(
        13,
        &[1, 2, 6],
        vec![node("Slice", &["x", "s", "e", "a"], &["y"], vec![])],
        vec![i64_tensor("s", &[1]), i64_tensor("e", &[-1]), i64_tensor("a", &[2])],
        &["y"],
    );
    let (o, n) = (run(&slice_old, &x()), run(&slice_new, &x()));
    assert_eq!(o, n);
    assert_eq!(o[0].data(), &[1.0, 2.0, 3.0, 4.0, 7.0, 8.0, 9.0, 10.0]);

    for opset in [7, 10, 13] {
        let attrs = if opset < 12 { vec![float_attr("ratio", 0.3)] } else { vec![] };
        let dropout =
            model(opset, &[1, 2, 6], vec![node("Dropout", &["x"], &["y"], attrs)], vec![], &["y"]);
        assert_eq!(run(&dropout, &x())[0], x(), "opset {opset}");
    }
}

/// Opsets 7–8: BatchNormalization with `spatial = 0` (per-entry statistics) is refused, naming
/// the node, rather than imported as the per-channel form.
#[test]
fn batch_norm_spatial_zero_is_refused() {
    use common::build::{f32_tensor, int_attr};
    let params = ["s", "b", "m", "v"].map(|n| f32_tensor(n, &[2], &[1.0, 1.0]));
    let bn = model(
        7,
        &[1, 2, 6],
        vec![node(
            "BatchNormalization",
            &["x", "s", "b", "m", "v"],
            &["y"],
            vec![int_attr("spatial", 0)],
        )],
        params.to_vec(),
        &["y"],
    );
    let err = OnnxModel::from_bytes(&bn).unwrap().into_ir(ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("spatial"), "{err}");
}

/// `Cast` to an integer type of a computed real tensor would round or truncate, which the
/// prover does not model: refused, naming the node. Of an integer constant it folds.
#[test]
fn casts_to_integers_fold_constants_and_refuse_computed_reals() {
    let to_int =
        |input: &str| node("Cast", &[input], &["y"], vec![common::build::int_attr("to", 7)]);
    let computed = model(13, &[1, 2, 6], vec![to_int("x")], vec![], &["y"]);
    let err = OnnxModel::from_bytes(&computed).unwrap().into_ir(ImportOptions::default());
    let err = err.unwrap_err().to_string();
    assert!(err.contains("node y") || err.contains("Cast"), "{err}");
    assert!(err.contains("not supported"), "{err}");
    // Shape → Cast(int32) → Reshape target: folds at import.
    let folded = model(
        13,
        &[1, 2, 6],
        vec![
            node("Shape", &["x"], &["s"], vec![]),
            node("Cast", &["s"], &["s32"], vec![common::build::int_attr("to", 6)]),
            node("Reshape", &["x", "s32"], &["y"], vec![]),
        ],
        vec![],
        &["y"],
    );
    assert_eq!(run(&folded, &x())[0], x());
}
