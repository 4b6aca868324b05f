//! DESIGN §8.2: the verifying key's digest and every part of the runtime statement are absorbed
//! before the first challenge, and points read from proof and key files are validated.

use std::path::Path;

use tessera_blocks::kzg::Commitment;
use tessera_blocks::testing::off_subgroup_g1;
use tessera_blocks::{Fr, Transcript};
use tessera_compiler::quant::qop::QOp;

use super::{Keys, single_op_keys, t};
use crate::VerifyError;
use crate::files::{self, FileError, FileKind};
use crate::keys::VerifyingKey;
use crate::proof::Proof;
use crate::prover::{ProveOptions, prove_with};
use crate::statement::absorb_statement;
use crate::verifier::verify;

/// A rescale by `2^4` (range checks, so limbs and multiplicities), keys and an honest proof.
fn rescale() -> (Keys, Proof) {
    let k = single_op_keys(QOp::Rescale { shift: 4 });
    let x = [t(&[1, 4], &[7, 23, -5, 100])];
    let (_, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("it proves");
    verify(&k.vk, &proof).expect("the honest proof verifies");
    (k, proof)
}

/// The first challenge after the statement of `proof` under `vk`.
fn first_challenge(vk: &VerifyingKey, proof: &Proof) -> Fr {
    let mut t = Transcript::new(b"statement test");
    absorb_statement(
        &mut t,
        vk,
        &proof.public,
        &proof.commitments,
        &proof.limbs,
        &proof.multiplicities,
        &proof.function_multiplicities,
    );
    t.challenge_scalar(b"first")
}

/// Another commitment than `c` (a valid point).
fn moved(c: &Commitment) -> Commitment {
    Commitment::linear_combination(&[*c, *c], &[Fr::from(3u64), Fr::from(4u64)]).expect("sum")
}

/// One change to a proof.
type Change<'a> = &'a dyn Fn(&mut Proof);

#[test]
fn every_part_of_the_statement_moves_the_first_challenge() {
    let (k, proof) = rescale();
    let base = first_challenge(&k.vk, &proof);
    assert!(!proof.limbs.is_empty() && !proof.commitments.is_empty());
    let mut other_vk = k.vk.clone();
    other_vk.srs_digest[0] ^= 1;
    assert_ne!(first_challenge(&other_vk, &proof), base, "verifying key digest");
    let parts: [(&str, Change); 5] = [
        ("public values", &|p| p.public.outputs[0].data[0] += 1),
        ("committed tensors", &|p| p.commitments[0] = moved(&p.commitments[0])),
        ("range limbs", &|p| p.limbs[0] = moved(&p.limbs[0])),
        ("range multiplicities", &|p| p.multiplicities = moved(&p.multiplicities)),
        ("function multiplicities", &|p| p.function_multiplicities.push(p.multiplicities)),
    ];
    for (what, change) in parts {
        let mut p = proof.clone();
        change(&mut p);
        assert_ne!(first_challenge(&k.vk, &p), base, "{what}");
    }
}

/// A verifying key that differs only in its SRS digest (which nothing else reads) rejects the
/// proof: the digest is absorbed first.
#[test]
fn a_proof_is_bound_to_its_verifying_key_digest() {
    let (k, proof) = rescale();
    let mut vk = k.vk.clone();
    vk.srs_digest[31] ^= 0x80;
    assert_ne!(vk.digest(), k.vk.digest());
    let e = verify(&vk, &proof).expect_err("another key digest");
    assert!(matches!(e, VerifyError::Block { .. } | VerifyError::Accumulator(_)), "{e:?}");
}

#[test]
fn points_outside_the_subgroup_are_refused_in_proofs_and_keys() {
    let (k, proof) = rescale();
    let bad = Commitment(off_subgroup_g1());
    let path = Path::new("bad.proof");
    for (what, change) in [
        ("tensor commitment", (|p: &mut Proof, c| p.commitments[0] = c) as fn(&mut Proof, _)),
        ("limb commitment", |p, c| p.limbs[0] = c),
        ("multiplicities", |p, c| p.multiplicities = c),
    ] {
        let mut p = proof.clone();
        change(&mut p, bad);
        match files::proof_from_bytes(path, &files::proof_to_bytes(&p)) {
            Err(FileError::Corrupt { kind: FileKind::Proof, .. }) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    let mut vk = k.vk.clone();
    vk.srs.g1 = off_subgroup_g1();
    let e = VerifyingKey::from_bytes(&vk.to_bytes()).expect_err("an off-subgroup [1]_1");
    assert!(!e.is_empty());
}
