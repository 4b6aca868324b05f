//! Issue 22, F1, end to end on the digits MLP: a prover hides coefficients past the end of a
//! committed tensor and uses them to move a rescale remainder into range, which lets it shift a
//! quotient, and so the logits, by any amount.
//!
//! The range lookup packs every range-check vector into one chunk, the largest first: vector 0
//! (the first rescale's remainder, 64 entries) sits at offset 0 of a 512-entry chunk. Its
//! commitment may hold 448 more coefficients; a claim on it at the chunk's 9-variable point reads
//! them exactly where the vectors packed behind it sit. So the forger commits the remainder of the
//! *last* rescale as `r − 2^s·δ` (out of range) with the quotient `y + δ`, looks up the honest `r`
//! instead, and hides `2^s·δ` in vector 0's commitment at that entry's packed position. Every
//! other claim on that commitment sits at its own 6-variable point, blind to what is hidden. The
//! lookup claims each vector at its own point, so the hidden coefficients are never read and
//! the forged remainder's claim is false.

use std::path::Path;

use tessera_blocks::Fr;
use tessera_blocks::lookup::layout::Layout;
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::plan::{BlockPlan, Lin, Step};
use tessera_compiler::{CompileOptions, LowerOptions, Tensor};

use super::{get, set, slot};
use crate::keys::{ProvingKey, VerifyingKey, required_srs_size, setup};
use crate::prover::{ProveOptions, Tamper, prove_with};
use crate::verifier::verify;
use crate::witness::{Witness, generate, range_witness};
use crate::{VerifyError, io};

/// How far the forger moves the quotient.
const DELTA: i64 = 100;

fn mlp() -> (ProvingKey, VerifyingKey, Vec<Tensor<i64>>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/digits_mlp");
    let mut options = CompileOptions::default();
    options.import.batch = Some(1);
    let c = tessera_compiler::compile(dir.join("model.onnx"), &options).expect("compiles");
    let plan = tessera_compiler::lower(&c.quantized, &LowerOptions::default()).expect("lowers");
    let examples = io::read_test_set(&dir.join("test_set.json")).expect("test set");
    let shape = io::input_specs(&plan).remove(0).1;
    let batch = io::batch_of(&examples[..1], &shape).expect("one example");
    let inputs = io::quantize_inputs(&plan, &[batch]).expect("inputs fit");
    let log = required_srs_size(&plan).trailing_zeros() as usize;
    let srs = tessera_blocks::Srs::insecure_dev(3, log).expect("srs");
    let (pk, vk) = setup(&plan, &srs).expect("setup");
    (pk, vk, inputs)
}

/// The range lookup's vectors, as the schedule lists them: per check, the limb-0 combination,
/// the committed limbs, the top limb's shifted copy. Returns `(check, is the base)` per vector
/// and the layout.
fn range_layout(plan: &BlockPlan) -> (Vec<(usize, bool)>, Layout) {
    let mut owners = Vec::new();
    let mut shapes = Vec::new();
    for (i, c) in plan.range_checks.iter().enumerate() {
        let shape = plan.lin_shape(&c.value, c.node);
        let copies = c.limbs as usize + usize::from(c.top_shift(plan.range_table_bits).is_some());
        for k in 0..copies {
            owners.push((i, k == 0));
            shapes.push(shape.clone());
        }
    }
    let chunk = required_srs_size(plan).trailing_zeros() as usize;
    let layout = Layout::new(shapes.iter().map(|s| s.as_slice()), chunk).expect("layout");
    (owners, layout)
}

/// The MLP's last rescale and the clamp, matmul and bias add after it (the logits).
struct Tail {
    rescale: usize,
    shift: u32,
    clamp: usize,
    matmul: usize,
    weight: usize,
    logits: usize,
}

fn tail(plan: &BlockPlan) -> Tail {
    let (rescale, shift) = plan
        .steps
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, s)| match s {
            Step::Rescale(r) => Some((i, r.shift)),
            _ => None,
        })
        .expect("a rescale");
    let quotient = Lin::of(slot(rescale, 0));
    let find = |f: &dyn Fn(&Step) -> bool| plan.steps.iter().position(f).expect("the MLP's tail");
    let clamp = find(&|s| matches!(s, Step::Clamp(c) if c.input == quotient));
    let matmul = find(&|s| matches!(s, Step::Matmul(m) if m.input == clamp));
    let Step::Matmul(m) = &plan.steps[matmul] else { panic!("the last layer is a matmul") };
    assert!(m.trans_weight, "the last layer is x·Wᵀ");
    let weight = m.weight;
    let logits = find(&|s| matches!(s, Step::BiasAdd(b) if b.input == matmul));
    assert_eq!(plan.graph.outputs[0].1, logits, "the logits are the output");
    Tail { rescale, shift, clamp, matmul, weight, logits }
}

