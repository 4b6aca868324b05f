//! Robustness: seeded byte mutations and truncations of every shipped model must give `Ok` or a
//! typed error at every stage — never a panic.

mod common;

use common::model_cases;
use tessera_compiler::quant::{Calibration, QuantConfig, quantize};
use tessera_compiler::{ImportOptions, OnnxModel};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn mutated_models_never_panic() {
    let mut rng = Lcg(42);
    let config = QuantConfig {
        calibration: Calibration::Synthetic { samples: 1, seed: 1, lo: -1.0, hi: 1.0 },
        ..QuantConfig::default()
    };
    let (mut imported, mut rejected) = (0, 0);
    for case in model_cases() {
        let original = std::fs::read(&case.onnx).unwrap();
        for _ in 0..150 {
            let mut bytes = original.clone();
            match rng.next() % 3 {
                0 => {
                    let n = (rng.next() as usize % bytes.len()).max(1);
                    bytes.truncate(n);
                }
                _ => {
                    for _ in 0..1 + rng.next() % 4 {
                        let i = rng.next() as usize % bytes.len();
                        bytes[i] = rng.next() as u8;
                    }
                }
            }
            let graph =
                OnnxModel::from_bytes(&bytes).and_then(|m| m.into_ir(ImportOptions::default()));
            match graph {
                Ok(g) => {
                    imported += 1;
                    // Whatever survived import must quantize or fail with a typed error.
                    let _ = quantize(&g, &config);
                }
                Err(_) => rejected += 1,
            }
        }
    }
    println!("mutations: {imported} imported, {rejected} rejected");
    assert!(rejected > 0);
}
