//! Lookup prover: the relation check, the packed columns, the inverse commitments, the sumcheck
//! and the final evaluations.

use ark_ff::{Field, One, Zero};
use rayon::prelude::*;
use tracing::instrument;

use super::inverses::{self, Entry};
use super::layout::Layout;
use super::verifier::{check_instance, output_claims, zero_check_expr};
use super::{
    LookupInstance, LookupOutput, LookupProof, LookupSpec, LookupWitness, derive_challenges,
    violated,
};
use crate::curve::{Fr, fr_from_i64};
use crate::error::{Error, RelationError};
use crate::mle::{DenseMle, eq_table};
use crate::srs::Srs;
use crate::sumcheck::{SumcheckInstance, prove_batch};
use crate::tensor::{IntTensor, padded_positions};
use crate::transcript::Transcript;

/// The relation: shapes match the instance, every tuple (with its offset) is a table row, and the
/// multiplicities are the exact counts.
pub(super) fn check_relation(
    spec: &LookupSpec,
    instance: &LookupInstance,
    witness: &LookupWitness,
) -> Result<(), RelationError> {
    check_instance(spec, instance).map_err(|e| violated(e.to_string()))?;
    check_shapes(instance, &witness.inputs).map_err(|e| violated(e.to_string()))?;
    let looked_up = with_offsets(instance, &witness.inputs).map_err(|e| violated(e.to_string()))?;
    let m = super::multiplicities(&spec.table, &looked_up)?;
    if m != witness.multiplicities {
        let row = m.iter().zip(&witness.multiplicities).position(|(a, b)| a != b);
        return Err(violated(format!(
            "multiplicities differ from the counts (first at row {row:?})"
        )));
    }
    Ok(())
}

/// The looked-up values: every vector's first column plus its offset.
fn with_offsets(
    instance: &LookupInstance,
    inputs: &[Vec<IntTensor>],
) -> Result<Vec<Vec<IntTensor>>, Error> {
    inputs
        .iter()
        .zip(&instance.inputs)
        .map(|(cols, v)| {
            let mut cols = cols.clone();
            if let Some(first) = cols.first_mut().filter(|_| v.offset != 0) {
                let data = first
                    .data()
                    .iter()
                    .map(|x| x.checked_add(v.offset))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(Error::Invalid { what: "lookup", reason: "offset overflows".into() })?;
                *first = IntTensor::new(first.shape().to_vec(), data)?;
            }
            Ok(cols)
        })
        .collect()
}

fn check_shapes(instance: &LookupInstance, inputs: &[Vec<IntTensor>]) -> Result<(), Error> {
    if inputs.len() != instance.inputs.len() {
        return Err(Error::Length {
            what: "lookup witness vectors",
            expected: instance.inputs.len(),
            got: inputs.len(),
        });
    }
    for (v, cols) in instance.inputs.iter().zip(inputs) {
        if cols.len() != v.columns.len() {
            return Err(Error::Length {
                what: "lookup witness columns",
                expected: v.columns.len(),
                got: cols.len(),
            });
        }
        if let Some(c) = cols.iter().find(|c| c.shape() != v.shape.as_slice()) {
            return Err(Error::Invalid {
                what: "lookup witness",
                reason: format!("column shape {:?} ≠ instance shape {:?}", c.shape(), v.shape),
            });
        }
    }
    Ok(())
}

/// A cheating prover's edit of the inverse column's entries.
pub(crate) type EditEntries<'a> = &'a dyn Fn(&mut [Entry]);
/// A cheating prover's edit of the table side.
pub(crate) type EditTable<'a> = &'a dyn Fn(&mut Vec<Fr>);

/// How a cheating prover deviates (soundness tests); the default is honest.
#[derive(Default)]
pub(crate) struct Cheats<'a> {
    /// Alters the inverse column, in the commitment and the sumcheck alike.
    pub inverses: Option<EditEntries<'a>>,
    /// Alters only what is committed of the inverse column; the sumcheck uses the real one.
    pub committed_inverses: Option<EditEntries<'a>>,
    /// Alters the table side `g`, in the commitment and the sumcheck alike.
    pub table_inverses: Option<EditTable<'a>>,
    /// What the columns' commitments really hold, per vector and column, when that is not the
    /// witness (a polynomial may be longer than its vector): the helper polynomials are built from
    /// these, the sumcheck and the sent values from the witness.
    pub committed_columns: Option<&'a [Vec<DenseMle>]>,
}

