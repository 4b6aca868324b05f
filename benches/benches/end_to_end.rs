//! End-to-end benchmarks (issue 9): for every shipped model the prover supports, at batch 1, 16
//! and 64 — compile (ONNX to block plan), setup (dev SRS and weight commitments), prove and verify.
//! Proof bytes and the peak resident memory of one prove (Linux `VmHWM`, reset before the run
//! through `/proc/self/clear_refs`) are printed once per configuration on stderr.
//!
//! ```sh
//! cargo bench -p tessera-benches --bench end_to_end                    # everything
//! cargo bench -p tessera-benches --bench end_to_end -- digits_cnn/64   # one configuration
//! cargo bench -p tessera-benches --bench end_to_end -- fold_arity      # the fold-tree arities
//! ```
//!
//! The `fold_arity` groups prove the same batch with every fold-tree arity (one node over all
//! leaves, and trees of arity 2 to 16), printing each proof's size: the measurement behind the
//! default fold budget of [`ProveOptions`] (every digits model fits one node).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use tessera_accumulator::Arity;
use tessera_blocks::Srs;
use tessera_compiler::{BlockPlan, CompileOptions, LowerOptions, Tensor, compile, lower};
use tessera_runtime::{
    FoldArity, ProveOptions, ProvingKey, VerifyingKey, io, prove, required_srs_size, setup, verify,
};

const BATCHES: [usize; 3] = [1, 16, 64];

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn plan_for(model: &str, batch: usize) -> Option<BlockPlan> {
    let mut options = CompileOptions::default();
    options.import.batch = Some(batch);
    let compiled = compile(models_dir().join(model).join("model.onnx"), &options).ok()?;
    let lowering = LowerOptions { model: model.into(), private_input: false };
    match lower(&compiled.quantized, &lowering) {
        Ok(plan) => Some(plan),
        Err(e) => {
            eprintln!("{model}: skipped ({e})");
            None
        }
    }
}

fn keys(plan: &BlockPlan) -> (ProvingKey, VerifyingKey) {
    let log = required_srs_size(plan).next_power_of_two().trailing_zeros() as usize;
    let srs = Srs::insecure_dev(1, log).expect("dev srs");
    setup(plan, &srs).expect("setup")
}

fn inputs(model: &str, plan: &BlockPlan, batch: usize) -> Vec<Tensor<i64>> {
    let examples =
        io::read_test_set(&models_dir().join(model).join("test_set.json")).expect("test set");
    let examples: Vec<io::Example> = examples.iter().cycle().take(batch).cloned().collect();
    let specs = io::input_specs(plan);
    let batch = io::batch_of(&examples, &specs[0].1).expect("batch");
    io::quantize_inputs(plan, &[batch]).expect("the test inputs fit the plan")
}

/// Peak resident memory since the last reset, in MiB (Linux only; `None` elsewhere).
fn peak_rss_mib(reset: bool) -> Option<f64> {
    if reset {
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
        return None;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    let mut models: Vec<String> = std::fs::read_dir(models_dir())
        .expect("models/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("model.onnx").exists())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    models.sort();
    for model in &models {
        let mut group = c.benchmark_group(model.as_str());
        for batch in BATCHES {
            let Some(plan) = plan_for(model, batch) else { break };
            let id = |what: &str| BenchmarkId::new(what, batch);
            group.bench_function(id("compile"), |b| b.iter(|| plan_for(model, batch)));
            group.bench_function(id("setup"), |b| b.iter(|| keys(&plan)));
            let (pk, vk) = keys(&plan);
            let x = inputs(model, &plan, batch);
            peak_rss_mib(true);
            let (_, proof) = prove(&pk, &x, ProveOptions::default()).expect("prove");
            let peak = peak_rss_mib(false).map_or("n/a".into(), |m| format!("{m:.0} MiB"));
            eprintln!(
                "{model}/{batch}: proof {} bytes, peak RSS while proving {peak}",
                proof.size_in_bytes()
            );
            group.bench_function(id("prove"), |b| {
                b.iter(|| prove(&pk, &x, ProveOptions::default()).expect("prove"))
            });
            group.bench_function(id("verify"), |b| b.iter(|| verify(&vk, &proof).expect("verify")));
        }
        group.finish();
    }
    for (model, batch) in FOLD_CASES {
        let Some(plan) = plan_for(model, batch) else { continue };
        let (pk, vk) = keys(&plan);
        let x = inputs(model, &plan, batch);
        let mut group = c.benchmark_group(format!("fold_arity/{model}_{batch}"));
        for arity in FOLD_ARITIES {
            let options = ProveOptions { fold: FoldArity::Exact(arity) };
            let name = match arity {
                Arity::AllInOne => "all".to_string(),
                Arity::Fixed(k) => k.to_string(),
            };
            let (_, proof) = prove(&pk, &x, options).expect("prove");
            eprintln!(
                "fold_arity {model}/{batch} arity {name}: proof {} bytes",
                proof.size_in_bytes()
            );
            group.bench_function(BenchmarkId::new("prove", &name), |b| {
                b.iter(|| prove(&pk, &x, options).expect("prove"))
            });
            group.bench_function(BenchmarkId::new("verify", &name), |b| {
                b.iter(|| verify(&vk, &proof).expect("verify"))
            });
        }
        group.finish();
    }
    c.final_summary();
}

/// The models and batches of the fold-arity comparison.
const FOLD_CASES: [(&str, usize); 3] = [("digits_mlp", 64), ("digits_cnn", 16), ("digits_cnn", 64)];

/// One node over every leaf, and trees of arity 2 to 16.
const FOLD_ARITIES: [Arity; 5] =
    [Arity::AllInOne, Arity::Fixed(2), Arity::Fixed(4), Arity::Fixed(8), Arity::Fixed(16)];
