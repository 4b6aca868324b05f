//! Where each looked-up vector sits in the lookup's packed domain, and the chunks the inverse
//! column is committed in.
//!
//! Vector `j` (its tensor padded to `2^{n_j}` entries) occupies `[o_j, o_j + 2^{n_j})`; vectors are
//! placed largest first, so every offset `o_j` is a multiple of the vector's own size and the
//! vector is the sub-cube whose leading `a − n_j` index bits spell `o_j / 2^{n_j}`. Its multilinear
//! extension inside the packed domain is therefore `eq(r_{<a−n_j}, o_j / 2^{n_j})·ṽ_j(r_{≥a−n_j})`:
//! the vector's own point is the **last** `n_j` coordinates of the common point `r`, whatever its
//! offset, so vectors of one shape (the limbs of a recomposition) share their point.
//!
//! The packed domain is cut into chunks of `2^c` entries and padded to `2^s` chunks: `a = s + c`
//! variables in all. `c` is at least the largest vector's `n_j`, and grows up to the caller's
//! bound (the largest polynomial it opens anyway, so the accumulator's opening does not grow) or
//! until one chunk holds everything: fewer chunks, fewer commitments and evaluations.

use crate::curve::Fr;
use crate::error::Error;
use crate::mle::{MAX_NUM_VARS, padding_factor};
use crate::tensor::axis_vars;

/// Vectors whose columns are claimed together, at the last `vars` coordinates of the point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnGroup {
    pub vars: usize,
    pub vectors: Vec<usize>,
}

/// The packed layout of the looked-up vectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// `n_j`: variables of vector `j`'s padded tensor, in instance order.
    pub vars: Vec<usize>,
    /// `o_j`: offset of vector `j` in the packed domain.
    pub offsets: Vec<usize>,
    /// `c`: variables of one chunk.
    pub chunk_vars: usize,
    /// Number of committed chunks (`⌈Σ_j 2^{n_j} / 2^c⌉`).
    pub chunks: usize,
    /// `a = s + c`: variables of the packed domain.
    pub num_vars: usize,
}

impl Layout {
    /// The layout of vectors with these shapes (at least one), with chunks of up to
    /// `2^max_chunk_vars` entries (more if a vector is larger).
    pub fn new<'a>(
        shapes: impl IntoIterator<Item = &'a [usize]>,
        max_chunk_vars: usize,
    ) -> Result<Self, Error> {
        let vars: Vec<usize> = shapes.into_iter().map(|s| axis_vars(s).iter().sum()).collect();
        let Some(&largest) = vars.iter().max() else {
            return Err(Error::Invalid {
                what: "lookup layout",
                reason: "no looked-up vectors".into(),
            });
        };
        if largest > MAX_NUM_VARS || max_chunk_vars > MAX_NUM_VARS {
            return Err(Error::Invalid {
                what: "lookup layout",
                reason: format!(
                    "chunks of {largest} or {max_chunk_vars} variables exceed {MAX_NUM_VARS}"
                ),
            });
        }
        let mut order: Vec<usize> = (0..vars.len()).collect();
        order.sort_by_key(|j| std::cmp::Reverse(vars[*j]));
        let mut offsets = vec![0; vars.len()];
        let mut total = 0usize;
        for j in order {
            offsets[j] = total;
            total += 1 << vars[j];
        }
        let all = total.next_power_of_two().trailing_zeros() as usize;
        let chunk_vars = largest.max(max_chunk_vars.min(all));
        let chunks = total.div_ceil(1 << chunk_vars);
        let num_vars = chunk_vars + chunks.next_power_of_two().trailing_zeros() as usize;
        if num_vars > MAX_NUM_VARS {
            return Err(Error::Invalid {
                what: "lookup layout",
                reason: format!("{num_vars} packed variables exceed {MAX_NUM_VARS}"),
            });
        }
        Ok(Self { vars, offsets, chunk_vars, chunks, num_vars })
    }

    /// Entries of the packed domain, `2^a`.
    pub fn len(&self) -> usize {
        1 << self.num_vars
    }

    /// Never true: a layout has at least one entry.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Vector `j`'s own point: the last `n_j` coordinates of `r` (`r` has `a` coordinates).
    pub fn own_point<'r>(&self, j: usize, r: &'r [Fr]) -> &'r [Fr] {
        &r[r.len() - self.vars[j]..]
    }

    /// `eq(r_{<a−n_j}, o_j / 2^{n_j})`: the factor vector `j`'s extension carries at `r`.
    pub fn weight(&self, j: usize, r: &[Fr]) -> Fr {
        let lead = &r[..r.len() - self.vars[j]];
        bits_eq(lead, self.offsets[j] >> self.vars[j])
    }

    /// Variables of the point at which vector `j`'s columns are claimed: its own `n_j`, never more.
    ///
    /// **Soundness (issue 22, F1).** A commitment binds a polynomial of *any* degree below the
    /// SRS size: nothing bounds `[c_j]` to `2^{n_j}` coefficients. Every claim on it therefore sits
    /// at an `n_j`-variable point (padded, where a larger polynomial is opened, with *leading
    /// zeros*, which give every coefficient past `2^{n_j}` the weight 0). A claim at more
    /// variables with non-zero extension coordinates would read coefficients that no other check
    /// sees: a prover could hide `G` there and shift the looked-up values of the vectors packed
    /// behind vector `j` by `G`, proving out-of-table values. So claims are made per group of
    /// equal `n_j` at the group's own point ([`Layout::column_groups`]).
    pub fn claim_vars(&self, j: usize) -> usize {
        self.vars[j]
    }

    /// The vectors whose columns are claimed together, by the variables of their claim point
    /// (largest first; vectors in instance order inside a group).
    pub fn column_groups(&self) -> Vec<ColumnGroup> {
        let mut groups: Vec<ColumnGroup> = Vec::new();
        for j in 0..self.vars.len() {
            let vars = self.claim_vars(j);
            match groups.iter_mut().find(|g| g.vars == vars) {
                Some(g) => g.vectors.push(j),
                None => groups.push(ColumnGroup { vars, vectors: vec![j] }),
            }
        }
        groups.sort_by_key(|g| std::cmp::Reverse(g.vars));
        groups
    }

    /// `Π (1 − r_t)` over the coordinates between vector `j`'s claim point and its own point: the
    /// factor by which the zero extension of vector `j` to its claim's variables differs from it
    /// at `r` (1 when it is claimed at its own point).
    pub fn extension_factor(&self, j: usize, r: &[Fr]) -> Fr {
        padding_factor(&r[r.len() - self.claim_vars(j)..r.len() - self.vars[j]])
    }

    /// A chunk's own point: the last `c` coordinates of `r`.
    pub fn chunk_point<'r>(&self, r: &'r [Fr]) -> &'r [Fr] {
        &r[r.len() - self.chunk_vars..]
    }

    /// `eq(r_{<s}, k)`: the factor chunk `k`'s extension carries at `r`.
    pub fn chunk_weight(&self, k: usize, r: &[Fr]) -> Fr {
        bits_eq(&r[..r.len() - self.chunk_vars], k)
    }
}