/// Proves with the given multiplicities, which are NOT checked: honest callers go through
/// [`super::prove_with_helpers`]; soundness tests use this (and `cheats`) to play a cheating
/// prover.
#[instrument(skip_all, fields(vectors = instance.inputs.len(), table = spec.table.size()))]
pub(crate) fn prove_with_multiplicities(
    spec: &LookupSpec,
    instance: &LookupInstance,
    inputs: &[Vec<IntTensor>],
    multiplicities: &[Fr],
    srs: &Srs,
    cheats: &Cheats<'_>,
    transcript: &mut Transcript,
) -> Result<LookupOutput, Error> {
    let layout = check_instance(spec, instance)?;
    check_shapes(instance, inputs)?;
    let rows = 1usize << spec.table.num_vars();
    if multiplicities.len() != rows {
        return Err(Error::Length {
            what: "multiplicities",
            expected: rows,
            got: multiplicities.len(),
        });
    }
    let ch = derive_challenges(transcript, spec, instance);
    tracing::debug!(
        packed_vars = layout.num_vars,
        chunks = layout.chunks,
        chunk_vars = layout.chunk_vars,
        "lookup layout"
    );

    // Table side: t = T_in + ζ·T_out, inv_t = 1/(β + t), g = m·inv.
    let t_out = spec.table.output_column();
    let mut q_table = spec.table.input_column();
    q_table.par_iter_mut().for_each(|x| *x += ch.beta);
    if let Some(out) = &t_out {
        q_table.par_iter_mut().zip(out.evals()).for_each(|(q, y)| *q += ch.zeta * y);
    }
    let mut inv = q_table.clone();
    ark_ff::batch_inversion(&mut inv);
    if inv.iter().any(Fr::is_zero) {
        return Err(Error::Invalid { what: "lookup", reason: "β + t vanishes on a row".into() });
    }
    let mut g: Vec<Fr> = multiplicities.par_iter().zip(&inv).map(|(m, i)| *m * i).collect();
    if let Some(alter) = cheats.table_inverses {
        alter(&mut g);
    }

    // Lookup side, packed: p (mask), q = β + f, and the inverse column's entries.
    let offsets: Vec<i64> = instance.inputs.iter().map(|v| v.offset).collect();
    let span = tracing::debug_span!("packed columns").entered();
    let Packed { p, q, mut entries } = packed_columns(spec, &layout, inputs, &offsets, &ch, rows)?;
    drop(span);
    if let Some(alter) = cheats.inverses {
        alter(&mut entries);
    }
    let h: Vec<Fr> = entries.par_iter().map(|e| e.value(&inv)).collect();
    let mut committed_h = None;
    if let Some(alter) = cheats.committed_inverses {
        alter(&mut entries);
        committed_h = Some(entries.iter().map(|e| e.value(&inv)).collect::<Vec<_>>());
    }
    let chunk = 1usize << layout.chunk_vars;
    let span = tracing::debug_span!("inverse commitments", chunks = layout.chunks).entered();
    let inverse_chunks =
        inverses::commit_chunks(srs, &entries[..layout.chunks * chunk], &inv, chunk)?;
    let table_inverses = inverses::commit_sparse(srs, &g)?;
    drop(span);
    let sum: Fr = h.par_iter().sum();
    super::verifier::absorb_helpers(transcript, &inverse_chunks, &table_inverses, &sum);
    let zc = super::verifier::draw_zero_check(transcript, &layout, spec.table.num_vars());

    let lookup_expr = zero_check_expr(zc.lambda);
    let table_expr = zero_check_expr(zc.lambda);
    let instances = vec![
        SumcheckInstance {
            polys: vec![
                DenseMle::new(h.clone())?,
                DenseMle::new(q)?,
                DenseMle::new(eq_table(&zc.tau)?)?,
                DenseMle::new(p)?,
            ],
            expr: lookup_expr,
        },
        SumcheckInstance {
            polys: vec![
                DenseMle::new(g.clone())?,
                DenseMle::new(q_table)?,
                DenseMle::new(eq_table(&zc.tau_table)?)?,
                DenseMle::new(multiplicities.to_vec())?,
            ],
            expr: table_expr,
        },
    ];
    let out = tracing::debug_span!("sumcheck", vars = layout.num_vars)
        .in_scope(|| prove_batch(instances, &[sum, sum], transcript))?;
    let _span = tracing::debug_span!("final claims").entered();
    let r = out.point[out.point.len() - layout.num_vars..].to_vec();
    let r_table = out.point[out.point.len() - spec.table.num_vars()..].to_vec();

    // The combined final values and their polynomials (module doc, "Final claims, combined").
    let chunk_point = layout.chunk_point(&r);
    let witness_columns: Vec<Vec<DenseMle>> =
        inputs.iter().map(|cols| cols.iter().map(IntTensor::to_mle).collect()).collect();
    let committed_columns = cheats.committed_columns.unwrap_or(&witness_columns);
    let weights = super::verifier::column_weights(&layout, &r)?;
    let mut column_evals = Vec::new();
    let mut helpers = Vec::new();
    for group in layout.column_groups() {
        let point = &r[r.len() - group.vars..];
        let combined = |columns: &[Vec<DenseMle>]| {
            combine_columns(columns, &group.vectors, &weights, ch.zeta, group.vars)
        };
        column_evals.push(combined(&witness_columns)?.evaluate(point)?);
        helpers.push(combined(committed_columns)?);
    }
    let combine_chunks = |v: &[Fr]| -> Result<DenseMle, Error> {
        let mut acc = vec![Fr::zero(); chunk];
        for (k, c) in v[..layout.chunks * chunk].chunks(chunk).enumerate() {
            let w = layout.chunk_weight(k, &r);
            acc.par_iter_mut().zip(c).for_each(|(a, x)| *a += w * x);
        }
        DenseMle::new(acc)
    };
    let real_inverses = combine_chunks(&h)?;
    let inverse_eval = real_inverses.evaluate(chunk_point)?;
    let committed_inverses = match &committed_h {
        Some(v) => combine_chunks(v)?,
        None => real_inverses,
    };
    helpers.extend([committed_inverses, DenseMle::new(g)?]);
    let table_inverse_eval = out.final_evals[1][0];
    let multiplicity_eval = out.final_evals[1][3];
    let table_output_evals = match &t_out {
        Some(out) => vec![out.evaluate(&r_table)?],
        None => vec![],
    };
    let proof = LookupProof {
        inverse_chunks,
        table_inverses,
        sum,
        sumcheck: out.proof,
        column_evals,
        inverse_eval,
        table_inverse_eval,
        multiplicity_eval,
        table_output_evals,
    };
    super::verifier::absorb_final_evals(transcript, &proof);
    let claims = output_claims(spec, instance, &proof, &r, &r_table, &layout, ch.zeta)
        .map_err(|e| Error::Invalid { what: "lookup claims", reason: e.to_string() })?;
    Ok(LookupOutput { proof, claims, helpers })
}

