//! Dense multilinear polynomials over the Boolean hypercube.
//!
//! A tensor with `2^k` entries is the multilinear extension `f̃` of its entries over `{0,1}^k`
//! (DESIGN §3). **Variable order:** the point `(x_1, …, x_k)` lists variables from the most
//! significant index bit to the least, so entry `i = Σ_j b_j·2^{k−j}` is `f̃(b_1, …, b_k)`. With
//! row-major tensors this makes a point the concatenation of per-axis points, outermost axis first:
//! `Ỹ(r_rows, r_cols)`.
//!
//! Notation: `eq(a, b) = Π_j (a_j·b_j + (1−a_j)(1−b_j))`, so `f̃(r) = Σ_x eq(r, x)·f(x)`.
//!
//! **Zero-padding** appends zeros to the table, i.e. adds new *leading* variables:
//! `pad(f)(y, x) = Π_j (1 − y_j)·f̃(x)`. The univariate commitment of the table is unchanged,
//! which is what lets the accumulator fold claims on tensors of different sizes.

use ark_ff::{One, Zero};
use rayon::prelude::*;

use crate::curve::Fr;
use crate::error::Error;

/// The most variables any table may have (2^32 entries); larger requests are errors, not panics.
pub const MAX_NUM_VARS: usize = 32;

/// Below this many entries, loops stay serial (rayon's overhead dominates).
const PAR_THRESHOLD: usize = 1 << 12;

/// A multilinear polynomial in `num_vars` variables, stored as its `2^num_vars` evaluations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseMle {
    num_vars: usize,
    evals: Vec<Fr>,
}

impl DenseMle {
    /// Wraps an evaluation table whose length is a power of two.
    pub fn new(evals: Vec<Fr>) -> Result<Self, Error> {
        if !evals.len().is_power_of_two() {
            return Err(Error::NotPowerOfTwo {
                what: "multilinear evaluation table",
                len: evals.len(),
            });
        }
        Ok(Self { num_vars: evals.len().trailing_zeros() as usize, evals })
    }

    /// Pads `values` with zeros to the next power of two (at least one entry).
    pub fn zero_padded(mut values: Vec<Fr>) -> Self {
        let len = values.len().max(1).next_power_of_two();
        values.resize(len, Fr::zero());
        Self { num_vars: len.trailing_zeros() as usize, evals: values }
    }

    /// The number of variables `k`.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// The `2^k` evaluations, in index order.
    pub fn evals(&self) -> &[Fr] {
        &self.evals
    }

    /// Consumes the polynomial, returning its evaluations.
    pub fn into_evals(self) -> Vec<Fr> {
        self.evals
    }

    /// `f̃(point)`, in `O(2^k)` field operations.
    pub fn evaluate(&self, point: &[Fr]) -> Result<Fr, Error> {
        if point.len() != self.num_vars {
            return Err(Error::Length {
                what: "evaluation point",
                expected: self.num_vars,
                got: point.len(),
            });
        }
        let mut table = std::borrow::Cow::Borrowed(self.evals.as_slice());
        for r in point {
            table = std::borrow::Cow::Owned(bind_first_slice(&table, *r));
        }
        Ok(table[0])
    }

    /// Fixes the first (most significant) variable to `r`: `g(x_2..x_k) = f̃(r, x_2..x_k)`.
    pub fn bind_first(&self, r: Fr) -> Result<Self, Error> {
        self.require_vars("bind_first")?;
        Ok(Self { num_vars: self.num_vars - 1, evals: bind_first_slice(&self.evals, r) })
    }

    /// Fixes the last (least significant) variable to `r`: `g(x_1..x_{k−1}) = f̃(x_1..x_{k−1}, r)`.
    pub fn bind_last(&self, r: Fr) -> Result<Self, Error> {
        self.require_vars("bind_last")?;
        Ok(Self { num_vars: self.num_vars - 1, evals: bind_last_slice(&self.evals, r) })
    }

    /// Zero-pads to `num_vars` variables (new leading variables, see the module doc).
    pub fn padded_to(&self, num_vars: usize) -> Result<Self, Error> {
        check_num_vars("zero-padding", num_vars)?;
        if num_vars < self.num_vars {
            return Err(Error::Invalid {
                what: "zero-padding",
                reason: format!("cannot pad {} variables down to {num_vars}", self.num_vars),
            });
        }
        let mut evals = self.evals.clone();
        evals.resize(1 << num_vars, Fr::zero());
        Ok(Self { num_vars, evals })
    }

    fn require_vars(&self, what: &'static str) -> Result<(), Error> {
        if self.num_vars == 0 {
            return Err(Error::Invalid { what, reason: "polynomial has no variables".into() });
        }
        Ok(())
    }
}

