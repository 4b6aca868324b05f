//! Soundness tests of the transformer's steps: for each relation, an honest proof verifies and a
//! prover that cheats on exactly that relation — keeping every other tensor consistent with the
//! cheat, outputs included — either cannot prove or is rejected.

mod conv;
mod forgery;
mod properties;
mod statement;
mod steps;

use tessera_blocks::Srs;
use tessera_blocks::kzg::commit_tensor;
use tessera_blocks::lookup::decompose;
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::plan::{BlockPlan, Lin, RangeCheck, Ref};
use tessera_compiler::quant::QuantizedModel;
use tessera_compiler::quant::qop::{Encoding, QGraph, QId, QNode, QOp, Table, TableFn};
use tessera_compiler::quant::report::CompileReport;
use tessera_compiler::{LowerOptions, Tensor, lower};

use crate::error::{Error, VerifyError};
use crate::keys::{ProvingKey, VerifyingKey, required_srs_size, setup};
use crate::prover::{ProveOptions, Tamper, prove_with};
use crate::verifier::verify;
use crate::witness::{Witness, eval_lin};
use tessera_compiler::plan::StepError;

/// A hand-built graph: nodes `(op, inputs, shape)`, the first `inputs` of them graph inputs.
fn keys(nodes: Vec<(QOp, Vec<QId>, Vec<usize>)>, tables: Vec<Table>, output: QId) -> Keys {
    keys_with(nodes, tables, output, true)
}

/// [`keys`] with the inputs private or public.
fn keys_with(
    nodes: Vec<(QOp, Vec<QId>, Vec<usize>)>,
    tables: Vec<Table>,
    output: QId,
    private_input: bool,
) -> Keys {
    let nodes: Vec<QNode> = nodes
        .into_iter()
        .enumerate()
        .map(|(i, (op, inputs, shape))| QNode {
            name: format!("n{i}"),
            op,
            inputs,
            shape,
            source: String::new(),
        })
        .collect();
    let enc = Encoding { scale: 1.0, zero: 0 };
    let inputs = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.op, QOp::Input { .. }))
        .map(|(i, _)| (format!("x{i}"), i, enc))
        .collect();
    let graph = QGraph { nodes, tables, inputs, outputs: vec![("y".into(), output, enc)] };
    let report = CompileReport { activation_bits: 16, scale_bits: 4, ..Default::default() };
    let options = LowerOptions { model: "test".into(), private_input };
    let plan = lower(&QuantizedModel { graph, report }, &options).expect("the test graph lowers");
    let n = required_srs_size(&plan);
    let srs = Srs::insecure_dev(1, n.trailing_zeros() as usize).expect("srs");
    let (pk, vk) = setup(&plan, &srs).expect("setup");
    Keys { pk, vk }
}

/// One op on a `[1, 4]` input (node 1), e.g. a rescale or a division.
fn single_op_keys(op: QOp) -> Keys {
    keys(vec![(QOp::Input { index: 0 }, vec![], vec![1, 4]), (op, vec![0], vec![1, 4])], vec![], 1)
}

/// Which side recorded a final transcript state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Prover,
    Verifier,
}

