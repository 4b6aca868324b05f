//! Soundness tests of issue 6. Each one fails if the guard it is written for is removed; the
//! forgeries derive their challenges through the library's own [`Schedule`], so a schedule that
//! squeezes `ρ` too early makes them succeed and the test fail. A fold node accepts any
//! well-formed sumcheck; a false claim becomes a false root claim, rejected by the root opening.

use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};
use tessera_blocks::{Claim, Commitment, DenseMle, Fr, G1Affine, Transcript, hyperkzg};

use super::{Fixture, engine_node_proof, srs, transcript};
use crate::error::{InputError, KernelVerifyError, ProveError, VerifyError};
use crate::node::{NodeChild, NodeProof, Schedule, Sound, powers};
use crate::shape::{Arity, TreeShape};
use crate::tree::{
    AccumulatedProof, ProverLeaf, check_leaves, decide, prove, prove_with, verify, verify_with,
};

/// How a false root claim is rejected: its value contradicts the HyperKZG folding equations.
fn false_root() -> VerifyError {
    VerifyError::RootOpening(KernelVerifyError::Mismatch {
        protocol: "hyperkzg",
        what: "folding equation",
    })
}

fn is_true(f: &Fixture, leaf: usize, claim: &Claim) -> bool {
    f.polys[f.leaves[leaf].0].evaluate(&claim.point).unwrap() == claim.value
}

fn children_of<'a>(f: &'a Fixture, claims: &'a [Claim]) -> Vec<NodeChild<'a>> {
    claims
        .iter()
        .zip(&f.leaves)
        .map(|(claim, (j, _))| NodeChild { claim, table: f.polys[*j].evals() })
        .collect()
}

