use std::sync::OnceLock;

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, UniformRand};
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

use super::*;
use crate::curve::fr_from_i64;
use crate::error::RelationError;
use crate::testing::{ConformanceCase, Tampering, run_all};

fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_dev(42, 10).unwrap())
}

/// A quantized-looking tensor of `size` entries (small signed ints, zero-padded) opened at a point.
struct Case {
    poly: DenseMle,
    commitment: Commitment,
    point: Vec<Fr>,
    value: Fr,
}

impl ConformanceCase for Case {
    type Proof = MlOpeningProof;
    const NAME: &'static str = PROTOCOL;

    fn sizes() -> Vec<usize> {
        vec![1, 2, 3, 100, 1024]
    }

    fn generate(size: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let poly = DenseMle::zero_padded(
            (0..size).map(|_| fr_from_i64(rng.gen_range(-128..128))).collect(),
        );
        let point: Vec<Fr> = (0..poly.num_vars()).map(|_| Fr::rand(&mut rng)).collect();
        let commitment = commit(srs(), &poly).unwrap();
        let value = poly.evaluate(&point).unwrap();
        Self { poly, commitment, point, value }
    }

    fn check(&self) -> Result<(), RelationError> {
        let bad = |d: &str| RelationError::Violated { relation: PROTOCOL, detail: d.into() };
        if commit(srs(), &self.poly).map_err(|e| bad(&e.to_string()))? != self.commitment {
            return Err(bad("commitment does not match the polynomial"));
        }
        if self.poly.evaluate(&self.point).map_err(|e| bad(&e.to_string()))? != self.value {
            return Err(bad("value is not the polynomial's evaluation"));
        }
        Ok(())
    }

    fn corrupt_witness(&mut self) {
        let mut evals = self.poly.evals().to_vec();
        evals[0] += Fr::one();
        self.poly = DenseMle::new(evals).unwrap();
    }

    fn prove(&self, t: &mut Transcript) -> MlOpeningProof {
        open(srs(), &self.poly, &self.commitment, &self.point, t).unwrap().1
    }

    fn verify(&self, proof: &MlOpeningProof, t: &mut Transcript) -> Result<(), VerifyError> {
        let vk = srs().verifier_key();
        verify(&vk, &self.commitment, &self.point, self.value, proof, t)?.check(&vk)
    }

    fn tamperings(&self, proof: &MlOpeningProof) -> Vec<Tampering<MlOpeningProof>> {
        let fold = VerifyError::Mismatch { protocol: PROTOCOL, what: "folding equation" };
        let g = G1Affine::generator();
        let bump = |p: &G1Affine| (*p + g).into_affine();
        let mut out = Vec::new();
        let mut push = |field: String, proof: MlOpeningProof, expected: &VerifyError| {
            out.push(Tampering { field, proof, expected: expected.clone() })
        };
        for j in 0..proof.folded_commitments.len() {
            let mut p = proof.clone();
            p.folded_commitments[j] = bump(&p.folded_commitments[j]);
            // Changes r, so the (unchanged) evaluations no longer fold.
            push(format!("folded commitment {j}"), p, &fold);
        }
        // The last level's values fold to the claimed value; an earlier level's fold is the next
        // level's value at r^m, which SHPLONK opens.
        let last = proof.coset_evals.len() - (1 << level_bits(self.point.len()).last().unwrap());
        for j in 0..proof.coset_evals.len() {
            let mut p = proof.clone();
            p.coset_evals[j] += Fr::one();
            push(
                format!("coset eval {j}"),
                p,
                if j >= last { &fold } else { &VerifyError::Pairing },
            );
        }
        let mut p = proof.clone();
        p.batch.quotient = bump(&p.batch.quotient);
        push("batch quotient".into(), p, &VerifyError::Pairing);
        let mut p = proof.clone();
        p.batch.final_witness = bump(&p.batch.final_witness);
        push("batch final witness".into(), p, &VerifyError::Pairing);
        let k = proof.coset_evals.len();
        let mut p = proof.clone();
        p.coset_evals.pop();
        push(
            "coset evals (one dropped)".into(),
            p,
            &VerifyError::ProofShape {
                what: "hyperkzg coset evaluations",
                expected: k,
                got: k - 1,
            },
        );
        out
    }
}

#[test]
fn conformance() {
    run_all::<Case>();
}

/// A prover that claims a false value and runs the opening with it in the transcript: every
/// opening is consistent, and only the last level's folding equation rejects it.
#[test]
fn a_false_value_fails_the_last_folding_equation() {
    let vk = srs().verifier_key();
    for k in [1usize, 3, 4, 9] {
        let case = Case::generate(1 << k, 40 + k as u64);
        let false_value = case.value + Fr::one();
        let t = &mut Transcript::new(b"f");
        let proof = open_claiming(srs(), &case.poly, &case.commitment, &case.point, false_value, t)
            .unwrap();
        let t = &mut Transcript::new(b"f");
        assert_eq!(
            verify(&vk, &case.commitment, &case.point, false_value, &proof, t)
                .and_then(|c| c.check(&vk)),
            Err(VerifyError::Mismatch { protocol: PROTOCOL, what: "folding equation" }),
            "{k} variables"
        );
    }
}