thread_local! {
    /// The last challenge each side drew from its transcript after the accumulator (test hook).
    static FINAL_TRANSCRIPTS: std::cell::RefCell<Vec<(Side, tessera_blocks::Fr)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Records a challenge drawn from the side's final transcript: equal challenges mean the prover's
/// and the verifier's transcripts absorbed the same messages in the same order.
pub(crate) fn record_final_transcript(side: Side, t: &mut tessera_blocks::Transcript) {
    let c = t.challenge_scalar(b"test: final transcript state");
    FINAL_TRANSCRIPTS.with(|f| f.borrow_mut().push((side, c)));
}

/// Takes the recorded final transcript states of this thread.
pub(crate) fn final_transcripts() -> Vec<(Side, tessera_blocks::Fr)> {
    FINAL_TRANSCRIPTS.with(|f| std::mem::take(&mut *f.borrow_mut()))
}

struct Keys {
    pk: ProvingKey,
    vk: VerifyingKey,
}

impl Keys {
    /// Proves (with an optional cheat) and verifies; `Err` says which side refused.
    fn run(
        &self,
        inputs: &[Tensor<i64>],
        cheat: Option<&dyn Fn(&mut Witness)>,
    ) -> Result<(), String> {
        let tamper = cheat.map(|witness| Tamper {
            witness,
            range: None,
            hidden: &[],
            check_relations: false,
        });
        let (_, proof) = prove_with(&self.pk, inputs, ProveOptions::default(), tamper.as_ref())
            .map_err(|e| format!("prover: {e}"))?;
        verify(&self.vk, &proof).map_err(|e| format!("verifier: {e}"))
    }

    /// The honest proof verifies; the cheating prover's proof is made and the verifier's typed
    /// error returned (the prover must not refuse).
    fn cheat_rejected(
        &self,
        inputs: &[Tensor<i64>],
        cheat: &dyn Fn(&mut Witness),
    ) -> crate::error::VerifyError {
        self.run(inputs, None).expect("the honest proof verifies");
        let tamper = Tamper { witness: cheat, range: None, hidden: &[], check_relations: false };
        let (_, proof) = prove_with(&self.pk, inputs, ProveOptions::default(), Some(&tamper))
            .expect("the cheating prover makes a proof");
        verify(&self.vk, &proof).expect_err("the verifier rejects it")
    }

    fn honest_and_cheat(&self, inputs: &[Tensor<i64>], cheat: &dyn Fn(&mut Witness)) -> String {
        self.run(inputs, None).expect("the honest proof verifies");
        let e = self.run(inputs, Some(cheat)).expect_err("the cheating prover must fail");
        eprintln!("CHEAT: {e}");
        e
    }
}

fn t(shape: &[usize], data: &[i64]) -> Tensor<i64> {
    Tensor::new(shape.to_vec(), data.to_vec()).expect("tensor")
}

fn it(shape: &[usize], data: Vec<i64>) -> IntTensor {
    IntTensor::new(shape.to_vec(), data).expect("tensor")
}

fn slot(node: QId, slot: usize) -> Ref {
    Ref { node, slot }
}

/// Replaces entry `i` of a committed slot (and of the node's value for slot 0).
fn set(w: &mut Witness, r: Ref, i: usize, v: i64) {
    let c = &w.committed[&r];
    let mut data = c.data().to_vec();
    data[i] = v;
    let new = it(c.shape(), data);
    if r.slot == 0 {
        w.values[r.node] = new.clone();
    }
    w.committed.insert(r, new);
}

fn get(w: &Witness, r: Ref, i: usize) -> i64 {
    w.committed[&r].data()[i]
}

/// A rescale by `2^4` whose quotient is one too small and whose remainder is `r + 16`: the
/// remainder is one limb below `2^T`, so only the second lookup of its top limb (shifted by
/// `2^T − 2^4`) bounds it by `2^4`. The prover skips its own range checks and counts the
/// multiplicities of the values that are in the table.
#[test]
fn rescale_remainder_is_bounded_by_its_exact_bits() {
    let k = single_op_keys(QOp::Rescale { shift: 4 });
    let x = [t(&[1, 4], &[7, 23, -5, 100])];
    k.run(&x, None).expect("the honest proof verifies");
    let cheat = |w: &mut Witness| {
        let (y, r) = (get(w, slot(1, 0), 1), get(w, slot(1, 1), 1));
        set(w, slot(1, 0), 1, y - 1);
        set(w, slot(1, 1), 1, r + 16);
    };
    // The honest prover refuses the remainder.
    let e = k.run(&x, Some(&cheat)).expect_err("the prover refuses");
    assert!(e.starts_with("prover") && e.contains("outside [0, 2^4)"), "{e}");
    let tamper = Tamper {
        witness: &cheat,
        range: Some(&lenient_range_witness),
        hidden: &[],
        check_relations: false,
    };
    let (_, proof) =
        prove_with(&k.pk, &x, ProveOptions::default(), Some(&tamper)).expect("it proves");
    let e = verify(&k.vk, &proof).expect_err("the verifier rejects").to_string();
    assert!(e.contains("range lookup"), "{e}");
}

/// Range limbs without the bound checks, and multiplicities of the looked-up values that are in
/// the table: what a prover that ignores its range checks commits.
fn lenient_range_witness(plan: &BlockPlan, w: &mut Witness) {
    let bits = plan.range_table_bits;
    let mut m = vec![0u64; 1 << bits];
    w.limbs.clear();
    for c in &plan.range_checks {
        let shape = plan.lin_shape(&c.value, c.node);
        let v = eval_lin(&w.committed, &c.value, &shape, true).expect("the value");
        let ls = decompose(&v, bits, c.limbs as usize, 0).expect("limbs below 2^{T·L}");
        let shift = c.top_shift(bits).unwrap_or(0);
        let top = ls.len() - 1;
        for (l, limb) in ls.iter().enumerate() {
            let mut values = vec![limb.data().to_vec()];
            if l == top && c.top_shift(bits).is_some() {
                values.push(limb.data().iter().map(|x| x + shift).collect());
            }
            for x in values.into_iter().flatten().filter(|x| (0..1 << bits).contains(x)) {
                m[x as usize] += 1;
            }
        }
        w.limbs.push(ls);
    }
    w.multiplicities = m;
}

/// Division by a constant that is not a power of two: a quotient one too small with the
/// remainder `r + d` satisfies `x + ⌊d/2⌋ = d·y + r`; only `d − 1 − r ≥ 0` rejects it.
#[test]
fn div_const_remainder_must_stay_below_the_divisor() {
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 4]),
            (QOp::DivConst { divisor: 10 }, vec![0], vec![1, 4]),
        ],
        vec![],
        1,
    );
    let x = [t(&[1, 4], &[7, 23, -5, 100])];
    let err = k.honest_and_cheat(&x, &|w| {
        let (y, r) = (get(w, slot(1, 0), 1), get(w, slot(1, 1), 1));
        set(w, slot(1, 0), 1, y - 1);
        set(w, slot(1, 1), 1, r + 10);
    });
    assert!(err.contains("range check"), "{err}");
}

/// `x ÷ Σ clamp(x)` per row: the graph of a softmax normalization.
fn div_round_keys() -> Keys {
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 2, 4]),
            (QOp::Clamp { lo: Some(1), hi: Some(50) }, vec![0], vec![1, 2, 4]),
            (QOp::ReduceSum { axes: vec![2] }, vec![1], vec![1, 2, 1]),
            (QOp::DivRound { shift: 4 }, vec![0, 2], vec![1, 2, 4]),
        ],
        vec![],
        3,
    )
}

fn div_round_input() -> [Tensor<i64>; 1] {
    [t(&[1, 2, 4], &[3, 9, -4, 60, 17, 2, 8, 40])]
}

/// A quotient one too small with `r + 2d` is caught by `2d − 1 − r ≥ 0`.
#[test]
fn div_round_remainder_must_stay_below_twice_the_divisor() {
    let k = div_round_keys();
    let err = k.honest_and_cheat(&div_round_input(), &|w| {
        let (y, r, d) = (get(w, slot(3, 0), 2), get(w, slot(3, 1), 2), get(w, slot(3, 2), 2));
        set(w, slot(3, 0), 2, y - 1);
        set(w, slot(3, 1), 2, r + 2 * d);
    });
    assert!(err.contains("range check"), "{err}");
}

