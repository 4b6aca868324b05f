use std::sync::OnceLock;

use ark_ff::{One, Zero};
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

use super::gkr::HalfEvals;
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

/// A statement, its witness, and every committed polynomial (the test's opening oracle).
#[derive(Clone)]
struct Case {
    spec: LookupSpec,
    instance: LookupInstance,
    witness: LookupWitness,
    polys: Vec<(Commitment, DenseMle)>,
}

impl Case {
    fn new(
        spec: LookupSpec,
        inputs: Vec<Vec<IntTensor>>,
        recs: Vec<(IntTensor, Recomposition)>,
    ) -> Self {
        let mut polys = Vec::new();
        let mut commit = |t: &IntTensor| {
            let c = commit_tensor(srs(), t).unwrap();
            polys.push((c, t.to_mle()));
            c
        };
        let looked_up = inputs
            .iter()
            .map(|cols| LookedUp {
                shape: cols[0].shape().to_vec(),
                columns: cols.iter().map(&mut commit).collect(),
            })
            .collect();
        let mut recompositions = Vec::new();
        let mut recomposed = Vec::new();
        for (value, r) in recs {
            recompositions.push(Recomposition { value: commit(&value), ..r });
            recomposed.push(value);
        }
        if let (Some(c), Some(out)) = (spec.table_commitment, spec.table.output_column()) {
            polys.push((c, out));
        }
        let m = multiplicities(&spec.table, &inputs)
            .unwrap_or_else(|_| vec![0; 1 << spec.table.num_vars()]);
        let mc = commit_multiplicities(srs(), &m).unwrap();
        polys.push((mc, DenseMle::new(m.iter().map(|x| Fr::from(*x)).collect()).unwrap()));
        let instance = LookupInstance { inputs: looked_up, recompositions, multiplicities: mc };
        Self {
            spec,
            instance,
            witness: LookupWitness { inputs, recomposed, multiplicities: m },
            polys,
        }
    }

    /// Runs the block verifier, then checks every claim against the committed polynomials.
    fn verify_and_open(&self, proof: &LookupProof, t: &mut Transcript) -> Result<(), VerifyError> {
        let claims = Lookup::verify(&self.spec, &self.instance, proof, t)?;
        for c in &claims.committed {
            let (_, poly) =
                self.polys.iter().find(|(k, _)| *k == c.commitment).ok_or(
                    VerifyError::Mismatch { protocol: ORACLE, what: "unknown commitment" },
                )?;
            if poly.evaluate(&c.point)? != c.value {
                return Err(VerifyError::Mismatch { protocol: ORACLE, what: "claim" });
            }
        }
        Ok(())
    }
}

fn tensor(shape: Vec<usize>, data: Vec<i64>) -> IntTensor {
    IntTensor::new(shape, data).unwrap()
}

fn tanh_spec() -> LookupSpec {
    // A non-power-of-two range, so the padding rows are exercised.
    LookupSpec::setup(srs(), function_table(Function::Tanh, 4, 6, -50, 70).unwrap()).unwrap()
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
    Case::new(spec, inputs, vec![])
}

/// 8-bit range checks plus a 24-bit signed tensor decomposed into three 8-bit limbs.
fn wide_case(size: usize, seed: u64) -> Case {
    let spec = LookupSpec::setup(srs(), Table::range(0, 256).unwrap()).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let plain = tensor(vec![size], (0..size).map(|_| rng.gen_range(0..256)).collect());
    let shape = vec![2, size.div_ceil(2)];
    let n = shape.iter().product();
    let value = tensor(shape, (0..n).map(|_| rng.gen_range(-(1 << 23)..1 << 23)).collect());
    let limbs = decompose(&value, 8, 3, 1 << 23).unwrap();
    let mut inputs = vec![vec![plain]];
    inputs.extend(limbs.into_iter().map(|l| vec![l]));
    let rec = Recomposition {
        value: Commitment::default(),
        limbs: vec![1, 2, 3],
        limb_bits: 8,
        offset: 1 << 23,
    };
    Case::new(spec, inputs, vec![(value, rec)])
}

