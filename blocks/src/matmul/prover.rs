//! The fixed-weight matmul prover: bound tables, one degree-2 sumcheck, the emitted claims.

use ark_ff::Zero;
use rayon::prelude::*;
use tracing::instrument;

use super::fixed::{
    MatmulInstance, MatmulProof, MatmulSpec, MatmulWitness, absorb_evals, absorb_statement,
    emitted_claims, sumcheck_claim,
};
use super::index::{SmallInts, count, padded_indices};
use crate::claim::BlockClaims;
use crate::curve::Fr;
use crate::error::Error;
use crate::mle::{DenseMle, eq_table};
use crate::sumcheck::{SumcheckInstance, prove_batch};
use crate::transcript::Transcript;

/// Rows per parallel work item when binding `X`.
const ROW_CHUNK: usize = 64;

/// Splits the output claim's point into `(r_rows, r_cols)`, checking its length.
pub(super) fn split_point<'a>(
    spec: &MatmulSpec,
    point: &'a [Fr],
) -> Result<(&'a [Fr], &'a [Fr]), Error> {
    let expected = spec.row_vars() + spec.col_vars();
    if point.len() != expected {
        return Err(Error::Length { what: "matmul output point", expected, got: point.len() });
    }
    Ok(point.split_at(spec.row_vars()))
}

/// Proves the instance (see the module doc for the schedule).
#[instrument(skip_all, fields(rows = ?spec.rows, inner = spec.inner, cols = spec.cols))]
pub(super) fn prove(
    spec: &MatmulSpec,
    instance: &MatmulInstance,
    witness: &MatmulWitness,
    t: &mut Transcript,
) -> Result<(MatmulProof, BlockClaims), Error> {
    spec.validate()?;
    let w = &witness.weights;
    if witness.input.shape() != spec.input_shape()
        || w.weight.inner() != spec.inner
        || w.weight.cols() != spec.cols
        || spec.bias != instance.bias.is_some()
        || spec.bias != w.bias.is_some()
    {
        return Err(Error::Invalid {
            what: PROTOCOL_WITNESS,
            reason: "shapes differ from the spec".into(),
        });
    }
    let (r_rows, r_cols) = split_point(spec, &instance.output.point)?;
    // 1. The statement.
    absorb_statement(t, spec, instance);
    let eq_cols = eq_table(r_cols)?;
    // 2. b̃(r_cols), sent before the sumcheck so its claim depends on it.
    let bias_eval = w.bias.as_ref().map(|b| {
        b.iter()
            .zip(&eq_cols)
            .fold(Fr::zero(), |acc, (x, e)| acc + *e * crate::curve::fr_from_i64(*x))
    });
    if let Some(b) = &bias_eval {
        t.append_scalar(b"matmul bias evaluation", b);
    }
    // 3. A(k) = X̃(r_rows, k), B(k) = W̃(k, r_cols); Σ_k α·A(k)·B(k) = v − β·ind·b̃.
    let small = SmallInts::new();
    let k_pad = 1usize << spec.inner_vars();
    let a = bind_rows(spec, witness.input.data(), &eq_table(r_rows)?, k_pad, &small)?;
    let b = w.weight.bind_cols(&eq_cols, k_pad, &small);
    let claim = sumcheck_claim(spec, instance.output.value, r_rows, bias_eval);
    let sumcheck = SumcheckInstance {
        polys: vec![DenseMle::new(a)?, DenseMle::new(b)?],
        expr: spec.expression(),
    };
    let out = prove_batch(vec![sumcheck], &[claim], t)?;
    // 4. A(r_k), B(r_k).
    let (input_eval, weight_eval) = match out.final_evals.first().map(Vec::as_slice) {
        Some([a, b]) => (*a, *b),
        _ => {
            return Err(Error::Invalid {
                what: PROTOCOL_WITNESS,
                reason: "sumcheck output".into(),
            });
        }
    };
    absorb_evals(t, [input_eval, weight_eval]);
    let proof = MatmulProof { bias_eval, sumcheck: out.proof, input_eval, weight_eval };
    let claims = emitted_claims(spec, instance, (r_rows, r_cols), &out.point, &proof);
    Ok((proof, claims))
}

const PROTOCOL_WITNESS: &str = "matmul witness";

/// `A(k) = Σ_i eq(r_rows, pad(i))·X[i, k]` for `k < inner`, zero up to `k_pad`.
fn bind_rows(
    spec: &MatmulSpec,
    x: &[i64],
    eq_rows: &[Fr],
    k_pad: usize,
    small: &SmallInts,
) -> Result<Vec<Fr>, Error> {
    let (m, k_len) = (count(&spec.rows)?, spec.inner);
    let mut a = if spec.trans_input {
        // X is [inner, rows]: one dot product per k; a single row axis pads to itself.
        let dot = |row: &[i64]| {
            let mut acc = Fr::zero();
            for (e, v) in eq_rows.iter().zip(row) {
                small.mul_add(&mut acc, *e, *v);
            }
            acc
        };
        x.par_chunks(m).map(dot).collect()
    } else {
        let rows = padded_indices(&spec.rows);
        let chunk = |(c, block): (usize, &[i64])| {
            let mut acc = vec![Fr::zero(); k_len];
            for (i, row) in block.chunks_exact(k_len).enumerate() {
                let e = eq_rows[rows[c * ROW_CHUNK + i]];
                for (s, v) in acc.iter_mut().zip(row) {
                    small.mul_add(s, e, *v);
                }
            }
            acc
        };
        let add = |mut p: Vec<Fr>, q: Vec<Fr>| {
            p.iter_mut().zip(q).for_each(|(s, v)| *s += v);
            p
        };
        let blocks = x.par_chunks(ROW_CHUNK * k_len).enumerate();
        debug_assert_eq!(x.len(), m * k_len);
        blocks.map(chunk).reduce(|| vec![Fr::zero(); k_len], add)
    };
    a.resize(k_pad, Fr::zero());
    Ok(a)
}