/// A committed divisor that is not the broadcast of the real one (with a quotient and remainder
/// that are right for it) passes every range check; the broadcast claim on `d` rejects it.
#[test]
fn div_round_divisor_must_be_the_broadcast_of_the_sum() {
    let k = div_round_keys();
    let err = k.honest_and_cheat(&div_round_input(), &|w| {
        for i in 0..4 {
            let x = w.values[0].data()[i];
            let d = 2 * get(w, slot(3, 2), i);
            let y = (2 * x * 16 + d).div_euclid(2 * d);
            set(w, slot(3, 2), i, d);
            set(w, slot(3, 0), i, y);
            set(w, slot(3, 1), i, 2 * x * 16 + d - 2 * d * y);
        }
    });
    assert!(!err.contains("range check"), "{err}");
}

/// The bits a range check bounds its value to: `T·(L − 1) + top_bits`.
fn checked_bits(c: &RangeCheck, table_bits: u32) -> u32 {
    table_bits * (c.limbs - 1) + c.top_bits
}

/// DESIGN §8.3: every committed quotient (rescale, division, rounded division, square root) is
/// range-checked to `[−2^{A−1}, 2^{A−1})`. The remainder's check alone does not bound it: in the
/// field, `x = 2^s·y' + r'` holds for every in-range `r'` with `y' = (x − r')·2^{−s}`, a huge
/// element that an integer witness cannot show and that would flow on into the next layer. So
/// this test reads the plan: lowering must emit the check.
#[test]
fn every_committed_quotient_is_range_checked() {
    let cases = [
        ("rescale", single_op_keys(QOp::Rescale { shift: 4 }), 1),
        ("div-const", single_op_keys(QOp::DivConst { divisor: 10 }), 1),
        ("div-round", div_round_keys(), 3),
        ("sqrt", sqrt_keys(), 2),
    ];
    for (what, k, node) in cases {
        let plan = &k.vk.plan;
        let half = 1i64 << (plan.activation_bits - 1);
        let quotient = Lin::of(slot(node, 0)).plus(half);
        let checked = plan.range_checks.iter().any(|c| {
            c.node == node
                && c.value == quotient
                && checked_bits(c, plan.range_table_bits) == plan.activation_bits
        });
        assert!(checked, "{what}: no range check on y + 2^(A-1) to A bits");
    }
}

fn sqrt_keys() -> Keys {
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 4]),
            (QOp::Clamp { lo: Some(0), hi: Some(1000) }, vec![0], vec![1, 4]),
            (QOp::Sqrt, vec![1], vec![1, 4]),
        ],
        vec![],
        2,
    )
}

/// `y − 1` with `e = x − (y − 1)²` keeps `x = y² + e` and `e ≥ 0`; `2y − e ≥ 0` rejects it.
#[test]
fn sqrt_root_must_not_be_too_small() {
    let k = sqrt_keys();
    let x = [t(&[1, 4], &[0, 17, 99, 1000])];
    let err = k.honest_and_cheat(&x, &|w| {
        let y = get(w, slot(2, 0), 2) - 1;
        set(w, slot(2, 0), 2, y);
        set(w, slot(2, 1), 2, 99 - y * y);
    });
    assert!(err.contains("range check"), "{err}");
}

/// `y + 1` makes `e` negative.
#[test]
fn sqrt_root_must_not_be_too_large() {
    let k = sqrt_keys();
    let x = [t(&[1, 4], &[0, 17, 99, 1000])];
    let err = k.honest_and_cheat(&x, &|w| {
        let y = get(w, slot(2, 0), 3) + 1;
        set(w, slot(2, 0), 3, y);
        set(w, slot(2, 1), 3, 1000 - y * y);
    });
    assert!(err.contains("range check"), "{err}");
}

fn max_keys() -> Keys {
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 2, 4]),
            (QOp::ReduceMax { axis: 2 }, vec![0], vec![1, 2, 1]),
        ],
        vec![],
        1,
    )
}

fn max_input() -> [Tensor<i64>; 1] {
    [t(&[1, 2, 4], &[5, 4, 0, 1, -3, 8, 8, 2])]
}

fn argmax_keys(last: bool) -> Keys {
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 2, 5]),
            (QOp::ArgMax { axis: 2, last }, vec![0], vec![1, 2, 1]),
        ],
        vec![],
        1,
    )
}

/// Two lines with tied maxima: 9 at 1 and 3, −4 at 0, 1 and 3.
fn argmax_input() -> [Tensor<i64>; 1] {
    [t(&[1, 2, 5], &[3, 9, -1, 9, 2, -4, -4, -7, -4, -5])]
}

/// The arg-max witness of node 1 recomputed by its step for another index on `line`: the slots a
/// prover claiming that index would commit (whatever the range checks then say).
fn retarget_argmax(w: &mut Witness, plan: &tessera_compiler::BlockPlan, line: usize, index: i64) {
    let mut values = w.values.clone();
    let mut data = values[1].data().to_vec();
    data[line] = index;
    values[1] = it(values[1].shape(), data);
    let slots = plan.steps[1].witness(plan, 1, &values, &w.committed).expect("witness");
    for (s, tensor) in slots.expect("committed").into_iter().enumerate() {
        w.committed.insert(slot(1, s), tensor);
    }
    w.values[1] = values[1].clone();
}

/// ONNX's ArgMax takes the first maximal entry of a line, or the last with `select_last_index`:
/// both prove and verify, on lines with tied maxima.
#[test]
fn arg_max_proves_the_first_or_the_last_maximum() {
    for (last, want) in [(false, [1, 0]), (true, [3, 3])] {
        let k = argmax_keys(last);
        let (outputs, proof) =
            prove_with(&k.pk, &argmax_input(), ProveOptions::default(), None).expect("proves");
        assert_eq!(outputs[0].data(), want, "last = {last}");
        verify(&k.vk, &proof).expect("verifies");
    }
}