fn tamperings(proof: &LookupProof) -> Vec<Tampering<LookupProof>> {
    let gkr_final = VerifyError::SumcheckFinal { protocol: "lookup gkr" };
    let mismatch = |what| VerifyError::Mismatch { protocol: PROTOCOL, what };
    let mut out = Vec::new();
    let mut push = |field: String, p: LookupProof, expected: VerifyError| {
        out.push(Tampering { field, proof: p, expected })
    };
    for i in 0..proof.gkr.roots.len() {
        let mut p = proof.clone();
        p.gkr.roots[i].numerator += Fr::one();
        push(format!("root {i} numerator"), p, gkr_final.clone());
        let mut p = proof.clone();
        p.gkr.roots[i].denominator += Fr::one();
        push(format!("root {i} denominator"), p, gkr_final.clone());
    }
    for (d, layer) in proof.gkr.layers.iter().enumerate() {
        for r in 0..layer.rounds.len() {
            let mut p = proof.clone();
            p.gkr.layers[d].rounds[r].at_zero += Fr::one();
            push(format!("layer {d} round {r} H(0)"), p, gkr_final.clone());
            let mut p = proof.clone();
            p.gkr.layers[d].rounds[r].leading += Fr::one();
            push(format!("layer {d} round {r} leading coefficient"), p, gkr_final.clone());
        }
        for h in 0..layer.halves.len() {
            let fields: [fn(&mut HalfEvals) -> &mut Fr; 4] =
                [|h| &mut h.p_left, |h| &mut h.p_right, |h| &mut h.q_left, |h| &mut h.q_right];
            for (k, f) in fields.iter().enumerate() {
                let mut p = proof.clone();
                *f(&mut p.gkr.layers[d].halves[h]) += Fr::one();
                push(format!("layer {d} halves {h}.{k}"), p, gkr_final.clone());
            }
        }
    }
    for j in 0..proof.column_evals.len() {
        for k in 0..proof.column_evals[j].len() {
            let mut p = proof.clone();
            p.column_evals[j][k] += Fr::one();
            push(format!("column eval {j}.{k}"), p, mismatch("lookup leaf denominators"));
        }
    }
    let mut p = proof.clone();
    p.multiplicity_eval += Fr::one();
    push("multiplicity eval".into(), p, mismatch("table leaf numerators"));
    for i in 0..proof.table_output_evals.len() {
        let mut p = proof.clone();
        p.table_output_evals[i] += Fr::one();
        push("table output eval".into(), p, mismatch("table leaf denominators"));
    }
    let layers = proof.gkr.layers.len();
    let mut p = proof.clone();
    p.gkr.layers.pop();
    let what = "gkr layers";
    push(
        "gkr layers (one dropped)".into(),
        p,
        VerifyError::ProofShape { what, expected: layers, got: layers - 1 },
    );
    let n = proof.column_evals.len();
    let mut p = proof.clone();
    p.column_evals.pop();
    let what = "lookup column evaluations";
    push(
        "column evals (one dropped)".into(),
        p,
        VerifyError::ProofShape { what, expected: n, got: n - 1 },
    );
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
                Lookup::prove(&self.0.spec, &self.0.instance, &self.0.witness, t).unwrap().0
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
    let v = w.recomposed[0].data()[0];
    set_entry(&mut w.recomposed[0], 0, v + 1);
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
    // 4 vectors · 1 column + multiplicities + 1 recomposed value.
    assert_eq!(claims.committed.len(), 6);
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
    let mut bad_limb = case.instance.clone();
    bad_limb.recompositions[0].limbs[0] = 99;
    assert!(matches!(
        Lookup::verify(&case.spec, &bad_limb, &proof, &mut Transcript::new(b"x")),
        Err(VerifyError::Input(Error::Invalid { .. }))
    ));
    let mut two_cols = case.instance.clone();
    two_cols.inputs[0].columns.push(Commitment::default());
    assert!(matches!(
        Lookup::verify(&case.spec, &two_cols, &proof, &mut Transcript::new(b"x")),
        Err(VerifyError::Input(Error::Length { .. }))
    ));
}

