//! Committing the logUp inverse columns cheaply.
//!
//! An entry of the inverse column is `h_i = 1/(β + f_i)`, a full-size scalar, but for an honest
//! prover `f_i` is a table row, so `h_i = inv_t` for the row `t` it hits, and only `N` distinct
//! values occur. The commitment `Σ_i h_i·G_i` is computed as `Σ_t inv_t·B_t` with buckets
//! `B_t = Σ_{i hits t} G_i`: one point addition per entry plus one MSM over the rows that are hit,
//! instead of an MSM of full-size scalars over every entry. Entries that hit no row (only a
//! cheating prover has them) are committed with their own scalar; zero entries cost nothing.

use ark_ec::CurveGroup;
use ark_ff::Zero;
use rayon::prelude::*;

use crate::curve::{Fr, G1, G1Affine};
use crate::error::Error;
use crate::kzg::Commitment;
use crate::srs::Srs;

/// What an entry of an inverse column is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Zero (padding, or a table row nobody hits).
    Zero,
    /// `inv_t` of table row `t`.
    Row(u32),
    /// A value of its own (an entry outside the table).
    Other(Fr),
}

impl Entry {
    /// The entry's value given the row inverses.
    pub fn value(&self, inverses: &[Fr]) -> Fr {
        match self {
            Entry::Zero => Fr::zero(),
            Entry::Row(t) => inverses[*t as usize],
            Entry::Other(v) => *v,
        }
    }
}

/// Commits `entries` in consecutive chunks of `chunk` entries (the last one may be shorter).
pub fn commit_chunks(
    srs: &Srs,
    entries: &[Entry],
    inverses: &[Fr],
    chunk: usize,
) -> Result<Vec<Commitment>, Error> {
    let bases = srs.committer_powers("lookup inverse chunk", chunk.min(entries.len()))?;
    entries.par_chunks(chunk.max(1)).map(|c| Ok(commit_one(bases, c, inverses))).collect()
}

/// `Σ_i value_i·G_i` for one chunk, by row buckets (runs of a sort by row, so the memory is the
/// chunk's, not the table's).
fn commit_one(bases: &[G1Affine], entries: &[Entry], inverses: &[Fr]) -> Commitment {
    let mut hits: Vec<(u32, u32)> = Vec::with_capacity(entries.len());
    let mut own_bases = Vec::new();
    let mut own_scalars = Vec::new();
    for (i, (e, g)) in entries.iter().zip(bases).enumerate() {
        match e {
            Entry::Zero => {}
            Entry::Row(t) => hits.push((*t, i as u32)),
            Entry::Other(v) => {
                own_bases.push(*g);
                own_scalars.push(*v);
            }
        }
    }
    hits.sort_unstable();
    let mut buckets = Vec::new();
    let mut scalars = Vec::new();
    for run in hits.chunk_by(|a, b| a.0 == b.0) {
        let sum = run.iter().fold(G1::zero(), |acc, (_, i)| acc + bases[*i as usize]);
        buckets.push(sum);
        scalars.push(inverses[run[0].0 as usize]);
    }
    let points = G1::normalize_batch(&buckets);
    let total = crate::msm::msm(&points, &scalars) + crate::msm::msm(&own_bases, &own_scalars);
    Commitment(total.into_affine())
}

/// Commits a sparse vector (`Σ_{i: v_i ≠ 0} v_i·G_i`): the table side's `m_t·inv_t`.
pub fn commit_sparse(srs: &Srs, values: &[Fr]) -> Result<Commitment, Error> {
    let bases = srs.committer_powers("lookup table inverses", values.len())?;
    let (b, s): (Vec<G1Affine>, Vec<Fr>) =
        values.iter().zip(bases).filter(|(v, _)| !v.is_zero()).map(|(v, g)| (*g, *v)).unzip();
    Ok(Commitment(crate::msm::msm(&b, &s).into_affine()))
}

#[cfg(test)]
mod tests {
    use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;
    use crate::kzg;

    #[test]
    fn bucketed_commitments_equal_plain_ones() {
        let srs = Srs::insecure_dev(5, 8).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let inverses: Vec<Fr> = (0..16).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
        let entries: Vec<Entry> = (0..200)
            .map(|i| match i % 7 {
                0 => Entry::Zero,
                1 => Entry::Other(Fr::from(rng.r#gen::<u64>())),
                _ => Entry::Row(rng.gen_range(0..16)),
            })
            .collect();
        let chunks = commit_chunks(&srs, &entries, &inverses, 64).unwrap();
        assert_eq!(chunks.len(), 4);
        for (k, c) in chunks.iter().enumerate() {
            let values: Vec<Fr> =
                entries.iter().skip(64 * k).take(64).map(|e| e.value(&inverses)).collect();
            assert_eq!(*c, kzg::commit(&srs, &values).unwrap(), "chunk {k}");
        }
        let sparse: Vec<Fr> =
            (0..100).map(|i| if i % 3 == 0 { Fr::from(i as u64) } else { Fr::zero() }).collect();
        assert_eq!(commit_sparse(&srs, &sparse).unwrap(), kzg::commit(&srs, &sparse).unwrap());
    }
}
