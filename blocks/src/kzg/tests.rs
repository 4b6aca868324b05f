use std::borrow::Cow;

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, UniformRand};
use ark_poly::DenseUVPolynomial;
use ark_poly::univariate::DensePolynomial;
use ark_poly_commit::kzg10::{self, KZG10};
use ark_std::rand::{SeedableRng, rngs::StdRng};

use super::batch::{OpeningQuery, batch_open, batch_verify};
use super::*;
use crate::curve::Curve;
use crate::transcript::Transcript;

type Oracle = KZG10<Curve, DensePolynomial<Fr>>;

fn random_poly(n: usize, rng: &mut StdRng) -> Vec<Fr> {
    (0..n).map(|_| Fr::rand(rng)).collect()
}

fn oracle_keys(srs: &Srs) -> (kzg10::Powers<'_, Curve>, kzg10::VerifierKey<Curve>) {
    let vk = srs.verifier_key();
    let powers = kzg10::Powers {
        powers_of_g: Cow::Borrowed(srs.powers_g1()),
        powers_of_gamma_g: Cow::Owned(vec![]),
    };
    let ovk = kzg10::VerifierKey {
        g: vk.g1,
        gamma_g: vk.g1,
        h: vk.g2,
        beta_h: vk.tau_g2,
        prepared_h: vk.g2.into(),
        prepared_beta_h: vk.tau_g2.into(),
    };
    (powers, ovk)
}

#[test]
fn agrees_with_ark_poly_commit_kzg10() {
    let mut rng = StdRng::seed_from_u64(11);
    let srs = Srs::insecure_dev(5, 6).unwrap();
    let (powers, ovk) = oracle_keys(&srs);
    for n in [1, 2, 17, 64] {
        let p = random_poly(n, &mut rng);
        let z = Fr::rand(&mut rng);
        let dense = DensePolynomial::from_coefficients_slice(&p);
        let (oc, rand) = Oracle::commit(&powers, &dense, None, None).unwrap();
        let ours = commit(&srs, &p).unwrap();
        assert_eq!(ours.0, oc.0, "commitment differs from KZG10 at n={n}");
        let (value, proof) = open(&srs, &p, z).unwrap();
        let oproof = Oracle::open(&powers, &dense, z, &rand).unwrap();
        assert_eq!(proof.witness, oproof.w, "witness differs from KZG10 at n={n}");
        assert!(Oracle::check(&ovk, &oc, z, value, &oproof).unwrap());
        verify(&srs.verifier_key(), &ours, z, value, &proof)
            .unwrap()
            .check(&srs.verifier_key())
            .unwrap();
    }
}

#[test]
fn wrong_value_or_witness_fails_the_pairing() {
    let mut rng = StdRng::seed_from_u64(12);
    let srs = Srs::insecure_dev(5, 5).unwrap();
    let vk = srs.verifier_key();
    let p = random_poly(20, &mut rng);
    let c = commit(&srs, &p).unwrap();
    let z = Fr::rand(&mut rng);
    let (v, proof) = open(&srs, &p, z).unwrap();
    let bad_value = verify(&vk, &c, z, v + Fr::one(), &proof).unwrap();
    assert_eq!(bad_value.check(&vk), Err(VerifyError::Pairing));
    let bad_w = OpeningProof { witness: (proof.witness + vk.g1).into_affine() };
    assert_eq!(verify(&vk, &c, z, v, &bad_w).unwrap().check(&vk), Err(VerifyError::Pairing));
    assert_eq!(
        verify(&vk, &c, z + Fr::one(), v, &proof).unwrap().check(&vk),
        Err(VerifyError::Pairing)
    );
}

#[test]
fn small_scalar_commit_matches_field_commit() {
    let srs = Srs::insecure_dev(5, 8).unwrap();
    let ints: Vec<i64> = (0..200).map(|i| (i * 37 % 255) - 127).collect();
    let fields: Vec<Fr> = ints.iter().map(|x| fr_from_i64(*x)).collect();
    assert_eq!(commit_i64(&srs, &ints).unwrap(), commit(&srs, &fields).unwrap());
    assert!(matches!(commit(&srs, &vec![Fr::one(); 257]), Err(Error::SrsTooSmall { .. })));
}

#[test]
fn homomorphic_combination() {
    let mut rng = StdRng::seed_from_u64(13);
    let srs = Srs::insecure_dev(5, 5).unwrap();
    let a = random_poly(10, &mut rng);
    let b = random_poly(30, &mut rng);
    let (x, y) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let mut sum = b.iter().map(|c| *c * y).collect::<Vec<_>>();
    for (s, c) in sum.iter_mut().zip(&a) {
        *s += x * c;
    }
    let combined = Commitment::linear_combination(
        &[commit(&srs, &a).unwrap(), commit(&srs, &b).unwrap()],
        &[x, y],
    )
    .unwrap();
    assert_eq!(combined, commit(&srs, &sum).unwrap());
    assert!(Commitment::linear_combination(&[combined], &[]).is_err());
}

struct BatchCase {
    srs: Srs,
    polys: Vec<Vec<Fr>>,
    sets: Vec<Vec<Fr>>,
    commitments: Vec<Commitment>,
}

