//! Soundness tests (issue 4, DESIGN §8): each plays a cheating prover through the library's own
//! prover and challenge derivation, so it fails if the guard it names is removed.

use ark_ff::{Field, One, Zero};

use super::super::inverses::Entry;
use super::super::layout::Layout;
use super::super::prover::{Cheats, prove_with_multiplicities};
use super::super::verifier::{absorb_helpers, check_instance, draw_zero_check};
use super::*;
use crate::mle::eq_table;

const SOUNDNESS: &[u8] = b"lookup soundness";

/// Replaces the multiplicities (committing them, as a cheater must) and proves with them.
fn prove_with(case: &mut Case, m: Vec<Fr>) -> LookupProof {
    prove_cheating(case, m, &Cheats::default())
}

/// [`prove_with`] with deviations in the inverse column.
fn prove_cheating(case: &mut Case, m: Vec<Fr>, cheats: &Cheats<'_>) -> LookupProof {
    let mc = kzg::commit(srs(), &m).unwrap();
    case.instance.multiplicities = mc;
    case.polys.push((mc, DenseMle::new(m.clone()).unwrap()));
    let t = &mut Transcript::new(SOUNDNESS);
    let (spec, inst, inputs) = (&case.spec, &case.instance, &case.witness.inputs);
    let out = prove_with_multiplicities(spec, inst, inputs, &m, srs(), cheats, t).unwrap();
    case.register(&out);
    out.proof
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

/// A wrong logUp sum, or an inverse column that is not `p/(β + f)`, ends in the sumcheck's final
/// check.
fn fractional_sums() -> VerifyError {
    VerifyError::SumcheckFinal { protocol: PROTOCOL }
}

fn small_range_case(values: Vec<i64>) -> Case {
    let spec = LookupSpec::setup(srs(), Table::range(0, 16).unwrap()).unwrap();
    Case::new(spec, vec![vec![tensor(vec![values.len()], values)]], vec![0])
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
    let c = crate::kzg::commit_tensor(srs(), &forged).unwrap();
    case.instance.inputs[0].columns[1] = c;
    case.polys.push((c, forged.to_mle()));
    assert!(Lookup::check(&case.spec, &case.instance, &case.witness).is_err());
    let m = counts_by_input(&case.spec.table, &case.witness.inputs);
    let proof = prove_with(&mut case, m);
    assert_eq!(verify_soundness(&case, &proof), Err(fractional_sums()));
}

/// The honest multiplicities of `case`, and a copy with one count moved from a hit row to a row
/// nobody hits (the same total).
fn moved_count(case: &Case) -> (Vec<Fr>, Vec<Fr>) {
    let m: Vec<Fr> = case.witness.multiplicities.iter().map(|x| Fr::from(*x)).collect();
    let hit = m.iter().position(|x| !x.is_zero()).unwrap();
    let miss = m.iter().position(|x| x.is_zero()).unwrap();
    let mut shifted = m.clone();
    shifted[hit] -= Fr::one();
    shifted[miss] += Fr::one();
    (m, shifted)
}

#[test]
fn multiplicities_on_the_wrong_rows_are_rejected() {
    let mut case = function_case(40, 4);
    let (m, shifted) = moved_count(&case);
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
    let fake_table = super::real_table("sigmoid", |v| 1.0 / (1.0 + (-v).exp()), -50, 70);
    // (a) A proof for another table (with its own commitment) against the real key.
    let fake_case = {
        let mut c = function_case(30, 5);
        c.spec = LookupSpec::setup(srs(), fake_table.clone()).unwrap();
        let x = c.witness.inputs.iter().map(|cols| cols[0].clone()).collect::<Vec<_>>();
        let y = Lookup::eval(&c.spec, &x).unwrap();
        let inputs: Vec<Vec<IntTensor>> = x.into_iter().zip(y).map(|(x, y)| vec![x, y]).collect();
        let offsets = vec![0; inputs.len()];
        Case::new(c.spec, inputs, offsets)
    };
    let proof = fake_case.prove(&mut Transcript::new(SOUNDNESS));
    let mut against_real = fake_case.clone();
    against_real.spec = real.clone();
    // The transcripts diverge at the table digest, so the sumcheck's final check fails.
    assert_eq!(verify_soundness(&against_real, &proof), Err(fractional_sums()));

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

/// One entry outside the table, hidden by two inverse entries that keep both the sum and
/// `Σ_x eq(τ, x)·(h·q − p)` right — possible only for a prover that knows `τ` before committing
/// `h` and `S`. The test peeks `τ` with placeholder commitments: the forgery passes if the
/// inverse commitments and `S` are not absorbed before `λ, τ, τ_T`.
#[test]
fn zero_check_point_is_drawn_after_the_inverse_columns() {
    let values = vec![3, 7, 20, 0, 15, 9];
    let mut case = small_range_case(values.clone());
    let m = counts_by_input(&case.spec.table, &case.witness.inputs);
    let mut peek = Transcript::new(SOUNDNESS);
    let mc = kzg::commit(srs(), &m).unwrap();
    let mut instance = case.instance.clone();
    instance.multiplicities = mc;
    let ch = derive_challenges(&mut peek, &case.spec, &instance);
    let layout =
        Layout::new([case.instance.inputs[0].shape.as_slice()], case.instance.chunk_vars).unwrap();
    absorb_helpers(&mut peek, &[], &Commitment::default(), &Fr::zero());
    let zc = draw_zero_check(&mut peek, &layout, case.spec.table.num_vars());
    let eq = eq_table(&zc.tau).unwrap();
    // Honest inverses everywhere except entries 2 (value 20, outside) and 0 (value 3).
    let q = |x: i64| ch.beta + fr_from_i64(x);
    let table_sum: Fr =
        m.iter().enumerate().map(|(t, k)| *k * q(t as i64).inverse().unwrap()).sum();
    let rest: Fr = [1, 3, 4, 5].iter().map(|i| q(values[*i]).inverse().unwrap()).sum();
    // x0 + x2 = table_sum − rest and eq0·(x0·q0 − 1) + eq2·(x2·q2 − 1) = 0.
    let (q0, q2, e0, e2) = (q(values[0]), q(values[2]), eq[0], eq[2]);
    let target = table_sum - rest;
    let x2 = (e0 + e2 - e0 * q0 * target) * (e2 * q2 - e0 * q0).inverse().unwrap();
    let x0 = target - x2;
    let forge = move |e: &mut [Entry]| {
        e[0] = Entry::Other(x0);
        e[2] = Entry::Other(x2);
    };
    let cheats = Cheats { inverses: Some(&forge), ..Cheats::default() };
    let proof = prove_cheating(&mut case, m, &cheats);
    assert_eq!(
        verify_soundness(&case, &proof),
        Err(fractional_sums()),
        "τ did not depend on the inverse commitments and S"
    );
}

/// An inverse column whose entries are not `p/(β + f)` fails the zero-check even when it sums to
/// the table side (the value outside the table is given the inverse the sum needs).
#[test]
fn inverse_column_balancing_the_sum_is_rejected() {
    let values = vec![3, 7, 20, 0, 15, 9];
    let mut case = small_range_case(values.clone());
    let m = counts_by_input(&case.spec.table, &case.witness.inputs);
    let mut peek = Transcript::new(SOUNDNESS);
    let mut instance = case.instance.clone();
    instance.multiplicities = kzg::commit(srs(), &m).unwrap();
    let ch = derive_challenges(&mut peek, &case.spec, &instance);
    let q = |x: i64| ch.beta + fr_from_i64(x);
    let table_sum: Fr =
        m.iter().enumerate().map(|(t, k)| *k * q(t as i64).inverse().unwrap()).sum();
    let rest: Fr = [0, 1, 3, 4, 5].iter().map(|i| q(values[*i]).inverse().unwrap()).sum();
    let balance = table_sum - rest;
    let forge = move |e: &mut [Entry]| e[2] = Entry::Other(balance);
    let cheats = Cheats { inverses: Some(&forge), ..Cheats::default() };
    let proof = prove_cheating(&mut case, m, &cheats);
    assert_eq!(proof.sum, table_sum, "the forged column sums to the table side");
    assert_eq!(verify_soundness(&case, &proof), Err(fractional_sums()));
}

/// A prover that commits one inverse column and runs the sumcheck on another passes the block,
/// and is caught by the claim on the committed chunk (the block must hand that claim on).
#[test]
fn inverse_chunk_claims_bind_the_committed_column() {
    let mut case = small_range_case(vec![3, 7, 12, 0, 15, 9]);
    let m = counts_by_input(&case.spec.table, &case.witness.inputs);
    let other = |e: &mut [Entry]| e[1] = Entry::Other(Fr::from(5u64));
    let cheats = Cheats { committed_inverses: Some(&other), ..Cheats::default() };
    let proof = prove_cheating(&mut case, m, &cheats);
    let claims =
        Lookup::verify(&case.spec, &case.instance, &proof, &mut Transcript::new(SOUNDNESS))
            .expect("the block itself accepts");
    assert!(claims.committed.iter().any(|c| c.commitment == proof.inverse_chunks[0]));
    assert_eq!(
        verify_soundness(&case, &proof),
        Err(VerifyError::Mismatch { protocol: ORACLE, what: "claim" })
    );
}

/// Multiplicities on the wrong rows, with a table side `g` forged to sum to the lookup side: the
/// table side's zero-check (`g·(β + t) = m`) catches it.
#[test]
fn table_inverses_balancing_the_sum_are_rejected() {
    let mut case = function_case(40, 4);
    let (m, shifted) = moved_count(&case);
    // g keeps the honest values (so it sums to the lookup side) while m moved.
    let mut peek = Transcript::new(SOUNDNESS);
    let mut instance = case.instance.clone();
    instance.multiplicities = kzg::commit(srs(), &shifted).unwrap();
    let ch = derive_challenges(&mut peek, &case.spec, &instance);
    let table = &case.spec.table;
    let out = table.output_column().unwrap();
    let honest: Vec<Fr> = m
        .iter()
        .zip(table.input_column())
        .zip(out.evals())
        .map(|((m, x), y)| *m * (ch.beta + x + ch.zeta * y).inverse().unwrap())
        .collect();
    let forge = move |g: &mut Vec<Fr>| *g = honest.clone();
    let cheats = Cheats { table_inverses: Some(&forge), ..Cheats::default() };
    let proof = prove_cheating(&mut case, shifted, &cheats);
    assert_eq!(verify_soundness(&case, &proof), Err(fractional_sums()));
}

/// A prover that commits one set of columns and runs the lookup on other (in-table) values
/// passes the block, and is caught by the combined column claim (the block must hand it on).
#[test]
fn column_claims_bind_the_committed_columns() {
    let mut case = small_range_case(vec![3, 7, 20, 0, 15, 9]);
    let lied = tensor(vec![6], vec![3, 7, 12, 0, 15, 9]);
    case.witness.inputs[0][0] = lied.clone();
    let m = counts_by_input(&case.spec.table, &[vec![lied]]);
    let proof = prove_with(&mut case, m);
    Lookup::verify(&case.spec, &case.instance, &proof, &mut Transcript::new(SOUNDNESS))
        .expect("the block itself accepts");
    assert_eq!(
        verify_soundness(&case, &proof),
        Err(VerifyError::Mismatch { protocol: ORACLE, what: "claim" })
    );
}

/// Issue 22, F1: a commitment binds a polynomial of any degree, so vector 0 may commit
/// coefficients past its 4 entries. Packed at offset 0 in one chunk of 8, those coefficients
/// would sit where vector 1 sits: a claim on `[c_0]` at the chunk's 3-variable point reads them
/// and the lookup proves `c_1 + G` in the table instead of `c_1`. The block must claim every vector
/// at its own point, where only its own 4 entries count.
#[test]
fn coefficients_past_a_vectors_size_cannot_shift_another_vector() {
    let spec = LookupSpec::setup(srs(), Table::range(0, 256).unwrap()).unwrap();
    let c0 = tensor(vec![4], vec![1, 2, 3, 4]);
    let c1 = tensor(vec![4], vec![300, 5, 6, 7]); // 300 is out of range
    let shifted = tensor(vec![4], vec![100, 5, 6, 7]); // c1 + G with G = −200 at entry 0
    let mut case = Case::new(spec, vec![vec![c0.clone()], vec![shifted]], vec![0, 0]);
    // [c0] holds [1, 2, 3, 4, −200, 0, 0, 0]; [c1] holds c1.
    let mut extended = c0.to_mle().padded_to(3).unwrap().evals().to_vec();
    extended[4] = -Fr::from(200u64);
    let extended = DenseMle::new(extended).unwrap();
    let committed = vec![vec![extended.clone()], vec![c1.to_mle()]];
    for (v, cols) in case.instance.inputs.iter_mut().zip(&committed) {
        v.columns[0] = kzg::commit(srs(), cols[0].evals()).unwrap();
        case.polys.push((v.columns[0], cols[0].clone()));
    }
    case.instance.chunk_vars = 3;
    let layout = check_instance(&case.spec, &case.instance).unwrap();
    assert_eq!((layout.offsets.as_slice(), layout.chunk_vars, layout.chunks), (&[0, 4][..], 3, 1));
    let m = counts_by_input(&case.spec.table, &case.witness.inputs);
    let cheats = Cheats { committed_columns: Some(&committed), ..Cheats::default() };
    let proof = prove_cheating(&mut case, m, &cheats);
    assert_eq!(
        verify_soundness(&case, &proof),
        Err(VerifyError::Mismatch { protocol: ORACLE, what: "claim" })
    );
}

/// DESIGN §8.1: `ζ` and `β` are drawn after the vectors' column commitments (a prover that knew
/// `β` first could pick column values whose inverses sum like in-table ones).
#[test]
fn zeta_and_beta_are_drawn_after_the_columns() {
    let case = function_case(30, 5);
    let ch = derive_challenges(&mut Transcript::new(SOUNDNESS), &case.spec, &case.instance);
    for column in 0..2 {
        let mut moved = case.instance.clone();
        let c = &mut moved.inputs[0].columns[column];
        *c = Commitment::linear_combination(&[*c], &[Fr::from(2u64)]).unwrap();
        let other = derive_challenges(&mut Transcript::new(SOUNDNESS), &case.spec, &moved);
        assert!(other.zeta != ch.zeta && other.beta != ch.beta, "column {column}");
    }
}

/// DESIGN §8.4: the zero-check `Σ h + λ·Σ eq·(h·q − p) = S` is weighted by a random `λ`. With
/// `λ = 1` a table side `g = (m + c)/q_T` has `g·q_T − m = c` everywhere, so
/// `Σ g + Σ eq(τ_T, ·)·c = Σ g + c` for every `τ_T`: choosing `c·(1 + Σ 1/q_T) = S − Σ m/q_T`
/// balances a lookup side that holds a value outside the table, before any zero-check challenge.
#[test]
fn zero_check_is_weighted_by_a_random_lambda() {
    let values = vec![3, 7, 20, 0, 15, 9];
    let mut case = small_range_case(values.clone());
    let m = counts_by_input(&case.spec.table, &case.witness.inputs);
    let mut instance = case.instance.clone();
    instance.multiplicities = kzg::commit(srs(), &m).unwrap();
    let ch = derive_challenges(&mut Transcript::new(SOUNDNESS), &case.spec, &instance);
    // The honest inverse column (20 included): S = Σ 1/(β + f).
    let sum: Fr = values.iter().map(|x| (ch.beta + fr_from_i64(*x)).inverse().unwrap()).sum();
    let inv_qt: Vec<Fr> =
        case.spec.table.input_column().iter().map(|t| (ch.beta + t).inverse().unwrap()).collect();
    let m_sum: Fr = m.iter().zip(&inv_qt).map(|(m, i)| *m * i).sum();
    let c = (sum - m_sum) * (Fr::one() + inv_qt.iter().sum::<Fr>()).inverse().unwrap();
    let multiplicities = m.clone();
    let forge = move |g: &mut Vec<Fr>| {
        for ((g, m), i) in g.iter_mut().zip(&multiplicities).zip(&inv_qt) {
            *g = (*m + c) * i;
        }
    };
    let cheats = Cheats { table_inverses: Some(&forge), ..Cheats::default() };
    let proof = prove_cheating(&mut case, m, &cheats);
    assert_eq!(proof.sum, sum, "the lookup side is the honest one");
    assert_eq!(verify_soundness(&case, &proof), Err(fractional_sums()));
}
