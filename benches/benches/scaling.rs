//! Scaling bench (issue 9): how prove time and proof size grow with model width and batch.
//!
//! The model is the digits MLP's shape, `64 → 64·w → 32·w → 10` with ReLUs, widened `w = 1, 2, 4,
//! 8`, built directly as a quantized graph with deterministic pseudo-random int8-sized weights
//! (no ONNX file is needed to measure the prover). Batch 1, 16, 64, 256. Proof bytes (public values
//! excluded) are printed once per configuration on stderr.
//!
//! ```sh
//! cargo bench -p tessera-benches --bench scaling                 # everything
//! cargo bench -p tessera-benches --bench scaling -- "w4/"         # one width
//! ```

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use tessera_blocks::Srs;
use tessera_compiler::quant::qop::{Encoding, QGraph, QNode, QOp};
use tessera_compiler::quant::{CompileReport, QuantizedModel};
use tessera_compiler::{BlockPlan, LowerOptions, Tensor, lower};
use tessera_runtime::{ProveOptions, prove, required_srs_size, setup};

const WIDTHS: [usize; 4] = [1, 2, 4, 8];
const BATCHES: [usize; 4] = [1, 16, 64, 256];
const SCALE_BITS: u32 = 12;

/// SplitMix64: deterministic values without a dependency.
struct Stream(u64);

impl Stream {
    fn next(&mut self, lo: i64, hi: i64) -> i64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        lo + ((z ^ (z >> 31)) % (hi - lo) as u64) as i64
    }

    fn tensor(&mut self, shape: Vec<usize>, lo: i64, hi: i64) -> Tensor<i64> {
        let len = shape.iter().product();
        Tensor::new(shape, (0..len).map(|_| self.next(lo, hi)).collect()).expect("shape")
    }
}

fn push(g: &mut QGraph, name: &str, op: QOp, inputs: Vec<usize>, shape: Vec<usize>) -> usize {
    g.nodes.push(QNode { name: name.into(), op, inputs, shape, source: String::new() });
    g.nodes.len() - 1
}

/// `64 → 64w → 32w → 10`, weights of scale `2^−6`, activations of scale `2^−12`.
fn mlp(width: usize, batch: usize) -> BlockPlan {
    let mut rng = Stream(width as u64 * 1000 + batch as u64);
    let mut g = QGraph::default();
    let x = push(&mut g, "input", QOp::Input { index: 0 }, vec![], vec![batch, 64]);
    let enc = Encoding { scale: 1.0 / f64::from(1u32 << SCALE_BITS), zero: 0 };
    g.inputs.push(("input".into(), x, enc));
    let dims = [64, 64 * width, 32 * width, 10];
    let mut h = x;
    for layer in 0..3 {
        let (inner, cols) = (dims[layer], dims[layer + 1]);
        let name = format!("fc{layer}");
        let w = push(
            &mut g,
            &name,
            QOp::Const(rng.tensor(vec![cols, inner], -64, 64)),
            vec![],
            vec![cols, inner],
        );
        let mm = QOp::Gemm { trans_a: false, trans_b: true };
        let y = push(&mut g, &format!("{name}.gemm"), mm, vec![h, w], vec![batch, cols]);
        let b = push(
            &mut g,
            &format!("{name}.bias"),
            QOp::Const(rng.tensor(vec![cols], -4096, 4096)),
            vec![],
            vec![cols],
        );
        let z = push(&mut g, &format!("{name}.add"), QOp::Add, vec![y, b], vec![batch, cols]);
        if layer == 2 {
            g.outputs.push(("logits".into(), z, enc));
            break;
        }
        let r = push(
            &mut g,
            &format!("{name}.rescale"),
            QOp::Rescale { shift: 6 },
            vec![z],
            vec![batch, cols],
        );
        h = push(
            &mut g,
            &format!("{name}.relu"),
            QOp::Clamp { lo: Some(0), hi: None },
            vec![r],
            vec![batch, cols],
        );
    }
    let report =
        CompileReport { scale_bits: SCALE_BITS, activation_bits: 24, ..Default::default() };
    let model = QuantizedModel { graph: g, report };
    lower(&model, &LowerOptions { model: format!("mlp_w{width}"), private_input: false })
        .expect("lower")
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    let mut group = c.benchmark_group("scaling");
    for width in WIDTHS {
        for batch in BATCHES {
            let plan = mlp(width, batch);
            let log = required_srs_size(&plan).next_power_of_two().trailing_zeros() as usize;
            let srs = Srs::insecure_dev(1, log).expect("dev srs");
            let (pk, _) = setup(&plan, &srs).expect("setup");
            let mut rng = Stream(7);
            let x = vec![rng.tensor(vec![batch, 64], 0, 1 << SCALE_BITS)];
            let (_, proof) = prove(&pk, &x, ProveOptions::default()).expect("prove");
            eprintln!(
                "w{width}/{batch}: proof {} bytes without public values",
                proof.size_in_bytes() - proof.public_size_in_bytes()
            );
            group.bench_function(BenchmarkId::new(format!("w{width}"), batch), |b| {
                b.iter(|| prove(&pk, &x, ProveOptions::default()).expect("prove"))
            });
        }
    }
    group.finish();
    c.final_summary();
}