fn add(t: &mut IntTensor, i: usize, d: i64) {
    let mut data = t.data().to_vec();
    data[i] += d;
    *t = IntTensor::new(t.shape().to_vec(), data).expect("same shape");
}

#[test]
fn hidden_coefficients_cannot_move_a_rescale_remainder_into_range() {
    let (pk, vk, inputs) = mlp();
    let plan = &pk.plan;
    let tail = tail(plan);
    let honest = generate(plan, &inputs).expect("witness");
    // An entry whose ReLU passes the quotient on, so the shift reaches the logits.
    let entry = (0..honest.values[tail.rescale].data().len())
        .find(|i| honest.values[tail.rescale].data()[*i] > 0)
        .expect("a positive pre-activation");
    let (quotient, remainder, relu) =
        (slot(tail.rescale, 0), slot(tail.rescale, 1), slot(tail.clamp, 0));
    let true_remainder = get(&honest, remainder, entry);

    // The vulnerable layout: vector 0 at offset 0, smaller than the chunk, its commitment a
    // tensor no other vector reads; the forged remainder's base vector further in the chunk.
    let (owners, layout) = range_layout(plan);
    let first = layout.offsets.iter().position(|o| *o == 0).expect("vector 0");
    let (check0, true) = owners[first] else { panic!("vector 0 is a limb-0 combination") };
    let [(hider, 1)] = plan.range_checks[check0].value.terms[..] else {
        panic!("vector 0 is one committed tensor")
    };
    let readers = plan.range_checks.iter().filter(|c| c.value.terms.iter().any(|t| t.0 == hider));
    assert_eq!(readers.count(), 1, "only vector 0 reads the hiding tensor");
    let target = plan
        .range_checks
        .iter()
        .position(|c| c.value == Lin::of(remainder))
        .and_then(|c| owners.iter().position(|o| *o == (c, true)))
        .expect("the remainder's range check");
    let own = 1usize << layout.vars[first];
    assert!(
        layout.vars[first] < layout.chunk_vars && layout.offsets[target] < 1 << layout.chunk_vars
    );
    let shape = plan.slot_shape(remainder);
    assert!(shape.iter().all(|d| d.is_power_of_two()), "entry i sits at padded position i");

    // Hidden past vector 0's 64 entries, at the packed position of the forged entry: 2^s·δ.
    let lift = DELTA << tail.shift;
    let mut hidden = vec![Fr::from(0u64); (1 << layout.chunk_vars) - own];
    hidden[layout.offsets[target] + entry - own] = Fr::from(lift as u64);
    let hidden = [(hider, hidden)];

    // The forged witness: quotient + δ (so the ReLU and the logits move), remainder − 2^s·δ.
    let weights = honest.values[tail.weight].clone();
    let forge = |w: &mut Witness| {
        set(w, quotient, entry, get(w, quotient, entry) + DELTA);
        set(w, remainder, entry, true_remainder - lift);
        set(w, relu, entry, get(w, relu, entry) + DELTA);
        let rows = weights.shape()[1];
        for k in 0..weights.shape()[0] {
            let d = DELTA * weights.data()[k * rows + entry];
            add(&mut w.values[tail.matmul], k, d);
            add(&mut w.values[tail.logits], k, d);
        }
    };
    // Limbs and multiplicities of the true remainder: the lookup sees r, the commitment r − 2^s·δ.
    let limbs = |plan: &BlockPlan, w: &mut Witness| {
        set(w, remainder, entry, true_remainder);
        range_witness(plan, w).expect("every looked-up value is in range");
        set(w, remainder, entry, true_remainder - lift);
    };
    let tamper =
        Tamper { witness: &forge, range: Some(&limbs), hidden: &hidden, check_relations: false };
    let (outputs, proof) = prove_with(&pk, &inputs, ProveOptions::default(), Some(&tamper))
        .expect("the forger proves");
    assert_ne!(outputs[0], honest.values[tail.logits], "the logits are forged");
    let err = verify(&vk, &proof).expect_err("the forged logits are rejected");
    eprintln!("REJECTED: {err}");
    assert!(matches!(err, VerifyError::Accumulator(_)), "{err}");
}
