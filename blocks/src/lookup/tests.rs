use std::sync::{Arc, Mutex, OnceLock};

use ark_ec::AffineRepr;
use ark_ff::{One, Zero};
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

use super::table::{prefix_sums, shape_mask_eval};
use super::*;
use crate::curve::fr_from_i64;
use crate::hyperkzg;
use crate::mle::{DenseMle, eq_table};
use crate::testing::{ConformanceCase, Tampering, run_all};

mod soundness;

fn srs() -> &'static Srs {
    static SRS: OnceLock<Srs> = OnceLock::new();
    SRS.get_or_init(|| Srs::insecure_dev(7, 12).expect("dev srs"))
}

const ORACLE: &str = "test oracle";

/// A statement, its witness, and every committed polynomial (the test's opening oracle): the
/// statement's, and the helpers of every proof made through [`Case::prove`].
#[derive(Clone)]
struct Case {
    spec: LookupSpec,
    instance: LookupInstance,
    witness: LookupWitness,
    polys: Vec<(Commitment, DenseMle)>,
    helpers: Arc<Mutex<Vec<(Commitment, DenseMle)>>>,
}

impl Case {
    /// Vectors `inputs` (one committed tensor per column) looked up with `offsets`.
    fn new(spec: LookupSpec, inputs: Vec<Vec<IntTensor>>, offsets: Vec<i64>) -> Self {
        let mut polys = Vec::new();
        let mut commit = |t: &IntTensor| {
            let c = crate::kzg::commit_tensor(srs(), t).unwrap();
            polys.push((c, t.to_mle()));
            c
        };
        let looked_up = inputs
            .iter()
            .zip(&offsets)
            .map(|(cols, offset)| LookedUp {
                shape: cols[0].shape().to_vec(),
                columns: cols.iter().map(&mut commit).collect(),
                offset: *offset,
            })
            .collect();
        if let (Some(c), Some(out)) = (spec.table_commitment, spec.table.output_column()) {
            polys.push((c, out));
        }
        let shifted: Vec<Vec<IntTensor>> = inputs
            .iter()
            .zip(&offsets)
            .map(|(cols, o)| {
                let mut cols = cols.clone();
                let x = &cols[0];
                cols[0] = tensor(x.shape().to_vec(), x.data().iter().map(|v| v + o).collect());
                cols
            })
            .collect();
        let m = multiplicities(&spec.table, &shifted)
            .unwrap_or_else(|_| vec![0; 1 << spec.table.num_vars()]);
        let mc = commit_multiplicities(srs(), &m).unwrap();
        polys.push((mc, DenseMle::new(m.iter().map(|x| Fr::from(*x)).collect()).unwrap()));
        let instance = LookupInstance { inputs: looked_up, multiplicities: mc, chunk_vars: 0 };
        Self {
            spec,
            instance,
            witness: LookupWitness { inputs, multiplicities: m, srs: srs().clone() },
            polys,
            helpers: Arc::default(),
        }
    }

    /// Registers a proof's helper polynomials under the commitments of the helper claims (the
    /// last claims).
    fn register(&self, out: &LookupOutput) {
        let claims = &out.claims.committed;
        let helper_claims = &claims[claims.len() - out.helpers.len()..];
        let mut helpers = self.helpers.lock().unwrap();
        helpers.extend(helper_claims.iter().map(|c| c.commitment).zip(out.helpers.iter().cloned()));
    }

    /// The honest prover, registering the helpers.
    fn prove(&self, t: &mut Transcript) -> LookupProof {
        let out = prove_with_helpers(&self.spec, &self.instance, &self.witness, t).unwrap();
        self.register(&out);
        out.proof
    }

    /// Runs the block verifier, then checks every claim against the committed polynomials, as an
    /// honest opening would: the polynomial must be the one committed (a helper is recommitted),
    /// and a polynomial longer than the claim's point is read at that point padded with leading
    /// zeros (how the accumulator opens it).
    fn verify_and_open(&self, proof: &LookupProof, t: &mut Transcript) -> Result<(), VerifyError> {
        let claims = Lookup::verify(&self.spec, &self.instance, proof, t)?;
        let helpers = self.helpers.lock().unwrap();
        for c in &claims.committed {
            let (_, poly) =
                self.polys.iter().chain(helpers.iter()).find(|(k, _)| *k == c.commitment).ok_or(
                    VerifyError::Mismatch { protocol: ORACLE, what: "unknown commitment" },
                )?;
            if kzg::commit(srs(), poly.evals()).unwrap() != c.commitment {
                return Err(VerifyError::Mismatch { protocol: ORACLE, what: "commitment" });
            }
            let lead = poly.num_vars().saturating_sub(c.point.len());
            let point: Vec<Fr> =
                std::iter::repeat_n(Fr::zero(), lead).chain(c.point.clone()).collect();
            if poly.evaluate(&point)? != c.value {
                return Err(VerifyError::Mismatch { protocol: ORACLE, what: "claim" });
            }
        }
        Ok(())
    }
}

