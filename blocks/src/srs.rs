//! Structured reference string: powers of a secret `τ` in G1 plus `[1]_2, [τ]_2`.
//!
//! KZG (Kate–Zaverucha–Goldberg, ASIACRYPT 2010) commits a polynomial `p(X) = Σ p_i X^i` as
//! `[p(τ)]_1 = Σ p_i·[τ^i]_1`. Soundness needs `τ` to be unknown to everyone, so an SRS for real use
//! comes from a ceremony; only two G2 points are needed, so any BLS12-381 powers-of-tau transcript
//! with enough G1 powers suffices.
//!
//! Sources ([`SrsOrigin`]):
//! * [`Srs::insecure_dev`]: `τ` derived from a public seed — anyone can forge proofs. For tests and
//!   the demo only; it logs a warning every time it is made.
//! * [`Srs::read`]: a file in Tessera's format (below), e.g. converted from a ceremony. Every point is
//!   decompressed with on-curve and subgroup checks, and `e([τ]_1, [1]_2) = e([1]_1, [τ]_2)` is
//!   checked so the G1 and G2 halves agree on `τ`. [`Srs::check_powers`] checks every power.
//!
//! File format, version 1 (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 4 | magic `TSRS` |
//! | 4 | format version `u32` = 1 |
//! | 1 | origin tag: 0 insecure-dev (then seed `u64`), 1 ceremony (then name: `u64` length + UTF-8) |
//! | 96 + 96 | `[1]_2`, `[τ]_2`, compressed |
//! | 8 + 48·n | `n` as `u64`, then `[τ^i]_1` for `i < n`, compressed |

use std::io::{Read, Write};
use std::sync::Arc;

use ark_ec::pairing::Pairing;
use ark_ec::scalar_mul::ScalarMul;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{PrimeField, Zero};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Valid, Validate,
};
use rayon::prelude::*;
use thiserror::Error;

use crate::curve::{Curve, Fr, G1, G1Affine, G2, G2Affine, powers};
use crate::error::Error;
use crate::transcript::Transcript;

const MAGIC: &[u8; 4] = b"TSRS";
/// Magic of the prover's uncompressed copy ([`Srs::write_prover_copy`]).
const PROVER_COPY_MAGIC: &[u8; 4] = b"TSRU";
const FORMAT_VERSION: u32 = 1;
/// The largest dev SRS we agree to build (2^28 G1 points is 12 GiB).
pub const MAX_DEV_LOG_SIZE: usize = 28;

/// Where an SRS came from. Only a ceremony SRS is fit for proofs anyone should believe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrsOrigin {
    /// `τ` derived from a public seed: **insecure**, anyone can forge proofs.
    InsecureDev { seed: u64 },
    /// Imported from a named powers-of-tau ceremony transcript.
    Ceremony { name: String },
}

/// Why an SRS file could not be read.
#[derive(Debug, Error)]
pub enum SrsError {
    #[error("srs file: i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("srs file: bad magic (not a Tessera SRS file)")]
    BadMagic,
    #[error("srs file: unsupported format version {found} (this build reads {FORMAT_VERSION})")]
    UnsupportedVersion { found: u32 },
    #[error("srs file: unknown origin tag {0}")]
    UnknownOrigin(u8),
    #[error("srs file: malformed {field}: {source}")]
    Malformed { field: &'static str, source: SerializationError },
    #[error("srs: inconsistent: {0}")]
    Inconsistent(&'static str),
}

/// Powers of `τ` in G1 and `[1]_2, [τ]_2`. The powers are shared: cloning an SRS is cheap, so
/// provers can hand one to every block that commits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Srs {
    origin: SrsOrigin,
    powers_g1: Arc<[G1Affine]>,
    g2: G2Affine,
    tau_g2: G2Affine,
}

/// What a verifier needs: `[1]_1`, `[1]_2`, `[τ]_2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct VerifierKey {
    pub g1: G1Affine,
    pub g2: G2Affine,
    pub tau_g2: G2Affine,
}

