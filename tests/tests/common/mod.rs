//! Shared helpers of the end-to-end and soundness tests: the model folders, compiling at a batch,
//! the dev SRS and keys.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};

use tessera_compiler::{BlockPlan, CompileOptions, Compiled, LowerOptions, PlanError, Tensor};
use tessera_runtime::io::{self, Example};
use tessera_runtime::{ProvingKey, VerifyingKey};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Every model folder under `models/` (a folder holding `model.onnx`), sorted by name.
pub fn model_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("models"))
        .expect("models/ is readable")
        .map(|e| e.expect("models/ entry").path())
        .filter(|p| p.join("model.onnx").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// A folder's name.
pub fn name_of(dir: &Path) -> String {
    dir.file_name().expect("folder name").to_string_lossy().into_owned()
}

/// The model's test set.
pub fn test_set(dir: &Path) -> Vec<Example> {
    io::read_test_set(&dir.join("test_set.json")).expect("test_set.json reads")
}

/// Compiles `dir/model.onnx` at `batch` (the CLI's defaults).
pub fn compile_at(dir: &Path, batch: usize) -> Compiled {
    let mut options = CompileOptions::default();
    options.import.batch = Some(batch);
    tessera_compiler::compile(dir.join("model.onnx"), &options)
        .unwrap_or_else(|e| panic!("{}: compile: {e}", dir.display()))
}

/// Lowers a compiled model to a block plan.
pub fn lower(dir: &Path, compiled: &Compiled, private_input: bool) -> Result<BlockPlan, PlanError> {
    let options = LowerOptions { model: name_of(dir), private_input };
    tessera_compiler::lower(&compiled.quantized, &options)
}

/// Setup with the insecure development SRS, sized by `required_srs_size`.
pub fn keys(plan: &BlockPlan, seed: u64) -> (ProvingKey, VerifyingKey) {
    let need = tessera_runtime::required_srs_size(plan);
    let log = need.next_power_of_two().trailing_zeros() as usize;
    let srs = tessera_blocks::Srs::insecure_dev(seed, log).expect("dev SRS");
    tessera_runtime::setup(plan, &srs).expect("setup")
}

/// The first `n` test examples as the plan's quantized input batch (one input models only).
pub fn quantized_batch(plan: &BlockPlan, examples: &[Example]) -> Vec<Tensor<i64>> {
    let specs = io::input_specs(plan);
    assert_eq!(specs.len(), 1, "{}: the test sets hold one input", plan.model);
    let batch = io::batch_of(examples, &specs[0].1).expect("test examples fit the input");
    io::quantize_inputs(plan, &[batch]).expect("the test inputs fit the plan")
}
