//! Kernel benchmarks (issue 2): KZG commit with small and full scalars, HyperKZG
//! commit/open/verify, and sumcheck prove/verify for a degree-3 product `eq·x·y`, at 2^10, 2^16
//! and 2^20 entries; the full-scalar MSM against arkworks' at 2^12, 2^14, 2^16 points. Filter sizes with criterion's regex, e.g.
//! `cargo bench -p tessera-benches --bench kernel -- /16`.

use std::sync::OnceLock;
use std::time::Duration;

use ark_ec::VariableBaseMSM;
use ark_std::UniformRand;
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tessera_blocks::curve::fr_from_i64;
use tessera_blocks::hyperkzg;
use tessera_blocks::kzg;
use tessera_blocks::mle::{DenseMle, eq_table};
use tessera_blocks::sumcheck::{
    SumOfProducts, SumcheckInstance, SumcheckStatement, prove_batch, verify_batch,
};
use tessera_blocks::{Fr, G1, Srs, Transcript, msm};

const LOG_SIZES: [usize; 3] = [10, 16, 20];

fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_dev(1, 20).expect("dev srs"))
}

fn int8_table(n: usize, rng: &mut StdRng) -> Vec<Fr> {
    (0..n).map(|_| fr_from_i64(rng.gen_range(-128..128))).collect()
}

fn full_table(n: usize, rng: &mut StdRng) -> Vec<Fr> {
    (0..n).map(|_| Fr::rand(rng)).collect()
}

fn commit(c: &mut Criterion) {
    let mut g = c.benchmark_group("kzg_commit");
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    let mut rng = StdRng::seed_from_u64(1);
    for log in LOG_SIZES {
        let small = int8_table(1 << log, &mut rng);
        let full = full_table(1 << log, &mut rng);
        g.bench_with_input(BenchmarkId::new("int8", log), &small, |b, p| {
            b.iter(|| kzg::commit(srs(), p))
        });
        g.bench_with_input(BenchmarkId::new("full", log), &full, |b, p| {
            b.iter(|| kzg::commit(srs(), p))
        });
    }
}

fn hyperkzg_open_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("hyperkzg");
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    let mut rng = StdRng::seed_from_u64(2);
    let vk = srs().verifier_key();
    for log in LOG_SIZES {
        let poly = DenseMle::new(int8_table(1 << log, &mut rng)).expect("table");
        let point: Vec<Fr> = (0..log).map(|_| Fr::rand(&mut rng)).collect();
        let c = hyperkzg::commit(srs(), &poly).expect("commit");
        let (value, proof) =
            hyperkzg::open(srs(), &poly, &c, &point, &mut Transcript::new(b"bench")).expect("open");
        g.bench_function(BenchmarkId::new("open", log), |b| {
            b.iter(|| hyperkzg::open(srs(), &poly, &c, &point, &mut Transcript::new(b"bench")))
        });
        g.bench_function(BenchmarkId::new("verify", log), |b| {
            b.iter(|| {
                let mut t = Transcript::new(b"bench");
                hyperkzg::verify(&vk, &c, &point, value, &proof, &mut t)
                    .and_then(|pc| pc.check(&vk))
            })
        });
    }
}

fn sumcheck(c: &mut Criterion) {
    let mut g = c.benchmark_group("sumcheck_eq_x_y");
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    let mut rng = StdRng::seed_from_u64(3);
    for log in LOG_SIZES {
        let r: Vec<Fr> = (0..log).map(|_| Fr::rand(&mut rng)).collect();
        let polys = vec![
            DenseMle::new(eq_table(&r).expect("eq")).expect("eq"),
            DenseMle::new(int8_table(1 << log, &mut rng)).expect("x"),
            DenseMle::new(int8_table(1 << log, &mut rng)).expect("y"),
        ];
        let instance = SumcheckInstance { polys, expr: SumOfProducts::product(3) };
        let claim = instance.sum().expect("sum");
        g.bench_function(BenchmarkId::new("prove", log), |b| {
            b.iter(|| prove_batch(vec![instance.clone()], &[claim], &mut Transcript::new(b"bench")))
        });
        let out = prove_batch(vec![instance.clone()], &[claim], &mut Transcript::new(b"bench"))
            .expect("prove");
        let statement = [SumcheckStatement { num_vars: log, degree: 3, claim }];
        g.bench_function(BenchmarkId::new("verify", log), |b| {
            b.iter(|| verify_batch(&statement, &out.proof, &mut Transcript::new(b"bench")))
        });
    }
}

/// `tessera_blocks::msm` (batch-affine buckets) against arkworks' MSM on the SRS powers, full-size
/// random scalars.
fn msm_full_scalars(c: &mut Criterion) {
    let mut g = c.benchmark_group("msm_full");
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    let mut rng = StdRng::seed_from_u64(3);
    for log in [12, 14, 16] {
        let bases = srs().committer_powers("bench", 1 << log).expect("srs");
        let scalars = full_table(1 << log, &mut rng);
        g.bench_function(BenchmarkId::new("arkworks", log), |b| {
            b.iter(|| G1::msm_unchecked(bases, &scalars))
        });
        g.bench_function(BenchmarkId::new("batch_affine", log), |b| {
            b.iter(|| msm::msm(bases, &scalars))
        });
    }
}

criterion_group!(kernel, commit, hyperkzg_open_verify, sumcheck, msm_full_scalars);
criterion_main!(kernel);
