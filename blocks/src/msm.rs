//! G1 multi-scalar multiplication for full-size scalars: Pippenger's bucket method with signed
//! window digits and **batch-affine** bucket accumulation.
//!
//! References: Pippenger, "On the evaluation of powers and related problems" (FOCS 1976) for the
//! bucket method; Montgomery's simultaneous inversion ("Speeding the Pollard and elliptic curve
//! methods of factorization", Math. Comp. 1987) for the batch-affine additions, as used by the
//! ZPrize 2022 MSM entries and gnark-crypto.
//!
//! **Notation.** `Σ_i s_i·P_i`, `n` points, window width `c`, `w = ⌈256/c⌉` windows. Each scalar is
//! recoded into signed digits `d_{i,j} ∈ (−2^{c−1}, 2^{c−1}]` with `s_i = Σ_j d_{i,j}·2^{cj}`
//! (a carry moves to the next window when a digit would exceed `2^{c−1}`; the top window never
//! carries out because `s_i < 2^255`). Window `j` sums `W_j = Σ_b (b + 1)·B_{j,b}` over
//! `2^{c−1}` buckets `B_{j,b} = Σ_{i: |d_{i,j}| = b+1} sign(d_{i,j})·P_i`; the result is
//! `Σ_j 2^{cj}·W_j` (Horner, `c` doublings per window).
//!
//! **Batch-affine buckets.** Buckets are kept in affine coordinates. Additions `B_b += P` are batched
//! (at most one per bucket at a time) and done `BATCH` at once: one field inversion for the whole
//! batch by Montgomery's trick, then `λ = (y_P − y_B)/(x_P − x_B)`, `x' = λ² − x_B − x_P`,
//! `y' = λ(x_B − x') − y_B` — about 6 base-field multiplications per addition against 10 for the
//! mixed XYZZ addition arkworks uses. A point that meets a busy bucket waits for the next batch;
//! when `BATCH` points already wait, or the sum would be a doubling or a cancellation (same `x`),
//! it goes to that bucket's projective overflow accumulator, so adversarial or repetitive scalars
//! cost at worst the projective price, never a stall.
//!
//! The windows run in parallel (rayon); the result is an exact group element, so it does not depend
//! on the number of threads. Small MSMs and small scalars are left to arkworks (its small-scalar
//! partitioning is what makes committing quantized tensors cheap): [`msm`] decides.

use ark_ec::{AdditiveGroup, AffineRepr, VariableBaseMSM};
use ark_ff::{BigInteger, Field, One, PrimeField, Zero};
use rayon::prelude::*;

use crate::curve::{Fr, G1, G1Affine};

type Fq = <G1Affine as AffineRepr>::BaseField;

/// Most pending affine additions per flush.
const BATCH: usize = 512;
/// Field multiplications one inversion costs (measured: ≈ 240 on this machine).
const INVERSION_COST: usize = 240;
/// Below this many points arkworks' MSM is used.
const MIN_POINTS: usize = 1 << 12;

/// `Σ_i scalars_i·bases_i` over the common length. Uses the batch-affine bucket method when most
/// scalars are full-size and there are enough points, arkworks' MSM otherwise.
pub fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1 {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    if n < MIN_POINTS {
        return G1::msm_unchecked(bases, scalars);
    }
    let bigints: Vec<_> = scalars.par_iter().map(|s| s.into_bigint()).collect();
    // Quantized tensors: scalars of at most 64 bits, or their negations; arkworks partitions those.
    let small = bigints
        .par_iter()
        .filter(|b| {
            let mut negated = Fr::MODULUS;
            negated.sub_with_borrow(b);
            b.num_bits() <= 64 || negated.num_bits() <= 64
        })
        .count();
    if 2 * small > n {
        return G1::msm_bigint(bases, &bigints);
    }
    let c = window_bits(n);
    let windows = 256usize.div_ceil(c);
    let digits = signed_digits(&bigints, c, windows);
    let sums: Vec<G1> = (0..windows)
        .into_par_iter()
        .map(|j| window_sum(bases, &digits[j * n..(j + 1) * n], c))
        .collect();
    let mut acc = G1::zero();
    for s in sums.iter().rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        acc += s;
    }
    acc
}

/// The window width minimizing the base-field multiplications of `w` windows, each with `n`
/// batch-affine additions (6 plus a share of the batch's inversion) and the running-sum reduction
/// over `2^{c−1}` buckets (about 24 per bucket).
fn window_bits(n: usize) -> usize {
    (6..=18)
        .min_by_key(|&c| {
            let per_add = 6 * batch_size(c) + INVERSION_COST;
            256usize.div_ceil(c) * (n * per_add / batch_size(c) + 24 * (1usize << (c - 1)))
        })
        .unwrap_or(12)
}

/// Pending additions per flush for `2^{c−1}` buckets: at most a quarter of the buckets, so that
/// few points meet a busy bucket.
fn batch_size(c: usize) -> usize {
    ((1usize << (c - 1)) / 4).clamp(16, BATCH)
}