/// Every compressed round, expanded as the verifier does (`eq` prefix, `eq(r_t, X)`, `H` with
/// `H(1)` from the running claim), is the true round polynomial, computed by brute force over the
/// tables bound to the earlier challenges; prover and verifier agree on `ρ`, the final claim and
/// the transcript.
#[test]
fn layer_rounds_are_the_true_round_polynomials() {
    use super::layer::{LayerInstance, prove_layer, verify_layer};
    use crate::mle::bind_first_slice;
    use ark_ff::Field;
    let mut rng = StdRng::seed_from_u64(10);
    let mut rand = |n: usize| -> Vec<Fr> { (0..n).map(|_| Fr::from(rng.r#gen::<u64>())).collect() };
    let g = |t: &[Fr; 4], lambda: Fr| t[0] * t[3] + t[1] * t[2] + lambda * t[2] * t[3];
    for d in 0..6usize {
        for count in 1..=3usize {
            let lambda = rand(1)[0];
            let point = rand(d);
            let eq = eq_table(&point).unwrap();
            let tables: Vec<[Vec<Fr>; 4]> = (0..count)
                .map(|_| [rand(1 << d), rand(1 << d), rand(1 << d), rand(1 << d)])
                .collect();
            let claims: Vec<Fr> = tables
                .iter()
                .map(|t| {
                    (0..1 << d)
                        .map(|x| eq[x] * g(&[t[0][x], t[1][x], t[2][x], t[3][x]], lambda))
                        .sum()
                })
                .collect();
            let insts = tables
                .iter()
                .zip(&claims)
                .map(|(t, c)| LayerInstance { claim: *c, tables: t.clone() })
                .collect();
            let (mut pt, mut vt) = (Transcript::new(b"l"), Transcript::new(b"l"));
            let out = prove_layer(&point, insts, lambda, &mut pt).unwrap();
            let sub = verify_layer(&point, &claims, &out.rounds, &mut vt).unwrap();
            assert_eq!(sub.point, out.point, "d = {d}");
            assert_eq!(pt, vt);
            let finals: Fr =
                out.final_evals.iter().zip(&sub.coefficients).map(|(e, a)| *a * g(e, lambda)).sum();
            assert_eq!(finals, sub.expected, "d = {d}, count = {count}: final claim");

            // Brute force, round by round.
            let mut hat: Fr = claims.iter().zip(&sub.coefficients).map(|(c, a)| *c * a).sum();
            let mut prefix = Fr::one();
            let mut bound: Vec<Vec<Vec<Fr>>> = tables.iter().map(|t| t.to_vec()).collect();
            let mut eq_bound = eq.clone();
            for (t, round) in out.rounds.iter().enumerate() {
                let r_t = point[t];
                let h1 = (hat - (Fr::one() - r_t) * round.at_zero) * r_t.inverse().unwrap();
                let h = |x: Fr| {
                    round.at_zero + (h1 - round.at_zero - round.leading) * x + round.leading * x * x
                };
                for x in [0u64, 1, 2, 3].map(Fr::from) {
                    let e = bind_first_slice(&eq_bound, x);
                    let mut truth = Fr::zero();
                    for (tabs, a) in bound.iter().zip(&sub.coefficients) {
                        let b: Vec<Vec<Fr>> = tabs.iter().map(|v| bind_first_slice(v, x)).collect();
                        for y in 0..e.len() {
                            truth += *a * e[y] * g(&[b[0][y], b[1][y], b[2][y], b[3][y]], lambda);
                        }
                    }
                    let eq_t = (Fr::one() - r_t) * (Fr::one() - x) + r_t * x;
                    assert_eq!(prefix * eq_t * h(x), truth, "d = {d}, round {t}");
                }
                let rho = out.point[t];
                hat = h(rho);
                prefix *= (Fr::one() - r_t) * (Fr::one() - rho) + r_t * rho;
                eq_bound = bind_first_slice(&eq_bound, rho);
                for tabs in bound.iter_mut() {
                    for v in tabs.iter_mut() {
                        *v = bind_first_slice(v, rho);
                    }
                }
            }
        }
    }
}

/// A zero coordinate in the claim point is a degenerate challenge for both sides.
#[test]
fn layer_with_a_zero_coordinate_is_rejected() {
    use super::layer::{LayerInstance, prove_layer, verify_layer};
    let point = vec![Fr::from(3u64), Fr::zero()];
    let inst = LayerInstance {
        claim: Fr::one(),
        tables: [vec![Fr::one(); 4], vec![Fr::one(); 4], vec![Fr::one(); 4], vec![Fr::one(); 4]],
    };
    assert!(matches!(
        prove_layer(&point, vec![inst], Fr::one(), &mut Transcript::new(b"z")),
        Err(Error::Invalid { .. })
    ));
    let rounds = vec![super::layer::LayerRound { at_zero: Fr::one(), leading: Fr::one() }; 2];
    assert!(matches!(
        verify_layer(&point, &[Fr::one()], &rounds, &mut Transcript::new(b"z")),
        Err(VerifyError::DegenerateChallenge { .. })
    ));
}

/// A false layer claim: the forger learns `ρ` through the library's own round schedule with a
/// placeholder round, then picks the round that makes the final check pass. It works only if the
/// round is not absorbed before `ρ` is squeezed.
#[test]
fn layer_round_binds_its_challenge() {
    use super::layer::{LayerRound, absorb_claims, round_challenge, verify_layer};
    use crate::mle::bind_first_slice;
    use ark_ff::Field;
    let (r, lambda) = (Fr::from(5u64), Fr::from(7u64));
    let tables: [Vec<Fr>; 4] = [1u64, 2, 3, 4].map(|k| vec![Fr::from(k), Fr::from(k + 10)]);
    let false_claim = Fr::from(1234u64);
    let mut t = Transcript::new(b"forge");
    let alphas = absorb_claims(&mut t.clone(), &[false_claim]);
    let mut peek = t.clone();
    let _ = absorb_claims(&mut peek, &[false_claim]);
    let placeholder = LayerRound { at_zero: Fr::zero(), leading: Fr::zero() };
    let rho = round_challenge(&mut peek, &placeholder);
    let e: Vec<Fr> = tables.iter().map(|v| bind_first_slice(v, rho)[0]).collect();
    let target = alphas[0] * (e[0] * e[3] + e[1] * e[2] + lambda * e[2] * e[3]);
    // H(ρ) = H0·((1 − ρ) − ρ(1 − r)/r) + ρ·Ĉ/r with leading coefficient 0.
    let r_inv = r.inverse().unwrap();
    let hat = alphas[0] * false_claim;
    let coeff = (Fr::one() - rho) - rho * (Fr::one() - r) * r_inv;
    let at_zero = (target - rho * hat * r_inv) * coeff.inverse().unwrap();
    let round = LayerRound { at_zero, leading: Fr::zero() };
    let sub = verify_layer(&[r], &[false_claim], &[round], &mut t).unwrap();
    assert_ne!(sub.point[0], rho, "the round must change the challenge");
    let e: Vec<Fr> = tables.iter().map(|v| bind_first_slice(v, sub.point[0])[0]).collect();
    let honest_final = sub.coefficients[0] * (e[0] * e[3] + e[1] * e[2] + lambda * e[2] * e[3]);
    assert_ne!(sub.expected, honest_final, "a false claim passed the layer");
}