fn batch_case(rng: &mut StdRng) -> BatchCase {
    let srs = Srs::insecure_dev(9, 6).unwrap();
    let polys =
        vec![random_poly(64, rng), random_poly(5, rng), random_poly(33, rng), random_poly(1, rng)];
    let (a, b, c) = (Fr::rand(rng), Fr::rand(rng), Fr::rand(rng));
    let sets = vec![vec![a, -a], vec![a, -a, b], vec![a, -a, b], vec![c]];
    let commitments = polys.iter().map(|p| commit(&srs, p).unwrap()).collect();
    BatchCase { srs, polys, sets, commitments }
}

fn run_batch(case: &BatchCase) -> (Vec<Vec<Fr>>, super::batch::BatchOpeningProof, [u8; 32]) {
    let queries: Vec<OpeningQuery<'_>> = case
        .polys
        .iter()
        .zip(&case.sets)
        .zip(&case.commitments)
        .map(|((p, s), c)| OpeningQuery { poly: p, commitment: *c, points: s.clone() })
        .collect();
    let mut t = Transcript::new(b"batch test");
    let (evals, proof) = batch_open(&case.srs, &queries, &mut t).unwrap();
    (evals, proof, t.state_digest())
}

#[test]
fn batch_opening_is_complete_and_transcripts_agree() {
    let mut rng = StdRng::seed_from_u64(14);
    let case = batch_case(&mut rng);
    let (evals, proof, prover_state) = run_batch(&case);
    for ((p, set), e) in case.polys.iter().zip(&case.sets).zip(&evals) {
        for (s, v) in set.iter().zip(e) {
            assert_eq!(crate::univariate::evaluate(p, *s), *v);
        }
    }
    let vk = case.srs.verifier_key();
    let mut t = Transcript::new(b"batch test");
    let claim = batch_verify(&vk, &case.commitments, &case.sets, &evals, &proof, &mut t).unwrap();
    claim.check(&vk).unwrap();
    assert_eq!(t.state_digest(), prover_state);
}

#[test]
fn batch_opening_rejects_each_tampering() {
    let mut rng = StdRng::seed_from_u64(15);
    let case = batch_case(&mut rng);
    let (evals, proof, _) = run_batch(&case);
    let vk = case.srs.verifier_key();
    let check = |commitments: &[Commitment],
                 evals: &[Vec<Fr>],
                 proof: &super::batch::BatchOpeningProof| {
        let mut t = Transcript::new(b"batch test");
        batch_verify(&vk, commitments, &case.sets, evals, proof, &mut t).and_then(|c| c.check(&vk))
    };
    for j in 0..evals.len() {
        for k in 0..evals[j].len() {
            let mut bad = evals.clone();
            bad[j][k] += Fr::one();
            assert_eq!(
                check(&case.commitments, &bad, &proof),
                Err(VerifyError::Pairing),
                "eval {j},{k}"
            );
        }
    }
    let g = G1Affine::generator();
    let mut bad = proof;
    bad.quotient = (bad.quotient + g).into_affine();
    assert_eq!(check(&case.commitments, &evals, &bad), Err(VerifyError::Pairing));
    let mut bad = proof;
    bad.final_witness = (bad.final_witness + g).into_affine();
    assert_eq!(check(&case.commitments, &evals, &bad), Err(VerifyError::Pairing));
    let mut wrong_commitments = case.commitments.clone();
    wrong_commitments.swap(1, 2);
    assert_eq!(check(&wrong_commitments, &evals, &proof), Err(VerifyError::Pairing));
    // Shape errors come before arithmetic.
    assert!(matches!(
        check(&case.commitments, &evals[..3], &proof),
        Err(VerifyError::ProofShape { .. })
    ));
    let mut short = evals.clone();
    short[1].pop();
    assert!(matches!(
        check(&case.commitments, &short, &proof),
        Err(VerifyError::ProofShape { .. })
    ));
}

/// If the evaluations were not absorbed before `γ`, a prover knowing `γ` could shift the values of
/// two polynomials sharing a point set by `δ` and `−δ·γ^1/γ^2`, leaving `Σ_j γ^j r_j` unchanged.
#[test]
fn evaluations_bind_gamma() {
    use ark_ff::Field;
    let mut rng = StdRng::seed_from_u64(16);
    let case = batch_case(&mut rng);
    let (evals, proof, _) = run_batch(&case);
    // γ as the protocol derives it for the honest statement.
    let sets: Vec<&[Fr]> = case.sets.iter().map(Vec::as_slice).collect();
    let gamma = super::batch::statement_challenge(
        &mut Transcript::new(b"batch test"),
        &case.commitments,
        &sets,
        &evals,
    );
    let delta = Fr::from(5u64);
    let mut forged = evals.clone();
    forged[1][0] += delta;
    forged[2][0] -= delta * gamma.inverse().unwrap();
    let vk = case.srs.verifier_key();
    let result = batch_verify(
        &vk,
        &case.commitments,
        &case.sets,
        &forged,
        &proof,
        &mut Transcript::new(b"batch test"),
    )
    .and_then(|c| c.check(&vk));
    assert_eq!(
        result,
        Err(VerifyError::Pairing),
        "forged evaluations accepted: γ does not bind them"
    );
}
