//! A per-channel int8 QDQ CNN (made by `tests/data/gen_per_channel.py` with onnxruntime's
//! quantizer): per-axis DequantizeLinear weights through import, the float interpreter and
//! quantization, against onnxruntime's outputs.

mod common;

use common::{argmax, input_tensor, model_cases};
use serde::Deserialize;
use tessera_compiler::interp::eval_float;
use tessera_compiler::{CompileOptions, compile};

#[derive(Deserialize)]
struct Reference {
    argmax: Vec<usize>,
    outputs_first_20: Vec<Vec<f64>>,
}

#[test]
fn per_channel_qdq_cnn_matches_onnxruntime() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/per_channel");
    let reference: Reference =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();
    let compiled = compile(dir.join("model.onnx"), &CompileOptions::default()).unwrap();
    // All four products keep int8 weights and requantize per channel.
    let per_channel = compiled
        .quantized
        .graph
        .nodes
        .iter()
        .filter(|n| n.name.ends_with(".channel_rescale"))
        .count();
    assert_eq!(per_channel, 4);
    // The images of the fp32 CNN's test set.
    let case = model_cases().into_iter().find(|c| c.name == "digits_cnn").unwrap();
    let (mut float_agree, mut quant_agree) = (0, 0);
    for (i, ex) in case.test_set.examples.iter().enumerate() {
        let x = input_tensor(&case, ex);
        let f = eval_float(&compiled.float, std::slice::from_ref(&x)).unwrap();
        let q = compiled.quantized.run(&[x]).unwrap();
        float_agree += usize::from(argmax(f[0].data()) == reference.argmax[i]);
        quant_agree += usize::from(argmax(q[0].data()) == reference.argmax[i]);
        if let Some(want) = reference.outputs_first_20.get(i) {
            let step = 1e-4; // same Q/DQ semantics, float rounding only
            for (g, w) in f[0].data().iter().zip(want) {
                assert!((g - w).abs() <= step, "image {i}: float {g} vs onnxruntime {w}");
            }
        }
    }
    let n = case.test_set.examples.len();
    println!(
        "per-channel QDQ CNN: argmax agreement with onnxruntime: float {float_agree}/{n}, quantized {quant_agree}/{n}"
    );
    assert!(float_agree * 100 >= 99 * n);
    assert!(quant_agree * 100 >= 99 * n);
}
