//! Shared test helpers: the models shipped in `models/` and their test sets.

#![allow(dead_code)]

pub mod build;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tessera_compiler::Tensor;

#[derive(Deserialize)]
pub struct Io {
    pub name: String,
    pub shape_per_example: Vec<usize>,
}

#[derive(Deserialize)]
pub struct Example {
    pub input: Vec<f64>,
    pub reference_output: Vec<f64>,
    pub label: Option<usize>,
}

#[derive(Deserialize)]
pub struct TestSet {
    pub input: Io,
    pub output: Io,
    pub examples: Vec<Example>,
}

pub struct ModelCase {
    pub name: String,
    pub onnx: PathBuf,
    pub test_set: TestSet,
}

pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// Every folder of `models/` holding a `model.onnx`, sorted by name.
pub fn model_cases() -> Vec<ModelCase> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(models_dir())
        .expect("models/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.join("model.onnx").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no models found");
    dirs.into_iter()
        .map(|d| {
            let json = std::fs::read_to_string(d.join("test_set.json")).expect("test_set.json");
            ModelCase {
                name: d.file_name().expect("dir name").to_string_lossy().into_owned(),
                onnx: d.join("model.onnx"),
                test_set: serde_json::from_str(&json).expect("valid test set"),
            }
        })
        .collect()
}

pub fn input_tensor(case: &ModelCase, ex: &Example) -> Tensor<f64> {
    Tensor::new(case.test_set.input.shape_per_example.clone(), ex.input.clone())
        .expect("input shape")
}

pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}