fn tensor(shape: Vec<usize>, data: Vec<i64>) -> IntTensor {
    IntTensor::new(shape, data).unwrap()
}

/// `round(f(x/2^4)·2^6)` on `[lo, hi)`: a function table as the compiler makes them (its
/// registry, `tessera_compiler::functions`, is the one source of the tables the prover uses).
pub(crate) fn real_table(label: &str, f: fn(f64) -> f64, lo: i64, hi: i64) -> Table {
    let values = (lo..hi).map(|x| (f(x as f64 / 16.0) * 64.0).round() as i64).collect();
    Table::function(label, lo, hi, values).unwrap()
}

fn tanh_spec() -> LookupSpec {
    // A non-power-of-two range, so the padding rows are exercised.
    LookupSpec::setup(srs(), real_table("tanh", f64::tanh, -50, 70)).unwrap()
}

/// Two vectors of `(x, tanh(x))` pairs with different shapes.
fn function_case(size: usize, seed: u64) -> Case {
    let spec = tanh_spec();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pairs = |shape: Vec<usize>| {
        let n: usize = shape.iter().product();
        let x: Vec<i64> = (0..n).map(|_| rng.gen_range(-50..70)).collect();
        let y = x.iter().map(|v| spec.table.apply(*v).unwrap()).collect();
        vec![tensor(shape.clone(), x), tensor(shape, y)]
    };
    let inputs = vec![pairs(vec![size]), pairs(vec![3, size.div_ceil(3)])];
    Case::new(spec, inputs, vec![0, 0])
}

/// 8-bit range checks plus a 24-bit signed tensor `v` checked the way the runtime does it: limbs
/// `l_1, l_2` looked up as they are, and `v − 2^8·l_1 − 2^16·l_2` (the committed combination) with
/// offset `2^23`, so that `v + 2^23 ∈ [0, 2^24)`.
fn wide_case(size: usize, seed: u64) -> Case {
    let spec = LookupSpec::setup(srs(), Table::range(0, 256).unwrap()).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let plain = tensor(vec![size], (0..size).map(|_| rng.gen_range(0..256)).collect());
    let shape = vec![2, size.div_ceil(2)];
    let n = shape.iter().product();
    let value = tensor(shape.clone(), (0..n).map(|_| rng.gen_range(-(1 << 23)..1 << 23)).collect());
    let limbs = decompose(&value, 8, 3, 1 << 23).unwrap();
    let base = tensor(shape, limbs[0].data().iter().map(|l| l - (1 << 23)).collect());
    let inputs = vec![vec![plain], vec![base], vec![limbs[1].clone()], vec![limbs[2].clone()]];
    Case::new(spec, inputs, vec![0, 1 << 23, 0, 0])
}