/// Another tied maximum than the wanted one (the step's own witness for it) cannot be proven:
/// its key is below an earlier entry's, a negative difference no range check accepts.
#[test]
fn arg_max_rejects_another_tied_maximum() {
    let (first, last) = (argmax_keys(false), argmax_keys(true));
    let x = argmax_input();
    let err = first.honest_and_cheat(&x, &|w| retarget_argmax(w, &first.pk.plan, 0, 3));
    assert!(err.contains("range check"), "{err}");
    let err = last.honest_and_cheat(&x, &|w| retarget_argmax(w, &last.pk.plan, 1, 1));
    assert!(err.contains("range check"), "{err}");
    // Not a maximum at all (entry 0 of line 0, 3 < 9).
    let err = first.honest_and_cheat(&x, &|w| retarget_argmax(w, &first.pk.plan, 0, 0));
    assert!(err.contains("range check"), "{err}");
}

/// An index past the axis, `h + K` with the maximum raised by one, satisfies the difference
/// relation (`K·(m − x_h) = i − h`); only the range check `i < K` stops it.
#[test]
fn arg_max_index_is_within_its_axis() {
    let k = argmax_keys(false);
    let err = k.honest_and_cheat(&argmax_input(), &|w| {
        set(w, slot(1, 0), 0, 1 + 5);
        set(w, slot(1, 1), 0, 9 + 1);
    });
    assert!(err.contains("range check"), "{err}");
}

/// A max over a middle axis (`[1, 3, 2] → [1, 1, 2]`): an honest proof verifies, and a maximum
/// that is an entry of its line but not the largest one is rejected (a negative difference).
#[test]
fn max_over_a_middle_axis() {
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 3, 2]),
            (QOp::ReduceMax { axis: 1 }, vec![0], vec![1, 1, 2]),
        ],
        vec![],
        1,
    );
    // Lines (column 0) 5, 1, 7 and (column 1) −2, 9, 3.
    let x = [t(&[1, 3, 2], &[5, -2, 1, 9, 7, 3])];
    let (outputs, _) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    assert_eq!(outputs[0].data(), [7, 9]);
    let err = k.honest_and_cheat(&x, &|w| {
        // Claim 5 (entry 0) as column 0's maximum: differences 0, 4, −2; select entry 0.
        set(w, slot(1, 0), 0, 5);
        for (i, d, s) in [(0, 0, 1), (2, 4, 0), (4, -2, 0)] {
            set(w, slot(1, 1), i, d);
            set(w, slot(1, 2), i, s);
        }
    });
    assert!(err.contains("range check"), "{err}");
    let err = k.honest_and_cheat(&x, &|w| {
        // Claim 8 as column 0's maximum: differences 3, 7, 1 all pass; the selected one is not 0.
        set(w, slot(1, 0), 0, 8);
        for (i, d) in [(0, 3), (2, 7), (4, 1)] {
            set(w, slot(1, 1), i, d);
        }
    });
    assert!(err.starts_with("verifier") && err.contains("hadamard"), "{err}");
}

/// A maximum larger than every entry: all differences stay non-negative, but the selected one
/// is not zero.
#[test]
fn max_must_be_an_entry() {
    let k = max_keys();
    let err = k.honest_and_cheat(&max_input(), &|w| {
        set(w, slot(1, 0), 0, 6);
        for i in 0..4 {
            let d = get(w, slot(1, 1), i);
            set(w, slot(1, 1), i, d + 1);
        }
    });
    assert!(err.contains("hadamard") || err.starts_with("verifier"), "{err}");
}

/// A maximum that is an entry but not the largest one: a difference is negative.
#[test]
fn max_must_not_be_below_an_entry() {
    let k = max_keys();
    let err = k.honest_and_cheat(&max_input(), &|w| {
        set(w, slot(1, 0), 0, 4);
        for i in 0..4 {
            let x = w.values[0].data()[i];
            set(w, slot(1, 1), i, 4 - x);
            set(w, slot(1, 2), i, i64::from(i == 1));
        }
    });
    assert!(err.contains("range check"), "{err}");
}

/// Row `[5, 4, 0, 1]` with the maximum 6: differences `[1, 2, 6, 5]`; the selector `[2, −1, 0, 0]`
/// sums to one and selects `2·1 − 1·2 = 0`. Only `S∘(S − 1) = 0` rejects it.
#[test]
fn max_selector_must_be_binary() {
    let k = max_keys();
    let err = k.honest_and_cheat(&max_input(), &|w| {
        set(w, slot(1, 0), 0, 6);
        for i in 0..4 {
            let d = get(w, slot(1, 1), i);
            set(w, slot(1, 1), i, d + 1);
        }
        set(w, slot(1, 2), 0, 2);
        set(w, slot(1, 2), 1, -1);
    });
    assert!(err.contains("hadamard") || err.starts_with("verifier"), "{err}");
}

fn lookup_keys() -> Keys {
    let table = Table {
        func: TableFn::EXP,
        lo: -8,
        in_bits: 2,
        out_bits: 4,
        values: (-8..8).map(|x: i64| ((x as f64 / 4.0).exp() * 16.0).round() as i64).collect(),
    };
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 4]),
            (QOp::Clamp { lo: Some(-8), hi: Some(7) }, vec![0], vec![1, 4]),
            (QOp::Lookup { table: 0 }, vec![1], vec![1, 4]),
        ],
        vec![table],
        2,
    )
}

/// An output that is not the table's value.
#[test]
fn lookup_output_must_be_the_table_value() {
    let k = lookup_keys();
    let x = [t(&[1, 4], &[-20, -3, 0, 5])];
    let err = k.honest_and_cheat(&x, &|w| {
        let y = get(w, slot(2, 0), 1);
        set(w, slot(2, 0), 1, y + 1);
    });
    assert!(err.contains("lookup"), "{err}");
}

