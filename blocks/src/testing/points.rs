//! Points that a validating reader must refuse.

use ark_ff::Field;

use crate::curve::G1Affine;

/// A point on the curve but outside the prime-order subgroup (G1 has a large cofactor): the
/// smallest `x` whose lifted point fails the subgroup check.
pub fn off_subgroup_g1() -> G1Affine {
    let mut x = ark_bls12_381::Fq::from(1u64);
    loop {
        if let Some(p) = G1Affine::get_point_from_x_unchecked(x, true)
            && !p.is_in_correct_subgroup_assuming_on_curve()
        {
            return p;
        }
        x += ark_bls12_381::Fq::ONE;
    }
}