/// Window-major signed digits: `digits[j·n + i] = d_{i,j}`.
fn signed_digits(bigints: &[<Fr as PrimeField>::BigInt], c: usize, windows: usize) -> Vec<i32> {
    let n = bigints.len();
    let per_scalar: Vec<Vec<i32>> = bigints
        .par_iter()
        .map(|b| {
            let limbs = b.as_ref();
            let bits_at = |pos: usize| -> u64 {
                let (limb, shift) = (pos / 64, pos % 64);
                let lo = limbs.get(limb).copied().unwrap_or(0) >> shift;
                let hi = if shift + c > 64 && shift > 0 {
                    limbs.get(limb + 1).copied().unwrap_or(0) << (64 - shift)
                } else {
                    0
                };
                (lo | hi) & ((1u64 << c) - 1)
            };
            let half = 1i64 << (c - 1);
            let mut carry = 0i64;
            (0..windows)
                .map(|j| {
                    let v = bits_at(j * c) as i64 + carry;
                    if v > half {
                        carry = 1;
                        (v - (1i64 << c)) as i32
                    } else {
                        carry = 0;
                        v as i32
                    }
                })
                .collect()
        })
        .collect();
    let mut digits = vec![0i32; windows * n];
    digits.par_chunks_mut(n).enumerate().for_each(|(j, row)| {
        for (d, s) in row.iter_mut().zip(&per_scalar) {
            *d = s[j];
        }
    });
    digits
}

/// `W_j = Σ_b (b + 1)·B_{j,b}` for one window's digits.
fn window_sum(bases: &[G1Affine], digits: &[i32], c: usize) -> G1 {
    let half = 1usize << (c - 1);
    let batch = batch_size(c);
    let mut buckets = Buckets::new(half);
    for (p, &d) in bases.iter().zip(digits) {
        if d == 0 || p.is_zero() {
            continue;
        }
        let point = if d > 0 { *p } else { -*p };
        buckets.schedule(d.unsigned_abs() as usize - 1, point);
        if buckets.pending.len() == batch {
            buckets.flush();
        }
    }
    while !buckets.pending.is_empty() || !buckets.queue.is_empty() {
        buckets.flush();
    }
    let mut running = G1::zero();
    let mut total = G1::zero();
    for b in (0..half).rev() {
        running += &buckets.affine[b];
        if !buckets.overflow[b].is_zero() {
            running += &buckets.overflow[b];
        }
        total += &running;
    }
    total
}

/// One window's buckets: affine sums, the pending batch, points waiting for a busy bucket, and
/// projective overflow accumulators.
struct Buckets {
    affine: Vec<G1Affine>,
    busy: Vec<bool>,
    pending: Vec<(usize, G1Affine)>,
    queue: Vec<(usize, G1Affine)>,
    overflow: Vec<G1>,
    denominators: Vec<Fq>,
    prefix: Vec<Fq>,
}

impl Buckets {
    fn new(count: usize) -> Self {
        Self {
            affine: vec![G1Affine::zero(); count],
            busy: vec![false; count],
            pending: Vec::with_capacity(BATCH),
            queue: Vec::with_capacity(BATCH),
            overflow: vec![G1::zero(); count],
            denominators: Vec::with_capacity(BATCH),
            prefix: Vec::with_capacity(BATCH),
        }
    }

    /// Queues `B_b += point` (`point` is not the identity): into the batch if bucket `b` is free,
    /// to wait for the next batch if it is busy (or to the overflow when too many wait), and to
    /// the overflow when the sum is a doubling or a cancellation.
    fn schedule(&mut self, b: usize, point: G1Affine) {
        let bucket = self.affine[b];
        if self.busy[b] {
            if self.queue.len() < BATCH {
                self.queue.push((b, point));
            } else {
                self.overflow[b] += &point;
            }
        } else if bucket.is_zero() {
            self.affine[b] = point;
        } else if bucket.x == point.x {
            self.overflow[b] += &point;
        } else {
            self.busy[b] = true;
            self.pending.push((b, point));
        }
    }

    /// Performs every pending addition with one inversion, then reschedules the waiting points.
    fn flush(&mut self) {
        self.denominators.clear();
        self.denominators.extend(self.pending.iter().map(|(b, p)| p.x - self.affine[*b].x));
        if invert_all(&mut self.denominators, &mut self.prefix) {
            for ((b, p), inv) in self.pending.iter().zip(&self.denominators) {
                let q = self.affine[*b];
                let lambda = (p.y - q.y) * inv;
                let x = lambda.square() - q.x - p.x;
                let y = lambda * (q.x - x) - q.y;
                self.affine[*b] = G1Affine::new_unchecked(x, y);
                self.busy[*b] = false;
            }
        } else {
            // Unreachable (every denominator is non-zero), but correct: add projectively.
            for (b, p) in &self.pending {
                self.overflow[*b] += p;
                self.busy[*b] = false;
            }
        }
        self.pending.clear();
        let waiting = std::mem::replace(&mut self.queue, Vec::with_capacity(BATCH));
        for (b, p) in waiting {
            self.schedule(b, p);
        }
    }
}

