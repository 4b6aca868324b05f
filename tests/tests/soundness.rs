//! Soundness of the runtime on the digits MLP at batch 2: tampered public values, a foreign
//! verifying key, flipped and truncated proof bytes, swapped commitments, and a witness out of
//! range on the prover's side. Every rejection is a typed error — never an acceptance, never a
//! panic.

mod common;

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{compile_at, keys, lower, quantized_batch, root, test_set};
use tessera_compiler::{BlockPlan, Tensor};
use tessera_runtime::files::{self, FileError, FileKind};
use tessera_runtime::{
    Error, Malformed, Proof, ProveOptions, ProvingKey, VerifyError, VerifyingKey,
};
use tessera_runtime::{io, prove, verify};

const BATCH: usize = 2;

struct Fixture {
    plan: BlockPlan,
    pk: ProvingKey,
    vk: VerifyingKey,
    proof: Proof,
    bytes: Vec<u8>,
}

fn mlp_dir() -> PathBuf {
    root().join("models/digits_mlp")
}

/// The digits MLP at batch 2, its keys and an honest proof of the first two test images (built
/// once, shared by every test of this file).
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = mlp_dir();
        let compiled = compile_at(&dir, BATCH);
        let plan = lower(&dir, &compiled, false).expect("the digits MLP lowers");
        let (pk, vk) = keys(&plan, 1);
        let inputs = quantized_batch(&plan, &test_set(&dir)[..BATCH]);
        let (_, proof) = prove(&pk, &inputs, ProveOptions::default()).expect("honest proof");
        verify(&vk, &proof).expect("the honest proof verifies");
        let bytes = files::proof_to_bytes(&proof);
        Fixture { plan, pk, vk, proof, bytes }
    })
}

fn rejected(vk: &VerifyingKey, proof: &Proof) -> VerifyError {
    match catch_unwind(AssertUnwindSafe(|| verify(vk, proof))) {
        Ok(Ok(())) => panic!("a tampered proof was accepted"),
        Ok(Err(e)) => e,
        Err(_) => panic!("verify panicked on a tampered proof"),
    }
}

#[test]
fn a_changed_output_entry_is_rejected() {
    let f = fixture();
    for entry in [0, f.proof.public.outputs[0].data.len() - 1] {
        for delta in [1, -1, 1 << 20] {
            let mut bad = f.proof.clone();
            bad.public.outputs[0].data[entry] += delta;
            let e = rejected(&f.vk, &bad);
            assert!(
                matches!(
                    e,
                    VerifyError::Block { .. } | VerifyError::Schedule(_) | VerifyError::Step(_)
                ),
                "output entry {entry} changed by {delta}: unexpected error {e:?}"
            );
        }
    }
}

#[test]
fn a_changed_public_input_is_rejected() {
    let f = fixture();
    let n = f.proof.public.inputs[0].data.len();
    for entry in [0, n / 2, n - 1] {
        let mut bad = f.proof.clone();
        bad.public.inputs[0].data[entry] += 1;
        let e = rejected(&f.vk, &bad);
        assert!(
            matches!(
                e,
                VerifyError::Block { .. } | VerifyError::Schedule(_) | VerifyError::Step(_)
            ),
            "input entry {entry}: unexpected error {e:?}"
        );
    }
}

#[test]
fn public_values_of_the_wrong_shape_are_malformed() {
    let f = fixture();
    let mut bad = f.proof.clone();
    bad.public.outputs[0].data.pop();
    assert!(matches!(rejected(&f.vk, &bad), VerifyError::Malformed(_)));
    let mut bad = f.proof.clone();
    bad.public.inputs.clear();
    let e = rejected(&f.vk, &bad);
    assert!(
        matches!(&e, VerifyError::Malformed(Malformed::Count { what: "public inputs", .. })),
        "{e:?}"
    );
}

