//! The conformance suite of the committed steps (`tessera_compiler::plan::steps`), the runtime's
//! counterpart of `tessera_blocks::testing`: for every committed step kind, on a small graph,
//!
//! - the honest proof verifies, the prover's and the verifier's transcripts end in the same state,
//!   and the proof is the same bytes on rayon pools of 1 and 2 threads;
//! - every committed slot of the step, tampered in one entry by a prover that skips its own range,
//!   lookup and accumulator checks (the relations' shared bodies still run), is rejected by the
//!   prover's or the verifier's run of the step — never accepted;
//! - every evaluation the proof sends is bound: changing any one of them is rejected (each is
//!   absorbed before the challenges that depend on it).

use tessera_compiler::plan::Role;
use tessera_compiler::quant::qop::QId;

use super::*;
use crate::files;

/// One committed step under test: its keys, an input, and the node of the step.
struct Case {
    name: &'static str,
    keys: Keys,
    input: [Tensor<i64>; 1],
}

fn cases() -> Vec<Case> {
    let x = || [t(&[1, 4], &[7, 23, -5, 100])];
    vec![
        Case { name: "Rescale", keys: single_op_keys(QOp::Rescale { shift: 4 }), input: x() },
        Case { name: "DivConst", keys: single_op_keys(QOp::DivConst { divisor: 3 }), input: x() },
        Case { name: "DivRound", keys: div_round_keys(), input: div_round_input() },
        Case { name: "Sqrt", keys: sqrt_keys(), input: [t(&[1, 4], &[0, 17, 99, 1000])] },
        Case { name: "Clamp", keys: relu_keys(), input: [t(&[1, 4], &[3, -2, 0, 9])] },
        Case {
            name: "Clamp",
            keys: single_op_keys(QOp::Clamp { lo: Some(-4), hi: Some(4) }),
            input: [t(&[1, 4], &[-9, -4, 2, 6])],
        },
        Case { name: "MaxPool", keys: pool_keys(), input: pool_input() },
        Case { name: "ReduceMax", keys: max_keys(), input: max_input() },
        Case { name: "ArgMax", keys: argmax_keys(false), input: argmax_input() },
        Case { name: "ArgMax", keys: argmax_keys(true), input: argmax_input() },
        Case { name: "Lookup", keys: lookup_keys(), input: [t(&[1, 4], &[-20, -3, 0, 5])] },
    ]
}

/// The last node of the plan whose step is `kind` (the step under test).
fn step_node(k: &Keys, kind: &str) -> QId {
    let plan = &k.pk.plan;
    (0..plan.steps.len())
        .rev()
        .find(|&i| plan.steps[i].kind() == kind && plan.roles[i] == Role::Committed)
        .unwrap_or_else(|| panic!("no {kind} step"))
}

fn prove_on(k: &Keys, x: &[Tensor<i64>], threads: usize) -> Vec<u8> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    let (_, proof) =
        pool.install(|| prove_with(&k.pk, x, ProveOptions::default(), None)).expect("proves");
    files::proof_to_bytes(&proof)
}

#[test]
fn every_committed_step_conforms() {
    for case in cases() {
        let (k, x, name) = (&case.keys, &case.input, case.name);
        let node = step_node(k, name);
        // Honest, transcripts agree, and the same bytes for 1 and 2 threads.
        final_transcripts();
        let (_, proof) = prove_with(&k.pk, x, ProveOptions::default(), None).expect("proves");
        verify(&k.vk, &proof).unwrap_or_else(|e| panic!("{name}: honest proof rejected: {e}"));
        let ends = final_transcripts();
        let [(Side::Prover, p), (Side::Verifier, v)] = ends.as_slice() else {
            panic!("{name}: expected one prover and one verifier transcript, got {ends:?}");
        };
        assert_eq!(p, v, "{name}: the prover's and the verifier's transcripts differ");
        assert_eq!(prove_on(k, x, 1), prove_on(k, x, 2), "{name}: proofs differ by thread count");
        // Every committed slot tampered in entry 0.
        let slots = k.pk.plan.steps[node].committed();
        assert!(slots > 0, "{name}: a committed step commits");
        for s in 0..slots {
            let r = slot(node, s);
            let cheat = |w: &mut Witness| {
                let v = get(w, r, 0);
                set(w, r, 0, if v == 0 { 1 } else { v + 1 });
            };
            // With honest range limbs when the tampered values still have them, else with limbs
            // that ignore the bounds (a value below 0 has none: no proof can be made at all).
            let honest_limbs =
                Tamper { witness: &cheat, range: None, hidden: &[], check_relations: false };
            let lenient = Tamper {
                witness: &cheat,
                range: Some(&lenient_range_witness),
                hidden: &[],
                check_relations: false,
            };
            let proofs = [
                prove_with(&k.pk, x, ProveOptions::default(), Some(&honest_limbs)).ok(),
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    prove_with(&k.pk, x, ProveOptions::default(), Some(&lenient)).ok()
                }))
                .ok()
                .flatten(),
            ];
            for (_, bad) in proofs.into_iter().flatten() {
                assert!(verify(&k.vk, &bad).is_err(), "{name}: slot {s} tampered was accepted");
            }
        }
        // Every sent evaluation is bound.
        for i in 0..proof.blocks.evals.len() {
            let mut bad = proof.clone();
            bad.blocks.evals[i] += tessera_blocks::Fr::from(1u64);
            assert!(verify(&k.vk, &bad).is_err(), "{name}: sent evaluation {i} changed");
        }
    }
}