/// `Σ_{j ∈ vectors} w_j·Σ_k ζ^k·c_{j,k}`, each column zero-extended to `vars` variables (or kept
/// whole, if a cheating prover's polynomial is longer).
fn combine_columns(
    columns: &[Vec<DenseMle>],
    vectors: &[usize],
    weights: &[Fr],
    zeta: Fr,
    vars: usize,
) -> Result<DenseMle, Error> {
    let mut acc: Vec<Fr> = Vec::new();
    for j in vectors {
        let cols = columns.get(*j).ok_or(Error::Length {
            what: "lookup committed columns",
            expected: weights.len(),
            got: columns.len(),
        })?;
        let mut coeff = weights[*j];
        for col in cols {
            let evals = col.evals();
            if acc.len() < evals.len().max(1 << vars) {
                acc.resize(evals.len().max(1 << vars), Fr::zero());
            }
            acc.par_iter_mut().zip(evals).for_each(|(a, x)| *a += coeff * x);
            coeff *= zeta;
        }
    }
    DenseMle::new(acc)
}

/// The lookup side over the packed domain.
struct Packed {
    /// The mask: 1 on real entries.
    p: Vec<Fr>,
    /// `β + Σ_k ζ^k·c_k`.
    q: Vec<Fr>,
    /// The inverse column's entries (`Row(t)` when an entry is table row `t`, so the commitment
    /// can bucket it).
    entries: Vec<Entry>,
}

fn packed_columns(
    spec: &LookupSpec,
    layout: &Layout,
    inputs: &[Vec<IntTensor>],
    offsets: &[i64],
    ch: &super::Challenges,
    rows: usize,
) -> Result<Packed, Error> {
    let len = layout.len();
    let mut p = vec![Fr::zero(); len];
    let mut q = vec![ch.beta; len];
    let mut entries = vec![Entry::Zero; len];
    let width = spec.table.width();
    for (j, cols) in inputs.iter().enumerate() {
        let base = layout.offsets[j];
        let positions = padded_positions(cols[0].shape());
        for (k, col) in cols.iter().enumerate() {
            let zeta_k = ch.zeta.pow([k as u64]);
            let mle = col.to_mle();
            q[base..base + mle.evals().len()]
                .par_iter_mut()
                .zip(mle.evals())
                .for_each(|(q, c)| *q += zeta_k * c);
        }
        let offset = offsets[j];
        for (i, pos) in positions.iter().enumerate() {
            let at = base + pos;
            p[at] = Fr::one();
            q[at] += fr_from_i64(offset);
            let x = cols[0].data()[i].saturating_add(offset);
            let row = spec
                .table
                .row_of(x)
                .filter(|_| width == 1 || spec.table.apply(x) == cols.get(1).map(|y| y.data()[i]));
            entries[at] = match row {
                Some(t) if t < rows => Entry::Row(t as u32),
                _ => Entry::Other(q[at].inverse().ok_or(Error::Invalid {
                    what: "lookup",
                    reason: "β + f vanishes on an entry".into(),
                })?),
            };
        }
    }
    Ok(Packed { p, q, entries })
}
