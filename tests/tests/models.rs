//! End to end, one case per folder in `models/` (discovered at run time): compile at batch 2 with
//! the first two test examples, lower, set up with the dev SRS, prove, verify; the proven outputs
//! equal the reference integer interpreter exactly and are within the compiler's tolerance of the
//! float reference (onnxruntime's `reference_output`).
//!
//! A model the prover does not support yet must fail lowering with the typed
//! `PlanError::Unsupported`; once lowering succeeds, the full check runs on it automatically.

mod common;

use std::path::Path;
use std::time::Instant;

use common::{compile_at, keys, lower, model_dirs, name_of, quantized_batch, test_set};
use tessera_compiler::PlanError;
use tessera_runtime::{ProveOptions, files, io, prove, verify};

const BATCH: usize = 2;

/// Models whose ops the prover does not cover yet: lowering may fail with `Unsupported` (and only
/// with that). Every other model must prove. (Empty since the transformer's ops landed; a new
/// model folder with unsupported ops goes here until the prover covers it.)
const NOT_YET_SUPPORTED: &[&str] = &[];

/// The compiler's tolerance against the float reference (`compiler/tests/quantized_models.rs`):
/// on labelled models the quantized argmax agrees with the float reference; on the others the
/// largest absolute error is at most 2 % of the reference output's range.
const RELATIVE_TOLERANCE: f64 = 0.02;

#[test]
fn every_model_proves_and_verifies_a_batch() {
    let dirs = model_dirs();
    assert!(dirs.len() >= 5, "expected the five models in models/, found {dirs:?}");
    let mut proven = Vec::new();
    for dir in &dirs {
        let name = name_of(dir);
        let start = Instant::now();
        if check_model(dir) {
            proven.push(name.clone());
            println!("{name}: proved and verified a batch of {BATCH} in {:.2?}", start.elapsed());
        }
    }
    for name in [
        "digits_cnn",
        "digits_cnn_int8_qdq",
        "digits_mlp",
        "digits_mlp_int8_qdq",
        "tiny_transformer",
    ] {
        assert!(proven.iter().any(|p| p == name), "{name} must prove end to end");
    }
}

/// Runs the whole pipeline on one model folder; false if the prover does not support it yet.
fn check_model(dir: &Path) -> bool {
    let name = name_of(dir);
    let examples = test_set(dir);
    assert!(examples.len() >= BATCH, "{name}: fewer than {BATCH} test examples");
    let compiled = compile_at(dir, BATCH);
    let plan = match lower(dir, &compiled, false) {
        Ok(plan) => plan,
        Err(PlanError::Unsupported { node, op, reason }) => {
            assert!(
                NOT_YET_SUPPORTED.contains(&name.as_str()),
                "{name}: node {node} ({op}) unsupported by the prover: {reason}"
            );
            assert!(!node.is_empty() && !reason.is_empty(), "{name}: the error names the node");
            println!("{name}: not supported by the prover yet: node {node} ({op}): {reason}");
            return false;
        }
        Err(e) => panic!("{name}: lowering failed with {e} (only Unsupported is expected)"),
    };
    assert_eq!(plan.batch, BATCH, "{name}: plan batch");

    let (pk, vk) = keys(&plan, 0x5eed);
    let inputs = quantized_batch(&plan, &examples[..BATCH]);
    let (outputs, proof) = prove(&pk, &inputs, ProveOptions::default())
        .unwrap_or_else(|e| panic!("{name}: prove: {e}"));

    // The proof survives its file encoding and verifies with the verifying key alone.
    let bytes = files::proof_to_bytes(&proof);
    let parsed = files::proof_from_bytes(Path::new("proof.bin"), &bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(parsed, proof, "{name}: proof file round trip");
    verify(&vk, &parsed).unwrap_or_else(|e| panic!("{name}: verify rejected an honest proof: {e}"));

    // Exactly the reference interpreter's integers, and those are the proof's public values.
    let reference = compiled
        .quantized
        .run_int(&inputs, None)
        .unwrap_or_else(|e| panic!("{name}: reference interpreter: {e}"));
    assert_eq!(outputs.len(), reference.len(), "{name}: number of outputs");
    assert_eq!(proof.public.outputs.len(), outputs.len(), "{name}: public outputs");
    for ((ours, theirs), public) in outputs.iter().zip(&reference).zip(&proof.public.outputs) {
        assert_eq!(ours.shape(), theirs.shape(), "{name}: output shape");
        assert_eq!(ours.data(), theirs.data(), "{name}: proven output != reference interpreter");
        assert_eq!(public.data.as_slice(), ours.data(), "{name}: public output != output");
    }
    assert_eq!(proof.public.inputs.len(), 1, "{name}: one public input");
    assert_eq!(proof.public.inputs[0].data.as_slice(), inputs[0].data(), "{name}: public input");

    // Within the compiler's tolerance of the float reference.
    let real = io::dequantize_output(&plan, 0, &outputs[0]);
    let per = real.len() / BATCH;
    let (lo, hi) = examples
        .iter()
        .flat_map(|e| e.reference.iter())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    for (b, ex) in examples[..BATCH].iter().enumerate() {
        let row = &real[b * per..(b + 1) * per];
        assert_eq!(row.len(), ex.reference.len(), "{name}: example {b}: output size");
        if ex.label.is_some() {
            assert_eq!(
                argmax(row),
                argmax(&ex.reference),
                "{name}: example {b}: argmax differs from the float reference"
            );
        }
        let err = row.iter().zip(&ex.reference).map(|(a, r)| (a - r).abs()).fold(0.0, f64::max);
        assert!(
            err <= RELATIVE_TOLERANCE * (hi - lo),
            "{name}: example {b}: max |error| {err} exceeds {RELATIVE_TOLERANCE} of the range {}",
            hi - lo
        );
    }
    true
}

fn argmax(xs: &[f64]) -> usize {
    xs.iter().enumerate().fold(0, |best, (i, x)| if *x > xs[best] { i } else { best })
}