/// `eq(r, bits of x)` with `r[0]` the most significant bit.
fn bits_eq(r: &[Fr], x: usize) -> Fr {
    let one = Fr::from(1u64);
    r.iter()
        .enumerate()
        .map(|(t, rt)| if (x >> (r.len() - 1 - t)) & 1 == 1 { *rt } else { one - rt })
        .product()
}

#[cfg(test)]
mod tests {
    use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;
    use crate::mle::DenseMle;

    #[test]
    fn vectors_are_aligned_and_their_extensions_factor() {
        let shapes: Vec<Vec<usize>> = vec![vec![3], vec![2, 5], vec![1], vec![9], vec![4]];
        let layout = Layout::new(shapes.iter().map(|s| s.as_slice()), 0).unwrap();
        // Sizes 4, 16, 1, 16, 4: placed 16, 16, 4, 4, 1 → 41 entries, chunks of 16 → 3 (4 slots).
        assert_eq!(layout.vars, vec![2, 4, 0, 4, 2]);
        assert_eq!(layout.offsets, vec![32, 0, 40, 16, 36]);
        assert_eq!((layout.chunk_vars, layout.chunks, layout.num_vars), (4, 3, 6));
        let mut rng = StdRng::seed_from_u64(3);
        let r: Vec<Fr> = (0..layout.num_vars).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
        for j in 0..shapes.len() {
            let own: Vec<Fr> =
                (0..1 << layout.vars[j]).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
            let mut packed = vec![Fr::from(0u64); layout.len()];
            packed[layout.offsets[j]..layout.offsets[j] + own.len()].copy_from_slice(&own);
            let direct = DenseMle::new(packed).unwrap().evaluate(&r).unwrap();
            let own_eval = DenseMle::new(own).unwrap().evaluate(layout.own_point(j, &r)).unwrap();
            assert_eq!(direct, layout.weight(j, &r) * own_eval, "vector {j}");
        }
        let chunk: Vec<Fr> = (0..16).map(|_| Fr::from(rng.r#gen::<u64>())).collect();
        let mut packed = vec![Fr::from(0u64); layout.len()];
        packed[32..48].copy_from_slice(&chunk);
        let direct = DenseMle::new(packed).unwrap().evaluate(&r).unwrap();
        let own = DenseMle::new(chunk).unwrap().evaluate(layout.chunk_point(&r)).unwrap();
        assert_eq!(direct, layout.chunk_weight(2, &r) * own);
    }

    #[test]
    fn a_single_entry_is_a_zero_variable_domain() {
        let layout = Layout::new([[1usize].as_slice()], 5).unwrap();
        assert_eq!((layout.chunk_vars, layout.chunks, layout.num_vars), (0, 1, 0));
        assert!(Layout::new(std::iter::empty(), 5).is_err());
    }

    #[test]
    fn chunks_grow_to_the_bound_or_to_everything() {
        let shapes = [[16usize], [16], [4], [4]];
        let shapes = || shapes.iter().map(|s| s.as_slice());
        let at = |bound| {
            let l = Layout::new(shapes(), bound).unwrap();
            (l.chunk_vars, l.chunks, l.num_vars)
        };
        assert_eq!(at(0), (4, 3, 6)); // 40 entries in chunks of the largest vector
        assert_eq!(at(5), (5, 2, 6));
        assert_eq!(at(6), (6, 1, 6)); // one chunk holds everything
        assert_eq!(at(9), (6, 1, 6)); // and never grows past that
    }
}