impl Srs {
    /// A deterministic SRS with `τ = H(seed)` and `2^log_size` G1 powers. **Insecure**: the seed is
    /// public, so anyone can forge proofs against it. Logs a warning.
    pub fn insecure_dev(seed: u64, log_size: usize) -> Result<Self, Error> {
        if log_size > MAX_DEV_LOG_SIZE {
            return Err(Error::Invalid {
                what: "insecure dev SRS",
                reason: format!("log_size {log_size} exceeds {MAX_DEV_LOG_SIZE}"),
            });
        }
        tracing::warn!(
            seed,
            log_size,
            "building an INSECURE development SRS: its trapdoor is public, proofs against it can be forged"
        );
        let tau = dev_tau(seed);
        let n = 1usize << log_size;
        let powers_g1 = G1::generator().batch_mul(&powers(tau, n));
        let g2 = G2::generator();
        Ok(Self {
            origin: SrsOrigin::InsecureDev { seed },
            powers_g1: powers_g1.into(),
            g2: g2.into_affine(),
            tau_g2: (g2 * tau).into_affine(),
        })
    }

    /// Builds an SRS from ceremony points; checks every point (on the curve, in the subgroup)
    /// and that they are consecutive powers of one `τ`, the G1 and G2 halves agreeing
    /// ([`Srs::check_powers`]).
    pub fn from_ceremony(
        name: String,
        powers_g1: Vec<G1Affine>,
        g2: G2Affine,
        tau_g2: G2Affine,
    ) -> Result<Self, SrsError> {
        let srs =
            Self { origin: SrsOrigin::Ceremony { name }, powers_g1: powers_g1.into(), g2, tau_g2 };
        srs.check_powers()?;
        Ok(srs)
    }

    pub fn origin(&self) -> &SrsOrigin {
        &self.origin
    }

    /// Number of G1 powers: polynomials of degree `< len()` can be committed.
    pub fn len(&self) -> usize {
        self.powers_g1.len()
    }

    /// Never true for an SRS that was built or read successfully.
    pub fn is_empty(&self) -> bool {
        self.powers_g1.is_empty()
    }

    /// `[τ^i]_1` for `i < len()`.
    pub fn powers_g1(&self) -> &[G1Affine] {
        &self.powers_g1
    }

