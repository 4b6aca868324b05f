//! Proves and verifies one accumulation, printing times and sizes; for measurements too heavy for
//! criterion, and for peak memory under `/usr/bin/time -v`:
//!
//! ```sh
//! cargo build --release -p tessera-accumulator --example fold_once
//! target/release/examples/fold_once 256 16 all 5
//! #                          leaves ─┘   │   │  └─ repetitions: min and median are printed
//! #          log2 entries per polynomial ┘   └─ arity: a number or `all`
//! ```
//!
//! Leaves are random claims on a pool of 16 random polynomials (leaf `i` on polynomial `i mod
//! 16`), so thousands of leaves of `2^16` entries fit in memory; the prover does not exploit the
//! sharing (each leaf is folded as if its polynomial were its own). For reference, one HyperKZG
//! opening of a `2^log`-entry polynomial — the root opening's cost — is timed in the same process.
//! On a shared machine, the minimum over several runs is the least disturbed figure.

use std::time::{Duration, Instant};

use ark_ff::UniformRand;
use ark_std::rand::{SeedableRng, rngs::StdRng};
use rayon::prelude::*;
use tessera_accumulator::{Arity, ProverLeaf, TreeShape, decide, prove, verify};
use tessera_blocks::{Claim, DenseMle, Fr, Srs, Transcript, hyperkzg};

const POOL: usize = 16;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let leaves: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(256);
    let log: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(16);
    let arity = match args.get(2).map(String::as_str) {
        None | Some("all") => Arity::AllInOne,
        Some(k) => Arity::Fixed(k.parse().expect("arity: a number or `all`")),
    };
    let repeat: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    let shape = TreeShape::new(leaves, arity).expect("shape");

    let t = Instant::now();
    let srs = Srs::insecure_dev(1, log).expect("srs");
    let mut rng = StdRng::seed_from_u64(1);
    let polys: Vec<DenseMle> = (0..POOL)
        .map(|_| DenseMle::new((0..1 << log).map(|_| Fr::rand(&mut rng)).collect()).expect("poly"))
        .collect();
    let commitments: Vec<_> =
        polys.par_iter().map(|p| hyperkzg::commit(&srs, p).expect("commit")).collect();
    let points: Vec<Vec<Fr>> =
        (0..leaves).map(|_| (0..log).map(|_| Fr::rand(&mut rng)).collect()).collect();
    let claims: Vec<Claim> = points
        .into_par_iter()
        .enumerate()
        .map(|(i, point)| {
            let value = polys[i % POOL].evaluate(&point).expect("evaluate");
            Claim { commitment: commitments[i % POOL], point, value }
        })
        .collect();
    let prover_leaves: Vec<ProverLeaf<'_>> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| ProverLeaf { claim: c.clone(), poly: &polys[i % POOL] })
        .collect();
    println!(
        "setup: {leaves} leaves of 2^{log} entries, arity {} ({} levels, {} nodes), \
         {} threads: {:.2?}",
        shape.arity(),
        shape.levels(),
        shape.total_nodes(),
        rayon::current_num_threads(),
        t.elapsed()
    );

    let vk = srs.verifier_key();
    let (mut prove_times, mut verify_times, mut decide_times) = (vec![], vec![], vec![]);
    let mut size = 0;
    for _ in 0..repeat {
        let t = Instant::now();
        let proof =
            prove(&srs, &prover_leaves, arity, &mut Transcript::new(b"fold_once")).expect("prove");
        prove_times.push(t.elapsed());
        let t = Instant::now();
        let pairing = verify(&vk, &claims, arity, &proof, &mut Transcript::new(b"fold_once"))
            .expect("verify");
        verify_times.push(t.elapsed());
        let t = Instant::now();
        decide(&vk, &pairing).expect("decide");
        decide_times.push(t.elapsed());
        size = proof.size_in_bytes();
    }
    let mut open_times = vec![];
    let point: Vec<Fr> = (0..log).map(|_| Fr::rand(&mut rng)).collect();
    for _ in 0..repeat {
        let t = Instant::now();
        hyperkzg::open(&srs, &polys[0], &commitments[0], &point, &mut Transcript::new(b"open"))
            .expect("open");
        open_times.push(t.elapsed());
    }
    println!("prove   {}", min_median(&mut prove_times));
    println!("verify  {}", min_median(&mut verify_times));
    println!("decide  {}", min_median(&mut decide_times));
    println!("proof   {size} bytes");
    println!(
        "one hyperkzg opening of 2^{log} entries (reference): {}",
        min_median(&mut open_times)
    );
}

/// `min / median of n` (or the single time).
fn min_median(times: &mut [Duration]) -> String {
    times.sort();
    match times.len() {
        1 => format!("{:.2?}", times[0]),
        n => format!("{:.2?} min / {:.2?} median of {n}", times[0], times[n / 2]),
    }
}