/// Issue 22, F4: a proof whose public tensors are named otherwise than in the plan is rejected
/// with both names, before any arithmetic.
#[test]
fn renamed_public_values_are_rejected() {
    let f = fixture();
    let mut bad = f.proof.clone();
    bad.public.outputs[0].name = "logits_of_another_model".into();
    match rejected(&f.vk, &bad) {
        VerifyError::PublicName { what: "output", index: 0, expected, got } => {
            assert_eq!(expected, f.plan.graph.outputs[0].0);
            assert_eq!(got, "logits_of_another_model");
        }
        e => panic!("unexpected error {e:?}"),
    }
    let mut bad = f.proof.clone();
    bad.public.inputs[0].name = "x".into();
    assert!(matches!(
        rejected(&f.vk, &bad),
        VerifyError::PublicName { what: "input", index: 0, .. }
    ));
}

#[test]
fn another_fold_arity_or_extra_and_missing_block_proofs_are_rejected() {
    let f = fixture();
    for arity in 0..8u32 {
        if arity == f.proof.arity {
            continue;
        }
        let mut bad = f.proof.clone();
        bad.arity = arity;
        let e = rejected(&f.vk, &bad);
        assert!(
            matches!(e, VerifyError::Malformed(_) | VerifyError::Accumulator(_)),
            "arity {arity}: {e:?}"
        );
    }
    let mut bad = f.proof.clone();
    bad.blocks.evals.push(Default::default());
    let e = rejected(&f.vk, &bad);
    assert!(matches!(&e, VerifyError::Malformed(Malformed::Count { what: "evals", .. })), "{e:?}");
    // A proof dropped, a kind changed, a proof repeated, bytes cut or appended.
    let mut bad = f.proof.clone();
    bad.blocks.kinds.pop();
    let n = bad.blocks.kinds.len();
    let e = rejected(&f.vk, &bad);
    assert!(
        matches!(&e, VerifyError::Malformed(Malformed::ProofsEnd { index, .. }) if *index == n),
        "{e:?}"
    );
    let mut bad = f.proof.clone();
    let first = bad.blocks.kinds[0];
    bad.blocks.kinds[0] = (first + 1) % 11;
    let e = rejected(&f.vk, &bad);
    assert!(matches!(&e, VerifyError::Malformed(Malformed::ProofKind { index: 0, .. })), "{e:?}");
    let mut bad = f.proof.clone();
    bad.blocks.kinds.push(first);
    let e = rejected(&f.vk, &bad);
    assert!(matches!(&e, VerifyError::Malformed(Malformed::LeftOver { .. })), "{e:?}");
    let mut bad = f.proof.clone();
    bad.blocks.bytes.push(0);
    let e = rejected(&f.vk, &bad);
    assert!(matches!(&e, VerifyError::Malformed(Malformed::LeftOver { .. })), "{e:?}");
    let mut bad = f.proof.clone();
    bad.blocks.bytes.truncate(bad.blocks.bytes.len() / 2);
    let e = rejected(&f.vk, &bad);
    assert!(matches!(&e, VerifyError::Malformed(Malformed::ProofBytes { .. })), "{e:?}");
    let mut bad = f.proof.clone();
    bad.commitments.pop();
    let e = rejected(&f.vk, &bad);
    assert!(
        matches!(&e, VerifyError::Malformed(Malformed::Count { what: "tensor commitments", .. })),
        "{e:?}"
    );
    let mut bad = f.proof.clone();
    bad.limbs.pop();
    let e = rejected(&f.vk, &bad);
    assert!(
        matches!(&e, VerifyError::Malformed(Malformed::Count { what: "limb commitments", .. })),
        "{e:?}"
    );
}