    /// The verifier's part.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey { g1: self.powers_g1[0], g2: self.g2, tau_g2: self.tau_g2 }
    }

    /// The first `n` powers, or an error naming `what` needed them.
    pub fn committer_powers(&self, what: &'static str, n: usize) -> Result<&[G1Affine], Error> {
        self.powers_g1.get(..n).ok_or(Error::SrsTooSmall {
            what,
            needed: n,
            available: self.powers_g1.len(),
        })
    }

    /// BLAKE3 of the file encoding: what transcripts absorb to bind a proof to this SRS.
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        // Hashing cannot fail; the writer is infallible.
        let _ = self.write(&mut HashWriter(&mut hasher));
        *hasher.finalize().as_bytes()
    }

    /// Writes the file format of the module doc.
    pub fn write<W: Write>(&self, mut w: W) -> Result<(), SrsError> {
        self.write_header(&mut w, MAGIC)?;
        let ser = |e| SrsError::Malformed { field: "points", source: e };
        self.powers_g1[..].serialize_compressed(&mut w).map_err(ser)?;
        Ok(())
    }

    /// The prover's copy (inside a proving key): the same header under the magic `TSRU`, then the
    /// G1 powers **uncompressed**, so loading needs no square roots. Read it with
    /// [`Srs::read_prover_copy`].
    pub fn write_prover_copy<W: Write>(&self, mut w: W) -> Result<(), SrsError> {
        self.write_header(&mut w, PROVER_COPY_MAGIC)?;
        let ser = |e| SrsError::Malformed { field: "points", source: e };
        self.powers_g1[..].serialize_uncompressed(&mut w).map_err(ser)?;
        Ok(())
    }

    fn write_header<W: Write>(&self, w: &mut W, magic: &[u8; 4]) -> Result<(), SrsError> {
        w.write_all(magic)?;
        w.write_all(&FORMAT_VERSION.to_le_bytes())?;
        match &self.origin {
            SrsOrigin::InsecureDev { seed } => {
                w.write_all(&[0])?;
                w.write_all(&seed.to_le_bytes())?;
            }
            SrsOrigin::Ceremony { name } => {
                w.write_all(&[1])?;
                w.write_all(&(name.len() as u64).to_le_bytes())?;
                w.write_all(name.as_bytes())?;
            }
        }
        let ser = |e| SrsError::Malformed { field: "points", source: e };
        self.g2.serialize_compressed(&mut *w).map_err(ser)?;
        self.tau_g2.serialize_compressed(&mut *w).map_err(ser)?;
        Ok(())
    }

    /// Reads [`Srs::write_prover_copy`]'s format. Every point is checked to be on its curve, the
    /// G2 points to be in their subgroup, and `[τ]_1` against `[τ]_2` by a pairing; the G1
    /// powers' subgroup checks (≈ 0.1 ms each, seconds for a proving key) are skipped: this copy
    /// only ever feeds its owner's prover, where a bad point can only make the owner's proofs
    /// fail — verifiers use the verifying key, whose points are fully checked.
    pub fn read_prover_copy<R: Read>(mut r: R) -> Result<Self, SrsError> {
        let (origin, g2, tau_g2) = read_header(&mut r, PROVER_COPY_MAGIC)?;
        let malformed = |source| SrsError::Malformed { field: "G1 powers", source };
        let powers_g1 = Vec::<G1Affine>::deserialize_with_mode(&mut r, Compress::No, Validate::No)
            .map_err(malformed)?;
        if !powers_g1.par_iter().all(|p| p.is_on_curve()) {
            return Err(SrsError::Inconsistent("a G1 power is not on the curve"));
        }
        let srs = Self { origin, powers_g1: powers_g1.into(), g2, tau_g2 };
        srs.check_generators()?;
        Ok(srs)
    }

    /// Reads the file format with full validation: on-curve and subgroup checks on every point,
    /// and [`Srs::check_powers`] (issue 22, F2: without it a file whose `[τ^5]` is `[τ^2]` was
    /// accepted, and `X^5 − X^2` then commits to the identity — a binding break anyone can use).
    pub fn read<R: Read>(mut r: R) -> Result<Self, SrsError> {
        let (origin, g2, tau_g2) = read_header(&mut r, MAGIC)?;
        let powers_g1 = read_g1_powers(&mut r)?;
        let srs = Self { origin, powers_g1: powers_g1.into(), g2, tau_g2 };
        srs.check_powers()?;
        Ok(srs)
    }

    /// Checks every point ([`Srs::check_shape`]'s subgroup checks) and every power:
    /// `Σ ρ^i [τ^{i+1}]_1` paired with `[1]_2` equals `Σ ρ^i [τ^i]_1` paired with `[τ]_2`, for `ρ`
    /// derived from the points (a prover of the file cannot choose it). If some `[τ^{i+1}]_1` is
    /// not `τ·[τ^i]_1`, the two sides differ except with probability `n/|Fr|` over `ρ`. Two MSMs
    /// of the SRS size and one pairing; run whenever an SRS is read from a file or imported.
    pub fn check_powers(&self) -> Result<(), SrsError> {
        self.check_shape()?;
        let n = self.powers_g1.len();
        if n < 2 {
            return Ok(());
        }
        let mut t = Transcript::new(b"tessera/srs-check");
        t.append_bytes(b"srs", &self.digest());
        let rho = t.challenge_scalar(b"rho");
        let coeffs = powers(rho, n - 1);
        let low = G1::msm_unchecked(&self.powers_g1[..n - 1], &coeffs);
        let high = G1::msm_unchecked(&self.powers_g1[1..], &coeffs);
        let ok = Curve::multi_pairing([high, -low], [self.g2, self.tau_g2]).is_zero();
        if ok { Ok(()) } else { Err(SrsError::Inconsistent("powers of tau are not consecutive")) }
    }

    fn check_shape(&self) -> Result<(), SrsError> {
        // On the curve and in the subgroup, in parallel (≈ 0.1 ms a point).
        self.powers_g1
            .par_iter()
            .try_for_each(|p| p.check())
            .map_err(|source| SrsError::Malformed { field: "G1 powers", source })?;
        self.check_generators()
    }

    /// Non-zero generators, valid G2 points, and `e([τ]_1, [1]_2) = e([1]_1, [τ]_2)`.
    fn check_generators(&self) -> Result<(), SrsError> {
        let first = self.powers_g1.first().ok_or(SrsError::Inconsistent("no G1 powers"))?;
        if first.is_zero() || self.g2.is_zero() || self.tau_g2.is_zero() {
            return Err(SrsError::Inconsistent("identity point among the generators"));
        }
        self.g2
            .check()
            .and_then(|_| self.tau_g2.check())
            .map_err(|source| SrsError::Malformed { field: "points", source })?;
        if let Some(tau_g1) = self.powers_g1.get(1) {
            let ok = Curve::multi_pairing([*tau_g1, -*first], [self.g2, self.tau_g2]).is_zero();
            if !ok {
                return Err(SrsError::Inconsistent("[tau]_1 and [tau]_2 disagree"));
            }
        }
        Ok(())
    }
}

