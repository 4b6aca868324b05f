//! Lookup tables as data: a contiguous input range `[lo, hi)` and, for function tables, the output
//! column `f(x)` for every `x` in the range.
//!
//! **Padded layout.** A table of `size = hi − lo` rows is padded to `2^K` rows (`K = ⌈log2 size⌉`)
//! by **repeating the first row** `(lo, f(lo))`: padding rows are genuine table entries, so a
//! multiplicity placed on them (by anyone) only ever admits values that are in the table.
//!
//! * Input column: `T_in(i) = lo + i` for `i < size`, `lo` for `i ≥ size`. Its multilinear extension
//!   is `lo + W(r, size)` with `W(r, L) = Σ_{i<L} eq(r, i)·i`, which [`prefix_sums`] computes in
//!   `O(K)`; the verifier evaluates it itself and never needs a commitment.
//! * Output column (function tables): committed once at setup ([`Table::commit_outputs`]); the
//!   verifying key holds the commitment and the verifier reaches the column only through claims.
//!
//! **Digest.** `BLAKE3("tessera/lookup/table/v1" ‖ len‖label ‖ lo ‖ hi ‖ n_out ‖ outputs)`, integers
//! little-endian `i64`/`u64`. Any change of range, label or output changes it.

use ark_ff::{One, Zero};

use crate::curve::{Fr, fr_from_i64};
use crate::error::Error;
use crate::kzg::{self, Commitment};
use crate::mle::{DenseMle, MAX_NUM_VARS};
use crate::srs::Srs;

/// A lookup table: rows `(x)` for a range, `(x, f(x))` for a function table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    label: String,
    lo: i64,
    hi: i64,
    outputs: Option<Vec<i64>>,
}

impl Table {
    /// The single-column range table `[lo, hi)`.
    pub fn range(lo: i64, hi: i64) -> Result<Self, Error> {
        check_range(lo, hi)?;
        Ok(Self { label: format!("range[{lo},{hi})"), lo, hi, outputs: None })
    }

    /// The two-column table `(x, outputs[x − lo])` for `x ∈ [lo, hi)`.
    pub fn function(label: &str, lo: i64, hi: i64, outputs: Vec<i64>) -> Result<Self, Error> {
        let size = check_range(lo, hi)?;
        if outputs.len() != size {
            return Err(Error::Length {
                what: "function table outputs",
                expected: size,
                got: outputs.len(),
            });
        }
        Ok(Self { label: label.to_string(), lo, hi, outputs: Some(outputs) })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Inclusive lower bound of the input range.
    pub fn lo(&self) -> i64 {
        self.lo
    }

    /// Exclusive upper bound of the input range.
    pub fn hi(&self) -> i64 {
        self.hi
    }

    /// Number of rows before padding.
    pub fn size(&self) -> usize {
        (self.hi - self.lo) as usize
    }

    /// `K`: variables of the padded table.
    pub fn num_vars(&self) -> usize {
        self.size().next_power_of_two().trailing_zeros() as usize
    }

    /// Columns per row: 1 for a range, 2 for a function table.
    pub fn width(&self) -> usize {
        if self.outputs.is_some() { 2 } else { 1 }
    }

    /// The output column (function tables only).
    pub fn outputs(&self) -> Option<&[i64]> {
        self.outputs.as_deref()
    }

    /// Row index of input `x`, if it is in the range.
    pub fn row_of(&self, x: i64) -> Option<usize> {
        (self.lo..self.hi).contains(&x).then(|| (x - self.lo) as usize)
    }

    /// `f(x)` for a function table, `x` itself for a range; `None` outside the range.
    pub fn apply(&self, x: i64) -> Option<i64> {
        let row = self.row_of(x)?;
        match &self.outputs {
            Some(out) => out.get(row).copied(),
            None => Some(x),
        }
    }

    /// The content digest of the module doc.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"tessera/lookup/table/v1");
        h.update(&(self.label.len() as u64).to_le_bytes());
        h.update(self.label.as_bytes());
        h.update(&self.lo.to_le_bytes());
        h.update(&self.hi.to_le_bytes());
        let out = self.outputs.as_deref().unwrap_or(&[]);
        h.update(&(out.len() as u64).to_le_bytes());
        for y in out {
            h.update(&y.to_le_bytes());
        }
        *h.finalize().as_bytes()
    }

