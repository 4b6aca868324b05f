//! The fold node on its own: the lean prover against the kernel's engine, the output claim, and
//! the edge cases of padding (zero-variable children, points with Boolean coordinates).

use ark_ff::UniformRand;
use ark_std::rand::{SeedableRng, rngs::StdRng};
use tessera_blocks::hyperkzg;
use tessera_blocks::{Claim, DenseMle, Fr};

use super::{Fixture, engine_sumcheck, srs, transcript};
use crate::node::{NodeChild, Parallelism, Sound, batching_sumcheck, prove_node, verify_node};

const MODES: [Parallelism; 3] = [Parallelism::None, Parallelism::Children, Parallelism::Tables];

fn max_vars(children: &[NodeChild<'_>]) -> usize {
    children.iter().map(|c| c.claim.num_vars()).max().unwrap_or(0)
}

/// Same messages, same point, same `u_a`, same transcript state as `prove_batch` on materialized
/// eq and padded tables, in every parallelism mode: the lean prover *is* the kernel's sumcheck
/// protocol. (The 2^13-entry case crosses the threshold of the parallel table passes.)
#[test]
fn lean_prover_matches_the_kernel_engine() {
    let fixtures = [
        Fixture::mixed(9, 1),
        Fixture::with_boolean_coordinates(2),
        Fixture::new(4, &[5], 3),
        Fixture::new(3, &[0], 4),
        Fixture::new(2, &[13, 11], 10),
    ];
    let mut rng = StdRng::seed_from_u64(5);
    for (i, f) in fixtures.iter().enumerate() {
        let children = f.children();
        for extra in [0, 2] {
            let n = max_vars(&children) + extra;
            let rho = Fr::rand(&mut rng);
            let mut engine_t = transcript();
            let engine = engine_sumcheck(&mut engine_t, rho, &children, n);
            for mode in MODES {
                let mut lean_t = transcript();
                let lean = batching_sumcheck(&mut lean_t, rho, &children, n, mode);
                assert_eq!(lean, engine, "fixture {i}, {extra} extra variables, {mode:?}");
                assert_eq!(lean_t.state_digest(), engine_t.state_digest(), "fixture {i}");
            }
        }
    }
}

/// The output claim is true for the folded table the prover hands on, and its commitment is the
/// commitment of that table.
#[test]
fn output_claim_is_true_and_verifier_derives_it() {
    for (f, mode) in [Fixture::mixed(7, 6), Fixture::with_boolean_coordinates(7)]
        .iter()
        .flat_map(|f| MODES.map(|m| (f, m)))
    {
        let children = f.children();
        let n = max_vars(&children);
        let mut pt = transcript();
        let out = prove_node::<Sound>(&mut pt, &children, n, mode).unwrap();
        let folded = DenseMle::new(out.folded.clone()).unwrap();
        assert_eq!(folded.num_vars(), n);
        assert_eq!(folded.evaluate(&out.claim.point).unwrap(), out.claim.value);
        assert_eq!(hyperkzg::commit(srs(), &folded).unwrap(), out.claim.commitment);

        let claims: Vec<&Claim> = children.iter().map(|c| c.claim).collect();
        let mut vt = transcript();
        let derived = verify_node::<Sound>(&mut vt, &claims, n, &out.proof, mode).unwrap();
        assert_eq!(derived, out.claim);
        assert_eq!(pt.state_digest(), vt.state_digest());
    }
}

/// A node whose children all have zero variables runs no sumcheck round.
#[test]
fn zero_variable_node() {
    let f = Fixture::new(3, &[0], 8);
    let children = f.children();
    let mut pt = transcript();
    let out = prove_node::<Sound>(&mut pt, &children, 0, Parallelism::Tables).unwrap();
    assert!(out.proof.sumcheck.rounds.is_empty());
    assert_eq!(out.folded.len(), 1);
    let claims: Vec<&Claim> = children.iter().map(|c| c.claim).collect();
    let derived =
        verify_node::<Sound>(&mut transcript(), &claims, 0, &out.proof, Parallelism::None).unwrap();
    assert_eq!(derived, out.claim);
}

/// A table whose length does not match its claim's point is a prover error, not a panic.
#[test]
fn mismatched_child_table_is_an_error() {
    let f = Fixture::new(2, &[3], 9);
    let short = vec![Fr::from(1u64); 4];
    let children = [NodeChild { claim: &f.leaves[0].1, table: &short }];
    assert!(prove_node::<Sound>(&mut transcript(), &children, 3, Parallelism::None).is_err());
    let children = f.children();
    assert!(prove_node::<Sound>(&mut transcript(), &children, 2, Parallelism::None).is_err());
}

/// The serial MSM of node-parallel levels against arkworks' MSM, with edge scalars.
#[test]
fn serial_msm_matches_arkworks() {
    use ark_ec::{AffineRepr, CurveGroup};
    use tessera_blocks::{Commitment, G1Affine};

    use crate::node::serial_msm;

    let mut rng = StdRng::seed_from_u64(11);
    for k in [0, 1, 2, 5, 17] {
        let bases: Vec<G1Affine> =
            (0..k).map(|_| (G1Affine::generator() * Fr::rand(&mut rng)).into_affine()).collect();
        let mut scalars: Vec<Fr> = (0..k).map(|_| Fr::rand(&mut rng)).collect();
        for (s, edge) in scalars.iter_mut().zip([Fr::from(0u64), Fr::from(1u64), -Fr::from(1u64)]) {
            *s = edge;
        }
        let commitments: Vec<Commitment> = bases.iter().map(|b| Commitment(*b)).collect();
        let expected = Commitment::linear_combination(&commitments, &scalars).unwrap();
        assert_eq!(serial_msm(&bases, &scalars).into_affine(), expected.0, "{k} points");
    }
}

/// A node's proof is its sumcheck alone: a 2-byte header and 2 scalars per round, `2 + n·64`
/// bytes compressed, the same for 2 children as for 64 (no per-child value is sent).
#[test]
fn node_proof_size_does_not_grow_with_children() {
    use ark_serialize::CanonicalSerialize;
    for leaves in [2, 64] {
        let f = Fixture::new(leaves, &[5, 3], 21);
        let children = f.children();
        let out =
            prove_node::<Sound>(&mut transcript(), &children, 5, Parallelism::Tables).unwrap();
        assert_eq!(out.proof.compressed_size(), 2 + 5 * 64, "{leaves} children");
    }
}