/// The verifier takes the table from its key: an honest proof fails against a key whose table
/// commitment is another table's.
#[test]
fn lookup_table_is_bound_by_the_verifying_key() {
    let mut k = lookup_keys();
    let x = [t(&[1, 4], &[-20, -3, 0, 5])];
    k.run(&x, None).expect("honest");
    let other = it(&[16], (0..16).map(|i| 20 - i).collect());
    let wrong = commit_tensor(&k.pk.srs, &other).expect("commit");
    k.vk.tables.insert(0, wrong);
    assert!(k.run(&x, None).unwrap_err().starts_with("verifier"));
}

/// Attention's layout and product steps: slices, a transpose, a product of two computed tensors.
/// A wrong output is rejected.
#[test]
fn attention_product_binds_its_output() {
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 4, 8]),
            (
                QOp::Slice {
                    axes: vec![tessera_compiler::ir::SliceAxis {
                        axis: 2,
                        start: 0,
                        end: 4,
                        step: 1,
                    }],
                },
                vec![0],
                vec![1, 4, 4],
            ),
            (
                QOp::Slice {
                    axes: vec![tessera_compiler::ir::SliceAxis {
                        axis: 2,
                        start: 4,
                        end: 8,
                        step: 1,
                    }],
                },
                vec![0],
                vec![1, 4, 4],
            ),
            (QOp::Transpose { perm: vec![0, 2, 1] }, vec![2], vec![1, 4, 4]),
            (QOp::MatMul, vec![1, 3], vec![1, 4, 4]),
        ],
        vec![],
        4,
    );
    let x = [t(&[1, 4, 8], &(0..32).map(|i| (i * 7) % 11 - 5).collect::<Vec<_>>())];
    let err = k.honest_and_cheat(&x, &|w| {
        let mut y = w.values[4].data().to_vec();
        y[5] += 1;
        w.values[4] = it(&[1, 4, 4], y);
    });
    assert!(err.contains("batched"), "{err}");
}

/// The verifying key carries the table commitments through its bytes, and its digest binds them.
#[test]
fn verifying_key_round_trips_its_table_commitments() {
    let k = lookup_keys();
    let back = VerifyingKey::from_bytes(&k.vk.to_bytes()).expect("parses");
    assert_eq!(back, k.vk);
    let mut other = k.vk.clone();
    other.tables.clear();
    assert_ne!(other.digest(), k.vk.digest());
    assert!(VerifyingKey::from_bytes(&other.to_bytes()).is_err());
}

/// Every op of the tiny transformer lowers to a step the schedule proves (the model itself is
/// proven end to end by the `e2e` example: ≈ 3 s of setup and 3.5 s of proving, too slow here).
#[test]
fn tiny_transformer_lowers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/tiny_transformer/model.onnx");
    let mut options = tessera_compiler::CompileOptions::default();
    options.import.batch = Some(1);
    let c = tessera_compiler::compile(path, &options).expect("compiles");
    let plan = lower(&c.quantized, &LowerOptions::default()).expect("lowers");
    let back = tessera_compiler::BlockPlan::from_bytes(&plan.to_bytes()).expect("round trip");
    assert_eq!(back, plan);
    let has = |f: &dyn Fn(&tessera_compiler::plan::Step) -> bool| plan.steps.iter().any(f);
    use tessera_compiler::plan::Step as S;
    assert!(has(&|s| matches!(s, S::ReduceMax { .. })));
    assert!(has(&|s| matches!(s, S::Lookup { .. })));
    assert!(has(&|s| matches!(s, S::DivRound { .. })));
    assert!(has(&|s| matches!(s, S::Sqrt { .. })));
    assert!(has(&|s| matches!(s, S::BatchedMatmul { .. })));
}

fn relu_keys() -> Keys {
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 4]),
            (QOp::Clamp { lo: Some(0), hi: None }, vec![0], vec![1, 4]),
        ],
        vec![],
        1,
    )
}

/// A ReLU output 5 above a positive input: `z − y = 5 ≥ 0` and `z ≥ 0` pass their range checks;
/// only the zero check `(z − y)·z = 0` rejects it.
#[test]
fn relu_output_must_be_the_input_or_zero() {
    let k = relu_keys();
    let x = [t(&[1, 4], &[3, -2, 0, 9])];
    let err = k.cheat_rejected(&x, &|w| set(w, slot(1, 0), 0, 8));
    assert!(
        matches!(&err, VerifyError::Block { at, .. } if at.starts_with("product checks")),
        "{err:?}"
    );
}

/// A clamp to `[−4, 4]` whose output keeps an input of 6: `z = w = 6` satisfies the first stage,
/// and `w − z = 0 ≥ 0`, but `4 − z < 0` fails its range check in the prover.
#[test]
fn clamp_output_must_respect_the_upper_bound() {
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 4]),
            (QOp::Clamp { lo: Some(-4), hi: Some(4) }, vec![0], vec![1, 4]),
        ],
        vec![],
        1,
    );
    let x = [t(&[1, 4], &[6, -7, 1, 0])];
    let err = k.honest_and_cheat(&x, &|w| set(w, slot(1, 0), 0, 6));
    assert!(err.contains("range check"), "{err}");
}

/// A square 2-D pooling window.
fn square_window(
    kernel: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    ceil_mode: bool,
) -> tessera_compiler::ir::Window {
    tessera_compiler::ir::Window {
        kernel: vec![kernel; 2],
        strides: vec![stride; 2],
        pads_begin: vec![pad; 2],
        pads_end: vec![pad; 2],
        dilations: vec![dilation; 2],
        ceil_mode,
    }
}

/// One pool `op` from a committed `[1, 1, side, side]` input to `[1, 1, out, out]`.
fn square_pool_keys(op: QOp, side: usize, out: usize) -> Keys {
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 1, side, side]),
            (op, vec![0], vec![1, 1, out, out]),
        ],
        vec![],
        1,
    )
}

