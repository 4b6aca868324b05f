//! A grouped convolution end to end from ONNX: a model built here (group-2 Conv with stride and
//! padding, Relu, depthwise Conv) is compiled, lowered, set up, proved and verified, and the
//! proven outputs equal the reference integer interpreter exactly.

mod common;

// The compiler's ONNX builder for tests, shared rather than copied.
#[path = "../../compiler/tests/common/build.rs"]
#[allow(dead_code)]
mod build;

use build::{f32_tensor, int_attr, ints_attr, model, node};
use common::keys;
use tessera_compiler::plan::Step;
use tessera_compiler::{CompileOptions, LowerOptions, Tensor};
use tessera_runtime::{ProveOptions, io, prove, verify};

/// Deterministic weights in `[-0.5, 0.5)`.
fn weights(n: usize, salt: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 37 + salt * 11) % 64) as f32 / 64.0 - 0.5).collect()
}

/// `x [2, 4, 6, 6]` → Conv group 2 (`[4, 2, 3, 3]`, stride 2, pads 1) → Relu → depthwise Conv
/// (`[4, 1, 3, 3]`, group 4, pads 1) → `y [2, 4, 3, 3]`.
fn grouped_model() -> Vec<u8> {
    let conv = |group| {
        let mut a = vec![int_attr("group", group), ints_attr("kernel_shape", &[3, 3])];
        a.push(ints_attr("pads", &[1, 1, 1, 1]));
        a
    };
    let mut first = conv(2);
    first.push(ints_attr("strides", &[2, 2]));
    let nodes = vec![
        node("Conv", &["x", "w1"], &["c1"], first),
        node("Relu", &["c1"], &["r1"], vec![]),
        node("Conv", &["r1", "w2"], &["y"], conv(4)),
    ];
    let inits = vec![
        f32_tensor("w1", &[4, 2, 3, 3], &weights(72, 1)),
        f32_tensor("w2", &[4, 1, 3, 3], &weights(36, 2)),
    ];
    model(13, &[2, 4, 6, 6], nodes, inits, &["y"])
}

#[test]
fn grouped_and_depthwise_conv_model_proves_and_matches_the_interpreter() {
    let path =
        std::env::temp_dir().join(format!("tessera_grouped_conv_{}.onnx", std::process::id()));
    std::fs::write(&path, grouped_model()).expect("writes the model");
    let compiled = tessera_compiler::compile(&path, &CompileOptions::default());
    let _ = std::fs::remove_file(&path);
    let compiled = compiled.expect("the grouped conv model compiles");
    let options = LowerOptions { model: "grouped_conv".into(), private_input: false };
    let plan = tessera_compiler::lower(&compiled.quantized, &options).expect("lowers");
    let groups: Vec<usize> = plan
        .steps
        .iter()
        .filter_map(|s| if let Step::Conv(c) = s { Some(c.group) } else { None })
        .collect();
    assert_eq!(groups, [2, 4], "both convolutions lower to grouped conv steps");
    let (pk, vk) = keys(&plan, 7);

    let x: Vec<f64> = (0..2 * 4 * 36).map(|i| ((i * 13) % 29) as f64 / 29.0 - 0.4).collect();
    let inputs = io::quantize_inputs(&plan, &[Tensor::new(vec![2, 4, 6, 6], x).expect("x")])
        .expect("inputs fit");
    let (outputs, proof) = prove(&pk, &inputs, ProveOptions::default()).expect("proves");
    verify(&vk, &proof).expect("the honest proof verifies");
    let reference = compiled.quantized.run_int(&inputs, None).expect("reference interpreter");
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].shape(), reference[0].shape());
    assert_eq!(outputs[0].data(), reference[0].data(), "proven output != integer interpreter");
    assert!(reference[0].data().iter().any(|v| *v != 0), "a non-trivial output");
}