/// Replaces every entry of `v` by its inverse with one field inversion (Montgomery's trick, three
/// multiplications per entry). Returns `false`, leaving `v` unchanged, if an entry is zero.
fn invert_all(v: &mut [Fq], prefix: &mut Vec<Fq>) -> bool {
    prefix.clear();
    let mut acc = Fq::one();
    for x in v.iter() {
        prefix.push(acc);
        acc *= x;
    }
    let Some(mut inv) = acc.inverse() else {
        return false;
    };
    for (x, before) in v.iter_mut().zip(prefix.iter()).rev() {
        let next = inv * *x;
        *x = inv * before;
        inv = next;
    }
    true
}

#[cfg(test)]
mod tests {
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    fn points(n: usize, rng: &mut StdRng) -> Vec<G1Affine> {
        let g: Vec<G1> = (0..n).map(|_| G1::rand(rng)).collect();
        G1::normalize_batch(&g)
    }

    fn reference(bases: &[G1Affine], scalars: &[Fr]) -> G1 {
        bases.iter().zip(scalars).map(|(p, s)| *p * s).sum()
    }

    #[test]
    fn matches_the_naive_sum_for_random_scalars() {
        let mut rng = StdRng::seed_from_u64(1);
        for n in [1, 7, MIN_POINTS, MIN_POINTS + 13, 3000] {
            let bases = points(n, &mut rng);
            let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            assert_eq!(msm(&bases, &scalars), reference(&bases, &scalars), "n = {n}");
        }
    }

    /// Repeated points and scalars: every addition meets a busy bucket or an equal `x`
    /// (doublings and cancellations go through the overflow accumulators).
    #[test]
    fn repeated_points_and_scalars_double_and_cancel_correctly() {
        let mut rng = StdRng::seed_from_u64(2);
        let n = MIN_POINTS + 100;
        let p = points(1, &mut rng)[0];
        let s = Fr::rand(&mut rng);
        let bases = vec![p; n];
        // All equal: doublings in every bucket.
        assert_eq!(msm(&bases, &vec![s; n]), p * (s * Fr::from(n as u64)));
        // Alternating ±s: cancellations.
        let alt: Vec<Fr> = (0..n).map(|i| if i % 2 == 0 { s } else { -s }).collect();
        assert_eq!(msm(&bases, &alt), reference(&bases, &alt));
        // Mixed with the identity and zero scalars.
        let mut bases = points(n, &mut rng);
        bases[5] = G1Affine::zero();
        let scalars: Vec<Fr> = (0..n)
            .map(|i| if rng.gen_bool(0.1) || i == 9 { Fr::zero() } else { Fr::rand(&mut rng) })
            .collect();
        assert_eq!(msm(&bases, &scalars), reference(&bases, &scalars));
    }

    #[test]
    fn extreme_scalars_recode_without_losing_the_top_carry() {
        let mut rng = StdRng::seed_from_u64(3);
        let n = MIN_POINTS + 1;
        let bases = points(n, &mut rng);
        let top = -Fr::from(1u64); // p − 1: the largest scalar, all windows near their limits.
        let scalars: Vec<Fr> = (0..n)
            .map(|i| match i % 4 {
                0 => top,
                1 => top - Fr::from(rng.gen_range(0..1u64 << 40)),
                2 => Fr::from(2u64).pow([254]),
                _ => Fr::rand(&mut rng),
            })
            .collect();
        assert_eq!(msm(&bases, &scalars), reference(&bases, &scalars));
        for c in 4..=18 {
            let bigints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
            let windows = 256usize.div_ceil(c);
            let digits = signed_digits(&bigints, c, windows);
            for (i, s) in scalars.iter().enumerate().take(8) {
                let back: Fr = (0..windows)
                    .map(|j| {
                        let d = digits[j * n + i];
                        let v = Fr::from(d.unsigned_abs() as u64)
                            * Fr::from(2u64).pow([(c * j) as u64]);
                        if d < 0 { -v } else { v }
                    })
                    .sum();
                assert_eq!(back, *s, "c = {c}, scalar {i}");
            }
        }
    }

    #[test]
    fn small_scalars_take_the_arkworks_path_and_agree() {
        let mut rng = StdRng::seed_from_u64(4);
        let n = MIN_POINTS * 2;
        let bases = points(n, &mut rng);
        let scalars: Vec<Fr> =
            (0..n).map(|_| crate::curve::fr_from_i64(rng.gen_range(-128..128))).collect();
        assert_eq!(msm(&bases, &scalars), reference(&bases, &scalars));
    }
}
