//! Matmul block benchmarks (issue 5): prove (sumcheck plus the claims it emits; no commitment and
//! no opening) and verify for `[M, K]·[K, N]` with a fixed weight, dense and with 90 % zeros, the
//! weight-binding step alone, one batched attention-shaped product, a convolution and a
//! depthwise convolution, and the full cost of a sparse layer (`sparse_layer`: computing `Y = X·W`
//! with a kernel that skips zero weights, plus proving). Proof sizes are printed to stderr once
//! per shape. Filter with criterion's regex, e.g.
//! `cargo bench -p tessera-benches --bench matmul -- 1024x256`.
//!
//! The weight commitment is not computed (it is a setup-time MSM, benched in `kernel`); the
//! instance carries a placeholder, which the prover only absorbs.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_std::UniformRand;
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use rayon::prelude::*;
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::curve::fr_from_i64;
use tessera_blocks::kzg::Commitment;
use tessera_blocks::matmul::conv::{Conv, ConvInstance, ConvSpec, ConvWitness};
use tessera_blocks::matmul::{
    BatchedInstance, BatchedMatmul, BatchedSpec, BatchedWitness, FixedMatmul, MatmulInstance,
    MatmulSpec, MatmulWeights, MatmulWitness, SparseWeights,
};
use tessera_blocks::mle::eq_table;
use tessera_blocks::{Block, Fr, IntTensor, Transcript};

fn int8(shape: Vec<usize>, zeros: f64, rng: &mut StdRng) -> IntTensor {
    let n = shape.iter().product();
    let data =
        (0..n).map(|_| if rng.gen_bool(zeros) { 0 } else { rng.gen_range(-128..128) }).collect();
    IntTensor::new(shape, data).expect("tensor")
}