/// Raises pooled output `entry` and all of its `taps` differences by one: the maximum is then
/// above every tap, so no difference is zero.
fn raise_pooled_max(w: &mut Witness, entry: usize, taps: usize) {
    let y = get(w, slot(1, 0), entry);
    set(w, slot(1, 0), entry, y + 1);
    for tap in 1..=taps {
        let d = get(w, slot(1, tap), entry);
        set(w, slot(1, tap), entry, d + 1);
    }
}

fn pool_keys() -> Keys {
    let window = square_window(2, 2, 0, 1, false);
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 1, 2, 4]),
            (QOp::MaxPool { window }, vec![0], vec![1, 1, 1, 2]),
        ],
        vec![],
        1,
    )
}

fn pool_input() -> [Tensor<i64>; 1] {
    // Windows [5, 2; 1, 0] (max 5) and [3, 3; 7, -1] (max 7).
    [t(&[1, 1, 2, 4], &[5, 2, 3, 3, 1, 0, 7, -1])]
}

/// A pooled maximum one above every tap of its window: every difference is positive, so their
/// product is not zero.
#[test]
fn pooled_max_must_be_a_tap() {
    let k = pool_keys();
    let err = k.honest_and_cheat(&pool_input(), &|w| {
        set(w, slot(1, 0), 0, 6);
        for tap in 1..=4 {
            let d = get(w, slot(1, tap), 0);
            set(w, slot(1, tap), 0, d + 1);
        }
    });
    assert!(err.starts_with("verifier") && err.contains("hadamard"), "{err}");
}

/// A 3×3 pool: nine taps, more factors than one batch instance takes, so the zero product is
/// split into the products of its halves and proved by a second batch. A maximum one above every
/// tap is still rejected.
#[test]
fn a_nine_tap_pool_splits_its_zero_product() {
    let window = square_window(3, 3, 0, 1, false);
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 1, 3, 6]),
            (QOp::MaxPool { window }, vec![0], vec![1, 1, 1, 2]),
        ],
        vec![],
        1,
    );
    let x = [t(&[1, 1, 3, 6], &[5, 2, 3, 3, 1, 0, 7, -1, 4, 9, 2, 2, 0, 0, 1, -3, 8, 6])];
    let (_, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    assert_eq!(proof.blocks.count("products"), 2, "two batches: the halves, then their factors");
    let err = k.honest_and_cheat(&x, &|w| raise_pooled_max(w, 0, 9));
    assert!(err.starts_with("verifier") && err.contains("hadamard"), "{err}");
}

/// Two committed inputs concatenated along axis 1 (output public): the output claim is split
/// per input, and a committed input that differs from its part of the output is rejected.
#[test]
fn concatenation_binds_each_input_to_its_part() {
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 2, 4]),
            (QOp::Input { index: 1 }, vec![], vec![1, 3, 4]),
            (QOp::Concat { axis: 1 }, vec![0, 1], vec![1, 5, 4]),
        ],
        vec![],
        2,
    );
    let x = [
        t(&[1, 2, 4], &[1, -2, 3, 4, 5, 6, -7, 8]),
        t(&[1, 3, 4], &[9, 10, 11, -12, 13, 14, 15, 16, 17, 18, -19, 20]),
    ];
    let (outputs, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    assert_eq!(outputs[0].data()[8..12], [9, 10, 11, -12]);
    assert_eq!(proof.blocks.count("concat"), 1);
    let err = k.honest_and_cheat(&x, &|w| set(w, slot(1, 0), 5, 0));
    assert!(err.starts_with("verifier"), "{err}");
}

/// A gather of rows 2, 0, 2 of a committed input (output public): an index map, so a committed
/// input whose gathered row differs from the output is rejected.
#[test]
fn gather_binds_the_gathered_rows() {
    let indices = Tensor::new(vec![3], vec![2, 0, 2]).expect("indices");
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 3, 2]),
            (QOp::Gather { axis: 1, indices }, vec![0], vec![1, 3, 2]),
        ],
        vec![],
        1,
    );
    let x = [t(&[1, 3, 2], &[1, -2, 3, 4, 5, 6])];
    let (outputs, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    assert_eq!(outputs[0].data(), [5, 6, 1, -2, 5, 6]);
    assert_eq!(proof.blocks.count("maps"), 1);
    let err = k.honest_and_cheat(&x, &|w| set(w, slot(0, 0), 4, 0));
    assert!(err.starts_with("verifier"), "{err}");
}

/// A 3×3 pool with stride 2 and padding 1 over negative values: a padded tap reads the input's
/// lower bound, so it never wins (ONNX pads with −∞). The honest proof verifies; a maximum one
/// above every real tap is rejected (no difference is zero).
#[test]
fn padded_pool_ignores_the_padding() {
    let window = square_window(3, 2, 1, 1, false);
    let k = square_pool_keys(QOp::MaxPool { window }, 4, 2);
    let data: Vec<i64> = (0..16).map(|i| -30 - (i * 7 % 11)).collect();
    let x = [t(&[1, 1, 4, 4], &data)];
    let (outputs, _) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    // Window (0, 0) covers rows 0–1 and columns 0–1 of the input.
    let want = [data[0], data[1], data[4], data[5]].into_iter().max().unwrap();
    assert_eq!(outputs[0].data()[0], want);
    let err = k.honest_and_cheat(&x, &|w| raise_pooled_max(w, 0, 9));
    assert!(err.starts_with("verifier") && err.contains("hadamard"), "{err}");
}

/// A 2×2 pool with dilation 2 and `ceil_mode` over a 6×6 input: the last windows run past the
/// input's end (their second taps read index 6), where taps read the input's lower bound. The
/// honest proof verifies and matches the interpreter; a maximum above every real tap is
/// rejected.
#[test]
fn dilated_ceil_mode_pool_proves() {
    let window = square_window(2, 2, 0, 2, true);
    let k = square_pool_keys(QOp::MaxPool { window }, 6, 3);
    let data: Vec<i64> = (0..36).map(|i| -(i * 13 % 17)).collect();
    let x = [t(&[1, 1, 6, 6], &data)];
    let (outputs, _) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    // Window (0, 0) reads rows and columns 0 and 2; window (2, 2) only row and column 4.
    let want = [data[0], data[2], data[12], data[14]].into_iter().max().unwrap();
    assert_eq!(outputs[0].data()[0], want);
    assert_eq!(outputs[0].data()[8], data[28]);
    let err = k.honest_and_cheat(&x, &|w| raise_pooled_max(w, 8, 4));
    assert!(err.starts_with("verifier") && err.contains("hadamard"), "{err}");
}

