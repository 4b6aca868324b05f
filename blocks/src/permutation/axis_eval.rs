//! The multilinear extension of a 1-D affine index map, evaluated in `O(log n)`.
//!
//! `M̃(r, r') = Σ_{i<len, 0≤j<n} eq(r, i)·eq(r', j)` with `j = start + step·i`. For `step = 2^t`
//! (every slice, pad, concat placement and stride-1/2/4 window), `j = (i << t) + start` is an
//! addition (or, for negative `start`, a subtraction) of bit strings, so the sum factors over bit
//! positions: a dynamic program walks the bits from the least significant, with state
//! `(carry, A < len·2^t so far, j < n so far)` — comparisons computed LSB-first — and weights
//! each bit of `i` and `j` by its factor of `eq`. Eight states, two choices per bit: `O(log n)`.
//! Other steps fall back to the direct sum, `O(len + n)`.

use ark_ff::{One, Zero};

use crate::curve::Fr;
use crate::error::Error;
use crate::mle::eq_table;

/// `M̃(r, r')` for `out[i] = in[start + step·i]` (`i < len`, in-range sources only): `O(k + k')`
/// for a power-of-two `step`, the definition otherwise. Shared with the convolution's window maps.
pub(crate) fn affine_map_eval(
    r: &[Fr],
    r_src: &[Fr],
    start: i64,
    step: i64,
    len: usize,
    n: usize,
) -> Result<Fr, Error> {
    if step > 0 && (step as u64).is_power_of_two() {
        Ok(bitwise_eval(r, r_src, start, step.trailing_zeros() as usize, len, n))
    } else {
        direct_eval(r, r_src, start, step, len, n)
    }
}

/// `start + step·i` if it lies in `[0, n)`.
pub(super) fn affine_source(start: i64, step: i64, i: usize, n: usize) -> Option<usize> {
    let j = (i as i128) * (step as i128) + start as i128;
    (0..n as i128).contains(&j).then_some(j as usize)
}

/// The definition, with eq tables: `O(2^k + 2^{k'})`.
pub(super) fn direct_eval(
    r: &[Fr],
    r_src: &[Fr],
    start: i64,
    step: i64,
    len: usize,
    n: usize,
) -> Result<Fr, Error> {
    let out_eq = eq_table(r)?;
    let in_eq = eq_table(r_src)?;
    let mut acc = Fr::zero();
    for (i, e) in out_eq.iter().enumerate().take(len) {
        if let Some(w) = affine_source(start, step, i, n).and_then(|j| in_eq.get(j)) {
            acc += *e * w;
        }
    }
    Ok(acc)
}

/// The bit-serial evaluation for `step = 2^t`.
fn bitwise_eval(r: &[Fr], r_src: &[Fr], start: i64, t: usize, len: usize, n: usize) -> Fr {
    let (k, k_src) = (r.len(), r_src.len());
    let negative = start < 0;
    let offset = start.unsigned_abs() as u128;
    let limit_a = (len as u128) << t; // i < len  ⇔  A = i·2^t < len·2^t
    let bits = |x: u128| 128 - x.leading_zeros() as usize;
    let width =
        [k + t, k_src, bits(offset), bits(limit_a), bits(n as u128)].into_iter().max().unwrap_or(0)
            + 1;
    // state index: carry | lt_a << 1 | lt_j << 2
    let mut dp = [Fr::zero(); 8];
    dp[0] = Fr::one();
    for b in 0..width {
        let mut next = [Fr::zero(); 8];
        let i_bit_index = b.checked_sub(t).filter(|ib| *ib < k);
        for (state, weight) in dp.iter().enumerate() {
            if weight.is_zero() {
                continue;
            }
            let (carry, lt_a, lt_j) = (state & 1, (state >> 1) & 1, (state >> 2) & 1);
            let choices: &[u8] = if i_bit_index.is_some() { &[0, 1] } else { &[0] };
            for &a_bit in choices {
                let mut w = *weight;
                if let Some(ib) = i_bit_index {
                    let ri = r[k - 1 - ib];
                    w *= if a_bit == 1 { ri } else { Fr::one() - ri };
                }
                let s_bit = ((offset >> b) & 1) as i32;
                let (j_bit, carry_out) = if negative {
                    let d = a_bit as i32 - s_bit - carry as i32;
                    ((d & 1) as u8, usize::from(d < 0))
                } else {
                    let s = a_bit as i32 + s_bit + carry as i32;
                    ((s & 1) as u8, (s >> 1) as usize)
                };
                if b < k_src {
                    let rj = r_src[k_src - 1 - b];
                    w *= if j_bit == 1 { rj } else { Fr::one() - rj };
                } else if j_bit == 1 {
                    continue; // j must fit in k_src bits
                }
                let l_bit = ((limit_a >> b) & 1) as u8;
                let n_bit = ((n as u128 >> b) & 1) as u8;
                let lt_a = usize::from(a_bit < l_bit || (a_bit == l_bit && lt_a == 1));
                let lt_j = usize::from(j_bit < n_bit || (j_bit == n_bit && lt_j == 1));
                next[carry_out | lt_a << 1 | lt_j << 2] += w;
            }
        }
        dp = next;
    }
    // No carry or borrow left, i < len and j < n.
    dp[0b110]
}

#[cfg(test)]
mod tests {
    use ark_std::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    use super::*;

    #[test]
    fn bitwise_matches_the_definition() {
        let mut rng = StdRng::seed_from_u64(1);
        for k in 0..4usize {
            for k_src in 0..5usize {
                let r: Vec<Fr> = (0..k).map(|_| Fr::rand(&mut rng)).collect();
                let r_src: Vec<Fr> = (0..k_src).map(|_| Fr::rand(&mut rng)).collect();
                for t in 0..3usize {
                    for start in -6i64..6 {
                        for len in [0, 1, (1 << k) / 2 + 1, 1 << k] {
                            for n in [1, (1 << k_src) - (1 << k_src) / 3, 1 << k_src] {
                                let step = 1i64 << t;
                                let want = direct_eval(&r, &r_src, start, step, len.min(1 << k), n)
                                    .unwrap();
                                let got = bitwise_eval(&r, &r_src, start, t, len.min(1 << k), n);
                                assert_eq!(
                                    got, want,
                                    "k={k} k'={k_src} t={t} start={start} len={len} n={n}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
