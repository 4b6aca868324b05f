//! Per-op conformance: the float interpreter against expected outputs computed outside the
//! project — ONNX backend node tests (reference implementation of the `onnx` 1.22.0 wheel) and a
//! few onnxruntime cases, selected by `tests/data/gen_node_cases.py`.
//!
//! Each case must either import and reproduce the expected outputs, or be rejected at import with
//! a typed "not supported" error. Every op of DESIGN §6 must have at least one passing case.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use onnx_protobuf::{Message, TensorProto};
use tessera_compiler::interp::eval_float;
use tessera_compiler::onnx::decode_tensor;
use tessera_compiler::{ImportError, ImportOptions, OnnxModel, Tensor};

fn read_tensor(path: &Path) -> Tensor<f64> {
    let bytes = std::fs::read(path).unwrap();
    decode_tensor(&TensorProto::parse_from_bytes(&bytes).unwrap()).unwrap().value
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

#[test]
fn node_cases_match_or_are_rejected_with_a_typed_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx_node");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    assert!(dirs.len() > 50, "node cases missing");
    let mut passed: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut rejected = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let graph = match OnnxModel::load(dir.join("model.onnx"))
            .and_then(|m| m.into_ir(ImportOptions::default()))
        {
            Ok(g) => g,
            Err(
                e @ (ImportError::UnsupportedNode { .. }
                | ImportError::NotConstant { .. }
                | ImportError::UnsupportedOp { .. }),
            ) => {
                rejected.push(format!("{name}: {e}"));
                continue;
            }
            Err(e) => panic!("{name}: unexpected import error {e}"),
        };
        let inputs: Vec<Tensor<f64>> =
            files(dir, "input_").iter().map(|p| read_tensor(p)).collect();
        let outputs = eval_float(&graph, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<Tensor<f64>> =
            files(dir, "output_").iter().map(|p| read_tensor(p)).collect();
        assert_eq!(outputs.len(), expected.len(), "{name}");
        for (got, want) in outputs.iter().zip(&expected) {
            assert_eq!(got.len(), want.len(), "{name}: element count");
            for (i, (g, w)) in got.data().iter().zip(want.data()).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-4 + 1e-4 * w.abs(),
                    "{name}: element {i}: got {g}, expected {w}"
                );
            }
        }
        let ops: Vec<&'static str> = graph.op_counts().into_iter().map(|(op, _)| op).collect();
        for op in ops {
            *passed.entry(op).or_insert(0) += 1;
        }
    }
    println!("passed per op: {passed:?}");
    println!("rejected with typed errors ({}):\n  {}", rejected.len(), rejected.join("\n  "));
    let required = [
        "Gemm",
        "MatMul",
        "Conv",
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Relu",
        "Sigmoid",
        "Tanh",
        "Exp",
        "Erf",
        "Softmax",
        "LayerNormalization",
        "ReduceMean",
        "ReduceSum",
        "MaxPool",
        "AveragePool",
        "GlobalAveragePool",
        "BatchNormalization",
        "Reshape",
        "Flatten",
        "Transpose",
        "Squeeze",
        "Unsqueeze",
        "Concat",
        "Slice",
        "Split",
        "Gather",
        "Identity",
        "Clip",
        "QuantizeLinear",
        "DequantizeLinear",
    ];
    for op in required {
        assert!(passed.get(op).copied().unwrap_or(0) > 0, "no passing external case for {op}");
    }
}

/// The quantized interpreter on the same cases, calibrated on the case's own inputs: outputs are
/// within 1 % of the expected outputs' magnitude (plus two steps of 2^−s), or quantization
/// declines with a typed error.
#[test]
fn quantized_node_cases_are_close_or_rejected() {
    use tessera_compiler::QuantError;
    use tessera_compiler::quant::{Calibration, QuantConfig, quantize};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx_node");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    let (mut passed, mut declined) = (0, Vec::new());
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(graph) = OnnxModel::load(dir.join("model.onnx"))
            .and_then(|m| m.into_ir(ImportOptions::default()))
        else {
            continue;
        };
        let inputs: Vec<Tensor<f64>> =
            files(dir, "input_").iter().map(|p| read_tensor(p)).collect();
        let config = QuantConfig {
            calibration: Calibration::Samples(vec![inputs.clone()]),
            ..QuantConfig::default()
        };
        let model = match quantize(&graph, &config) {
            Ok(m) => m,
            Err(e @ QuantError::Unsupported { .. }) => {
                declined.push(format!("{name}: {e}"));
                continue;
            }
            Err(e) => panic!("{name}: unexpected quantization error {e}"),
        };
        let outputs = model.run(&inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<Tensor<f64>> =
            files(dir, "output_").iter().map(|p| read_tensor(p)).collect();
        let step = (-(model.report.scale_bits as f64)).exp2();
        for (got, want) in outputs.iter().zip(&expected) {
            let mag = want.data().iter().fold(0f64, |m, v| m.max(v.abs()));
            let tol = 0.01 * mag + 2.0 * step;
            for (i, (g, w)) in got.data().iter().zip(want.data()).enumerate() {
                assert!(
                    (g - w).abs() <= tol,
                    "{name}: element {i}: got {g}, expected {w} (tolerance {tol})"
                );
            }
        }
        passed += 1;
    }
    println!(
        "quantized: {passed} cases within tolerance; declined ({}):\n  {}",
        declined.len(),
        declined.join("\n  ")
    );
    assert!(passed > 100, "only {passed} quantized cases passed");
}
