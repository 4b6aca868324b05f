//! Accumulator benchmarks (issue 6): 16, 256 and 4,096 leaf claims on 2^12- and 2^16-entry
//! polynomials, for arities 2, 16 and "all in one node": prove time (folding tree and root
//! opening), verify time (tree and opening, without the decider) and proof bytes (printed once per
//! configuration on stderr). The decider — one multi-pairing whatever the number of leaves — is
//! timed once on its own.
//!
//! Leaves are random claims on a pool of 16 random full-field polynomials per size (leaf `i` is on
//! polynomial `i mod 16`) so that 4,096 leaves of 2^16 entries fit in memory; the prover does not
//! exploit the sharing.
//!
//! 4,096 leaves of 2^16 entries take several seconds per proof (≈ 2–3 minutes for criterion's
//! minimum of 10 samples per configuration), so they are measured once with a plain timer after
//! the criterion groups, when no filter is given or the filter contains `once`:
//!
//! ```sh
//! cargo bench -p tessera-benches --bench accumulator                # everything
//! cargo bench -p tessera-benches --bench accumulator -- log12       # one size
//! cargo bench -p tessera-benches --bench accumulator -- once        # only the one-shot runs
//! ```

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ark_std::UniformRand;
use ark_std::rand::{SeedableRng, rngs::StdRng};
use criterion::{BenchmarkId, Criterion};
use tessera_accumulator::{AccumulatedProof, Arity, ProverLeaf, TreeShape, decide, prove, verify};
use tessera_blocks::{Claim, Commitment, DenseMle, Fr, Srs, Transcript, hyperkzg};

const LOG_SIZES: [usize; 2] = [12, 16];
const LEAVES: [usize; 3] = [16, 256, 4096];
const ARITIES: [Arity; 3] = [Arity::Fixed(2), Arity::Fixed(16), Arity::AllInOne];
const POOL: usize = 16;

fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_dev(1, 16).expect("dev srs"))
}

/// 16 committed polynomials of `2^log` entries.
struct Pool {
    log: usize,
    polys: Vec<DenseMle>,
    commitments: Vec<Commitment>,
}

impl Pool {
    fn new(log: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(log as u64);
        let polys: Vec<DenseMle> = (0..POOL)
            .map(|_| DenseMle::new((0..1 << log).map(|_| Fr::rand(&mut rng)).collect()).unwrap())
            .collect();
        let commitments = polys.iter().map(|p| hyperkzg::commit(srs(), p).unwrap()).collect();
        Self { log, polys, commitments }
    }

    /// `n` true claims at random points.
    fn claims(&self, n: usize) -> Vec<Claim> {
        let mut rng = StdRng::seed_from_u64(1000 + n as u64);
        (0..n)
            .map(|i| {
                let point: Vec<Fr> = (0..self.log).map(|_| Fr::rand(&mut rng)).collect();
                let value = self.polys[i % POOL].evaluate(&point).unwrap();
                Claim { commitment: self.commitments[i % POOL], point, value }
            })
            .collect()
    }

    fn leaves<'a>(&'a self, claims: &[Claim]) -> Vec<ProverLeaf<'a>> {
        claims
            .iter()
            .enumerate()
            .map(|(i, c)| ProverLeaf { claim: c.clone(), poly: &self.polys[i % POOL] })
            .collect()
    }
}

fn arity_name(arity: Arity) -> String {
    match arity {
        Arity::Fixed(k) => format!("arity{k}"),
        Arity::AllInOne => "all".into(),
    }
}

fn transcript() -> Transcript {
    Transcript::new(b"accumulator bench")
}

fn report(log: usize, leaves: usize, arity: Arity, proof: &AccumulatedProof) {
    let shape = TreeShape::new(leaves, arity).unwrap();
    eprintln!(
        "accumulator 2^{log} x {leaves} leaves, {}: proof {} bytes ({} levels, {} nodes)",
        arity_name(arity),
        proof.size_in_bytes(),
        shape.levels(),
        shape.total_nodes()
    );
}

fn is_heavy(log: usize, leaves: usize) -> bool {
    log == 16 && leaves == 4096
}

fn accumulator(c: &mut Criterion) {
    let vk = srs().verifier_key();
    for log in LOG_SIZES {
        let pool = Pool::new(log);
        let mut g = c.benchmark_group(format!("accumulator/log{log}"));
        g.sample_size(10).warm_up_time(Duration::from_secs(1));
        for n in LEAVES.into_iter().filter(|n| !is_heavy(log, *n)) {
            let claims = pool.claims(n);
            let leaves = pool.leaves(&claims);
            for arity in ARITIES {
                let id = format!("leaves{n}_{}", arity_name(arity));
                let proof = prove(srs(), &leaves, arity, &mut transcript()).unwrap();
                report(log, n, arity, &proof);
                g.bench_function(BenchmarkId::new("prove", &id), |b| {
                    b.iter(|| prove(srs(), &leaves, arity, &mut transcript()).unwrap())
                });
                g.bench_function(BenchmarkId::new("verify", &id), |b| {
                    b.iter(|| verify(&vk, &claims, arity, &proof, &mut transcript()).unwrap())
                });
            }
        }
        g.finish();
    }
    let pool = Pool::new(12);
    let claims = pool.claims(16);
    let proof = prove(srs(), &pool.leaves(&claims), Arity::AllInOne, &mut transcript()).unwrap();
    let pairing = verify(&vk, &claims, Arity::AllInOne, &proof, &mut transcript()).unwrap();
    c.bench_function("accumulator/decide", |b| b.iter(|| decide(&vk, &pairing).unwrap()));
}

/// The heavy configurations, once each, with a plain timer.
fn once() {
    let vk = srs().verifier_key();
    for log in LOG_SIZES {
        let pool = Pool::new(log);
        for n in LEAVES.into_iter().filter(|n| is_heavy(log, *n)) {
            let claims = pool.claims(n);
            let leaves = pool.leaves(&claims);
            for arity in ARITIES {
                let t = Instant::now();
                let proof = prove(srs(), &leaves, arity, &mut transcript()).unwrap();
                let prove_time = t.elapsed();
                let t = Instant::now();
                let pairing = verify(&vk, &claims, arity, &proof, &mut transcript()).unwrap();
                let verify_time = t.elapsed();
                decide(&vk, &pairing).unwrap();
                report(log, n, arity, &proof);
                eprintln!(
                    "accumulator/once 2^{log} x {n} leaves, {}: prove {prove_time:.2?}, \
                     verify {verify_time:.2?} (one run)",
                    arity_name(arity),
                );
            }
        }
    }
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut criterion = Criterion::default().configure_from_args();
    accumulator(&mut criterion);
    criterion.final_summary();
    if filter.as_deref().is_none_or(|f| f.contains("once")) {
        once();
    }
}
