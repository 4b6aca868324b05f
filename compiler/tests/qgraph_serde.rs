//! The integer graph is plain data: it round-trips through JSON and runs identically, and a
//! tensor whose data does not match its shape is refused on load.

mod common;

use common::{input_tensor, model_cases};
use tessera_compiler::quant::qop::QGraph;
use tessera_compiler::quant::{QuantConfig, quantize, run_quantized};
use tessera_compiler::{ImportOptions, OnnxModel};

#[test]
fn integer_graphs_round_trip_through_json() {
    for case in model_cases() {
        let graph = OnnxModel::load(&case.onnx).unwrap().into_ir(ImportOptions::default()).unwrap();
        let model = quantize(&graph, &QuantConfig::default()).unwrap();
        let json = serde_json::to_string(&model.graph).unwrap();
        let back: QGraph = serde_json::from_str(&json).unwrap();
        assert!(back == model.graph, "{}: graph changed in the round trip", case.name);
        let x = model.encode_inputs(&[input_tensor(&case, &case.test_set.examples[0])]);
        assert_eq!(
            run_quantized(&back, &x, None).unwrap(),
            run_quantized(&model.graph, &x, None).unwrap()
        );
    }
}

#[test]
fn inconsistent_tensors_are_refused_on_load() {
    let bad = r#"{"nodes":[{"name":"c","op":{"Const":{"shape":[2,2],"data":[1,2,3]}},"inputs":[],"shape":[2,2]}],
                  "tables":[],"inputs":[],"outputs":[]}"#;
    let err = serde_json::from_str::<QGraph>(bad).unwrap_err();
    assert!(err.to_string().contains("needs 4 elements, found 3"), "{err}");
}
