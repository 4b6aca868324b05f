//! Issue 3 benchmarks: Hadamard and axis-sum at 2^12, 2^16, 2^20 entries; transpose and a 3×3
//! convolution window map on a `[1, 16, 32, 32]` tensor; a general map (a reversal) at 2^16.
//! `cargo bench -p tessera-benches --bench elementwise_permutation`

use std::time::Duration;

use ark_std::UniformRand;
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tessera_blocks::block::Block;
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::elementwise::{AxisSum, AxisSumSpec, Hadamard, HadamardSpec, Instance};
use tessera_blocks::permutation::{
    GeneralMap, GeneralMapSpec, StructuredMap, StructuredMapSpec, WindowAxis,
};
use tessera_blocks::{Fr, IntTensor, Transcript};

fn tensor(shape: &[usize], rng: &mut StdRng) -> IntTensor {
    let n = shape.iter().product();
    IntTensor::new(shape.to_vec(), (0..n).map(|_| rng.gen_range(-128..128)).collect())
        .expect("tensor")
}

/// An output claim at a random point with the right value.
fn instance(out: &IntTensor, inputs: u32, rng: &mut StdRng) -> Instance {
    let mle = out.to_mle();
    let point: Vec<Fr> = (0..mle.num_vars()).map(|_| Fr::rand(rng)).collect();
    let value = mle.evaluate(&point).expect("point");
    Instance {
        output: TensorClaim { tensor: TensorId(inputs), point, value },
        inputs: (0..inputs).map(TensorId).collect(),
    }
}

fn bench_block<B: Block<Instance = Instance, Witness = Vec<IntTensor>>>(
    c: &mut Criterion,
    group: &str,
    id: String,
    spec: &B::Spec,
    witness: Vec<IntTensor>,
    rng: &mut StdRng,
) {
    let out = B::eval(spec, &witness).expect("eval").remove(0);
    let inst = instance(&out, witness.len() as u32, rng);
    let mut g = c.benchmark_group(group);
    g.sample_size(10).warm_up_time(Duration::from_millis(500));
    g.bench_function(BenchmarkId::new("prove", &id), |b| {
        b.iter(|| B::prove(spec, &inst, &witness, &mut Transcript::new(b"bench")).expect("prove"))
    });
    let (proof, _) =
        B::prove(spec, &inst, &witness, &mut Transcript::new(b"bench")).expect("prove");
    g.bench_function(BenchmarkId::new("verify", &id), |b| {
        b.iter(|| B::verify(spec, &inst, &proof, &mut Transcript::new(b"bench")).expect("verify"))
    });
    g.finish();
}

fn elementwise(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    for log in [12usize, 16, 20] {
        let shape = vec![1usize << (log / 2), 1 << (log - log / 2)];
        let spec = HadamardSpec { shape: shape.clone() };
        let w = vec![tensor(&shape, &mut rng), tensor(&shape, &mut rng)];
        bench_block::<Hadamard>(c, "hadamard", log.to_string(), &spec, w, &mut rng);
        let spec = AxisSumSpec { in_shape: shape.clone(), axes: vec![1], scale: 1 };
        bench_block::<AxisSum>(
            c,
            "axis_sum",
            log.to_string(),
            &spec,
            vec![tensor(&shape, &mut rng)],
            &mut rng,
        );
    }
}

fn permutation(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    let shape = [1usize, 16, 32, 32];
    let x = tensor(&shape, &mut rng);
    let transpose = StructuredMapSpec::transpose(&shape, &[0, 2, 3, 1]);
    bench_block::<StructuredMap>(
        c,
        "index_map",
        "transpose_1x16x32x32".into(),
        &transpose,
        vec![x.clone()],
        &mut rng,
    );
    let axis =
        |axis| WindowAxis { axis, offset: 0, stride: 1, dilation: 1, pad_before: 1, out_len: 32 };
    let window = StructuredMapSpec::window(&shape, &[axis(2), axis(3)]);
    bench_block::<StructuredMap>(
        c,
        "index_map",
        "conv3x3_window_1x16x32x32".into(),
        &window,
        vec![x],
        &mut rng,
    );
    let n = 1usize << 16;
    let reverse = GeneralMapSpec {
        in_shape: vec![n],
        out_shape: vec![n],
        source: (0..n).rev().map(Some).collect(),
    };
    bench_block::<GeneralMap>(
        c,
        "general_map",
        "reverse_2^16".into(),
        &reverse,
        vec![tensor(&[n], &mut rng)],
        &mut rng,
    );
}

criterion_group!(issue3, elementwise, permutation);
criterion_main!(issue3);
