#!/usr/bin/env python3
"""Guard-removal check (manual / sampled in CI): each guard entry removes one soundness guard from
the kernel (M, tessera-blocks), the runtime and its lowering (R, tessera-runtime) or the accumulator
(A, tessera-accumulator), runs the test written to catch that removal, and restores the sources.
Every line must say "FAILS (guard works)".

Usage (from any directory; paths are relative to the repository root, the parent of .ci/):

    python3 .ci/guards.py                  all guards
    python3 .ci/guards.py M1 R2 A          by id: an exact id selects that guard only ("M1" is M1,
                                           not M10..M19); anything else is a prefix ("M", "R", "M2")
    python3 .ci/guards.py --subset K/N     the guards whose index (list order) mod N == K
    python3 .ci/guards.py --from-commit    the subset K/N with N = len(GUARDS) // 3 (about three
                                           guards per run) and K = int(git rev-parse HEAD, 16) % N
                                           (N follows the list: adding a guard reshuffles subsets)
    python3 .ci/guards.py --list [...]     print the selected guards' ids, crates and tests; run nothing
    python3 .ci/guards.py --check-patterns [...]
                                           check that every edit applies (each `old` exactly once), in
                                           memory only: no cargo, no file is written
    options: -v/--verbose (the cargo command, and the output tail of every guard that does not work),
             -x/--fail-fast, --timeout SECONDS (per guard; default none)

How a guard is run. Its edits are applied in order to the current file contents; each `old` must
occur exactly once (else PATTERN NOT FOUND / PATTERN AMBIGUOUS, nothing is written, and the guard
counts as a harness failure). Then

    cargo test --locked -p CRATE [TARGET, default --lib] [EXTRA] -- TEST --color never

runs in the repository root (`--locked`: the harness never rewrites Cargo.lock; set CARGO to use
another cargo binary). TEST is a bare test name or a path suffix (`hyperkzg::tests::conformance`);
libtest's filter matches substrings, so `--exact` is NOT passed (it would need the full path).
Instead the libtest output is parsed: the guard's tests are those whose full name equals TEST or ends
with `::TEST`. The verdict:

    FAILS (guard works)   at least one of the guard's tests printed `test NAME ... FAILED`
    STILL PASSES (!)      the guard's tests ran and all passed
    BUILD ERROR           no `running N tests` line: the target did not compile (or cargo failed
                          before running it). A compile error never counts as a caught guard.
    NO TEST RAN           `running 0 tests`, or none of the tests that ran is the guard's test
    CRASHED               the test binary died (signal, abort) before the guard's test reported
    TIMEOUT               --timeout expired (cargo is stopped)
    INTERRUPTED           a signal stopped cargo (the run then ends)
    REFUSED               one of its files was modified after the run started (nothing edited)
Only the first verdict is a success; the exit code is 0 iff every selected guard works (1 otherwise,
2 for usage errors and refusals). Each guard is timed; the last line reads `N passed, M failed`.

Safety (the safer of the two options: refuse rather than back up). Before anything is edited, the
harness refuses to run (exit 2) unless every file the selected guards edit is tracked by git and
unmodified (`git status --porcelain` shows nothing for it): the original is then always the committed
file, so even after `kill -9` `git checkout -- FILE` restores it losslessly, and the harness can never
clobber uncommitted work. In addition the original bytes are kept in memory and written back in a
`finally` block after every guard. SIGINT, SIGTERM and SIGHUP are handled: cargo runs in its own
process group (so a terminal Ctrl-C reaches only the harness), the handler stops that group, the
running guard's files are restored as usual and the run ends (exit 128 + signal). Before
restoring, the harness checks that the file still holds exactly what it wrote; if someone else edited
it meanwhile, it is left alone, the original is saved to a backup file and the run fails loudly.
Restored files get a new mtime on purpose (cargo must rebuild them; restoring the old mtime could make
cargo reuse the build that had the guard removed).

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Guard:
    """One guard: the edits that remove it and the test that must then fail."""

    id: str
    description: str
    crate: str
    # (path from the repository root, old, new); applied in order, each `old` exactly once.
    edits: tuple[tuple[str, str, str], ...]
    test: str
    # The cargo test target: ("--lib",) or e.g. ("--test", "soundness").
    target: tuple[str, ...] = ("--lib",)
    # Further cargo arguments, e.g. ("--features", "test-utils").
    extra: tuple[str, ...] = ()


def M(id, description, edits, test, **kw):
    """A kernel guard: paths under blocks/src/, lib tests of tessera-blocks."""
    return Guard(id, description, "tessera-blocks",
                 tuple(("blocks/src/" + f, a, b) for f, a, b in edits), test, **kw)


def R(id, description, edits, test, **kw):
    """A runtime guard (paths from the repository root), lib tests of tessera-runtime."""
    return Guard(id, description, "tessera-runtime", tuple(edits), test, **kw)


def A(id, description, edits, test, **kw):
    """An accumulator guard (paths from the repository root), lib tests of tessera-accumulator."""
    return Guard(id, description, "tessera-accumulator", tuple(edits), test, **kw)


GUARDS: list[Guard] = [
    # --- kernel (tessera-blocks) -------------------------------------------------------------
    M("M1", "sumcheck round not absorbed", [
        ("sumcheck/prover.rs", 'transcript.append_serializable(b"sumcheck round", &round);', ''),
        ("sumcheck/verifier.rs", 'transcript.append_serializable(b"sumcheck round", round);', ''),
    ], "round_polynomial_binds_its_challenge"),
    M("M2", "shplonk evaluations not absorbed", [
        ("kzg/batch.rs", 't.append_scalars(b"shplonk evaluations", e);', ''),
    ], "evaluations_bind_gamma"),
    M("M3", "hyperkzg folded commitments not absorbed", [
        ("hyperkzg/mod.rs", 'transcript.append_serializable(b"hyperkzg folded commitments", &folded_commitments);', ''),
        ("hyperkzg/mod.rs", 'transcript.append_serializable(b"hyperkzg folded commitments", &proof.folded_commitments);', ''),
    ], "hyperkzg::tests::conformance"),
    M("M4", "hyperkzg last folding equation unchecked", [
        ("hyperkzg/mod.rs", 'if fold_point_eval != Some(value) {', 'if false && fold_point_eval != Some(value) {'),
    ], "a_false_value_fails_the_last_folding_equation"),
    M("M5", "sumcheck final check skipped", [
        ("sumcheck/verifier.rs", 'if total == self.expected { Ok(()) }', 'if true { Ok(()) }'),
    ], "false_claim_is_rejected"),
    M("M6", "pairing check always passes", [
        ("kzg/pairing_claim.rs", 'if Curve::multi_pairing(g1, [vk.g2, vk.tau_g2]).is_zero() {',
         'if true || Curve::multi_pairing(g1, [vk.g2, vk.tau_g2]).is_zero() {'),
    ], "kzg::tests::wrong_value_or_witness_fails_the_pairing"),
    M("M7", "srs read without subgroup validation", [
        ("srs.rs", """            .par_iter()
            .try_for_each(|p| p.check())""", """            .par_iter()
            .try_for_each(|p| if false { p.check() } else { Ok(()) })"""),
    ], "points_outside_the_subgroup_are_rejected"),
    M("M8", "sumcheck round-count shape check removed", [
        ("sumcheck/verifier.rs", "if proof.rounds.len() != max_vars {", "if false {"),
    ], "sumcheck::tests::conformance"),
    M("M9", "hyperkzg r after folds: r squeezed before absorbing folds (prover and verifier)", [
        ("hyperkzg/mod.rs", '''    transcript.append_serializable(b"hyperkzg folded commitments", &folded_commitments);
    let r = transcript.challenge_scalar(b"hyperkzg r");''', '''    let r = transcript.challenge_scalar(b"hyperkzg r");
    transcript.append_serializable(b"hyperkzg folded commitments", &folded_commitments);'''),
        ("hyperkzg/mod.rs", '''    transcript.append_serializable(b"hyperkzg folded commitments", &proof.folded_commitments);
    let r = transcript.challenge_scalar(b"hyperkzg r");''', '''    let r = transcript.challenge_scalar(b"hyperkzg r");
    transcript.append_serializable(b"hyperkzg folded commitments", &proof.folded_commitments);'''),
    ], "hyperkzg::tests::conformance"),
    M("M10", "hadamard final check skipped", [
        ("elementwise/hadamard.rs", 'sub.check_final(PROTOCOL, &[&expr], &[vec![eq_at, proof.left_eval, proof.right_eval]])?;',
         'let _ = (&expr, eq_at);'),
    ], "wrong_hadamard_output_entry_is_rejected"),
    M("M11", "linear constant not confined to the unpadded region", [
        ("elementwise/linear.rs", 'let constant = fr_from_i64(spec.constant) * region_indicator(&axes, &spec.shape)?;',
         'let constant = fr_from_i64(spec.constant) + Fr::from(0u64) * region_indicator(&axes, &spec.shape)?;'),
    ], "constants_and_broadcasts_stay_out_of_padding"),
    M("M12", "broadcast indicator dropped", [
        ("elementwise/axes.rs", 'factor *= prefix_indicator(r, *o)?;', 'let _ = prefix_indicator(r, *o)?;'),
    ], "constants_and_broadcasts_stay_out_of_padding"),
    M("M13", "padding-check points drawn before the commitments", [
        ("elementwise/padding.rs", "    t.append_serializable(b\"padding check commitments\", &instance.commitments);\n", ""),
    ], "padding_garbage_cannot_be_fitted_to_the_points"),
    M("M14", "padding check ignores padded positions (no blocks)", [
        ("elementwise/padding.rs", '    while j < 1 << n {', '    while false && j < 1 << n {'),
    ], "nonzero_value_hidden_in_padding_is_rejected"),
    M("M15", "concat parts not summed against the claim", [
        ("permutation/concat.rs", 'if proof.parts.iter().sum::<Fr>() != instance.output.value {', 'if false {'),
    ], "concat_conformance"),
    M("M16", "hadamard batch final check skipped", [
        ("elementwise/hadamard_batch.rs", 'sub.check_final(PROTOCOL, &exprs, &finals)?;', 'let _ = (&exprs, &finals);'),
    ], "hadamard_batch_rejects_a_false_claim_and_tampered_fields"),
    M("M17", "lookup multiplicities not absorbed before zeta and beta", [
        ("lookup/mod.rs", '    t.append_serializable(b"lookup multiplicities", &instance.multiplicities);\n', ''),
    ], "beta_is_drawn_after_the_multiplicities"),
    M("M18", "lookup-side zero-check dropped (prover and verifier)", [
        ("lookup/prover.rs", 'let lookup_expr = zero_check_expr(zc.lambda);',
         'let lookup_expr = crate::sumcheck::SumOfProducts { terms: vec![(Fr::one(), vec![0]), (Fr::zero(), vec![2, 0, 1])] };'),
        ("lookup/verifier.rs", 'let lookup_expr = zero_check_expr(zc.lambda);',
         'let lookup_expr = SumOfProducts { terms: vec![(Fr::one(), vec![0]), (Fr::zero(), vec![2, 0, 1])] };'),
    ], "inverse_column_balancing_the_sum_is_rejected"),
    M("M19", "table-side zero-check dropped (prover and verifier)", [
        ("lookup/prover.rs", 'let table_expr = zero_check_expr(zc.lambda);',
         'let table_expr = crate::sumcheck::SumOfProducts { terms: vec![(Fr::one(), vec![0]), (Fr::zero(), vec![2, 0, 1])] };'),
        ("lookup/verifier.rs", 'let table_expr = zero_check_expr(zc.lambda);',
         'let table_expr = SumOfProducts { terms: vec![(Fr::one(), vec![0]), (Fr::zero(), vec![2, 0, 1])] };'),
    ], "table_inverses_balancing_the_sum_are_rejected"),
    M("M20", "table output claim dropped", [
        ("lookup/verifier.rs", '        committed.push(Claim { commitment: c, point: r_table.to_vec(), value: *e });',
         '        let _ = (c, e);'),
    ], "table_values_not_behind_the_verifying_key_commitment_are_rejected"),
    M("M21", "function columns combined with zeta = 0 (prover and verifier)", [
        ("lookup/mod.rs", 'let zeta = t.challenge_scalar(b"lookup zeta");',
         'let zeta = t.challenge_scalar(b"lookup zeta") * Fr::from(0u64);'),
    ], "function_pair_with_another_inputs_output_is_rejected"),
    M("M22", "conv taps final check skipped", [
        ("matmul/conv.rs", 'sub.check_final(TAPS, &[&prod2], &[vec![proof.weight_eval, proof.view_eval]])?;', 'let _ = &prod2;'),
    ], "grouped_wrong_output_entry_is_rejected"),
    M("M23", "conv window (and regroup) final check skipped", [
        ("matmul/conv.rs", 'sub2.check_final(WINDOW, &exprs, &finals)?;', 'let _ = (&exprs, &finals);'),
    ], "weights_applied_to_another_groups_channels_are_rejected"),
    M("M24", "conv group not absorbed in the statement", [
        ("matmul/conv.rs", 't.append_u64(b"conv group", s.group as u64);', ''),
    ], "proof_for_another_group_count_is_rejected"),
    M("M25", "combined inverse-chunk claim dropped", [
        ("lookup/verifier.rs", """    committed.push(Claim {
        commitment: Commitment::linear_combination(&proof.inverse_chunks, &chunk_weights)?,
        point: chunk_point,
        value: proof.inverse_eval,
    });""", """    let _ = (&chunk_weights, &chunk_point);"""),
    ], "inverse_chunk_claims_bind_the_committed_column"),
    M("M26", "lookup inverse commitments and sum not absorbed before lambda and tau", [
        ("lookup/verifier.rs", """    t.append_serializable(b"lookup inverse chunks", &chunks);
    t.append_serializable(b"lookup table inverses", g);
    t.append_scalar(b"lookup sum", sum);""", """    let _ = (t, chunks, g, sum);"""),
    ], "zero_check_point_is_drawn_after_the_inverse_columns"),
    M("M27", "lookup offset ignored by the verifier", [
        ("lookup/verifier.rs", "        offsets += w * fr_from_i64(v.offset) * own_mask;\n", ""),
    ], "offsets_shift_the_looked_up_values"),
    M("M28", "map batch gamma drawn before the values", [
        ("permutation/map_batch.rs", '    t.append_scalars(b"index map batch values", &instance.values);\n', ''),
    ], "gamma_is_drawn_after_the_values"),
    # Pattern updated for 1b3b726 (one column claim per vector-size group, each at its own point);
    # the old single claim at the chunk point no longer exists.
    M("M29", "combined column claim (per vector-size group) dropped", [
        ("lookup/verifier.rs", """        committed.push(Claim {
            commitment: Commitment::linear_combination(&bases, &coeffs)?,
            point: r[r.len() - group.vars..].to_vec(),
            value: *value,
        });""", """        let _ = (&bases, &coeffs, value);"""),
    ], "column_claims_bind_the_committed_columns"),
    M("M30", "sumcheck round-width check removed (verifier)", [
        ("sumcheck/verifier.rs", "if let Some(r) = proof.rounds.iter().find(|r| r.evals_except_one.len() != degree) {",
         "if let Some(r) = proof.rounds.iter().find(|_| false) {"),
    ], "sumcheck::tests::conformance"),
    M("M31", "sumcheck statement degree bound (MAX_DEGREE) removed (verifier)", [
        ("sumcheck/verifier.rs", "if let Some(s) = statements.iter().find(|s| s.degree > MAX_DEGREE) {",
         "if let Some(s) = statements.iter().find(|_| false) {"),
    ], "sumcheck::tests::bad_inputs_are_typed_errors"),

    M("M32", "issue 22 F1: lookup columns claimed at the chunk point (zero-extension assumed)", [
        ("lookup/layout.rs", """    pub fn claim_vars(&self, j: usize) -> usize {
        self.vars[j]
    }""", """    pub fn claim_vars(&self, j: usize) -> usize {
        self.chunk_vars.max(self.vars[j])
    }"""),
    ], "coefficients_past_a_vectors_size_cannot_shift_another_vector"),
    M("M33", "issue 22 F2: SRS file read without the consecutive-powers check", [
        ("srs.rs", """        let srs = Self { origin, powers_g1: powers_g1.into(), g2, tau_g2 };
        srs.check_powers()?;""", """        let srs = Self { origin, powers_g1: powers_g1.into(), g2, tau_g2 };
        srs.check_shape()?;"""),
    ], "powers_that_are_not_consecutive_are_rejected"),
    M("M34", "issue 22 F2: ceremony import without the consecutive-powers check", [
        ("srs.rs", """            Self { origin: SrsOrigin::Ceremony { name }, powers_g1: powers_g1.into(), g2, tau_g2 };
        srs.check_powers()?;""", """            Self { origin: SrsOrigin::Ceremony { name }, powers_g1: powers_g1.into(), g2, tau_g2 };
        srs.check_shape()?;"""),
    ], "powers_that_are_not_consecutive_are_rejected"),
    M("M35", "sumcheck claims not absorbed before alpha", [
        ("sumcheck/mod.rs", '        t.append_scalar(b"sumcheck claim", &claim);\n', '        let _ = claim;\n'),
    ], "alpha_is_drawn_after_the_claims"),
    M("M36", "sumcheck alpha fixed to 1 (prover and verifier)", [
        ("sumcheck/prover.rs", 'let alpha = transcript.challenge_scalar(b"sumcheck alpha");',
         'let alpha = { let _ = transcript.challenge_scalar(b"sumcheck alpha"); Fr::from(1u64) };'),
        ("sumcheck/verifier.rs", 'let alpha = transcript.challenge_scalar(b"sumcheck alpha");',
         'let alpha = { let _ = transcript.challenge_scalar(b"sumcheck alpha"); Fr::from(1u64) };'),
    ], "claims_are_combined_with_a_random_alpha"),
    M("M37", "lookup vector columns not absorbed before zeta and beta", [
        ("lookup/mod.rs", '        t.append_serializable(b"lookup vector columns", &v.columns);\n', ''),
    ], "zeta_and_beta_are_drawn_after_the_columns"),
    M("M38", "lookup zero-check weight lambda fixed to 1 (prover and verifier)", [
        ("lookup/verifier.rs", 'let lambda = t.challenge_scalar(b"lookup lambda");',
         'let lambda = { let _ = t.challenge_scalar(b"lookup lambda"); Fr::from(1u64) };'),
    ], "zero_check_is_weighted_by_a_random_lambda"),
    M("M39", "hyperkzg batch c fixed to 1 (prover and verifier)", [
        ("hyperkzg/mod.rs", '    t.challenge_scalar(b"hyperkzg batch c")\n',
         '    let _ = t.challenge_scalar(b"hyperkzg batch c");\n    Fr::one()\n'),
    ], "batch_values_are_combined_with_a_random_c"),
    M("M40", "hyperkzg batch values not absorbed before c", [
        ("hyperkzg/mod.rs", '    t.append_scalars(b"hyperkzg batch values", values);\n', '    let _ = values;\n'),
    ], "batch_c_is_drawn_after_the_values"),

    # --- runtime schedule and lowering (tessera-runtime lib tests) -----------------------------
    R("R1", "clamp zero check (z − a)·(z − lo) = 0 removed", [
        ("compiler/src/plan/steps/clamp.rs", 'zero_product(c, id, &shape, &[w.combine(1, &self.input, -1), w.clone().plus(-lo)]);',
         'let _ = lo;'),
    ], "relu_output_must_be_the_input_or_zero"),
    R("R2", "max-pool zero product removed", [
        ("compiler/src/plan/steps/max_pool.rs", '        zero_product(c, id, &shape, &diffs);\n', '        let _ = diffs;\n'),
    ], "pooled_max_must_be_a_tap"),
    R("R3", "max-pool differences not bound to the window views (map batch skipped)", [
        ("compiler/src/plan/steps/max_pool.rs", """        let claims = c.block::<MapBatch>(&n.label(), &spec, &instance, &|w| {
            Ok(vec![eval_lin(&w.committed, &lin, &ins, true)?])
        })?;
        let t = single_claim(claims, &n)?;
        c.leaf(&shifted, &in_shape, t.point, t.value)?;""",
         """        let _ = (spec, instance, lin, ins, shifted);"""),
    ], "pooled_differences_are_bound_to_the_window"),
    R("R4", "reduce-max selector not checked binary", [
        ("compiler/src/plan/steps/reduce_max.rs", 'zero_product(c, id, xs, &[Lin::of(s), Lin::of(s).plus(-1)]);',
         'let _ = s;'),
    ], "max_selector_must_be_binary"),
    R("R5", "exact range check: the top limb's shifted second lookup dropped", [
        ("compiler/src/plan/mod.rs", '(self.top_bits < table_bits).then(', '(self.top_bits > table_bits).then('),
    ], "rescale_remainder_is_bounded_by_its_exact_bits"),
    R("R6", "sum-pool tap values not summed against the claim", [
        ("compiler/src/plan/steps/sum_pool.rs", 'if values.iter().sum::<Fr>() != claim.value {',
         'if false && values.iter().sum::<Fr>() != claim.value {'),
    ], "sum_pool_binds_its_input"),
    R("R7", "rescale remainder range check 0 <= r < 2^s not emitted by lowering", [
        ("compiler/src/plan/steps/division.rs", "        l.exact_check(id, Lin::of(r), shift);\n", ""),
    ], "rescale_remainder_is_bounded_by_its_exact_bits"),
    R("R8", "div-const remainder upper check d - 1 - r >= 0 not emitted by lowering", [
        ("compiler/src/plan/lower.rs", "            self.loose_check(node, rest, d as i128 - 1);",
         "            let _ = rest;"),
    ], "div_const_remainder_must_stay_below_the_divisor"),
    R("R9", "div-round remainder upper check 2d - 1 - r >= 0 not emitted by lowering", [
        ("compiler/src/plan/steps/div_round.rs", "        l.loose_check(id, upper, max);", "        let _ = upper;"),
    ], "div_round_remainder_must_stay_below_twice_the_divisor"),

    R("R10", "issue 22 F1 end to end: lookup columns claimed at the chunk point", [
        ("blocks/src/lookup/layout.rs", """    pub fn claim_vars(&self, j: usize) -> usize {
        self.vars[j]
    }""", """    pub fn claim_vars(&self, j: usize) -> usize {
        self.chunk_vars.max(self.vars[j])
    }"""),
    ], "hidden_coefficients_cannot_move_a_rescale_remainder_into_range"),
    R("R11", "rescale quotient range check not emitted by lowering", [
        ("compiler/src/plan/steps/division.rs", """        l.signed_check(id, y);
        l.exact_check(id, Lin::of(r), shift);""", """        l.exact_check(id, Lin::of(r), shift);"""),
    ], "every_committed_quotient_is_range_checked"),
    R("R12", "verifying key digest not absorbed", [
        ("runtime/src/statement.rs", '    t.append_bytes(b"verifying key digest", &vk.digest());\n', '    let _ = vk;\n'),
    ], "a_proof_is_bound_to_its_verifying_key_digest"),
] + [
    R(f"R{13 + i}", f"runtime statement: {part} not absorbed", [
        ("runtime/src/statement.rs", f'    t.append_serializable(b"{part}", {arg});\n', f'    let _ = {arg};\n'),
    ], "every_part_of_the_statement_moves_the_first_challenge")
    for i, (part, arg) in enumerate([
        ("public values", "public"),
        ("committed tensors", "tensors"),
        ("range limbs", "limbs"),
        ("range multiplicities", "multiplicities"),
        ("function multiplicities", "function_multiplicities"),
    ])
] + [
    R("R18", "proof files read without point validation", [
        ("runtime/src/files.rs", "Proof::deserialize_compressed(&mut payload)",
         "Proof::deserialize_compressed_unchecked(&mut payload)"),
    ], "points_outside_the_subgroup_are_refused_in_proofs_and_keys"),
    R("R19", "verifying keys read without point validation", [
        ("runtime/src/keys.rs", "VkData::deserialize_compressed(&mut reader)",
         "VkData::deserialize_compressed_unchecked(&mut reader)"),
    ], "points_outside_the_subgroup_are_refused_in_proofs_and_keys"),
    Guard("R20", "issue 22 F4: public tensor names not compared with the plan's", "tessera-tests", (
        ("runtime/src/statement.rs", '        named("input", *k, &g.inputs[*k].0, t)?;\n', ''),
        ("runtime/src/statement.rs", '            named("output", k, name, t)?;\n', ''),
    ), "renamed_public_values_are_rejected", target=("--test", "soundness")),
    R("R21", "setup with the development SRS does not warn", [
        ("runtime/src/bin/tessera/commands.rs", """            if announce {
                eprintln!(""", """            if false && announce {
                eprintln!("""),
    ], "workflow_and_its_error_paths", target=("--test", "cli")),
    R("R22", "the library does not warn when it builds the development SRS", [
        ("blocks/src/srs.rs", """        tracing::warn!(
            seed,
            log_size,""", """        tracing::trace!(
            seed,
            log_size,"""),
    ], "workflow_and_its_error_paths", target=("--test", "cli")),
    R("R23", "the prover no longer checks each block's relation before proving it", [
        ("runtime/src/prover.rs", "        if self.check_relations {\n", "        if false && self.check_relations {\n"),
    ], "the_prover_checks_each_blocks_relation_first"),
    R("R24", "clamp zero check removed (caught by the step conformance suite too)", [
        ("compiler/src/plan/steps/clamp.rs", 'zero_product(c, id, &shape, &[w.combine(1, &self.input, -1), w.clone().plus(-lo)]);',
         'let _ = lo;'),
    ], "every_committed_step_conforms"),
    R("R25", "arg-max tie-break removed (sigma = 0: any maximal entry is accepted)", [
        ("compiler/src/plan/steps/arg_max.rs", "        if self.last { 1 } else { -1 }\n", "        0\n"),
    ], "arg_max_rejects_another_tied_maximum"),
    R("R26", "arg-max index range check i < K removed", [
        ("compiler/src/plan/steps/arg_max.rs", "        l.remainder_checks(id, at(Slot::Index), k as i64);\n",
         "        l.loose_check(id, Lin::of(at(Slot::Index)), k - 1);\n"),
    ], "arg_max_index_is_within_its_axis"),
    Guard("R27", "arg-max maximum m not range-checked (the field wrap an integer witness cannot show)",
          "tessera-compiler", (
        ("compiler/src/plan/steps/arg_max.rs",
         "        l.loose_check(id, Lin { terms: vec![(at(Slot::Max), -1)], constant: hi }, spread);\n",
         "        let _ = hi;\n"),
    ), "an_arg_max_checks_its_index_maximum_and_differences"),
    R("R28", "a committed public input not bound to the public values", [
        ("runtime/src/schedule/mod.rs", "                if self.plan.steps[id].committed() == 1 {\n",
         "                if false && self.plan.steps[id].committed() == 1 {\n"),
    ], "a_committed_public_input_is_bound_to_the_public_values"),

    # --- accumulator (tessera-accumulator lib tests) --------------------------------------------
    A("A1", "fold rho squeezed before the child claims", [
        ("accumulator/src/node/mod.rs",
         '        t.append_u64(b"accumulator node children", children.len() as u64);\n'
         '        t.append_u64(b"accumulator node num_vars", num_vars as u64);\n'
         '        for c in children {\n'
         '            c.absorb(b"accumulator child claim", t);\n'
         '        }\n'
         '        t.challenge_scalar(b"accumulator rho")',
         '        let rho = t.challenge_scalar(b"accumulator rho");\n'
         '        t.append_u64(b"accumulator node children", children.len() as u64);\n'
         '        t.append_u64(b"accumulator node num_vars", num_vars as u64);\n'
         '        for c in children {\n'
         '            c.absorb(b"accumulator child claim", t);\n'
         '        }\n'
         '        rho'),
    ], "rho_drawn_before_a_child_is_absorbed_is_forgeable_and_the_library_ordering_is_not"),
    A("A2", "fold rho fixed to 1 (prover and verifier share Sound::rho)", [
        ("accumulator/src/node/mod.rs", '        t.challenge_scalar(b"accumulator rho")\n    }',
         '        let _ = t.challenge_scalar(b"accumulator rho");\n        Fr::one()\n    }'),
    ], "rho_drawn_before_a_child_is_absorbed_is_forgeable_and_the_library_ordering_is_not"),
    A("A3", "fold verifier does not recompute eq(p_a, r*) (coefficients rho^a only)", [
        ("accumulator/src/node/mod.rs", "    let coeffs = folding_coefficients(&rho_powers, children, &pads, &subclaim.point)?;",
         "    let coeffs = { let _ = &pads; rho_powers.clone() };"),
    ], "output_claim_is_true_and_verifier_derives_it"),
]


# --- edits -------------------------------------------------------------------------------------

class PatternError(Exception):
    def __init__(self, verdict: str, detail: str):
        super().__init__(detail)
        self.verdict = verdict
        self.detail = detail


def repo_path(rel: str) -> str:
    path = os.path.normpath(os.path.join(REPO, rel))
    if os.path.commonpath([path, REPO]) != REPO:
        raise PatternError("PATTERN NOT FOUND", f"{rel}: outside the repository")
    return path


def planned_contents(guard: Guard) -> dict[str, tuple[bytes, bytes]]:
    """path -> (original bytes, edited bytes), computed in memory; raises PatternError."""
    originals: dict[str, bytes] = {}
    current: dict[str, str] = {}
    for rel, old, new in guard.edits:
        path = repo_path(rel)
        if path not in current:
            try:
                with open(path, "rb") as f:
                    originals[path] = f.read()
            except OSError as e:
                raise PatternError("PATTERN NOT FOUND", f"{rel}: cannot read ({e.strerror})")
            current[path] = originals[path].decode("utf-8")
        n = current[path].count(old)
        if n != 1:
            verdict = "PATTERN NOT FOUND" if n == 0 else "PATTERN AMBIGUOUS"
            first = old.strip().splitlines()[0] if old.strip() else repr(old)
            raise PatternError(verdict, f"{rel}: {n} occurrences of {first[:90]!r}")
        current[path] = current[path].replace(old, new, 1)
    return {p: (originals[p], current[p].encode("utf-8")) for p in current}


def write_atomic(path: str, data: bytes) -> None:
    """Replaces `path` by `data` in one rename (keeps the mode); never leaves a half-written file."""
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".guards-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# Signals set a flag and stop cargo's process group; they never raise at an arbitrary point (an
# exception raised inside a `finally` before the restore would skip it). The running guard then
# finishes normally -- cargo is gone, so at once -- its files are restored, and the run stops.
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class State:
    interrupted: int | None = None  # the first signal received
    proc: subprocess.Popen | None = None  # the running cargo, if any


def on_signal(signum, _frame):
    first = State.interrupted is None
    if first:
        State.interrupted = signum
    proc = State.proc
    if proc is not None and proc.poll() is None:
        try:
            # cargo's own process group (start_new_session): cargo, rustc, the test binary.
            os.killpg(proc.pid, signal.SIGTERM if first else signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def restore(written: dict[str, tuple[bytes, bytes]]) -> list[str]:
    """Writes every original back; returns the problems, if any (each names its file)."""
    problems = []
    for path, (original, edited) in written.items():
        rel = os.path.relpath(path, REPO)
        try:
            with open(path, "rb") as f:
                now = f.read()
        except OSError as e:
            problems.append(f"{rel}: unreadable, NOT restored ({e.strerror}); run: git checkout -- {rel}")
            continue
        if now == original:
            continue
        if now != edited:
            # Someone else changed the file while the guard ran: do not clobber their edit.
            fd, backup = tempfile.mkstemp(prefix="guards-original-", suffix="-" + os.path.basename(path))
            with os.fdopen(fd, "wb") as f:
                f.write(original)
            problems.append(f"{rel}: changed by someone else during the run, NOT restored; "
                            f"original saved to {backup} (also: git show HEAD:{rel})")
            continue
        try:
            write_atomic(path, original)
        except OSError as e:
            problems.append(f"{rel}: restore failed ({e.strerror}); run: git checkout -- {rel}")
    return problems


# --- git pre-flight ----------------------------------------------------------------------------

def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True)


def preflight(guards: list[Guard]) -> str | None:
    """None if every file the guards edit is tracked and unmodified, else the reason to refuse."""
    try:
        rels = sorted({os.path.relpath(repo_path(rel), REPO) for g in guards for rel, _, _ in g.edits})
    except PatternError as e:
        return e.detail
    try:
        tracked = git("ls-files", "--error-unmatch", "--", *rels)
    except OSError as e:
        return f"cannot run git ({e.strerror}); refusing to edit files that git cannot restore"
    if tracked.returncode != 0:
        return "files not tracked by git (refusing to edit them):\n" + tracked.stderr.strip()
    status = git("status", "--porcelain", "--untracked-files=all", "--", *rels)
    if status.returncode != 0:
        return "git status failed:\n" + status.stderr.strip()
    if status.stdout.strip():
        return ("files the selected guards edit have uncommitted changes (commit or stash them, or "
                "select other guards; the harness never edits modified files):\n" + status.stdout.rstrip())
    return None


# --- cargo and libtest output ------------------------------------------------------------------

RUNNING = re.compile(r"^running (\d+) tests?$", re.M)
TEST_LINE = re.compile(r"^test (\S+)(?: - should panic)? \.\.\. (ok|FAILED|ignored)\b", re.M)
RESULT = re.compile(r"^test result: (ok|FAILED)\.", re.M)


def cargo_command(g: Guard) -> list[str]:
    cargo = os.environ.get("CARGO", "cargo")
    return [cargo, "test", "--locked", "-p", g.crate, *g.target, *g.extra, "--", g.test, "--color", "never"]


def matches(name: str, test: str) -> bool:
    return name == test or name.endswith("::" + test)


def judge(g: Guard, returncode: int, stdout: str) -> tuple[str, bool, str]:
    """(verdict, guard works, detail) from cargo's exit code and libtest's stdout."""
    counts = [int(n) for n in RUNNING.findall(stdout)]
    if not counts:
        return "BUILD ERROR", False, "no `running N tests` line (the target did not compile?)"
    mine = [(n, s) for n, s in TEST_LINE.findall(stdout) if matches(n, g.test) and s != "ignored"]
    if not mine:
        if sum(counts) == 0:
            return "NO TEST RAN", False, "running 0 tests: the filter matched nothing"
        if returncode != 0 and not RESULT.search(stdout):
            return "CRASHED", False, "the test binary died before the guard's test reported"
        others = sorted({n for n, _ in TEST_LINE.findall(stdout)})
        return "NO TEST RAN", False, f"none of the tests that ran is `{g.test}`: {others[:5]}"
    failed = [n for n, s in mine if s == "FAILED"]
    if failed:
        return "FAILS (guard works)", True, ", ".join(failed)
    return "STILL PASSES (!)", False, ", ".join(n for n, _ in mine)


def first_errors(stderr: str, limit: int = 12) -> list[str]:
    """The first compiler errors (a few lines each), else the last lines of stderr."""
    lines = stderr.splitlines()
    keep: list[int] = []
    for i in [i for i, l in enumerate(lines) if l.startswith("error")][:3]:
        keep.extend(j for j in range(i, min(i + 4, len(lines))) if j not in keep)
    out = [lines[j] for j in keep]
    return (out or lines[-limit:])[:limit]


def stop(proc: subprocess.Popen) -> None:
    """Stops cargo's process group (the one this harness created) and reaps it."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_cargo(g: Guard, timeout: float | None) -> tuple[int | None, str, str]:
    """(exit code or None on timeout, stdout, stderr). cargo runs in a new session, so a Ctrl-C in
    the terminal reaches only this harness, whose handler stops cargo's group."""
    env = dict(os.environ, CARGO_TERM_COLOR="never")
    proc = subprocess.Popen(cargo_command(g), cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace",
                            start_new_session=True)
    State.proc = proc
    try:
        if State.interrupted is not None:  # a signal between the edits and Popen
            stop(proc)
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        stop(proc)
        out, err = proc.communicate()
        return None, out, err
    finally:
        # Whatever happened, cargo must be gone before the sources are restored.
        stop(proc)
        State.proc = None


# --- one guard ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    guard: Guard
    verdict: str
    works: bool
    seconds: float
    detail: str = ""
    output_tail: str = ""


def run_guard(g: Guard, timeout: float | None) -> tuple[Outcome, list[str]]:
    start = time.monotonic()
    # Checked again per guard: someone may have started editing one of its files since the start.
    reason = preflight([g])
    if reason:
        return Outcome(g, "REFUSED", False, time.monotonic() - start, reason), []
    try:
        plan = planned_contents(g)
    except PatternError as e:
        return Outcome(g, e.verdict, False, time.monotonic() - start, e.detail), []
    written: dict[str, tuple[bytes, bytes]] = {}
    try:
        for path, (original, edited) in plan.items():
            written[path] = (original, edited)
            write_atomic(path, edited)
        code, out, err = run_cargo(g, timeout)
    finally:
        problems = restore(written)
    secs = time.monotonic() - start
    tail = "\n".join((err.splitlines() + out.splitlines())[-40:])
    if State.interrupted is not None:
        return Outcome(g, "INTERRUPTED", False, secs, "cargo was stopped", tail), problems
    if code is None:
        return Outcome(g, "TIMEOUT", False, secs, f"no result after {timeout} s", tail), problems
    verdict, works, detail = judge(g, code, out)
    if verdict == "BUILD ERROR":
        detail = "\n".join(first_errors(err))
    return Outcome(g, verdict, works, secs, detail, tail), problems


# --- selection and main ------------------------------------------------------------------------

def select(args, parser) -> tuple[list[Guard], str]:
    ids = [g.id for g in GUARDS]
    if len(set(ids)) != len(ids):
        parser.error("duplicate guard ids in GUARDS")
    if args.ids and (args.subset or args.from_commit):
        parser.error("give ids or --subset/--from-commit, not both")
    if args.subset and args.from_commit:
        parser.error("give --subset or --from-commit, not both")
    if args.subset:
        m = re.fullmatch(r"(\d+)/(\d+)", args.subset)
        if not m or int(m[2]) == 0 or int(m[1]) >= int(m[2]):
            parser.error("--subset takes K/N with 0 <= K < N")
        k, n = int(m[1]), int(m[2])
        return [g for i, g in enumerate(GUARDS) if i % n == k], f"subset {k}/{n}"
    if args.from_commit:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            parser.error("--from-commit: git rev-parse HEAD failed: " + head.stderr.strip())
        sha = head.stdout.strip()
        n = max(1, len(GUARDS) // 3)
        k = int(sha, 16) % n
        return [g for i, g in enumerate(GUARDS) if i % n == k], f"subset {k}/{n} from HEAD {sha[:12]}"
    if not args.ids:
        return list(GUARDS), "all"
    chosen: set[str] = set()
    for sel in args.ids:
        exact = [g.id for g in GUARDS if g.id.lower() == sel.lower()]
        hits = exact or [g.id for g in GUARDS if g.id.lower().startswith(sel.lower())]
        if not hits:
            parser.error(f"no guard id matches {sel!r} (see --list)")
        chosen.update(hits)
    return [g for g in GUARDS if g.id in chosen], "by id"


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Remove each soundness guard in turn and check that its test fails.",
        epilog="See the module docstring for the verdicts and the safety rules.")
    parser.add_argument("ids", nargs="*", help="guard ids (exact) or id prefixes")
    parser.add_argument("--subset", metavar="K/N", help="guards whose index mod N == K")
    parser.add_argument("--from-commit", action="store_true",
                        help="about three guards, chosen from git rev-parse HEAD")
    parser.add_argument("--list", action="store_true", help="print the selected guards and exit")
    parser.add_argument("--check-patterns", action="store_true",
                        help="check that every edit applies; no cargo, nothing written")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="per-guard cargo timeout")
    parser.add_argument("-x", "--fail-fast", action="store_true", help="stop at the first guard that does not work")
    parser.add_argument("-v", "--verbose", action="store_true", help="show cargo commands and output tails")
    args = parser.parse_args()
    guards, how = select(args, parser)

    if args.list:
        for g in guards:
            target = " ".join(g.target + g.extra)
            print(f"{g.id:5} {g.crate:20} {target:18} {g.test}  -- {g.description}")
        print(f"{len(guards)} of {len(GUARDS)} guards ({how})")
        return 0

    if args.check_patterns:
        bad = 0
        for g in guards:
            try:
                planned_contents(g)
            except PatternError as e:
                bad += 1
                print(f"{g.id}: {e.verdict}: {e.detail}")
        print(f"{len(guards) - bad} passed, {bad} failed (patterns only; {how})")
        return 1 if bad else 0

    reason = preflight(guards)
    if reason:
        print(f"guards.py: refusing to run: {reason}", file=sys.stderr)
        return 2

    previous = {s: signal.signal(s, on_signal) for s in HANDLED_SIGNALS}
    outcomes: list[Outcome] = []
    problems: list[str] = []
    print(f"{len(guards)} guards ({how}); repository {REPO}", flush=True)
    try:
        for g in guards:
            if State.interrupted is not None:
                break
            if args.verbose:
                print(f"{g.id}: $ {' '.join(cargo_command(g))}", flush=True)
            o, p = run_guard(g, args.timeout)
            problems += p
            outcomes.append(o)
            print(f"{g.id}: test {g.test} {o.verdict}  [{o.seconds:.1f}s]", flush=True)
            if not o.works:
                if o.detail:
                    print("    " + o.detail.replace("\n", "\n    "), flush=True)
                if args.verbose and o.output_tail:
                    print("    --- output tail ---\n    " + o.output_tail.replace("\n", "\n    "), flush=True)
            for msg in p:
                print(f"{g.id}: RESTORE PROBLEM: {msg}", file=sys.stderr, flush=True)
            if p:
                print("guards.py: stopping: a file could not be restored as expected", file=sys.stderr)
                break
            if args.fail_fast and not o.works:
                break
    finally:
        for s, h in previous.items():
            signal.signal(s, h)

    # Belt and braces: the edited files must be clean again.
    leftover = preflight(guards)
    if leftover:
        problems.append(leftover)
        print(f"guards.py: after the run: {leftover}", file=sys.stderr)
    passed = sum(o.works for o in outcomes)
    failed = len(outcomes) - passed
    total = sum(o.seconds for o in outcomes)
    broken = [o.guard.id for o in outcomes if not o.works]
    if broken:
        print(f"not working: {' '.join(broken)}")
    if problems:
        print(f"{len(problems)} restore problem(s): see above", file=sys.stderr)
    print(f"total {total:.0f}s")
    if State.interrupted is not None:
        name = signal.Signals(State.interrupted).name
        print(f"interrupted by {name} after {len(outcomes)} of {len(guards)} guards; "
              f"the edited files were restored" + ("" if not problems else " (except as reported)"),
              file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    if State.interrupted is not None:
        return 128 + State.interrupted
    return 0 if failed == 0 and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