/// Window sums (average pooling before its division), 3×3 with stride 2 and padding 1: the
/// prover sends each tap view's value, which must sum to the claim and are bound to the input
/// by one map batch. A committed input that differs from what the output was computed from
/// makes the taps' values miss the claim: the schedule's sum check (run by both sides) refuses
/// it; without that check the proof would verify.
#[test]
fn sum_pool_binds_its_input() {
    let window = square_window(3, 2, 1, 1, false);
    let k = square_pool_keys(QOp::SumPool { window }, 4, 2);
    let data: Vec<i64> = (0..16).map(|i| i * 5 % 7 - 3).collect();
    let x = [t(&[1, 1, 4, 4], &data)];
    let (outputs, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    // Window (0, 0) covers rows 0–1 and columns 0–1 (the rest is padding).
    assert_eq!(outputs[0].data()[0], data[0] + data[1] + data[4] + data[5]);
    assert_eq!(proof.blocks.count("maps"), 1);
    // The check is part of the shared reduction: the cheating prover's own run already fails it.
    let cheat: &dyn Fn(&mut Witness) = &|w| set(w, slot(0, 0), 5, 40);
    let tamper = Tamper { witness: cheat, range: None, hidden: &[], check_relations: false };
    let err = prove_with(&k.pk, &x, ProveOptions::default(), Some(&tamper))
        .expect_err("the taps no longer sum to the claim");
    assert!(
        matches!(
            &err,
            Error::Step(StepError::Rejected { op: "SumPool", what, .. })
                if what.contains("do not sum to the claim")
        ),
        "{err:?}"
    );
}

/// A pooled maximum one above the window's maximum, with the winning tap's difference claimed 0
/// (it is 1): range checks and the zero product pass; only the index maps binding each difference
/// to `y − x_k` reject it.
#[test]
fn pooled_differences_are_bound_to_the_window() {
    let k = pool_keys();
    let err = k.honest_and_cheat(&pool_input(), &|w| {
        set(w, slot(1, 0), 0, 6);
        for tap in 2..=4 {
            let d = get(w, slot(1, tap), 0);
            set(w, slot(1, tap), 0, d + 1);
        }
    });
    assert!(err.starts_with("verifier"), "{err}");
}

fn exp_table(scale: f64) -> Table {
    Table {
        func: TableFn::EXP,
        lo: -8,
        in_bits: 2,
        out_bits: 4,
        values: (-8..8).map(|x: i64| ((x as f64 / scale).exp() * 16.0).round() as i64).collect(),
    }
}

/// `exp(clamp(exp(clamp(x))))` through tables `t0` and `t1`: two lookup nodes (2 and 4).
fn two_lookup_keys(t0: usize, t1: usize, tables: Vec<Table>) -> Keys {
    keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 4]),
            (QOp::Clamp { lo: Some(-8), hi: Some(7) }, vec![0], vec![1, 4]),
            (QOp::Lookup { table: t0 }, vec![1], vec![1, 4]),
            (QOp::Clamp { lo: Some(-8), hi: Some(7) }, vec![2], vec![1, 4]),
            (QOp::Lookup { table: t1 }, vec![3], vec![1, 4]),
        ],
        tables,
        4,
    )
}

/// Two lookup nodes on one table form one function lookup (one block, one multiplicity vector);
/// a wrong table value on the second node is still caught.
#[test]
fn lookups_into_one_table_are_merged() {
    let k = two_lookup_keys(0, 0, vec![exp_table(4.0)]);
    let merged = vec![tessera_compiler::plan::FunctionLookup { table: 0, nodes: vec![2, 4] }];
    assert_eq!(k.pk.plan.function_lookups, merged);
    assert_eq!(k.pk.plan.steps[4].committed(), 1);
    let x = [t(&[1, 4], &[-20, -3, 0, 5])];
    let (_, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    assert_eq!(proof.function_multiplicities.len(), 1);
    // One range lookup and one function lookup.
    assert_eq!(proof.blocks.count("lookup"), 2);
    let err = k.honest_and_cheat(&x, &|w| {
        let y = get(w, slot(4, 0), 1);
        set(w, slot(4, 0), 1, y + 1);
    });
    assert!(err.contains("lookup"), "{err}");
}

/// The per-table multiplicity commitments are part of the statement: swapping the two tables'
/// commitments, dropping one, or changing one is rejected; the plan's digest binds the grouping.
#[test]
fn function_multiplicities_are_bound_per_table() {
    let k = two_lookup_keys(0, 1, vec![exp_table(4.0), exp_table(8.0)]);
    assert_eq!(k.pk.plan.function_lookups.len(), 2);
    let x = [t(&[1, 4], &[-20, -3, 0, 5])];
    let (_, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    verify(&k.vk, &proof).expect("the honest proof verifies");
    assert_ne!(proof.function_multiplicities[0], proof.function_multiplicities[1]);

    let mut swapped = proof.clone();
    swapped.function_multiplicities.swap(0, 1);
    assert!(verify(&k.vk, &swapped).is_err());
    let mut range = proof.clone();
    range.function_multiplicities[1] = proof.multiplicities;
    assert!(verify(&k.vk, &range).is_err());
    let mut dropped = proof.clone();
    dropped.function_multiplicities.pop();
    assert!(verify(&k.vk, &dropped).is_err());

    let mut plan = k.vk.plan.clone();
    plan.function_lookups.swap(0, 1);
    assert_ne!(plan.digest(), k.vk.plan.digest());
    assert!(plan.validate().is_err());
}

/// In debug builds the prover checks every block's relation before proving it: a matmul output
/// that is not the product stops the prover with the block and the entry at fault, before any
/// proof is made.
#[test]
fn the_prover_checks_each_blocks_relation_first() {
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 2]),
            (QOp::Const(t(&[2, 2], &[1, 2, 3, 4])), vec![], vec![2, 2]),
            (QOp::MatMul, vec![0, 1], vec![1, 2]),
        ],
        vec![],
        2,
    );
    let x = [t(&[1, 2], &[5, -1])];
    k.run(&x, None).expect("the honest proof verifies");
    let wrong: &dyn Fn(&mut Witness) = &|w| w.values[2] = it(&[1, 2], vec![2, 7]);
    let tamper = Tamper { witness: wrong, range: None, hidden: &[], check_relations: true };
    let e = prove_with(&k.pk, &x, ProveOptions::default(), Some(&tamper))
        .expect_err("the relation check stops the prover");
    assert!(matches!(&e, Error::Block { kind: "matmul", at, .. } if at == "node n2"), "{e:?}");
}

