//! Deferred pairing equations.
//!
//! Every KZG verification in Tessera ends in an equation `e(lhs, [1]_2) = e(rhs, [τ]_2)` that is
//! *returned*, not checked, so that all of a proof's equations can be merged with random
//! coefficients and decided by one multi-pairing (DESIGN §5, the decider).

use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::curve::{Curve, Fr, G1, G1Affine, powers};
use crate::error::VerifyError;
use crate::srs::VerifierKey;

/// The claim `e(lhs, [1]_2) = e(rhs, [τ]_2)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PairingClaim {
    pub lhs: G1Affine,
    pub rhs: G1Affine,
}

impl PairingClaim {
    /// Decides the claim with one multi-pairing (two Miller loops, one final exponentiation).
    pub fn check(&self, vk: &VerifierKey) -> Result<(), VerifyError> {
        let g1 = [G1::from(self.lhs), -G1::from(self.rhs)];
        if Curve::multi_pairing(g1, [vk.g2, vk.tau_g2]).is_zero() {
            Ok(())
        } else {
            Err(VerifyError::Pairing)
        }
    }

    /// `Σ c^i · claim_i`: holds (up to probability `n/|Fr|` over `c`) iff every claim holds.
    /// `c` must come from a transcript that absorbed every claim.
    pub fn combine(claims: &[PairingClaim], c: Fr) -> PairingClaim {
        let coeffs = powers(c, claims.len());
        let lhs: Vec<G1Affine> = claims.iter().map(|p| p.lhs).collect();
        let rhs: Vec<G1Affine> = claims.iter().map(|p| p.rhs).collect();
        PairingClaim {
            lhs: G1::msm_unchecked(&lhs, &coeffs).into_affine(),
            rhs: G1::msm_unchecked(&rhs, &coeffs).into_affine(),
        }
    }
}