fn log2(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

/// `Ỹ(r_rows, r_cols) = Σ_{i,k,j} eq(r_rows, i)·X[i,k]·W[k,j]·eq(r_cols, j)` in `O(MK + KN)`,
/// without forming `Y` (for power-of-two shapes, where no padding is involved).
fn claim_value(x: &IntTensor, w: &IntTensor, r_rows: &[Fr], r_cols: &[Fr]) -> Fr {
    let (eq_r, eq_c) = (eq_table(r_rows).expect("eq"), eq_table(r_cols).expect("eq"));
    let (k, n) = (w.shape()[0], w.shape()[1]);
    let mut a = vec![Fr::from(0u64); k];
    for (row, e) in x.data().chunks_exact(k).zip(&eq_r) {
        for (s, v) in a.iter_mut().zip(row) {
            *s += *e * fr_from_i64(*v);
        }
    }
    let mut total = Fr::from(0u64);
    for (row, s) in w.data().chunks_exact(n).zip(&a) {
        let b: Fr = row.iter().zip(&eq_c).map(|(v, e)| *e * fr_from_i64(*v)).sum();
        total += *s * b;
    }
    total
}

struct Fixed {
    spec: MatmulSpec,
    instance: MatmulInstance,
    witness: MatmulWitness,
}

fn fixed(m: usize, k: usize, n: usize, zeros: f64, seed: u64) -> Fixed {
    let mut rng = StdRng::seed_from_u64(seed);
    let spec = MatmulSpec::matmul(vec![m], k, n);
    let x = int8(vec![m, k], 0.0, &mut rng);
    let w = int8(vec![k, n], zeros, &mut rng);
    let r_rows: Vec<Fr> = (0..log2(m)).map(|_| Fr::rand(&mut rng)).collect();
    let r_cols: Vec<Fr> = (0..log2(n)).map(|_| Fr::rand(&mut rng)).collect();
    let value = claim_value(&x, &w, &r_rows, &r_cols);
    let point = r_rows.into_iter().chain(r_cols).collect();
    let weights = Arc::new(MatmulWeights::new(&spec, &w, None).expect("weights"));
    // Y is never formed: the prover does not read it.
    let output = IntTensor::new(vec![0], vec![]).expect("placeholder");
    let instance = MatmulInstance {
        input: TensorId(0),
        weight: Commitment::default(),
        bias: None,
        output: TensorClaim { tensor: TensorId(1), point, value },
    };
    Fixed { spec, instance, witness: MatmulWitness { input: x, output, weights } }
}

const SHAPES: [(usize, usize, usize, f64); 5] = [
    (64, 64, 64, 0.0),
    (1024, 256, 256, 0.0),
    (1024, 256, 256, 0.9),
    (4096, 1024, 1024, 0.0),
    (4096, 1024, 1024, 0.9),
];

fn fixed_weight(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul_fixed");
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    for (i, (m, k, n, zeros)) in SHAPES.into_iter().enumerate() {
        let case = fixed(m, k, n, zeros, i as u64);
        let label = format!("{m}x{k}x{n}/{}", if zeros > 0.0 { "sparse90" } else { "dense" });
        let prove = |t: &mut Transcript| {
            FixedMatmul::prove(&case.spec, &case.instance, &case.witness, t).expect("prove")
        };
        let (proof, _) = prove(&mut Transcript::new(b"bench"));
        FixedMatmul::verify(&case.spec, &case.instance, &proof, &mut Transcript::new(b"bench"))
            .expect("honest proof verifies");
        let bytes = proof.size_in_bytes();
        eprintln!(
            "matmul_fixed {label}: proof {bytes} bytes, nnz(W) = {}",
            case.witness.weights.weight.nnz()
        );
        g.bench_function(BenchmarkId::new("prove", &label), |b| {
            b.iter(|| prove(&mut Transcript::new(b"bench")))
        });
        g.bench_function(BenchmarkId::new("verify", &label), |b| {
            b.iter(|| {
                let t = &mut Transcript::new(b"bench");
                FixedMatmul::verify(&case.spec, &case.instance, &proof, t).expect("verify")
            })
        });
        let r_cols = &case.instance.output.point[log2(m)..];
        g.bench_function(BenchmarkId::new("bind_weight", &label), |b| {
            b.iter(|| case.witness.weights.weight.bind(r_cols).expect("bind"))
        });
    }
}

/// Attention-shaped `Q·Kᵀ`: 8 heads, `[128, 64]·[64, 128]`.
fn batched(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul_batched");
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    let mut rng = StdRng::seed_from_u64(9);
    let spec = BatchedSpec { heads: vec![8], rows: 128, inner: 64, cols: 128, trans_right: true };
    let left = int8(spec.left_shape(), 0.0, &mut rng);
    let right = int8(spec.right_shape(), 0.0, &mut rng);
    let output =
        BatchedMatmul::eval(&spec, &[left.clone(), right.clone()]).expect("eval").remove(0);
    let y = output.to_mle();
    let point: Vec<Fr> = (0..y.num_vars()).map(|_| Fr::rand(&mut rng)).collect();
    let value = y.evaluate(&point).expect("eval");
    let instance = BatchedInstance {
        left: TensorId(0),
        right: TensorId(1),
        output: TensorClaim { tensor: TensorId(2), point, value },
    };
    let witness = BatchedWitness { left, right, output };
    let (proof, _) = BatchedMatmul::prove(&spec, &instance, &witness, &mut Transcript::new(b"b"))
        .expect("prove");
    let bytes = proof.size_in_bytes();
    eprintln!("matmul_batched 8x128x64x128: proof {bytes} bytes");
    g.bench_function("prove/8x128x64x128", |b| {
        b.iter(|| BatchedMatmul::prove(&spec, &instance, &witness, &mut Transcript::new(b"b")))
    });
}

/// Proves and verifies `spec` once (printing the proof size), then benches both.
fn conv_case(g: &mut BenchGroup<'_>, spec: ConvSpec, label: &str, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let input = int8(spec.input_shape(), 0.0, &mut rng);
    let weight = int8(spec.weight_shape(), 0.0, &mut rng);
    let output = Conv::eval(&spec, &[input.clone(), weight.clone()]).expect("eval").remove(0);
    let y = output.to_mle();
    let point: Vec<Fr> = (0..y.num_vars()).map(|_| Fr::rand(&mut rng)).collect();
    let value = y.evaluate(&point).expect("eval");
    let instance = ConvInstance {
        input: TensorId(0),
        weight: Commitment::default(),
        output: TensorClaim { tensor: TensorId(1), point, value },
    };
    let witness = ConvWitness { input, weight, output };
    let (proof, _) =
        Conv::prove(&spec, &instance, &witness, &mut Transcript::new(b"c")).expect("prove");
    Conv::verify(&spec, &instance, &proof, &mut Transcript::new(b"c")).expect("verifies");
    eprintln!("matmul_conv {label}: proof {} bytes", proof.size_in_bytes());
    g.bench_function(BenchmarkId::new("prove", label), |b| {
        b.iter(|| Conv::prove(&spec, &instance, &witness, &mut Transcript::new(b"c")))
    });
    g.bench_function(BenchmarkId::new("verify", label), |b| {
        b.iter(|| Conv::verify(&spec, &instance, &proof, &mut Transcript::new(b"c")))
    });
}

type BenchGroup<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// ONNX Conv `[1, 16, 32, 32]` with 32 filters 3×3, stride 1, pads 1 (output `[1, 32, 32, 32]`),
/// and a depthwise Conv `[1, 32, 32, 32]`, 3×3, group 32 (weight `[32, 1, 3, 3]`).
fn conv(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul_conv");
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    let spec = ConvSpec {
        batch: 1,
        in_channels: 16,
        height: 32,
        width: 32,
        out_channels: 32,
        kernel: [3, 3],
        stride: [1, 1],
        pads: [1, 1, 1, 1],
        dilation: [1, 1],
        group: 1,
    };
    conv_case(&mut g, spec.clone(), "1x16x32x32_k3x3_o32", 10);
    let depthwise = ConvSpec { in_channels: 32, group: 32, ..spec };
    conv_case(&mut g, depthwise, "1x32x32x32_k3x3_depthwise", 11);
}

/// `Y = X·W` in `i64` from the non-zero weights only (`M·nnz(W)` multiply-adds, rows in
/// parallel): the witness of a layer whose weight is sparse.
fn layer_output(x: &IntTensor, w: &SparseWeights, n: usize) -> Vec<i64> {
    let k = x.shape()[1];
    let mut y = vec![0i64; x.shape()[0] * n];
    y.par_chunks_mut(n).zip(x.data().par_chunks(k)).for_each(|(out, row)| {
        for (kk, xv) in row.iter().enumerate().filter(|(_, v)| **v != 0) {
            for (j, wv) in w.row(kk) {
                out[j] += xv * wv;
            }
        }
    });
    y
}

/// `Y = X·W` with a dense `W` (`[K, N]` row-major): the baseline a dense layer would use, so the
/// CSR kernel's column indices do not inflate the dense/sparse ratio.
fn dense_output(x: &IntTensor, w: &[i64], n: usize) -> Vec<i64> {
    let k = x.shape()[1];
    let mut y = vec![0i64; x.shape()[0] * n];
    y.par_chunks_mut(n).zip(x.data().par_chunks(k)).for_each(|(out, row)| {
        for (xv, w_row) in row.iter().zip(w.chunks_exact(n)) {
            for (o, wv) in out.iter_mut().zip(w_row) {
                *o += xv * wv;
            }
        }
    });
    y
}

/// The full layer cost, dense against 90 % sparse `W` (`[4096, 1024]·[1024, 1024]`): the witness
/// alone, and witness plus proof (`matmul_fixed/prove` is the proof alone). Each case computes `Y`
/// with its better kernel (dense `W`: [`dense_output`]; sparse: [`layer_output`]); both kernels
/// and one proof are timed once first, so a `--test` run reports the split too.
fn sparse_layer(c: &mut Criterion) {
    let mut g = c.benchmark_group("sparse_layer");
    // Seconds per iteration: flat sampling keeps a full run at 10 iterations per bench.
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).sampling_mode(SamplingMode::Flat);
    for (i, zeros) in [0.0, 0.9].into_iter().enumerate() {
        let (m, k, n) = (4096, 1024, 1024);
        let case = fixed(m, k, n, zeros, 20 + i as u64);
        let label = format!("{m}x{k}x{n}/{}", if zeros > 0.0 { "sparse90" } else { "dense" });
        let (w, x) = (&case.witness.weights.weight, &case.witness.input);
        let mut dense_w = vec![0i64; k * n];
        for kk in 0..k {
            w.row(kk).for_each(|(j, v)| dense_w[kk * n + j] = v);
        }
        let witness = || {
            if zeros > 0.0 { layer_output(x, w, n) } else { dense_output(x, &dense_w, n) }
        };
        let prove = || {
            let t = &mut Transcript::new(b"bench");
            FixedMatmul::prove(&case.spec, &case.instance, &case.witness, t).expect("prove")
        };
        let timed = |f: &dyn Fn() -> Vec<i64>| {
            let start = Instant::now();
            let y = f();
            (y, start.elapsed())
        };
        let (y, csr) = timed(&|| layer_output(x, w, n));
        let (y_dense, dense) = timed(&|| dense_output(x, &dense_w, n));
        assert_eq!(y, y_dense, "the kernels agree");
        let start = Instant::now();
        prove();
        eprintln!(
            "sparse_layer {label}: one Y: CSR kernel {csr:.2?}, dense kernel {dense:.2?}; \
             one proof {:.2?}; nnz(W) = {}",
            start.elapsed(),
            w.nnz()
        );
        g.bench_function(BenchmarkId::new("witness", &label), |b| b.iter(|| black_box(witness())));
        g.bench_function(BenchmarkId::new("layer", &label), |b| {
            b.iter(|| (black_box(witness()), prove()))
        });
    }
}

criterion_group!(benches, fixed_weight, batched, conv, sparse_layer);
criterion_main!(benches);
