//! Lookup block benchmarks (issue 4): `n` looked-up values into a range table of `N` rows, for
//! `n ∈ {2^10, 2^14, 2^16, 2^18}` and `N ∈ {2^8, 2^16, 2^20}`, plus one function table (tanh,
//! 2^16 rows). `prove` is the block prover alone (the multiplicities are committed by the caller
//! before the block, DESIGN §4); `commit_multiplicities` is that commitment; `verify` is the block
//! verifier (it ends in claims; their opening is the accumulator's). Proof sizes are printed to
//! stderr. Filter with criterion's regex, e.g.
//! `cargo bench -p tessera-benches --bench lookup -- 'n16/N16'`.

use std::sync::OnceLock;
use std::time::Duration;

use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tessera_blocks::kzg::commit_tensor;
use tessera_blocks::lookup::{
    LookedUp, Lookup, LookupInstance, LookupSpec, LookupWitness, Table, commit_multiplicities,
    multiplicities,
};
use tessera_blocks::{Block, IntTensor, Srs, Transcript};

const LOG_N: [usize; 4] = [10, 14, 16, 18];
const LOG_TABLE: [usize; 3] = [8, 16, 20];

fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_dev(1, 20).expect("dev srs"))
}

struct Setup {
    spec: LookupSpec,
    instance: LookupInstance,
    witness: LookupWitness,
}

fn setup(spec: LookupSpec, columns: Vec<IntTensor>) -> Setup {
    let inputs = vec![columns];
    let m = multiplicities(&spec.table, &inputs).expect("in table");
    let looked_up = LookedUp {
        shape: inputs[0][0].shape().to_vec(),
        columns: inputs[0].iter().map(|c| commit_tensor(srs(), c).expect("commit")).collect(),
        offset: 0,
    };
    let instance = LookupInstance {
        inputs: vec![looked_up],
        multiplicities: commit_multiplicities(srs(), &m).expect("commit m"),
        chunk_vars: srs().len().trailing_zeros() as usize,
    };
    let witness = LookupWitness { inputs, multiplicities: m, srs: srs().clone() };
    Setup { spec, instance, witness }
}

fn range_setup(log_n: usize, log_table: usize, rng: &mut StdRng) -> Setup {
    let spec =
        LookupSpec::setup(srs(), Table::range(0, 1 << log_table).expect("table")).expect("spec");
    let values = (0..1usize << log_n).map(|_| rng.gen_range(0..1i64 << log_table)).collect();
    setup(spec, vec![IntTensor::new(vec![1 << log_n], values).expect("tensor")])
}

fn bench_case(c: &mut Criterion, group: &str, id: &str, s: &Setup) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10).warm_up_time(Duration::from_secs(1));
    let (proof, _) =
        Lookup::prove(&s.spec, &s.instance, &s.witness, &mut Transcript::new(b"bench"))
            .expect("prove");
    eprintln!("lookup proof size {group}/{id}: {} bytes", proof.size_in_bytes());
    g.bench_function(BenchmarkId::new("prove", id), |b| {
        b.iter(|| Lookup::prove(&s.spec, &s.instance, &s.witness, &mut Transcript::new(b"bench")))
    });
    g.bench_function(BenchmarkId::new("verify", id), |b| {
        b.iter(|| {
            Lookup::verify(&s.spec, &s.instance, &proof, &mut Transcript::new(b"bench"))
                .expect("verify")
        })
    });
    g.bench_function(BenchmarkId::new("commit_multiplicities", id), |b| {
        b.iter(|| commit_multiplicities(srs(), &s.witness.multiplicities))
    });
    g.finish();
}

fn range_lookups(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(4);
    for log_table in LOG_TABLE {
        for log_n in LOG_N {
            let s = range_setup(log_n, log_table, &mut rng);
            bench_case(c, "lookup_range", &format!("n{log_n}/N{log_table}"), &s);
        }
    }
}

fn function_lookups(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(5);
    // tanh at 12 scale bits on [-8, 8), as the compiler's registry tabulates it.
    let (lo, hi) = (-(1i64 << 15), 1i64 << 15);
    let values = (lo..hi).map(|x| ((x as f64 / 4096.0).tanh() * 4096.0).round() as i64).collect();
    let table = Table::function("tanh", lo, hi, values).expect("tanh");
    let spec = LookupSpec::setup(srs(), table).expect("spec");
    let x: Vec<i64> = (0..1 << 16).map(|_| rng.gen_range(-(1 << 15)..1 << 15)).collect();
    let y = x.iter().map(|v| spec.table.apply(*v).expect("in range")).collect();
    let cols = vec![
        IntTensor::new(vec![1 << 16], x).expect("x"),
        IntTensor::new(vec![1 << 16], y).expect("y"),
    ];
    let s = setup(spec, cols);
    bench_case(c, "lookup_tanh", "n16/N16", &s);
}

criterion_group!(lookup, range_lookups, function_lookups);
criterion_main!(lookup);
