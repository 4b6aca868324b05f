//! Soundness tests (issue 4, DESIGN §8): each plays a cheating prover through the library's own
//! prover and challenge derivation, so it fails if the guard it names is removed.

use ark_ff::{Field, One, Zero};

use super::super::prover::prove_with_multiplicities;
use super::*;

const SOUNDNESS: &[u8] = b"lookup soundness";

/// Replaces the multiplicities (committing them, as a cheater must) and proves with them.
fn prove_with(case: &mut Case, m: Vec<Fr>) -> LookupProof {
    let mc = kzg::commit(srs(), &m).unwrap();
    case.instance.multiplicities = mc;
    case.polys.push((mc, DenseMle::new(m.clone()).unwrap()));
    let t = &mut Transcript::new(SOUNDNESS);
    prove_with_multiplicities(&case.spec, &case.instance, &case.witness.inputs, &m, t).unwrap().0
}

/// Counts by the first column only, skipping entries outside the table (what a cheater commits).
fn counts_by_input(table: &Table, inputs: &[Vec<IntTensor>]) -> Vec<Fr> {
    let mut m = vec![Fr::zero(); 1 << table.num_vars()];
    for x in inputs.iter().flat_map(|cols| cols[0].data()) {
        if let Some(row) = table.row_of(*x) {
            m[row] += Fr::one();
        }
    }
    m
}

fn verify_soundness(case: &Case, proof: &LookupProof) -> Result<(), VerifyError> {
    case.verify_and_open(proof, &mut Transcript::new(SOUNDNESS))
}

fn fractional_sums() -> VerifyError {
    VerifyError::Mismatch { protocol: PROTOCOL, what: "logUp fractional sums" }
}

fn small_range_case(values: Vec<i64>) -> Case {
    let spec = LookupSpec::setup(srs(), Table::range(0, 16).unwrap()).unwrap();
    Case::new(spec, vec![vec![tensor(vec![values.len()], values)]], vec![])
}

#[test]
fn value_outside_the_table_is_rejected() {
    let mut case = small_range_case(vec![3, 7, 20, 0, 15]);
    assert!(Lookup::check(&case.spec, &case.instance, &case.witness).is_err());
    let m = counts_by_input(&case.spec.table, &case.witness.inputs);
    let proof = prove_with(&mut case, m);
    assert_eq!(verify_soundness(&case, &proof), Err(fractional_sums()));
}

#[test]
fn function_pair_with_another_inputs_output_is_rejected() {
    let mut case = function_case(40, 3);
    let x = case.witness.inputs[0][0].data()[5];
    let y_other = (-50..70)
        .filter(|v| *v != x)
        .map(|v| case.spec.table.apply(v).unwrap())
        .find(|fy| Some(*fy) != case.spec.table.apply(x))
        .unwrap();
    set_entry(&mut case.witness.inputs[0][1], 5, y_other);
    // The output column's commitment must hold the forged value too.
    let forged = case.witness.inputs[0][1].clone();
    let c = commit_tensor(srs(), &forged).unwrap();
    case.instance.inputs[0].columns[1] = c;
    case.polys.push((c, forged.to_mle()));
    assert!(Lookup::check(&case.spec, &case.instance, &case.witness).is_err());
    let m = counts_by_input(&case.spec.table, &case.witness.inputs);
    let proof = prove_with(&mut case, m);
    assert_eq!(verify_soundness(&case, &proof), Err(fractional_sums()));
}

#[test]
fn multiplicities_on_the_wrong_rows_are_rejected() {
    let mut case = function_case(40, 4);
    let m: Vec<Fr> = case.witness.multiplicities.iter().map(|x| Fr::from(*x)).collect();
    let hit = m.iter().position(|x| !x.is_zero()).unwrap();
    let miss = m.iter().position(|x| x.is_zero()).unwrap();
    let mut shifted = m.clone();
    shifted[hit] -= Fr::one();
    shifted[miss] += Fr::one();
    let total = |v: &[Fr]| v.iter().fold(Fr::zero(), |a, b| a + b);
    assert_eq!(total(&shifted), total(&m), "the forgery keeps the total count");
    let proof = prove_with(&mut case, shifted);
    assert_eq!(verify_soundness(&case, &proof), Err(fractional_sums()));
}

