//! Curve and field aliases: the one place that names BLS12-381.
//!
//! Everything in Tessera is over the scalar field `Fr` of BLS12-381 (a 255-bit prime field with a
//! 2^32 root of unity). Commitments live in `G1`; the two fixed verifier bases `[1]_2, [τ]_2` live
//! in `G2`. Changing the curve means changing this file only.

/// The pairing engine.
pub type Curve = ark_bls12_381::Bls12_381;
/// The scalar field: every tensor entry, challenge and evaluation lives here.
pub type Fr = ark_bls12_381::Fr;
/// Affine G1 points (commitments, KZG witnesses), the serialized form.
pub type G1Affine = ark_bls12_381::G1Affine;
/// Projective G1 points, for arithmetic.
pub type G1 = ark_bls12_381::G1Projective;
/// Affine G2 points (the verifier's fixed bases).
pub type G2Affine = ark_bls12_381::G2Affine;
/// Projective G2 points.
pub type G2 = ark_bls12_381::G2Projective;

/// Embeds a signed integer in `Fr`: `x mod p`, so negative values become `p − |x|` (DESIGN §2).
pub fn fr_from_i64(x: i64) -> Fr {
    if x >= 0 { Fr::from(x as u64) } else { -Fr::from(x.unsigned_abs()) }
}

/// `1/2` in `Fr`, i.e. `(p + 1)/2`.
pub fn fr_half() -> Fr {
    use ark_ff::{One, PrimeField};
    Fr::from(Fr::MODULUS_MINUS_ONE_DIV_TWO) + Fr::one()
}

/// `1, x, x², …, x^{n−1}`: the coefficients of every random linear combination in Tessera.
pub fn powers(x: Fr, n: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(n);
    let mut acc = <Fr as ark_ff::One>::one();
    for _ in 0..n {
        out.push(acc);
        acc *= x;
    }
    out
}