/// `lo + r·(hi − lo)` over the two halves of `table` (binds the most significant variable).
pub fn bind_first_slice(table: &[Fr], r: Fr) -> Vec<Fr> {
    let half = table.len() / 2;
    let (lo, hi) = table.split_at(half);
    if half >= PAR_THRESHOLD {
        lo.par_iter().zip(hi).map(|(l, h)| *l + r * (*h - l)).collect()
    } else {
        lo.iter().zip(hi).map(|(l, h)| *l + r * (*h - l)).collect()
    }
}

/// `t[2j] + r·(t[2j+1] − t[2j])` (binds the least significant variable).
pub fn bind_last_slice(table: &[Fr], r: Fr) -> Vec<Fr> {
    let f = |p: &[Fr]| p[0] + r * (p[1] - p[0]);
    if table.len() >= 2 * PAR_THRESHOLD {
        table.par_chunks_exact(2).map(f).collect()
    } else {
        table.chunks_exact(2).map(f).collect()
    }
}

/// The table `eq(point, x)` for all `x ∈ {0,1}^k`, in index order.
pub fn eq_table(point: &[Fr]) -> Result<Vec<Fr>, Error> {
    check_num_vars("eq table", point.len())?;
    let mut table = Vec::with_capacity(1 << point.len());
    table.push(Fr::one());
    for r in point {
        // Each new variable is less significant than the previous ones: index = 2·old + bit.
        let next = |t: &Fr| {
            let hi = *t * r;
            [*t - hi, hi]
        };
        table = if table.len() >= PAR_THRESHOLD {
            table.par_iter().flat_map_iter(next).collect()
        } else {
            table.iter().flat_map(next).collect()
        };
    }
    Ok(table)
}

fn check_num_vars(what: &'static str, num_vars: usize) -> Result<(), Error> {
    if num_vars > MAX_NUM_VARS {
        return Err(Error::Invalid {
            what,
            reason: format!("{num_vars} variables exceed {MAX_NUM_VARS}"),
        });
    }
    Ok(())
}

/// `eq(a, b) = Π_j (a_j·b_j + (1−a_j)(1−b_j))`; errors if the lengths differ.
pub fn eq_eval(a: &[Fr], b: &[Fr]) -> Result<Fr, Error> {
    if a.len() != b.len() {
        return Err(Error::Length { what: "eq arguments", expected: a.len(), got: b.len() });
    }
    Ok(a.iter().zip(b).map(|(x, y)| *x * y + (Fr::one() - x) * (Fr::one() - y)).product())
}

/// The factor `Π_j (1 − y_j)` that zero-padding with leading variables `y` multiplies by.
pub fn padding_factor(leading: &[Fr]) -> Fr {
    leading.iter().map(|y| Fr::one() - y).product()
}

#[cfg(test)]
mod tests;

/// `I_m(r) = Σ_{i<m} eq(r, i)`: the multilinear extension of "index < m" over `k = r.len()` bits,
/// in `O(k)`. It is 1 on the first `m` hypercube points and 0 on the rest, which is how claims
/// keep the zero padding of non-power-of-two axes. Errors if `m > 2^k`.
pub fn prefix_indicator(r: &[Fr], m: usize) -> Result<Fr, Error> {
    let k = r.len();
    check_num_vars("prefix indicator", k)?;
    if m > 1usize << k {
        return Err(Error::Invalid {
            what: "prefix indicator",
            reason: format!("{m} exceeds 2^{k}"),
        });
    }
    if m == 1usize << k {
        return Ok(Fr::one());
    }
    // Walk the bits of m from the most significant: wherever m has a 1, every index that agrees
    // with m above that bit and has a 0 there is smaller than m, whatever its lower bits.
    let mut total = Fr::zero();
    let mut prefix = Fr::one();
    for (j, rj) in r.iter().enumerate() {
        let bit = (m >> (k - 1 - j)) & 1 == 1;
        if bit {
            total += prefix * (Fr::one() - rj);
            prefix *= rj;
        } else {
            prefix *= Fr::one() - rj;
        }
    }
    Ok(total)
}

/// `Π_a I_{n_a}(r_a)` for a point split per axis (see [`crate::tensor`]): the indicator of the
/// unpadded region of a tensor of shape `shape`.
pub fn region_indicator(per_axis: &[&[Fr]], shape: &[usize]) -> Result<Fr, Error> {
    if per_axis.len() != shape.len() {
        return Err(Error::Length {
            what: "region indicator axes",
            expected: shape.len(),
            got: per_axis.len(),
        });
    }
    per_axis.iter().zip(shape).try_fold(Fr::one(), |acc, (r, n)| Ok(acc * prefix_indicator(r, *n)?))
}
