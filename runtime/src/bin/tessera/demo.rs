//! Kernel smoke demo: exercises every kernel piece end to end on one quantized tensor and prints
//! timings and sizes.

use std::time::Instant;

use anyhow::{Context, Result, ensure};
use ark_serialize::CanonicalSerialize;
use ark_std::UniformRand;
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};
use tessera_blocks::curve::fr_from_i64;
use tessera_blocks::hyperkzg;
use tessera_blocks::mle::{DenseMle, eq_eval, eq_table};
use tessera_blocks::sumcheck::{
    SumOfProducts, SumcheckInstance, SumcheckStatement, prove_batch, verify_batch,
};
use tessera_blocks::{Fr, Srs, Transcript};

pub fn run(log_size: usize) -> Result<()> {
    let n = 1usize << log_size;
    println!("Tessera kernel demo: a {n}-entry int8 tensor (2^{log_size}) on BLS12-381");
    println!("(uses the INSECURE development SRS: fine for a demo, never for real proofs)\n");
    let mut rng = StdRng::seed_from_u64(2026);

    let t = Instant::now();
    let srs = Srs::insecure_dev(1, log_size).context("building the dev SRS")?;
    let vk = srs.verifier_key();
    row("dev SRS (G1 powers)", t, format!("{} points", srs.len()));

    let x = DenseMle::new((0..n).map(|_| fr_from_i64(rng.gen_range(-128..128))).collect())?;
    let y = DenseMle::new((0..n).map(|_| fr_from_i64(rng.gen_range(-128..128))).collect())?;
    let t = Instant::now();
    let cx = hyperkzg::commit(&srs, &x)?;
    row("commit (8-bit entries)", t, "one small-scalar MSM".into());

    // Hadamard-style sumcheck: Σ_b eq(r, b)·x(b)·y(b) = (x∘y)~(r).
    let r: Vec<Fr> = (0..log_size).map(|_| Fr::rand(&mut rng)).collect();
    let z: Vec<Fr> = x.evals().iter().zip(y.evals()).map(|(a, b)| *a * b).collect();
    let claim = DenseMle::new(z)?.evaluate(&r)?;
    let eq = DenseMle::new(eq_table(&r)?)?;
    let t = Instant::now();
    let mut pt = Transcript::new(b"tessera demo");
    let out = prove_batch(
        vec![SumcheckInstance {
            polys: vec![eq, x.clone(), y.clone()],
            expr: SumOfProducts::product(3),
        }],
        &[claim],
        &mut pt,
    )?;
    row("sumcheck prove (degree 3)", t, format!("{} bytes", out.proof.compressed_size()));

    let t = Instant::now();
    let x_at = out.final_evals[0][1];
    let (_, opening) = hyperkzg::open(&srs, &x, &cx, &out.point, &mut pt)?;
    row("HyperKZG open x(r')", t, format!("{} bytes", opening.compressed_size()));

    let t = Instant::now();
    let mut vt = Transcript::new(b"tessera demo");
    let statement = SumcheckStatement { num_vars: log_size, degree: 3, claim };
    let sub = verify_batch(&[statement], &out.proof, &mut vt)?;
    // The verifier evaluates eq itself; x(r') is opened against the commitment; y(r') would be
    // reduced further by y's producer in a real plan.
    let eq_at = eq_eval(&r, &sub.point)?;
    let expr = SumOfProducts::product(3);
    sub.check_final("demo", &[&expr], &[vec![eq_at, x_at, out.final_evals[0][2]]])?;
    let pairing = hyperkzg::verify(&vk, &cx, &sub.point, x_at, &opening, &mut vt)?;
    pairing.check(&vk)?;
    row("verify (sumcheck + opening + pairing)", t, "ok".into());
    ensure!(pt.state_digest() == vt.state_digest(), "prover and verifier transcripts diverged");
    println!("\nverified: prover and verifier transcripts agree");
    Ok(())
}

fn row(step: &str, since: Instant, note: String) {
    println!("  {step:<40} {:>9.1} ms   {note}", since.elapsed().as_secs_f64() * 1e3);
}