/// An accumulated proof for a one-node tree whose node proof `make_node` builds (it returns the
/// proof, `r*` and the `c_a`); the root opening is the honest opening of `Σ c_a·pad(f_a)` at `r*`.
fn one_node_tree(
    f: &Fixture,
    claims: &[Claim],
    make_node: impl FnOnce(&mut Transcript, &[NodeChild<'_>], usize) -> (NodeProof, Vec<Fr>, Vec<Fr>),
) -> AccumulatedProof {
    let mut t = transcript();
    let shape = TreeShape::new(claims.len(), Arity::AllInOne).unwrap();
    shape.absorb(&mut t);
    let children = children_of(f, claims);
    let n = children.iter().map(|c| c.claim.num_vars()).max().unwrap();
    let (node, point, coeffs) = make_node(&mut TreeShape::node_transcript(&t, 0, 0), &children, n);
    let mut folded = vec![Fr::zero(); 1 << n];
    for (c, g) in children.iter().zip(&coeffs) {
        folded.iter_mut().zip(c.table).for_each(|(o, x)| *o += *g * x);
    }
    let commitments: Vec<Commitment> = claims.iter().map(|c| c.commitment).collect();
    let commitment = Commitment::linear_combination(&commitments, &coeffs).unwrap();
    let poly = DenseMle::new(folded).unwrap();
    let (_, root_opening) = hyperkzg::open(srs(), &poly, &commitment, &point, &mut t).unwrap();
    AccumulatedProof { levels: vec![vec![node]], root_opening }
}

/// Verifies a one-node tree under schedule `S` and runs the decider.
fn accepts<S: Schedule>(claims: &[Claim], proof: &AccumulatedProof) -> Result<(), VerifyError> {
    let vk = srs().verifier_key();
    let pairing = verify_with::<S>(&vk, claims, Arity::AllInOne, proof, &mut transcript())?;
    decide(&vk, &pairing)
}

// ---------------------------------------------------------------------------------------------
// ρ must be squeezed after every child claim.

/// The broken schedule: `ρ` is squeezed before the last child is absorbed.
struct RhoBeforeLastChild;

impl Schedule for RhoBeforeLastChild {
    fn rho(t: &mut Transcript, num_vars: usize, children: &[&Claim]) -> Fr {
        let (last, rest) = children.split_last().expect("a child");
        t.append_u64(b"accumulator node children", children.len() as u64);
        t.append_u64(b"accumulator node num_vars", num_vars as u64);
        for c in rest {
            c.absorb(b"accumulator child claim", t);
        }
        let rho = t.challenge_scalar(b"accumulator rho");
        last.absorb(b"accumulator child claim", t);
        rho
    }
}

/// Two false claims whose errors cancel in `Σ ρ^a v_a` if `ρ` does not depend on child `late`:
/// child `late + 1` is off by one; `ρ` is computed by `S` with child `late` still true, then
/// child `late` is shifted by `−ρ^{late+1}/ρ^{late}`. The node proof is the kernel engine's
/// honest-table sumcheck for the forged claims.
fn forge_rho<S: Schedule>(f: &Fixture, late: usize) -> (Vec<Claim>, AccumulatedProof) {
    let k = f.leaves.len();
    let wrong = (late + 1) % k;
    let mut claims = f.claims();
    claims[wrong].value += Fr::one();
    let n = claims.iter().map(Claim::num_vars).max().unwrap();
    let rho = {
        let mut t = transcript();
        TreeShape::new(k, Arity::AllInOne).unwrap().absorb(&mut t);
        let refs: Vec<&Claim> = claims.iter().collect();
        S::rho(&mut TreeShape::node_transcript(&t, 0, 0), n, &refs)
    };
    let p = powers(rho, k);
    claims[late].value -= p[wrong] * p[late].inverse().unwrap();
    let proof = one_node_tree(f, &claims, |t, children, n| engine_node_proof::<S>(t, children, n));
    (claims, proof)
}

#[test]
fn rho_drawn_before_a_child_is_absorbed_is_forgeable_and_the_library_ordering_is_not() {
    let f = Fixture::new(4, &[4, 3, 4, 2], 11);
    let k = f.leaves.len();

    // With ρ squeezed before the last child, two false leaves pass the whole verifier and the
    // decider.
    let (claims, proof) = forge_rho::<RhoBeforeLastChild>(&f, k - 1);
    assert!(!is_true(&f, 0, &claims[0]) && !is_true(&f, k - 1, &claims[k - 1]));
    assert_eq!(accepts::<RhoBeforeLastChild>(&claims, &proof), Ok(()));

    // With the library's schedule the same attack, against every child position, is caught.
    for late in 0..k {
        let (claims, proof) = forge_rho::<Sound>(&f, late);
        assert_eq!(
            accepts::<Sound>(&claims, &proof),
            Err(false_root()),
            "forgery against child {late}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// False and reordered leaves, the decider, threads.

#[test]
fn one_false_leaf_among_a_thousand_true_ones_is_caught() {
    let mut f = Fixture::new(1000, &[4, 4, 3, 4, 2], 13);
    let bad = 617;
    let (j, mut claim) = f.leaves[bad].clone();
    claim.value += Fr::one();
    f.leaves.insert(bad, (j, claim));
    assert_eq!(check_leaves(&f.prover_leaves()), Err(ProveError::FalseLeaf { leaf: bad }));

    let vk = srs().verifier_key();
    for arity in [Arity::Fixed(2), Arity::Fixed(16), Arity::AllInOne] {
        let proof = prove_with::<Sound>(srs(), &f.prover_leaves(), arity, &mut transcript(), false)
            .unwrap();
        assert_eq!(
            verify(&vk, &f.claims(), arity, &proof, &mut transcript()),
            Err(false_root()),
            "{arity:?}"
        );
    }
    // Control: without the false leaf the same tree verifies.
    f.leaves.remove(bad);
    let proof = prove(srs(), &f.prover_leaves(), Arity::Fixed(16), &mut transcript()).unwrap();
    let pairing = verify(&vk, &f.claims(), Arity::Fixed(16), &proof, &mut transcript()).unwrap();
    assert_eq!(decide(&vk, &pairing), Ok(()));
}

#[test]
fn swapping_two_leaves_is_caught() {
    let f = Fixture::new(40, &[4, 3, 4, 2], 14);
    let vk = srs().verifier_key();
    for arity in [Arity::Fixed(4), Arity::AllInOne] {
        let proof = prove(srs(), &f.prover_leaves(), arity, &mut transcript()).unwrap();
        assert!(verify(&vk, &f.claims(), arity, &proof, &mut transcript()).is_ok());
        // Leaves 3 and 27 have the same size (other nodes); 5 and 6 share a node.
        for (a, b) in [(3, 27), (5, 6)] {
            let mut claims = f.claims();
            claims.swap(a, b);
            assert_eq!(
                verify(&vk, &claims, arity, &proof, &mut transcript()),
                Err(false_root()),
                "{arity:?}: leaves {a} and {b} swapped"
            );
        }
    }
}

#[test]
fn tampered_root_is_rejected_by_the_decider() {
    let f = Fixture::mixed(12, 15);
    let vk = srs().verifier_key();
    let claims = f.claims();
    let proof = prove(srs(), &f.prover_leaves(), Arity::Fixed(4), &mut transcript()).unwrap();
    let pairing = verify(&vk, &claims, Arity::Fixed(4), &proof, &mut transcript()).unwrap();
    assert_eq!(decide(&vk, &pairing), Ok(()));
    let bump = |p: &G1Affine| (*p + G1Affine::generator()).into_affine();

    // A tampered root witness passes every pairing-free check; only the decider sees it.
    for which in 0..2 {
        let mut bad = proof.clone();
        let w = match which {
            0 => &mut bad.root_opening.batch.final_witness,
            _ => &mut bad.root_opening.batch.quotient,
        };
        *w = bump(w);
        let pairing = verify(&vk, &claims, Arity::Fixed(4), &bad, &mut transcript()).unwrap();
        assert_eq!(decide(&vk, &pairing), Err(VerifyError::Decider(KernelVerifyError::Pairing)));
    }
    // A tampered pairing claim.
    let mut bad = pairing;
    bad.lhs = bump(&bad.lhs);
    assert_eq!(decide(&vk, &bad), Err(VerifyError::Decider(KernelVerifyError::Pairing)));
}

#[test]
fn proofs_are_identical_with_one_and_two_threads() {
    let f = Fixture::mixed(37, 16);
    for arity in [Arity::Fixed(2), Arity::Fixed(5), Arity::AllInOne] {
        let bytes = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let proof = prove(srs(), &f.prover_leaves(), arity, &mut transcript()).unwrap();
                let mut bytes = Vec::new();
                proof.serialize_compressed(&mut bytes).unwrap();
                bytes
            })
        };
        assert_eq!(bytes(1), bytes(2), "{arity:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs and bytes.

#[test]
fn bad_inputs_are_typed_errors() {
    let f = Fixture::mixed(5, 17);
    let vk = srs().verifier_key();
    let proof = prove(srs(), &f.prover_leaves(), Arity::Fixed(2), &mut transcript()).unwrap();
    let run = |claims: &[Claim], arity| verify(&vk, claims, arity, &proof, &mut transcript());
    assert_eq!(run(&[], Arity::Fixed(2)), Err(VerifyError::Input(InputError::NoLeaves)));
    assert_eq!(
        run(&f.claims(), Arity::Fixed(1)),
        Err(VerifyError::Input(InputError::ArityTooSmall(1)))
    );
    let mut claims = f.claims();
    claims[2].point = vec![Fr::one(); 33];
    assert_eq!(
        run(&claims, Arity::Fixed(2)),
        Err(VerifyError::Input(InputError::TooManyVariables { leaf: 2, num_vars: 33, max: 32 }))
    );
    // A different arity is a different tree: rejected on shape, before any arithmetic.
    assert!(matches!(run(&f.claims(), Arity::AllInOne), Err(VerifyError::ProofShape { .. })));

    let mut leaves = f.prover_leaves();
    leaves[2].claim.point.push(Fr::one());
    let expected = InputError::PointLength {
        leaf: 2,
        poly_vars: leaves[2].poly.num_vars(),
        point_vars: leaves[2].claim.point.len(),
    };
    assert_eq!(
        prove(srs(), &leaves, Arity::Fixed(2), &mut transcript()).unwrap_err(),
        ProveError::Input(expected)
    );
    let big = DenseMle::new(vec![Fr::one(); 1 << (super::MAX_TEST_VARS + 1)]).unwrap();
    let leaf = ProverLeaf {
        claim: Claim {
            commitment: Commitment::default(),
            point: vec![Fr::zero(); big.num_vars()],
            value: Fr::one(),
        },
        poly: &big,
    };
    assert!(matches!(
        prove(srs(), &[leaf], Arity::AllInOne, &mut transcript()),
        Err(ProveError::Kernel(tessera_blocks::Error::SrsTooSmall { .. }))
    ));
}

/// Random byte corruptions of a valid proof either fail to deserialize or are rejected; nothing
/// panics.
#[test]
fn corrupted_bytes_never_panic_and_are_rejected() {
    let f = Fixture::mixed(9, 18);
    let vk = srs().verifier_key();
    let claims = f.claims();
    let proof = prove(srs(), &f.prover_leaves(), Arity::Fixed(3), &mut transcript()).unwrap();
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    let mut rng = StdRng::seed_from_u64(19);
    let mut decoded = 0;
    for _ in 0..300 {
        let mut b = bytes.clone();
        for _ in 0..rng.gen_range(1..4) {
            let i = rng.gen_range(0..b.len());
            b[i] ^= 1 << rng.gen_range(0..8);
        }
        let Ok(p) =
            AccumulatedProof::deserialize_with_mode(b.as_slice(), Compress::Yes, Validate::Yes)
        else {
            continue;
        };
        decoded += 1;
        let verdict = verify(&vk, &claims, Arity::Fixed(3), &p, &mut transcript())
            .and_then(|pairing| decide(&vk, &pairing));
        assert!(verdict.is_err() || p == proof, "a corrupted proof was accepted");
    }
    assert!(decoded > 0, "no corruption decoded; the test exercises nothing");
    let garbage: Vec<u8> = (0..4096).map(|_| rng.r#gen()).collect();
    let _ =
        AccumulatedProof::deserialize_with_mode(garbage.as_slice(), Compress::Yes, Validate::Yes);
}

/// 4,096 leaves with arity 2 (2,048 nodes on the first level) on a 2-thread pool: nested
/// parallelism (nodes and children both in parallel) overflowed the stack here.
#[test]
fn wide_levels_do_not_overflow_the_stack() {
    let f = Fixture::new(4096, &[4, 3, 4, 2], 20);
    let vk = srs().verifier_key();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| {
        let proof = prove(srs(), &f.prover_leaves(), Arity::Fixed(2), &mut transcript()).unwrap();
        let pairing = verify(&vk, &f.claims(), Arity::Fixed(2), &proof, &mut transcript()).unwrap();
        assert_eq!(decide(&vk, &pairing), Ok(()));
    });
}

/// A commitment holding more coefficients than a claim on it reads (a 3-variable claim on a
/// 5-variable polynomial): the claim is about the first 8, read at its point padded with leading
/// zeros. A prover holding the whole polynomial proves it (in a node as large as the polynomial); one holding only the 8 entries the claim
/// reads makes a root claim on the long commitment that its table cannot open, and fails.
#[test]
fn a_claim_reads_the_first_entries_of_a_longer_committed_polynomial() {
    let mut f = Fixture::mixed(6, 21);
    let long = f.polys.iter().position(|p| p.num_vars() == 5).unwrap();
    let mut rng = StdRng::seed_from_u64(22);
    let point: Vec<Fr> = (0..3).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
    let first = DenseMle::new(f.polys[long].evals()[..8].to_vec()).unwrap();
    let value = first.evaluate(&point).unwrap();
    let claim = Claim { commitment: f.commitments[long], point, value };
    f.leaves.push((long, claim.clone()));
    let vk = srs().verifier_key();
    let proof = prove(srs(), &f.prover_leaves(), Arity::AllInOne, &mut transcript()).unwrap();
    let pairing = verify(&vk, &f.claims(), Arity::AllInOne, &proof, &mut transcript()).unwrap();
    assert_eq!(decide(&vk, &pairing), Ok(()));
    // The table must fit the node it is folded in: a binary tree pairs it with a smaller leaf.
    assert!(prove(srs(), &f.prover_leaves(), Arity::Fixed(2), &mut transcript()).is_err());
    let mut leaves = f.prover_leaves();
    leaves.last_mut().unwrap().poly = &first;
    let proof = prove_with::<Sound>(srs(), &leaves, Arity::AllInOne, &mut transcript(), false)
        .expect("the short table folds consistently with itself");
    let pairing = verify(&vk, &f.claims(), Arity::AllInOne, &proof, &mut transcript())
        .expect("pairing-free checks pass: the sumcheck is the same on the cube");
    assert_eq!(decide(&vk, &pairing), Err(VerifyError::Decider(KernelVerifyError::Pairing)));
}