/// The forgery that works when β is squeezed before the multiplicities are absorbed: learn β
/// (through [`derive_challenges`], as the verifier will), then solve the logUp equation for one
/// multiplicity, letting a value outside the table through.
#[test]
fn beta_is_drawn_after_the_multiplicities() {
    let mut case = small_range_case(vec![3, 7, 20, 0, 15, 9]);
    let table = case.spec.table.clone();
    let mut m = counts_by_input(&table, &case.witness.inputs);
    let mut peek = Transcript::new(SOUNDNESS);
    let ch = derive_challenges(&mut peek, &case.spec, &case.instance);
    let lhs: Fr = case.witness.inputs[0][0]
        .data()
        .iter()
        .map(|x| (ch.beta + fr_from_i64(*x)).inverse().unwrap())
        .sum();
    let rhs: Fr = m
        .iter()
        .zip(table.input_column())
        .map(|(m, t)| *m * (ch.beta + t).inverse().unwrap())
        .sum();
    m[0] += (lhs - rhs) * (ch.beta + table.input_column()[0]);
    let proof = prove_with(&mut case, m);
    assert_eq!(
        verify_soundness(&case, &proof),
        Err(fractional_sums()),
        "β did not depend on the multiplicities' commitment"
    );
}

/// The table enters only through the verifying key's commitment: a prover using other table
/// values ends in a claim on that commitment which no opening can satisfy.
#[test]
fn table_values_not_behind_the_verifying_key_commitment_are_rejected() {
    let real = tanh_spec();
    let fake_table = function_table(Function::Sigmoid, 4, 6, -50, 70).unwrap();
    // (a) A proof for another table (with its own commitment) against the real key.
    let fake_case = {
        let mut c = function_case(30, 5);
        c.spec = LookupSpec::setup(srs(), fake_table.clone()).unwrap();
        let x = c.witness.inputs.iter().map(|cols| cols[0].clone()).collect::<Vec<_>>();
        let y = Lookup::eval(&c.spec, &x).unwrap();
        let inputs = x.into_iter().zip(y).map(|(x, y)| vec![x, y]).collect();
        Case::new(c.spec, inputs, vec![])
    };
    let proof = Lookup::prove(
        &fake_case.spec,
        &fake_case.instance,
        &fake_case.witness,
        &mut Transcript::new(SOUNDNESS),
    )
    .unwrap()
    .0;
    let mut against_real = fake_case.clone();
    against_real.spec = real.clone();
    // The transcripts diverge at the table digest, so the GKR's first non-trivial layer fails.
    assert_eq!(
        verify_soundness(&against_real, &proof),
        Err(VerifyError::SumcheckFinal { protocol: "lookup gkr" })
    );

    // (b) Same transcript as the real key (digest and commitment), but the prover's table values
    // are the fake ones: the block accepts, and the claim on the key's commitment fails to open.
    let mixed = LookupSpec { table: fake_table, table_commitment: real.table_commitment };
    let (proof, _) = Lookup::prove(
        &mixed,
        &fake_case.instance,
        &fake_case.witness,
        &mut Transcript::new(SOUNDNESS),
    )
    .unwrap();
    let claims =
        Lookup::verify(&mixed, &fake_case.instance, &proof, &mut Transcript::new(SOUNDNESS))
            .unwrap();
    let key = real.table_commitment.unwrap();
    let claim = claims
        .committed
        .iter()
        .find(|c| c.commitment == key)
        .expect("a claim on the key's table commitment");
    let column = real.table.output_column().unwrap();
    let t = &mut Transcript::new(b"opening");
    let (_, opening) = hyperkzg::open(srs(), &column, &key, &claim.point, t).unwrap();
    let t = &mut Transcript::new(b"opening");
    assert_eq!(
        hyperkzg::verify(&srs().verifier_key(), &key, &claim.point, claim.value, &opening, t),
        Err(VerifyError::Mismatch { protocol: "hyperkzg", what: "folding equation" })
    );
}