fn tamperings(proof: &LookupProof) -> Vec<Tampering<LookupProof>> {
    let last = VerifyError::SumcheckFinal { protocol: PROTOCOL };
    let mut out = Vec::new();
    let mut push = |field: String, proof: LookupProof, expected: VerifyError| {
        out.push(Tampering { field, proof, expected })
    };
    let g = crate::curve::G1Affine::generator();
    let moved = |c: &Commitment| Commitment((c.0 + g).into());
    for k in 0..proof.inverse_chunks.len() {
        let mut p = proof.clone();
        p.inverse_chunks[k] = moved(&p.inverse_chunks[k]);
        push(format!("inverse chunk {k}"), p, last.clone());
    }
    let mut p = proof.clone();
    p.inverse_eval += Fr::one();
    push("inverse eval".into(), p, last.clone());
    for g in 0..proof.column_evals.len() {
        let mut p = proof.clone();
        p.column_evals[g] += Fr::one();
        push(format!("column eval {g}"), p, last.clone());
    }
    let mut p = proof.clone();
    p.table_inverses = moved(&p.table_inverses);
    push("table inverses".into(), p, last.clone());
    let mut p = proof.clone();
    p.sum += Fr::one();
    push("sum".into(), p, last.clone());
    for (r, round) in proof.sumcheck.rounds.iter().enumerate() {
        for e in 0..round.evals_except_one.len() {
            let mut p = proof.clone();
            p.sumcheck.rounds[r].evals_except_one[e] += Fr::one();
            push(format!("sumcheck round {r} eval {e}"), p, last.clone());
        }
    }
    let mut p = proof.clone();
    p.table_inverse_eval += Fr::one();
    push("table inverse eval".into(), p, last.clone());
    let mut p = proof.clone();
    p.multiplicity_eval += Fr::one();
    push("multiplicity eval".into(), p, last.clone());
    for i in 0..proof.table_output_evals.len() {
        let mut p = proof.clone();
        p.table_output_evals[i] += Fr::one();
        push(format!("table output eval {i}"), p, last.clone());
    }
    let shape =
        |what, expected: usize| VerifyError::ProofShape { what, expected, got: expected - 1 };
    let mut p = proof.clone();
    p.inverse_chunks.pop();
    push(
        "inverse chunks (one dropped)".into(),
        p,
        shape("lookup inverse chunks", proof.inverse_chunks.len()),
    );
    if !proof.sumcheck.rounds.is_empty() {
        let mut p = proof.clone();
        p.sumcheck.rounds.pop();
        push(
            "sumcheck rounds (one dropped)".into(),
            p,
            shape("sumcheck rounds", proof.sumcheck.rounds.len()),
        );
    }
    out
}

macro_rules! conformance_case {
    ($name:ident, $label:expr, $generate:ident, $corrupt:expr) => {
        struct $name(Case);

        impl ConformanceCase for $name {
            type Proof = LookupProof;
            const NAME: &'static str = $label;

            fn sizes() -> Vec<usize> {
                vec![1, 2, 5, 64, 300]
            }

            fn generate(size: usize, seed: u64) -> Self {
                Self($generate(size, seed))
            }

            fn check(&self) -> Result<(), RelationError> {
                Lookup::check(&self.0.spec, &self.0.instance, &self.0.witness)
            }

            fn corrupt_witness(&mut self) {
                let corrupt: fn(&mut LookupWitness) = $corrupt;
                corrupt(&mut self.0.witness);
            }

            fn prove(&self, t: &mut Transcript) -> LookupProof {
                self.0.prove(t)
            }

            fn verify(&self, proof: &LookupProof, t: &mut Transcript) -> Result<(), VerifyError> {
                self.0.verify_and_open(proof, t)
            }

            fn tamperings(&self, proof: &LookupProof) -> Vec<Tampering<LookupProof>> {
                tamperings(proof)
            }
        }
    };
}

fn set_entry(t: &mut IntTensor, i: usize, v: i64) {
    let mut data = t.data().to_vec();
    data[i] = v;
    *t = tensor(t.shape().to_vec(), data);
}

conformance_case!(FunctionConformance, "lookup/tanh", function_case, |w| {
    let y = w.inputs[1][1].data()[0];
    set_entry(&mut w.inputs[1][1], 0, y + 1);
});
conformance_case!(WideConformance, "lookup/wide-range", wide_case, |w| {
    set_entry(&mut w.inputs[0][0], 0, 256);
});

#[test]
fn conformance_function_table() {
    run_all::<FunctionConformance>();
}

#[test]
fn conformance_wide_range() {
    run_all::<WideConformance>();
}

#[test]
fn prover_and_verifier_hand_on_the_same_claims() {
    let case = wide_case(50, 6);
    let (proof, claims) =
        Lookup::prove(&case.spec, &case.instance, &case.witness, &mut Transcript::new(b"c"))
            .unwrap();
    let verified =
        Lookup::verify(&case.spec, &case.instance, &proof, &mut Transcript::new(b"c")).unwrap();
    assert_eq!(claims, verified);
    // Multiplicities, then the combined columns, the combined inverse chunks (4 vectors of 64
    // padded entries: 4 chunks of 64) and the table inverses.
    assert_eq!(claims.committed.len(), 4);
    assert_eq!(proof.inverse_chunks.len(), 4);
}