    /// The padded input column `T_in` (prover side).
    pub fn input_column(&self) -> Vec<Fr> {
        let n = 1usize << self.num_vars();
        (0..n)
            .map(|i| fr_from_i64(if i < self.size() { self.lo + i as i64 } else { self.lo }))
            .collect()
    }

    /// The padded output column `T_out` (function tables only).
    pub fn output_column(&self) -> Option<DenseMle> {
        let out = self.outputs.as_ref()?;
        let n = 1usize << self.num_vars();
        let first = out.first().copied().unwrap_or(0);
        let evals = (0..n).map(|i| fr_from_i64(out.get(i).copied().unwrap_or(first))).collect();
        DenseMle::new(evals).ok()
    }

    /// Setup: commits the padded output column (`None` for a range table).
    pub fn commit_outputs(&self, srs: &Srs) -> Result<Option<Commitment>, Error> {
        self.output_column().map(|c| kzg::commit(srs, c.evals())).transpose()
    }

    /// `T̃_in(r)`, in `O(K)` (the verifier's evaluation of the structured column).
    pub fn input_column_eval(&self, point: &[Fr]) -> Result<Fr, Error> {
        if point.len() != self.num_vars() {
            return Err(Error::Length {
                what: "table point",
                expected: self.num_vars(),
                got: point.len(),
            });
        }
        let (_, weighted) = prefix_sums(point, self.size() as u64);
        Ok(fr_from_i64(self.lo) + weighted)
    }
}

fn check_range(lo: i64, hi: i64) -> Result<usize, Error> {
    let size = hi.checked_sub(lo).filter(|s| *s > 0).ok_or(Error::Invalid {
        what: "lookup table",
        reason: format!("empty or overflowing range [{lo}, {hi})"),
    })?;
    if size as u128 > 1u128 << MAX_NUM_VARS {
        return Err(Error::Invalid {
            what: "lookup table",
            reason: format!("{size} rows exceed 2^32"),
        });
    }
    Ok(size as usize)
}

/// `(S, W) = (Σ_{i<L} eq(r, i), Σ_{i<L} eq(r, i)·i)` over `i ∈ {0,1}^k`, `k = r.len()`, in `O(k)`.
///
/// `[0, L)` is the disjoint union, over the set bits `p` of `L`, of the blocks "high bits of `L`
/// above `p`, bit `p` = 0, any lower bits"; over a block `eq` sums to the prefix factor times
/// `(1 − r_p)`, and `i` is the block's base plus the lower bits, whose `eq`-weighted sum is the
/// multilinear identity `Σ_{u below p} r_u·2^{pos(u)}`. `L ≥ 2^k` covers the whole cube.
pub fn prefix_sums(r: &[Fr], len: u64) -> (Fr, Fr) {
    let k = r.len();
    // lower[v] = Σ_{u > v} r_u·2^{k−1−u}: the identity on the variables after v.
    let mut lower = vec![Fr::zero(); k + 1];
    let mut weight = Fr::one();
    for v in (0..k).rev() {
        lower[v] = lower[v + 1] + r[v] * weight;
        weight += weight;
    }
    if k >= 64 || len >= 1u64 << k {
        return (if len == 0 { Fr::zero() } else { Fr::one() }, lower[0]);
    }
    let (mut s, mut w) = (Fr::zero(), Fr::zero());
    let mut prefix_eq = Fr::one();
    for (v, r_v) in r.iter().enumerate() {
        let pos = k - 1 - v;
        if (len >> pos) & 1 == 1 {
            let block = prefix_eq * (Fr::one() - r_v);
            let base = Fr::from((len >> (pos + 1)) << (pos + 1));
            s += block;
            w += block * base + block * lower[v + 1];
            prefix_eq *= r_v;
        } else {
            prefix_eq *= Fr::one() - r_v;
        }
    }
    (s, w)
}

/// `mask̃(r)` for the padded encoding of a tensor of `shape`: 1 on real entries, 0 on padding.
/// The point lists the axes' variables outermost first, as [`crate::tensor`] lays them out.
pub fn shape_mask_eval(shape: &[usize], point: &[Fr]) -> Result<Fr, Error> {
    let vars = crate::tensor::axis_vars(shape);
    let total: usize = vars.iter().sum();
    if point.len() != total {
        return Err(Error::Length { what: "tensor mask point", expected: total, got: point.len() });
    }
    let mut acc = Fr::one();
    let mut at = 0;
    for (n, v) in shape.iter().zip(vars) {
        acc *= prefix_sums(&point[at..at + v], *n as u64).0;
        at += v;
    }
    Ok(acc)
}