/// The default fold is one node while the leaves' working tables fit the budget; a budget they
/// exceed makes the prover build a tree, which the proof carries and the verifier accepts.
#[test]
fn a_fold_past_its_budget_becomes_a_tree() {
    let window = square_window(3, 3, 0, 1, false);
    let k = keys(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 1, 3, 6]),
            (QOp::MaxPool { window }, vec![0], vec![1, 1, 1, 2]),
        ],
        vec![],
        1,
    );
    let x = [t(&[1, 1, 3, 6], &[5, 2, 3, 3, 1, 0, 7, -1, 4, 9, 2, 2, 0, 0, 1, -3, 8, 6])];
    let (_, one) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    assert_eq!(one.arity, 0, "a small fold is one node");
    let (_, tree) = prove_with(&k.pk, &x, ProveOptions::with_fold_budget(8), None).expect("proves");
    assert!(tree.arity >= 2, "past the budget the fold is a tree (arity {})", tree.arity);
    assert!(tree.accumulator.levels.len() >= 2, "{} levels", tree.accumulator.levels.len());
    verify(&k.vk, &tree).expect("a tree verifies");
    assert!(tree.size_in_bytes() > one.size_in_bytes(), "a tree sends more sumchecks");
}

/// A public input read by a relation step (here a ReLU's clamp) is committed, and its commitment
/// is bound to the public values: a prover that commits other values (and a ReLU consistent
/// with them) is rejected, though every relation of the clamp holds.
#[test]
fn a_committed_public_input_is_bound_to_the_public_values() {
    let k = keys_with(
        vec![
            (QOp::Input { index: 0 }, vec![], vec![1, 4]),
            (QOp::Clamp { lo: Some(0), hi: None }, vec![0], vec![1, 4]),
        ],
        vec![],
        1,
        false,
    );
    assert!(matches!(
        k.pk.plan.steps[0],
        tessera_compiler::plan::Step::Input { private: false, committed: true }
    ));
    let x = [t(&[1, 4], &[3, -2, 0, 9])];
    let (outputs, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    assert_eq!(outputs[0].data(), [3, 0, 0, 9]);
    assert_eq!(proof.public.inputs[0].data, vec![3, -2, 0, 9], "the input stays public");
    verify(&k.vk, &proof).expect("the honest proof verifies");
    let cheat = |w: &mut Witness| {
        // Commit x₁ = 5 instead of the public −2, and the ReLU of that.
        let c = &w.committed[&slot(0, 0)];
        let mut data = c.data().to_vec();
        data[1] = 5;
        let other = it(c.shape(), data);
        w.committed.insert(slot(0, 0), other);
        set(w, slot(1, 0), 1, 5);
    };
    // A prover that skips its own range, lookup and accumulator checks.
    let tamper = Tamper {
        witness: &cheat,
        range: Some(&lenient_range_witness),
        hidden: &[],
        check_relations: false,
    };
    let (_, bad) = prove_with(&k.pk, &x, ProveOptions::default(), Some(&tamper)).expect("proof");
    assert_eq!(bad.public.inputs[0].data, vec![3, -2, 0, 9], "the public input is unchanged");
    let e = verify(&k.vk, &bad).expect_err("a commitment to other values is rejected");
    // The binding leaf is false: the accumulated claim fails.
    assert!(matches!(e, crate::error::VerifyError::Accumulator(_)), "{e:?}");
}

/// A graph whose every claim ends on public values (a public input reshaped) commits nothing:
/// it still proves (one trivial accumulator leaf), and a wrong output is still rejected.
#[test]
fn a_graph_that_commits_nothing_proves() {
    let k = keys_with(
        vec![(QOp::Input { index: 0 }, vec![], vec![1, 4]), (QOp::Reshape, vec![0], vec![2, 2])],
        vec![],
        1,
        false,
    );
    let x = [t(&[1, 4], &[3, -2, 0, 9])];
    let (outputs, proof) = prove_with(&k.pk, &x, ProveOptions::default(), None).expect("proves");
    assert_eq!(outputs[0].data(), [3, -2, 0, 9]);
    verify(&k.vk, &proof).expect("verifies");
    // Its root opening holds identity points; the proof file still round-trips.
    let bytes = crate::files::proof_to_bytes(&proof);
    let parsed = crate::files::proof_from_bytes(std::path::Path::new("proof.bin"), &bytes);
    verify(&k.vk, &parsed.expect("the proof file parses")).expect("and verifies");
    let mut bad = proof.clone();
    bad.public.outputs[0].data[2] = 1;
    assert!(verify(&k.vk, &bad).is_err(), "a wrong output is rejected");
}