#[test]
fn structured_evaluations_match_brute_force() {
    let mut rng = StdRng::seed_from_u64(8);
    for k in 0..6usize {
        let r: Vec<Fr> = (0..k).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
        let eq = eq_table(&r).unwrap();
        for len in 0..=(1u64 << k) + 1 {
            let s: Fr = eq.iter().take(len as usize).sum();
            let w: Fr = eq
                .iter()
                .enumerate()
                .take(len as usize)
                .map(|(i, e)| *e * Fr::from(i as u64))
                .sum();
            assert_eq!(prefix_sums(&r, len), (s, w), "k = {k}, len = {len}");
        }
    }
    let table = Table::range(-5, 11).unwrap();
    let odd = Table::range(-5, 8).unwrap();
    for t in [table, odd] {
        let r: Vec<Fr> = (0..t.num_vars()).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
        let brute = DenseMle::new(t.input_column()).unwrap().evaluate(&r).unwrap();
        assert_eq!(t.input_column_eval(&r).unwrap(), brute);
    }
    let shape = vec![3, 5, 1];
    let mask = tensor(shape.clone(), vec![1; 15]).to_mle();
    let r: Vec<Fr> = (0..mask.num_vars()).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
    assert_eq!(shape_mask_eval(&shape, &r).unwrap(), mask.evaluate(&r).unwrap());
}

#[test]
fn eval_applies_the_table_and_rejects_outsiders() {
    let spec = tanh_spec();
    let x = tensor(vec![3], vec![-16, 0, 16]);
    let y = Lookup::eval(&spec, &[x]).unwrap();
    assert_eq!(y[0].data(), &[-49, 0, 49]); // tanh(±1)·64 = ±48.7
    assert!(matches!(
        Lookup::eval(&spec, &[tensor(vec![1], vec![70])]),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn bad_instances_are_typed_errors() {
    let case = wide_case(10, 9);
    let proof =
        Lookup::prove(&case.spec, &case.instance, &case.witness, &mut Transcript::new(b"x"))
            .unwrap()
            .0;
    let mut no_inputs = case.instance.clone();
    no_inputs.inputs.clear();
    assert!(matches!(
        Lookup::verify(&case.spec, &no_inputs, &proof, &mut Transcript::new(b"x")),
        Err(VerifyError::Input(Error::Invalid { .. }))
    ));
    let mut two_cols = case.instance.clone();
    two_cols.inputs[0].columns.push(Commitment::default());
    assert!(matches!(
        Lookup::verify(&case.spec, &two_cols, &proof, &mut Transcript::new(b"x")),
        Err(VerifyError::Input(Error::Length { .. }))
    ));
}

/// A range case whose single vector holds `values` and is looked up with `offset`.
fn offset_case(values: Vec<i64>, offset: i64) -> Case {
    let spec = LookupSpec::setup(srs(), Table::range(0, 16).unwrap()).unwrap();
    Case::new(spec, vec![vec![tensor(vec![values.len()], values)]], vec![offset])
}

#[test]
fn offsets_shift_the_looked_up_values() {
    // −5..10 + 5 lies in [0, 16): the committed values need not be in the table themselves.
    let case = offset_case(vec![-5, 0, 3, 10, -1], 5);
    Lookup::check(&case.spec, &case.instance, &case.witness).unwrap();
    let proof = case.prove(&mut Transcript::new(b"o"));
    case.verify_and_open(&proof, &mut Transcript::new(b"o")).unwrap();
    // 11 + 5 = 16 is outside: the relation fails, and a prover that ignores it is caught.
    let mut bad = offset_case(vec![-5, 0, 11], 5);
    assert!(Lookup::check(&bad.spec, &bad.instance, &bad.witness).is_err());
    let m: Vec<Fr> = vec![1, 0, 0, 0, 0, 1].into_iter().chain(vec![0; 10]).map(Fr::from).collect();
    let mc = kzg::commit(srs(), &m).unwrap();
    bad.instance.multiplicities = mc;
    bad.polys.push((mc, DenseMle::new(m.clone()).unwrap()));
    let t = &mut Transcript::new(b"o");
    let out = super::prover::prove_with_multiplicities(
        &bad.spec,
        &bad.instance,
        &bad.witness.inputs,
        &m,
        srs(),
        &super::prover::Cheats::default(),
        t,
    )
    .unwrap();
    bad.register(&out);
    assert_eq!(
        bad.verify_and_open(&out.proof, &mut Transcript::new(b"o")),
        Err(VerifyError::SumcheckFinal { protocol: PROTOCOL })
    );
}