#[test]
fn swapped_commitments_are_rejected() {
    let f = fixture();
    let n = f.proof.commitments.len();
    assert!(n >= 2, "the MLP commits at least two tensors");
    for (i, j) in [(0, 1), (0, n - 1), (n - 2, n - 1)] {
        let mut bad = f.proof.clone();
        bad.commitments.swap(i, j);
        assert_ne!(bad.commitments, f.proof.commitments, "commitments {i} and {j} are distinct");
        let e = rejected(&f.vk, &bad);
        assert!(
            matches!(e, VerifyError::Block { .. } | VerifyError::Accumulator(_)),
            "commitments {i} <-> {j}: unexpected error {e:?}"
        );
    }
    if f.proof.limbs.len() >= 2 {
        let mut bad = f.proof.clone();
        bad.limbs.swap(0, 1);
        let e = rejected(&f.vk, &bad);
        assert!(matches!(e, VerifyError::Block { .. } | VerifyError::Accumulator(_)), "{e:?}");
    }
}

#[test]
fn a_proof_is_rejected_by_another_models_verifying_key() {
    let f = fixture();
    // Same input and output shapes, other weights: the int8 QDQ MLP at batch 2.
    let qdq = root().join("models/digits_mlp_int8_qdq");
    let plan = lower(&qdq, &compile_at(&qdq, BATCH), false).expect("the QDQ MLP lowers");
    let (_, other_vk) = keys(&plan, 1);
    assert_ne!(other_vk.digest(), f.vk.digest());
    let e = rejected(&other_vk, &f.proof);
    assert!(
        matches!(
            e,
            VerifyError::Block { .. }
                | VerifyError::Schedule(_)
                | VerifyError::Step(_)
                | VerifyError::Malformed(_)
                | VerifyError::Accumulator(_)
        ),
        "{e:?}"
    );
    // The same model at another batch: the public values do not have the plan's shape.
    let mlp = mlp_dir();
    let plan = lower(&mlp, &compile_at(&mlp, 1), false).expect("the MLP lowers at batch 1");
    let (_, batch1_vk) = keys(&plan, 1);
    let e = rejected(&batch1_vk, &f.proof);
    assert!(matches!(&e, VerifyError::Malformed(Malformed::PublicTensor { .. })), "{e:?}");
    // The same plan with keys from another SRS.
    let (_, other_srs_vk) = keys(&f.plan, 2);
    let e = rejected(&other_srs_vk, &f.proof);
    assert!(matches!(e, VerifyError::Block { .. } | VerifyError::Accumulator(_)), "{e:?}");
}

/// What one flipped proof file led to.
#[derive(Debug)]
enum Outcome {
    Malformed(FileError),
    Rejected,
    Accepted,
    Panicked,
}

fn outcome(vk: &VerifyingKey, bytes: &[u8]) -> Outcome {
    let run = catch_unwind(AssertUnwindSafe(|| {
        match files::proof_from_bytes(Path::new("flipped.bin"), bytes) {
            Err(e) => Outcome::Malformed(e),
            Ok(p) => match verify(vk, &p) {
                Ok(()) => Outcome::Accepted,
                Err(_) => Outcome::Rejected,
            },
        }
    }));
    run.unwrap_or(Outcome::Panicked)
}

/// Deterministic sample: the first and last 64 bytes, plus 2,000 other positions drawn by a fixed
/// xorshift.
fn sample_positions(len: usize) -> Vec<usize> {
    let edges: BTreeSet<usize> = (0..64.min(len)).chain(len.saturating_sub(64)..len).collect();
    let target = (edges.len() + 2000).min(len);
    let mut positions = edges;
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    while positions.len() < target {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        positions.insert((s % len as u64) as usize);
    }
    positions.into_iter().collect()
}

/// Flips `mask` into byte `at` and checks the outcome; `Err` describes a failure.
fn check_flip(f: &Fixture, at: usize, mask: u8) -> Result<bool, String> {
    let mut bytes = f.bytes.clone();
    bytes[at] ^= mask;
    match outcome(&f.vk, &bytes) {
        Outcome::Malformed(e) => {
            // The header's fields are each reported as such.
            let expected = match at {
                0..8 => matches!(e, FileError::NotTessera { .. }),
                8 => matches!(e, FileError::WrongKind { .. }),
                9..13 => matches!(e, FileError::Version { .. }),
                _ => matches!(e, FileError::Corrupt { kind: FileKind::Proof, .. }),
            };
            if expected {
                Ok(true)
            } else {
                Err(format!("byte {at} ^ {mask:#04x}: unexpected {e:?}"))
            }
        }
        Outcome::Rejected => Ok(false),
        other => Err(format!("byte {at} ^ {mask:#04x}: {other:?}")),
    }
}

