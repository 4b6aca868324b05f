//! Lookup prover: the relation check, the two fraction trees, the GKR and the leaf evaluations.

use ark_ff::{One, Zero};
use rayon::prelude::*;
use tracing::instrument;

use super::gkr::{self, FractionTree};
use super::verifier::{check_instance, output_claims};
use super::{LookupInstance, LookupProof, LookupSpec, LookupWitness, derive_challenges, violated};
use crate::claim::BlockClaims;
use crate::curve::Fr;
use crate::error::{Error, RelationError};
use crate::mle::DenseMle;
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

/// The relation: shapes match the instance, every tuple is a table row, the multiplicities are the
/// exact counts, and every recomposition holds.
pub(super) fn check_relation(
    spec: &LookupSpec,
    instance: &LookupInstance,
    witness: &LookupWitness,
) -> Result<(), RelationError> {
    check_instance(spec, instance).map_err(|e| violated(e.to_string()))?;
    check_shapes(instance, &witness.inputs).map_err(|e| violated(e.to_string()))?;
    let m = super::multiplicities(&spec.table, &witness.inputs)?;
    if m != witness.multiplicities {
        let row = m.iter().zip(&witness.multiplicities).position(|(a, b)| a != b);
        return Err(violated(format!(
            "multiplicities differ from the counts (first at row {row:?})"
        )));
    }
    if witness.recomposed.len() != instance.recompositions.len() {
        return Err(violated("one recomposed tensor per recomposition expected".into()));
    }
    for (ri, (r, v)) in instance.recompositions.iter().zip(&witness.recomposed).enumerate() {
        for (i, x) in v.data().iter().enumerate() {
            let mut acc = i128::from(-r.offset);
            for (l, limb) in r.limbs.iter().enumerate() {
                let limb_value = witness.inputs[*limb][0].data().get(i).copied().unwrap_or(0);
                acc += i128::from(limb_value) << (r.limb_bits as usize * l);
            }
            if acc != i128::from(*x) {
                return Err(violated(format!(
                    "recomposition {ri} entry {i}: {x} ≠ Σ limbs − offset"
                )));
            }
        }
        if let Some(limb) = r.limbs.first()
            && witness.inputs[*limb][0].shape() != v.shape()
        {
            return Err(violated(format!("recomposition {ri}: value shape differs from limbs")));
        }
    }
    Ok(())
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

/// Proves with the given multiplicities, which are NOT checked: honest callers go through
/// [`crate::Block::prove`]; soundness tests use this to play a cheating prover.
#[instrument(skip_all, fields(vectors = instance.inputs.len(), table = spec.table.size()))]
pub(crate) fn prove_with_multiplicities(
    spec: &LookupSpec,
    instance: &LookupInstance,
    inputs: &[Vec<IntTensor>],
    multiplicities: &[Fr],
    transcript: &mut Transcript,
) -> Result<(LookupProof, BlockClaims), Error> {
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

    // Lookup tree leaves: slot j holds vector j padded to 2^c entries.
    let column_mles: Vec<Vec<DenseMle>> =
        inputs.iter().map(|cols| cols.iter().map(IntTensor::to_mle).collect()).collect();
    let slot = 1usize << layout.c;
    let mut p = vec![Fr::zero(); slot << layout.slot_vars];
    let mut q = vec![ch.beta; slot << layout.slot_vars];
    for (j, (v, cols)) in instance.inputs.iter().zip(&column_mles).enumerate() {
        let ones = IntTensor::new(v.shape.clone(), vec![1; v.shape.iter().product()])?;
        let mask = ones.to_mle();
        let range = j * slot..j * slot + mask.evals().len();
        p[range.clone()].copy_from_slice(mask.evals());
        let mut zeta_k = Fr::one();
        for col in cols {
            q[range.clone()].par_iter_mut().zip(col.evals()).for_each(|(q, c)| *q += zeta_k * c);
            zeta_k *= ch.zeta;
        }
    }
    let lookup_tree = FractionTree::new(p, q)?;

    // Table tree leaves: m_t / (β + T_in(t) + ζ·T_out(t)).
    let t_out = spec.table.output_column();
    let mut q_table = spec.table.input_column();
    q_table.par_iter_mut().for_each(|x| *x += ch.beta);
    if let Some(out) = &t_out {
        q_table.par_iter_mut().zip(out.evals()).for_each(|(q, y)| *q += ch.zeta * y);
    }
    let table_tree = FractionTree::new(multiplicities.to_vec(), q_table)?;

    let (gkr_proof, leaves) = gkr::prove(&[lookup_tree, table_tree], transcript)?;
    let rho = &leaves[0].point[layout.slot_vars..];
    let r_table = &leaves[1].point;
    let column_evals: Vec<Vec<Fr>> = column_mles
        .iter()
        .map(|cols| {
            cols.iter()
                .map(|c| c.evaluate(&rho[rho.len() - c.num_vars()..]))
                .collect::<Result<_, _>>()
        })
        .collect::<Result<_, _>>()?;
    let multiplicity_eval = DenseMle::new(multiplicities.to_vec())?.evaluate(r_table)?;
    let table_output_evals = match &t_out {
        Some(out) => vec![out.evaluate(r_table)?],
        None => vec![],
    };
    let proof = LookupProof { gkr: gkr_proof, column_evals, multiplicity_eval, table_output_evals };
    super::verifier::absorb_leaf_evals(transcript, &proof);
    let claims = output_claims(spec, instance, &proof, &leaves[0].point, r_table, &layout)
        .map_err(|e| Error::Invalid { what: "lookup claims", reason: e.to_string() })?;
    Ok((proof, claims))
}