#[test]
fn wrong_value_point_or_commitment_is_rejected() {
    let case = Case::generate(300, 1);
    let vk = srs().verifier_key();
    let proof = case.prove(&mut Transcript::new(PROTOCOL.as_bytes()));
    let run = |c: &Commitment, point: &[Fr], v: Fr| {
        verify(&vk, c, point, v, &proof, &mut Transcript::new(PROTOCOL.as_bytes()))
            .and_then(|pc| pc.check(&vk))
    };
    assert!(run(&case.commitment, &case.point, case.value).is_ok());
    assert!(run(&case.commitment, &case.point, case.value + Fr::one()).is_err());
    let mut other_point = case.point.clone();
    other_point[0] += Fr::one();
    assert!(run(&case.commitment, &other_point, case.value).is_err());
    let other = Commitment((case.commitment.0 + G1Affine::generator()).into_affine());
    assert!(run(&other, &case.point, case.value).is_err());
    assert!(matches!(
        run(&case.commitment, &case.point[1..], case.value),
        Err(VerifyError::ProofShape { .. })
    ));
}

/// A cheating prover that opens a polynomial other than the committed one is caught by the pairing.
#[test]
fn opening_a_different_polynomial_fails() {
    let honest = Case::generate(64, 2);
    let mut other = Case::generate(64, 3);
    other.point = honest.point.clone();
    other.value = other.poly.evaluate(&other.point).unwrap();
    let mut t = Transcript::new(b"x");
    let (_, proof) = open(srs(), &other.poly, &honest.commitment, &honest.point, &mut t).unwrap();
    let vk = srs().verifier_key();
    let claim = verify(
        &vk,
        &honest.commitment,
        &honest.point,
        other.value,
        &proof,
        &mut Transcript::new(b"x"),
    )
    .unwrap();
    assert_eq!(claim.check(&vk), Err(VerifyError::Pairing));
}

#[test]
fn batch_at_one_point() {
    let mut rng = StdRng::seed_from_u64(4);
    let polys: Vec<DenseMle> = (0..3)
        .map(|_| DenseMle::new((0..64).map(|_| Fr::rand(&mut rng)).collect()).unwrap())
        .collect();
    let refs: Vec<&DenseMle> = polys.iter().collect();
    let commitments: Vec<Commitment> = polys.iter().map(|p| commit(srs(), p).unwrap()).collect();
    let point: Vec<Fr> = (0..6).map(|_| Fr::rand(&mut rng)).collect();
    let mut pt = Transcript::new(b"b");
    let (values, proof) = batch_open(srs(), &refs, &commitments, &point, &mut pt).unwrap();
    let vk = srs().verifier_key();
    let mut vt = Transcript::new(b"b");
    batch_verify(&vk, &commitments, &point, &values, &proof, &mut vt).unwrap().check(&vk).unwrap();
    assert_eq!(pt.state_digest(), vt.state_digest());
    for j in 0..3 {
        let mut bad = values.clone();
        bad[j] += Fr::one();
        let r = batch_verify(&vk, &commitments, &point, &bad, &proof, &mut Transcript::new(b"b"));
        assert!(r.and_then(|c| c.check(&vk)).is_err(), "wrong value {j} accepted");
    }
    let r =
        batch_verify(&vk, &commitments, &point, &values[..2], &proof, &mut Transcript::new(b"b"));
    assert!(matches!(r, Err(VerifyError::Input(_))));
    assert!(
        batch_open(srs(), &refs, &commitments[..2], &point, &mut Transcript::new(b"b")).is_err()
    );
}

#[test]
fn zero_padding_keeps_the_commitment_and_scales_the_value() {
    let case = Case::generate(50, 5);
    let padded = case.poly.padded_to(8).unwrap();
    assert_eq!(commit(srs(), &padded).unwrap(), case.commitment);
    let mut rng = StdRng::seed_from_u64(6);
    let lead: Vec<Fr> = (0..2).map(|_| Fr::rand(&mut rng)).collect();
    let point: Vec<Fr> = lead.iter().chain(&case.point).copied().collect();
    let value = crate::mle::padding_factor(&lead) * case.value;
    let mut t = Transcript::new(b"p");
    let (v, proof) = open(srs(), &padded, &case.commitment, &point, &mut t).unwrap();
    assert_eq!(v, value);
    let vk = srs().verifier_key();
    verify(&vk, &case.commitment, &point, value, &proof, &mut Transcript::new(b"p"))
        .unwrap()
        .check(&vk)
        .unwrap();
}