/// `τ` of the dev SRS: BLAKE3 of the seed, reduced mod p. Public, hence insecure.
fn dev_tau(seed: u64) -> Fr {
    let mut h = blake3::Hasher::new();
    h.update(b"tessera/insecure-dev-srs/v1");
    h.update(&seed.to_le_bytes());
    let mut wide = [0u8; 64];
    h.finalize_xof().fill(&mut wide);
    Fr::from_le_bytes_mod_order(&wide)
}

struct HashWriter<'a>(&'a mut blake3::Hasher);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// Reads the compressed G1 powers (a `u64` count, then 48 bytes a point) and decompresses them in
/// parallel; [`Srs::check_shape`] then checks each is on the curve and in the subgroup (also in
/// parallel). One by one, these steps dominated loading a proving key.
fn read_g1_powers<R: Read>(r: &mut R) -> Result<Vec<G1Affine>, SrsError> {
    let malformed = |source| SrsError::Malformed { field: "G1 powers", source };
    let count =
        u64::deserialize_with_mode(&mut *r, Compress::Yes, Validate::Yes).map_err(malformed)?;
    if count > 1u64 << MAX_DEV_LOG_SIZE {
        return Err(SrsError::Inconsistent("more G1 powers than any supported SRS"));
    }
    let width = G1Affine::default().compressed_size();
    let mut bytes = Vec::new();
    let want = count as usize * width;
    r.take(want as u64).read_to_end(&mut bytes)?;
    if bytes.len() != want {
        return Err(SrsError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    bytes
        .par_chunks(width)
        .map(|c| G1Affine::deserialize_with_mode(c, Compress::Yes, Validate::No).map_err(malformed))
        .collect()
}

/// The header shared by both encodings: magic, version, origin, `[1]_2`, `[τ]_2` (validated).
fn read_header<R: Read>(
    mut r: R,
    expected: &[u8; 4],
) -> Result<(SrsOrigin, G2Affine, G2Affine), SrsError> {
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)?;
    if &magic != expected {
        return Err(SrsError::BadMagic);
    }
    let mut word = [0u8; 4];
    r.read_exact(&mut word)?;
    let found = u32::from_le_bytes(word);
    if found != FORMAT_VERSION {
        return Err(SrsError::UnsupportedVersion { found });
    }
    let mut tag = [0u8; 1];
    r.read_exact(&mut tag)?;
    let mut long = [0u8; 8];
    let origin = match tag[0] {
        0 => {
            r.read_exact(&mut long)?;
            SrsOrigin::InsecureDev { seed: u64::from_le_bytes(long) }
        }
        1 => {
            r.read_exact(&mut long)?;
            let len = u64::from_le_bytes(long);
            let mut name = Vec::new();
            (&mut r).take(len).read_to_end(&mut name)?;
            if name.len() as u64 != len {
                return Err(SrsError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            let name = String::from_utf8(name)
                .map_err(|_| SrsError::Inconsistent("ceremony name is not UTF-8"))?;
            SrsOrigin::Ceremony { name }
        }
        other => return Err(SrsError::UnknownOrigin(other)),
    };
    let read_g2 = |r: &mut R, field| {
        G2Affine::deserialize_with_mode(r, Compress::Yes, Validate::Yes)
            .map_err(|source| SrsError::Malformed { field, source })
    };
    let g2 = read_g2(&mut r, "[1]_2")?;
    let tau_g2 = read_g2(&mut r, "[tau]_2")?;
    Ok((origin, g2, tau_g2))
}
