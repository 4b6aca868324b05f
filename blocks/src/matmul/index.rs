//! Index helpers shared by the matmul variants: padded row indices, point splitting, the
//! verifier's `O(log n)` row indicator, and multiplication of field elements by small integers.

use ark_ff::{One, Zero};

use crate::curve::{Fr, fr_from_i64};
use crate::error::Error;
use crate::tensor::axis_vars;

/// Total number of variables of a sub-shape (each axis padded separately).
pub fn num_vars(shape: &[usize]) -> usize {
    axis_vars(shape).iter().sum()
}

/// Product of the axis lengths, or an error on overflow.
pub fn count(shape: &[usize]) -> Result<usize, Error> {
    shape
        .iter()
        .try_fold(1usize, |a, d| a.checked_mul(*d))
        .ok_or(Error::Invalid { what: "matmul shape", reason: format!("{shape:?} overflows") })
}

/// For every row-major index `i < Π shape`, its position in the padded layout of `shape`.
pub fn padded_indices(shape: &[usize]) -> Vec<usize> {
    let mut out = vec![0usize];
    for (d, v) in shape.iter().zip(axis_vars(shape)) {
        let stride = 1usize << v;
        out = out.iter().flat_map(|base| (0..*d).map(move |i| base * stride + i)).collect();
    }
    out
}

/// `Σ_{i < d} eq(r, i)` in `O(|r|)`: the indicator of the first `d` rows of a padded axis.
///
/// With `r` most-significant first, `i < d` iff `i` agrees with `d` on a prefix and has a 0
/// where `d` has its next 1; the remaining bits are free and their `eq` terms sum to one.
pub fn prefix_indicator(r: &[Fr], d: usize) -> Fr {
    let n = r.len();
    if n >= usize::BITS as usize || d >= 1usize << n {
        return if d == 0 { Fr::zero() } else { Fr::one() };
    }
    let mut total = Fr::zero();
    let mut prefix = Fr::one();
    for (j, rj) in r.iter().enumerate() {
        if (d >> (n - 1 - j)) & 1 == 1 {
            total += prefix * (Fr::one() - rj);
            prefix *= rj;
        } else {
            prefix *= Fr::one() - rj;
        }
    }
    total
}

/// `Σ_{i ∈ shape} eq(r, pad(i))` for a multi-axis `shape`: the product of per-axis indicators.
/// `r` must have `num_vars(shape)` entries (callers check the point length first).
pub fn box_indicator(r: &[Fr], shape: &[usize]) -> Fr {
    let mut offset = 0;
    let mut total = Fr::one();
    for (d, v) in shape.iter().zip(axis_vars(shape)) {
        total *= prefix_indicator(&r[offset..offset + v], *d);
        offset += v;
    }
    total
}

/// `[a, b].concat()` without the temporary.
pub fn join(parts: &[&[Fr]]) -> Vec<Fr> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// Field images of small integers, so `e·x` costs one multiplication (not two) for `|x| < 2^10`.
pub struct SmallInts {
    table: Vec<Fr>,
}

const SMALL: i64 = 1 << 10;

impl SmallInts {
    pub fn new() -> Self {
        Self { table: (-SMALL..SMALL).map(fr_from_i64).collect() }
    }

    /// `x` in the field.
    #[inline]
    pub fn get(&self, x: i64) -> Fr {
        if (-SMALL..SMALL).contains(&x) { self.table[(x + SMALL) as usize] } else { fr_from_i64(x) }
    }

    /// `acc += e·x`, with additions only for `x ∈ {−1, 0, 1}` (ternary weights).
    #[inline]
    pub fn mul_add(&self, acc: &mut Fr, e: Fr, x: i64) {
        match x {
            0 => {}
            1 => *acc += e,
            -1 => *acc -= e,
            _ => *acc += e * self.get(x),
        }
    }
}

impl Default for SmallInts {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use ark_ff::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    use super::*;
    use crate::mle::eq_table;

    #[test]
    fn indicators_match_the_brute_force_sum() {
        let mut rng = StdRng::seed_from_u64(3);
        for shape in [vec![5], vec![1], vec![8], vec![3, 6], vec![2, 1, 7]] {
            let r: Vec<Fr> = (0..num_vars(&shape)).map(|_| Fr::rand(&mut rng)).collect();
            let eq = eq_table(&r).unwrap();
            let brute: Fr = padded_indices(&shape).iter().map(|i| eq[*i]).sum();
            assert_eq!(box_indicator(&r, &shape), brute, "{shape:?}");
        }
        assert_eq!(prefix_indicator(&[], 0), Fr::zero());
        assert_eq!(prefix_indicator(&[], 1), Fr::one());
    }

    #[test]
    fn padded_indices_follow_the_tensor_encoding() {
        assert_eq!(padded_indices(&[2, 3]), vec![0, 1, 2, 4, 5, 6]);
        assert_eq!(padded_indices(&[]), vec![0]);
        let s = SmallInts::new();
        assert_eq!(s.get(-3), -Fr::from(3u64));
        assert_eq!(s.get(1 << 20), Fr::from(1u64 << 20));
    }
}
