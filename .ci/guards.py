#!/usr/bin/env python3
"""Guard-removal check (manual, not part of CI): each entry removes one soundness guard from the
kernel (M), the accumulator (A) or the runtime's schedule (R), runs the test meant to catch it, reports whether that test now fails, and restores the
file. Every line must say "FAILS (guard works)". Usage: python3 .ci/guards.py [M1 R2 ...]"""
import subprocess, sys
import os
REPO=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT=os.path.join(REPO,'blocks','src')+'/'
M = [
 ("M1 sumcheck round not absorbed", [("sumcheck/prover.rs",'transcript.append_serializable(b"sumcheck round", &round);',''),("sumcheck/verifier.rs",'transcript.append_serializable(b"sumcheck round", round);','')], "round_polynomial_binds_its_challenge"),
 ("M2 shplonk evaluations not absorbed", [("kzg/batch.rs",'t.append_scalars(b"shplonk evaluations", e);','')], "evaluations_bind_gamma"),
 ("M3 hyperkzg folded commitments not absorbed", [("hyperkzg/mod.rs",'transcript.append_serializable(b"hyperkzg folded commitments", &folded_commitments);',''),("hyperkzg/mod.rs",'transcript.append_serializable(b"hyperkzg folded commitments", &proof.folded_commitments);','')], "hyperkzg::tests::conformance"),
 ("M4 hyperkzg last folding equation unchecked", [("hyperkzg/mod.rs",'if fold_point_eval != Some(value) {','if false && fold_point_eval != Some(value) {')], "a_false_value_fails_the_last_folding_equation"),
 ("M5 sumcheck final check skipped", [("sumcheck/verifier.rs",'if total == self.expected { Ok(()) }','if true { Ok(()) }')], "false_claim_is_rejected"),
 ("M6 pairing check always passes", [("kzg/pairing_claim.rs",'if Curve::multi_pairing(g1, [vk.g2, vk.tau_g2]).is_zero() {','if true || Curve::multi_pairing(g1, [vk.g2, vk.tau_g2]).is_zero() {')], "kzg::tests::wrong_value_or_witness_fails_the_pairing"),
 ("M7 srs read without subgroup validation", [("srs.rs","""            .par_iter()
            .try_for_each(|p| p.check())""","""            .par_iter()
            .try_for_each(|p| if false { p.check() } else { Ok(()) })""")], "points_outside_the_subgroup_are_rejected"),
 ("M8 sumcheck round-count shape check removed", [("sumcheck/verifier.rs","if proof.rounds.len() != max_vars {","if false {")], "sumcheck::tests::conformance"),
 ("M9 hyperkzg r after folds: r squeezed before absorbing folds (prover and verifier)", [("hyperkzg/mod.rs",'''    transcript.append_serializable(b"hyperkzg folded commitments", &folded_commitments);
    let r = transcript.challenge_scalar(b"hyperkzg r");''','''    let r = transcript.challenge_scalar(b"hyperkzg r");
    transcript.append_serializable(b"hyperkzg folded commitments", &folded_commitments);'''),("hyperkzg/mod.rs",'''    transcript.append_serializable(b"hyperkzg folded commitments", &proof.folded_commitments);
    let r = transcript.challenge_scalar(b"hyperkzg r");''','''    let r = transcript.challenge_scalar(b"hyperkzg r");
    transcript.append_serializable(b"hyperkzg folded commitments", &proof.folded_commitments);''')], "hyperkzg::tests::conformance"),
 ("M10 hadamard final check skipped", [("elementwise/hadamard.rs",'sub.check_final(PROTOCOL, &[&expr], &[vec![eq_at, proof.left_eval, proof.right_eval]])?;','let _ = (&expr, eq_at);')], "wrong_hadamard_output_entry_is_rejected"),
 ("M11 linear constant not confined to the unpadded region", [("elementwise/linear.rs",'let constant = fr_from_i64(spec.constant) * region_indicator(&axes, &spec.shape)?;','let constant = fr_from_i64(spec.constant) + Fr::from(0u64) * region_indicator(&axes, &spec.shape)?;')], "constants_and_broadcasts_stay_out_of_padding"),
 ("M12 broadcast indicator dropped", [("elementwise/axes.rs",'factor *= prefix_indicator(r, *o)?;','let _ = prefix_indicator(r, *o)?;')], "constants_and_broadcasts_stay_out_of_padding"),
 ("M13 padding-check points drawn before the commitments", [("elementwise/padding.rs","    t.append_serializable(b\"padding check commitments\", &instance.commitments);\n","")], "padding_garbage_cannot_be_fitted_to_the_points"),
 ("M14 padding check ignores padded positions (no blocks)", [("elementwise/padding.rs",'    while j < 1 << n {','    while false && j < 1 << n {')], "nonzero_value_hidden_in_padding_is_rejected"),
 ("M15 concat parts not summed against the claim", [("permutation/concat.rs",'if proof.parts.iter().sum::<Fr>() != instance.output.value {','if false {')], "concat_conformance"),
 ("M16 hadamard batch final check skipped", [("elementwise/hadamard_batch.rs",'sub.check_final(PROTOCOL, &exprs, &finals)?;','let _ = (&exprs, &finals);')], "hadamard_batch_rejects_a_false_claim_and_tampered_fields"),
 ("M17 lookup multiplicities not absorbed before zeta and beta", [("lookup/mod.rs",'    t.append_serializable(b"lookup multiplicities", &instance.multiplicities);\n','')], "beta_is_drawn_after_the_multiplicities"),
 ("M18 lookup-side zero-check dropped (prover and verifier)", [("lookup/prover.rs",'let lookup_expr = zero_check_expr(zc.lambda);','let lookup_expr = crate::sumcheck::SumOfProducts { terms: vec![(Fr::one(), vec![0]), (Fr::zero(), vec![2, 0, 1])] };'),("lookup/verifier.rs",'let lookup_expr = zero_check_expr(zc.lambda);','let lookup_expr = SumOfProducts { terms: vec![(Fr::one(), vec![0]), (Fr::zero(), vec![2, 0, 1])] };')], "inverse_column_balancing_the_sum_is_rejected"),
 ("M19 table-side zero-check dropped (prover and verifier)", [("lookup/prover.rs",'let table_expr = zero_check_expr(zc.lambda);','let table_expr = crate::sumcheck::SumOfProducts { terms: vec![(Fr::one(), vec![0]), (Fr::zero(), vec![2, 0, 1])] };'),("lookup/verifier.rs",'let table_expr = zero_check_expr(zc.lambda);','let table_expr = SumOfProducts { terms: vec![(Fr::one(), vec![0]), (Fr::zero(), vec![2, 0, 1])] };')], "table_inverses_balancing_the_sum_are_rejected"),
 ("M20 table output claim dropped", [("lookup/verifier.rs",'        committed.push(Claim { commitment: c, point: r_table.to_vec(), value: *e });','        let _ = (c, e);')], "table_values_not_behind_the_verifying_key_commitment_are_rejected"),
 ("M26 lookup inverse commitments and sum not absorbed before lambda and tau", [("lookup/verifier.rs","""    t.append_serializable(b"lookup inverse chunks", &chunks);
    t.append_serializable(b"lookup table inverses", g);
    t.append_scalar(b"lookup sum", sum);""","""    let _ = (t, chunks, g, sum);""")], "zero_check_point_is_drawn_after_the_inverse_columns"),
 ("M27 lookup offset ignored by the verifier", [("lookup/verifier.rs","        offsets += w * fr_from_i64(v.offset) * own_mask;\n","")], "offsets_shift_the_looked_up_values"),
 ("M28 map batch gamma drawn before the values", [("permutation/map_batch.rs",'    t.append_scalars(b"index map batch values", &instance.values);\n','')], "gamma_is_drawn_after_the_values"),
 ("M25 combined inverse-chunk claim dropped", [("lookup/verifier.rs","""    committed.push(Claim {
        commitment: Commitment::linear_combination(&proof.inverse_chunks, &chunk_weights)?,
        point: chunk_point,
        value: proof.inverse_eval,
    });""","""    let _ = (&chunk_weights, &chunk_point);""")], "inverse_chunk_claims_bind_the_committed_column"),
 ("M29 combined column claim dropped", [("lookup/verifier.rs","""    committed.push(Claim {
        commitment: Commitment::linear_combination(&bases, &coeffs)?,
        point: chunk_point.clone(),
        value: proof.column_eval,
    });""","""    let _ = (&bases, &coeffs);""")], "column_claims_bind_the_committed_columns"),
 ("M21 function columns combined with zeta = 0 (prover and verifier)", [("lookup/mod.rs",'let zeta = t.challenge_scalar(b"lookup zeta");','let zeta = t.challenge_scalar(b"lookup zeta") * Fr::from(0u64);')], "function_pair_with_another_inputs_output_is_rejected"),
 ("M22 conv taps final check skipped", [("matmul/conv.rs",'sub.check_final(TAPS, &[&prod2], &[vec![proof.weight_eval, proof.view_eval]])?;','let _ = &prod2;')], "grouped_wrong_output_entry_is_rejected"),
 ("M23 conv window (and regroup) final check skipped", [("matmul/conv.rs",'sub2.check_final(WINDOW, &exprs, &finals)?;','let _ = (&exprs, &finals);')], "weights_applied_to_another_groups_channels_are_rejected"),
 ("M24 conv group not absorbed in the statement", [("matmul/conv.rs",'t.append_u64(b"conv group", s.group as u64);','')], "proof_for_another_group_count_is_rejected"),
]
# Guards of the runtime's schedule, checked by its cheating-prover tests (paths from the repository
# root; run with `cargo test -p tessera-runtime --lib`).
R = [
 ("R1 clamp zero check (z − a)·(z − lo) = 0 removed", [("runtime/src/schedule/relations.rs",'self.zero_product(id, &[w.combine(1, &input, -1), w.clone().plus(-lo)])?;','let _ = (&input, lo);')], "relu_output_must_be_the_input_or_zero"),
 ("R2 max-pool zero product removed", [("runtime/src/schedule/relations.rs",'                self.zero_product(id, &diffs)\n','                { let _ = diffs; Ok(()) }\n')], "pooled_max_must_be_a_tap"),
 ("R3 max-pool differences not bound to the window views (map batch skipped)", [("runtime/src/schedule/relations.rs","""                let claims =
                    self.side.block::<MapBatch>(&self.name(id), &spec, &instance, &|w| {
                        Ok(vec![eval_lin(&w.committed, &lin, &ins, true)?])
                    })?;
                let [c] = <[TensorClaim; 1]>::try_from(claims.tensors)
                    .map_err(|_| Reject { at: self.name(id), what: "window claims".into() })?;
                self.lin_leaf(&shifted, &in_shape, c.point, c.value)?;""","""                let _ = (spec, instance, lin, ins, shifted);""")], "pooled_differences_are_bound_to_the_window"),
 ("R4 reduce-max selector not checked binary", [("runtime/src/schedule/relations.rs",'self.zero_product_shaped(id, &xs, &[Lin::of(s), Lin::of(s).plus(-1)])?;','let _ = (&xs, s);')], "max_selector_must_be_binary"),
 ("R6 sum-pool tap values not summed against the claim", [("runtime/src/schedule/derived.rs",'if values.iter().sum::<Fr>() != claim.value {','if false && values.iter().sum::<Fr>() != claim.value {')], "sum_pool_binds_its_input"),
 ("R5 exact range check: the top limb's shifted second lookup dropped", [("compiler/src/plan/mod.rs",'(self.top_bits < table_bits).then(','(self.top_bits > table_bits).then(')], "rescale_remainder_is_bounded_by_its_exact_bits"),
]
# Guards of the accumulator (paths from the repository root; its own lib tests).
A = [
 ("A1 fold rho squeezed before the child claims", [("accumulator/src/node/mod.rs",'        t.append_u64(b"accumulator node children", children.len() as u64);\n        t.append_u64(b"accumulator node num_vars", num_vars as u64);\n        for c in children {\n            c.absorb(b"accumulator child claim", t);\n        }\n        t.challenge_scalar(b"accumulator rho")','        let rho = t.challenge_scalar(b"accumulator rho");\n        t.append_u64(b"accumulator node children", children.len() as u64);\n        t.append_u64(b"accumulator node num_vars", num_vars as u64);\n        for c in children {\n            c.absorb(b"accumulator child claim", t);\n        }\n        rho')], "rho_drawn_before_a_child_is_absorbed_is_forgeable_and_the_library_ordering_is_not"),
]
sel = sys.argv[1:] 
CASES = [(n, [(ROOT+f, a, b) for f, a, b in e], t, 'tessera-blocks') for n, e, t in M]
CASES += [(n, [(os.path.join(REPO, f), a, b) for f, a, b in e], t, 'tessera-runtime') for n, e, t in R]
CASES += [(n, [(os.path.join(REPO, f), a, b) for f, a, b in e], t, 'tessera-accumulator') for n, e, t in A]
for name, edits, test, crate in CASES:
    if sel and not any(name.startswith(x) for x in sel): continue
    originals = {}
    ok = True
    for path, a, b in edits:
        s = originals.get(path) or open(path).read()
        originals.setdefault(path, s)
        cur = open(path).read()
        if a not in cur:
            print(name, ": PATTERN NOT FOUND", a[:60]); ok=False; break
        open(path,'w').write(cur.replace(a,b,1))
    if ok:
        r = subprocess.run(['cargo','test','-q','-p',crate,'--lib','--',test], cwd=REPO, capture_output=True, text=True)
        failed = 'test result: FAILED' in r.stdout or r.returncode != 0
        built = 'error[' not in r.stderr
        print(f"{name}: test `{test}` {'FAILS (guard works)' if failed and built else ('BUILD ERROR' if not built else 'STILL PASSES (!)')}", flush=True)
    for path, s in originals.items():
        open(path,'w').write(s)