#[test]
fn prover_input_errors() {
    let case = Case::generate(16, 7);
    let t = &mut Transcript::new(b"e");
    assert!(matches!(
        open(srs(), &case.poly, &case.commitment, &case.point[1..], t),
        Err(Error::Length { .. })
    ));
    let big = DenseMle::new(vec![Fr::one(); 2048]).unwrap();
    assert!(matches!(commit(srs(), &big), Err(Error::SrsTooSmall { .. })));
    for k in [1, 3, 4, 7, 10] {
        assert_eq!(proof_size(k), case_proof_len(k), "{k} variables");
    }
}

/// Every number of variables around the fold width: 1..=10 (one to four levels, full and partial
/// last levels) opens and verifies, and a wrong value is rejected.
#[test]
fn every_level_structure_opens() {
    let vk = srs().verifier_key();
    for k in 1usize..=10 {
        let case = Case::generate(1 << k, 20 + k as u64);
        let proof = case.prove(&mut Transcript::new(b"k"));
        assert_eq!(proof.folded_commitments.len(), k.div_ceil(FOLD_BITS) - 1);
        let run = |v: Fr| {
            verify(&vk, &case.commitment, &case.point, v, &proof, &mut Transcript::new(b"k"))
                .and_then(|c| c.check(&vk))
        };
        assert_eq!(run(case.value), Ok(()), "{k} variables");
        assert_eq!(
            run(case.value + Fr::one()),
            Err(VerifyError::Mismatch { protocol: PROTOCOL, what: "folding equation" }),
            "{k} variables"
        );
    }
}

fn case_proof_len(k: usize) -> usize {
    let case = Case::generate(1 << k, 8);
    case.prove(&mut Transcript::new(b"s")).compressed_size()
}

/// Opens two polynomials as a batch claiming `forged` values, combining them with `c_guess`
/// (what the forger believes `c` is) on a transcript that matches the verifier's. Verifies.
fn forged_batch(forged: &[Fr], c_guess: Fr) -> Result<(), VerifyError> {
    let (polys, commitments, point) = batch_case();
    let mut pt = Transcript::new(b"batch forgery");
    let _ = batch_challenge(&mut pt, &commitments, &point, forged);
    let combined: Vec<Fr> =
        polys[0].evals().iter().zip(polys[1].evals()).map(|(a, b)| *a + c_guess * b).collect();
    let combined = DenseMle::new(combined).unwrap();
    let commitment = combine_commitments(&commitments, c_guess).unwrap();
    let value = forged[0] + c_guess * forged[1];
    let proof = open_claiming(srs(), &combined, &commitment, &point, value, &mut pt).unwrap();
    let vk = srs().verifier_key();
    let mut vt = Transcript::new(b"batch forgery");
    batch_verify(&vk, &commitments, &point, forged, &proof, &mut vt)?.check(&vk)
}

/// [`forged_batch`]'s two 4-variable polynomials, their commitments and the point.
fn batch_case() -> (Vec<DenseMle>, Vec<Commitment>, Vec<Fr>) {
    let mut rng = StdRng::seed_from_u64(9);
    let polys: Vec<DenseMle> = (0..2)
        .map(|_| DenseMle::new((0..16).map(|_| Fr::rand(&mut rng)).collect()).unwrap())
        .collect();
    let commitments = polys.iter().map(|p| commit(srs(), p).unwrap()).collect();
    let point: Vec<Fr> = (0..4).map(|_| Fr::rand(&mut rng)).collect();
    (polys, commitments, point)
}

/// The true values of [`forged_batch`]'s polynomials, their commitments and the point.
fn batch_values() -> (Vec<Fr>, Vec<Commitment>, Vec<Fr>) {
    let (polys, commitments, point) = batch_case();
    let values = polys.iter().map(|p| p.evaluate(&point).unwrap()).collect();
    (values, commitments, point)
}

/// DESIGN §8.4: a batch is combined with a random `c`, never 1: `(v_0 + 1, v_1 − 1)` keeps
/// `v_0 + v_1`.
#[test]
fn batch_values_are_combined_with_a_random_c() {
    let (v, _, _) = batch_values();
    let forged = [v[0] + Fr::one(), v[1] - Fr::one()];
    assert!(forged_batch(&forged, Fr::one()).is_err());
}

/// DESIGN §8.1: `c` is drawn after the values. A forger who learns `c` from the true values
/// claims `(v_0 + c, v_1 − 1)`, whose combination is the true one.
#[test]
fn batch_c_is_drawn_after_the_values() {
    let (v, commitments, point) = batch_values();
    let c = batch_challenge(&mut Transcript::new(b"batch forgery"), &commitments, &point, &v);
    assert!(forged_batch(&v, c).is_ok(), "the forger's path opens true values");
    let forged = [v[0] + c, v[1] - Fr::one()];
    assert!(forged_batch(&forged, c).is_err());
}
