//! Each stage prints; these snapshots pin the float IR and the integer IR of the smallest model.
//! Regenerate after an intended change with
//! `TESSERA_UPDATE_SNAPSHOTS=1 cargo test -p tessera-compiler --test snapshots` and review the diff.

use std::path::PathBuf;

use tessera_compiler::quant::{QuantConfig, quantize};
use tessera_compiler::{ImportOptions, OnnxModel};

fn mlp() -> tessera_compiler::Graph {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/digits_mlp/model.onnx");
    OnnxModel::load(path).unwrap().into_ir(ImportOptions::default()).unwrap()
}

fn check(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/snapshots").join(name);
    if std::env::var_os("TESSERA_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, expected, "{name} changed; see the module doc to regenerate");
}

#[test]
fn float_ir_snapshot() {
    check("digits_mlp.ir.txt", &format!("{}\n", mlp()));
}

#[test]
fn integer_ir_snapshot() {
    let q = quantize(&mlp(), &QuantConfig::default()).unwrap();
    check("digits_mlp.qir.txt", &format!("{}\n{}", q.graph, q.report));
}
