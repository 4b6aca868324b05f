//! Tests of the accumulator: the kernel's conformance suite, the fold node against the kernel's
//! sumcheck engine, and the soundness tests of issue 6 (DESIGN §8 items 1, 4, 7).

mod conformance;
mod node;
mod soundness;

use std::sync::OnceLock;

use ark_ff::{UniformRand, Zero};
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};
use tessera_blocks::hyperkzg;
use tessera_blocks::mle::eq_table;
use tessera_blocks::sumcheck::{SumcheckInstance, prove_batch};
use tessera_blocks::{Claim, Commitment, DenseMle, Fr, Srs, Transcript};

use crate::node::{
    NodeChild, NodeProof, Schedule, batching_expression, folding_coefficients, inner_product,
    powers,
};
use crate::tree::ProverLeaf;

/// The largest polynomial the tests commit to has `2^MAX_TEST_VARS` entries.
pub(super) const MAX_TEST_VARS: usize = 13;

pub(super) fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_dev(6, MAX_TEST_VARS).expect("dev srs"))
}

pub(super) fn transcript() -> Transcript {
    Transcript::new(b"accumulator tests")
}

/// A pool of committed polynomials and leaf claims on them (leaf `i` is on polynomial
/// `i mod pool`), all true unless a test breaks one.
pub(super) struct Fixture {
    pub polys: Vec<DenseMle>,
    pub commitments: Vec<Commitment>,
    /// `(polynomial index, claim)` per leaf.
    pub leaves: Vec<(usize, Claim)>,
}

impl Fixture {
    /// `leaves` claims on a pool of polynomials with `pool_vars` variables each, at random points.
    pub fn new(leaves: usize, pool_vars: &[usize], seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let polys: Vec<DenseMle> = pool_vars
            .iter()
            .map(|n| DenseMle::new((0..1 << n).map(|_| Fr::rand(&mut rng)).collect()).unwrap())
            .collect();
        let commitments = polys.iter().map(|p| hyperkzg::commit(srs(), p).unwrap()).collect();
        let mut fixture = Self { polys, commitments, leaves: Vec::with_capacity(leaves) };
        for i in 0..leaves {
            let j = i % fixture.polys.len();
            let point: Vec<Fr> =
                (0..fixture.polys[j].num_vars()).map(|_| Fr::rand(&mut rng)).collect();
            fixture.push_leaf(j, point);
        }
        fixture
    }

    /// Mixed sizes (0 to 5 variables), so nodes pad their children.
    pub fn mixed(leaves: usize, seed: u64) -> Self {
        Self::new(leaves, &[3, 0, 5, 2, 4, 1, 5], seed)
    }

    /// Adds a true claim on polynomial `j` at `point`.
    pub fn push_leaf(&mut self, j: usize, point: Vec<Fr>) {
        let value = self.polys[j].evaluate(&point).unwrap();
        self.leaves.push((j, Claim { commitment: self.commitments[j], point, value }));
    }

    pub fn prover_leaves(&self) -> Vec<ProverLeaf<'_>> {
        self.leaves
            .iter()
            .map(|(j, claim)| ProverLeaf { claim: claim.clone(), poly: &self.polys[*j] })
            .collect()
    }

    pub fn claims(&self) -> Vec<Claim> {
        self.leaves.iter().map(|(_, c)| c.clone()).collect()
    }

    pub fn children(&self) -> Vec<NodeChild<'_>> {
        self.leaves
            .iter()
            .map(|(j, claim)| NodeChild { claim, table: self.polys[*j].evals() })
            .collect()
    }

    /// Leaves on points with some zero and one coordinates (the prover's `q_τ = 0` path).
    pub fn with_boolean_coordinates(seed: u64) -> Self {
        let mut f = Self::mixed(0, seed);
        let mut rng = StdRng::seed_from_u64(seed + 1);
        for j in 0..f.polys.len() {
            let point: Vec<Fr> = (0..f.polys[j].num_vars())
                .map(|_| match rng.gen_range(0..3) {
                    0 => Fr::zero(),
                    1 => Fr::from(1u64),
                    _ => Fr::rand(&mut rng),
                })
                .collect();
            f.push_leaf(j, point);
        }
        f
    }
}

/// A node proof made with the kernel's generic sumcheck prover on materialized padded tables:
/// the reference for the lean prover, and an honest-table adversary for the forgery tests (its
/// rounds come from the tables, whatever the claimed values). Returns the proof, `r*` and the
/// folding coefficients `c_a`.
pub(super) fn engine_node_proof<S: Schedule>(
    t: &mut Transcript,
    children: &[NodeChild<'_>],
    num_vars: usize,
) -> (NodeProof, Vec<Fr>, Vec<Fr>) {
    let claims: Vec<&Claim> = children.iter().map(|c| c.claim).collect();
    let rho = S::rho(t, num_vars, &claims);
    let (sumcheck, point, _) = engine_sumcheck(t, rho, children, num_vars);
    let pads: Vec<usize> = claims.iter().map(|c| num_vars - c.num_vars()).collect();
    let coeffs = folding_coefficients(&powers(rho, claims.len()), &claims, &pads, &point).unwrap();
    (NodeProof { sumcheck }, point, coeffs)
}

/// The batching sumcheck by the kernel's `prove_batch`: returns the proof, `r*` and the `u_a`.
pub(super) fn engine_sumcheck(
    t: &mut Transcript,
    rho: Fr,
    children: &[NodeChild<'_>],
    num_vars: usize,
) -> (tessera_blocks::sumcheck::SumcheckProof, Vec<Fr>, Vec<Fr>) {
    let rho_powers = powers(rho, children.len());
    let mut polys = Vec::with_capacity(2 * children.len());
    for c in children {
        let pad = num_vars - c.claim.num_vars();
        let mut padded_point = vec![Fr::zero(); pad];
        padded_point.extend_from_slice(&c.claim.point);
        polys.push(DenseMle::new(eq_table(&padded_point).unwrap()).unwrap());
        polys.push(DenseMle::new(c.table.to_vec()).unwrap().padded_to(num_vars).unwrap());
    }
    let values: Vec<Fr> = children.iter().map(|c| c.claim.value).collect();
    let claim = inner_product(&rho_powers, &values);
    let instance = SumcheckInstance { polys, expr: batching_expression(&rho_powers) };
    let out = prove_batch(vec![instance], &[claim], t).unwrap();
    let evals = out.final_evals[0].iter().skip(1).step_by(2).copied().collect();
    (out.proof, out.point, evals)
}