#[test]
fn flipped_proof_bytes_are_rejected_or_malformed_never_accepted_or_panicking() {
    let f = fixture();
    let positions = sample_positions(f.bytes.len());
    let jobs: Vec<(usize, u8)> =
        positions.iter().flat_map(|&at| [(at, 0x01u8), (at, 0xff)]).collect();
    // Two workers: reading a proof (subgroup checks) dominates and is single-threaded.
    let results: Vec<Result<bool, String>> = std::thread::scope(|s| {
        let workers: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(2))
            .map(|chunk| {
                s.spawn(move || {
                    chunk.iter().map(|&(at, m)| check_flip(f, at, m)).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    let malformed = results.iter().filter(|r| matches!(r, Ok(true))).count();
    let rejected_count = results.iter().filter(|r| matches!(r, Ok(false))).count();
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    println!(
        "{} positions of {} bytes, 2 flips each: {malformed} malformed, {rejected_count} rejected",
        positions.len(),
        f.bytes.len()
    );
    assert!(failures.is_empty(), "{} bad outcomes:\n{failures:#?}", failures.len());
    assert!(malformed > 0 && rejected_count > 0, "both the reader and the verifier were exercised");
}

#[test]
fn truncated_proof_files_are_file_errors() {
    let f = fixture();
    let len = f.bytes.len();
    for cut in [0, 1, 8, 12, 13, 14, 64, len / 3, len / 2, len - 33, len - 1] {
        let e = files::proof_from_bytes(Path::new("cut.bin"), &f.bytes[..cut])
            .expect_err("a truncated proof does not parse");
        if cut < 13 {
            assert!(matches!(e, FileError::NotTessera { .. }), "cut at {cut}: {e:?}");
        } else {
            assert!(
                matches!(e, FileError::Corrupt { kind: FileKind::Proof, .. }),
                "cut at {cut}: {e:?}"
            );
        }
        assert!(e.to_string().starts_with("cut.bin: "), "the message names the file: {e}");
    }
    // Trailing bytes are refused too.
    let mut long = f.bytes.clone();
    long.push(0);
    let e = files::proof_from_bytes(Path::new("long.bin"), &long).expect_err("trailing byte");
    assert!(matches!(&e, FileError::Corrupt { reason, .. } if reason.contains("trailing")), "{e}");
}

#[test]
fn other_file_kinds_are_not_proofs() {
    let f = fixture();
    let vk_bytes = files::encode(FileKind::VerifyingKey, &f.vk.to_bytes());
    let e = files::proof_from_bytes(Path::new("vk.bin"), &vk_bytes).expect_err("a vk");
    assert!(
        matches!(&e, FileError::WrongKind { expected: FileKind::Proof, found, .. } if found == "verifying key"),
        "{e:?}"
    );
    let e = files::vk_from_bytes(Path::new("proof.bin"), &f.bytes).expect_err("a proof");
    assert!(e.to_string().contains("is a proof"), "{e}");
}

/// Inputs with every entry set to `value`, in the plan's input shape.
fn constant_inputs(plan: &BlockPlan, value: i64) -> Vec<Tensor<i64>> {
    let shape = tessera_runtime::io::input_specs(plan)[0].1.clone();
    let len = shape.iter().product();
    vec![Tensor::new(shape, vec![value; len]).expect("shape")]
}

/// A real input beyond what the plan's fixed-point encoding holds is refused, naming the input
/// and the entry; it is never saturated (a proof of the saturated input would be a proof of
/// another input: issue 17's softmax of `[10000, …, 10003]` came out as `[0.25; 4]` that way).
#[test]
fn inputs_the_encoding_cannot_hold_are_refused_not_saturated() {
    let f = fixture();
    let (name, _, enc) = &f.plan.graph.inputs[0];
    let n: usize = f.plan.graph.nodes[f.plan.graph.inputs[0].1].shape.iter().product();
    let hi = ((1i64 << (f.plan.activation_bits - 1)) - 1) as f64 * enc.scale;
    let batch = |v: f64| {
        let mut data = vec![0.5; n];
        data[3] = v;
        Tensor::new(f.plan.graph.nodes[f.plan.graph.inputs[0].1].shape.clone(), data).unwrap()
    };
    assert!(io::quantize_inputs(&f.plan, &[batch(hi)]).is_ok(), "the largest value fits");
    for v in [hi + 2.0 * enc.scale, -hi - 4.0 * enc.scale, f64::NAN, f64::INFINITY, 1e300] {
        let e = io::quantize_inputs(&f.plan, &[batch(v)]).expect_err("out of the encoding");
        match &e {
            io::IoError::Range { input, index: 3, .. } if input == name => {}
            other => panic!("{v}: {other:?}"),
        }
        assert!(e.to_string().contains("calibration"), "the error says the fix: {e}");
    }
}

#[test]
fn prover_refuses_a_witness_out_of_range() {
    let f = fixture();
    let bound = 1i64 << (f.plan.activation_bits - 1);

    // A private input is range-checked: far outside the activation range, the witness fails.
    let dir = mlp_dir();
    let private = lower(&dir, &compile_at(&dir, BATCH), true).expect("private-input MLP lowers");
    let (pk, _) = keys(&private, 1);
    for value in [bound, -bound - 1, 1 << 40] {
        let inputs = constant_inputs(&private, value);
        let result =
            catch_unwind(AssertUnwindSafe(|| prove(&pk, &inputs, ProveOptions::default())))
                .unwrap_or_else(|_| panic!("prove panicked on an input of {value}"));
        let e = result.err().unwrap_or_else(|| panic!("proved an input of {value}"));
        assert!(matches!(&e, Error::Range { .. }), "input {value}: {e:?}");
    }

    // A public input is not range-checked itself, but far outside the activation range it
    // drives a rescale out of its range check.
    for value in [1 << 40, -(1 << 40)] {
        let inputs = constant_inputs(&f.plan, value);
        let result =
            catch_unwind(AssertUnwindSafe(|| prove(&f.pk, &inputs, ProveOptions::default())))
                .unwrap_or_else(|_| panic!("prove panicked on a public input of {value}"));
        let e = result.err().unwrap_or_else(|| panic!("proved a public input of {value}"));
        assert!(matches!(&e, Error::Range { .. }), "public input {value}: {e:?}");
        // The error names the node and the ONNX op it comes from (the first ReLU, whose clamp
        // reads the first Gemm's rescaled output).
        assert!(e.to_string().contains("/Relu [ONNX Relu]"), "{e}");
        // The same error, the first failing check in plan order, on one thread and on two.
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            let again = pool.install(|| prove(&f.pk, &inputs, ProveOptions::default()));
            assert_eq!(again.err().map(|e| e.to_string()), Some(e.to_string()), "{threads}");
        }
    }

    // Inputs of the wrong shape are typed input errors.
    let e = prove(&f.pk, &[], ProveOptions::default()).expect_err("no inputs");
    assert!(matches!(e, Error::InputCount { expected: 1, got: 0 }), "{e:?}");
    let wrong = vec![Tensor::new(vec![1, 64], vec![0i64; 64]).expect("shape")];
    let e = prove(&f.pk, &wrong, ProveOptions::default()).expect_err("batch 1 for a batch-2 plan");
    assert!(
        matches!(&e, Error::InputShape { got, expected, .. } if got == &[1, 64] && expected == &[2, 64]),
        "{e:?}"
    );
}

#[test]
fn private_input_proofs_hide_the_input_and_stay_bound_to_it() {
    let dir = mlp_dir();
    let plan = lower(&dir, &compile_at(&dir, BATCH), true).expect("private-input MLP lowers");
    let (pk, vk) = keys(&plan, 1);
    let inputs = quantized_batch(&plan, &test_set(&dir)[..BATCH]);
    let (outputs, proof) = prove(&pk, &inputs, ProveOptions::default()).expect("honest proof");
    verify(&vk, &proof).expect("the honest private-input proof verifies");
    assert!(proof.public.inputs.is_empty(), "the input is not shown");
    assert_eq!(proof.public.outputs[0].data.as_slice(), outputs[0].data());

    // Other outputs for the same committed input: rejected.
    let mut bad = proof.clone();
    bad.public.outputs[0].data[3] -= 1;
    let e = rejected(&vk, &bad);
    assert!(
        matches!(e, VerifyError::Block { .. } | VerifyError::Schedule(_) | VerifyError::Step(_)),
        "{e:?}"
    );
    // Another input's commitment in place of the input's: rejected.
    let (_, other) = prove(&pk, &constant_inputs(&plan, 0), ProveOptions::default()).expect("ok");
    let mut bad = proof.clone();
    bad.commitments = other.commitments.clone();
    let e = rejected(&vk, &bad);
    assert!(matches!(e, VerifyError::Block { .. } | VerifyError::Accumulator(_)), "{e:?}");
    // Revealing an input the plan keeps private: malformed.
    let mut bad = proof.clone();
    bad.public.inputs = fixture().proof.public.inputs.clone();
    let e = rejected(&vk, &bad);
    assert!(
        matches!(&e, VerifyError::Malformed(Malformed::Count { what: "public inputs", .. })),
        "{e:?}"
    );
    // A public-input proof against the private-input key, and the reverse.
    let e = rejected(&vk, &fixture().proof);
    assert!(
        matches!(&e, VerifyError::Malformed(Malformed::Count { what: "public inputs", .. })),
        "{e:?}"
    );
    let e = rejected(&fixture().vk, &proof);
    assert!(
        matches!(&e, VerifyError::Malformed(Malformed::Count { what: "public inputs", .. })),
        "{e:?}"
    );
}

/// A verifying-key file with a byte flipped (the first 200 bytes, then 300 sampled positions) is
/// malformed, or it verifies nothing: never a panic, and the honest proof is never accepted by a
/// key that differs from the real one.
#[test]
fn flipped_verifying_key_bytes_never_accept_or_panic() {
    let f = fixture();
    let path = Path::new("vk.bin");
    let mut bytes = Vec::new();
    let tmp = std::env::temp_dir().join(format!("tessera-vk-flip-{}.bin", std::process::id()));
    files::write_vk(&tmp, &f.vk).expect("write vk");
    bytes.extend(std::fs::read(&tmp).expect("read vk"));
    let _ = std::fs::remove_file(&tmp);
    let mut positions: Vec<usize> = (0..200.min(bytes.len())).collect();
    let mut s: u64 = 7;
    for _ in 0..300 {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        positions.push((s >> 20) as usize % bytes.len());
    }
    let mut malformed = 0;
    for at in positions {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x01;
        let outcome =
            catch_unwind(AssertUnwindSafe(|| match files::vk_from_bytes(path, &flipped) {
                Err(_) => None,
                Ok(vk) => Some((verify(&vk, &f.proof).is_ok(), vk == f.vk)),
            }));
        match outcome {
            Err(_) => panic!("byte {at}: reading or verifying with the key panicked"),
            Ok(None) => malformed += 1,
            Ok(Some((accepted, same_key))) => {
                assert!(!accepted || same_key, "byte {at}: a different key accepted the proof")
            }
        }
    }
    assert!(malformed > 0, "the reader rejected nothing");
}
