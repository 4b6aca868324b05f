//! File formats: plan, proving key, verifying key and proof.
//!
//! Every file is `magic ‖ kind ‖ version ‖ payload`: the 8-byte magic `TESSERA\0`, one byte naming
//! the kind ([`FileKind`]), the format version as a little-endian `u32`, then the payload — the
//! plan's canonical JSON for a plan, canonical compressed arkworks encodings for the others.
//! Reading checks the magic, the kind, the version, and validates the payload (points on the curve
//! and in the subgroup, a plan consistent with itself, no trailing bytes); every failure names the
//! file and what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use tessera_compiler::BlockPlan;
use thiserror::Error;

use crate::keys::{ProvingKey, VerifyingKey};
use crate::proof::Proof;

/// First bytes of every Tessera file.
pub const MAGIC: &[u8; 8] = b"TESSERA\0";

/// Format version of every file kind.
pub const FORMAT_VERSION: u32 = 6;

/// The four file kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A compiled block plan (`plan.bin`).
    Plan,
    /// A proving key (`pk.bin`).
    ProvingKey,
    /// A verifying key (`vk.bin`).
    VerifyingKey,
    /// A proof.
    Proof,
}

impl FileKind {
    fn tag(self) -> u8 {
        match self {
            FileKind::Plan => 1,
            FileKind::ProvingKey => 2,
            FileKind::VerifyingKey => 3,
            FileKind::Proof => 4,
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        [FileKind::Plan, FileKind::ProvingKey, FileKind::VerifyingKey, FileKind::Proof]
            .into_iter()
            .find(|k| k.tag() == tag)
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Plan => "block plan",
            FileKind::ProvingKey => "proving key",
            FileKind::VerifyingKey => "verifying key",
            FileKind::Proof => "proof",
        })
    }
}

/// Why a file could not be read or written.
#[derive(Debug, Error)]
pub enum FileError {
    /// The operating system refused (the reason is the error's source).
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No Tessera magic.
    #[error("{path}: not a Tessera file")]
    NotTessera {
        /// The file.
        path: PathBuf,
    },
    /// Another kind of Tessera file.
    #[error("{path}: is a {found}, expected a {expected}")]
    WrongKind {
        /// The file.
        path: PathBuf,
        /// What it is.
        found: String,
        /// What was asked for.
        expected: FileKind,
    },
    /// Another format version.
    #[error("{path}: format version {found}, this build reads version {FORMAT_VERSION}")]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// The payload does not decode or validate.
    #[error("{path}: corrupt {kind}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Its kind.
        kind: FileKind,
        /// What is wrong.
        reason: String,
    },
}

/// `magic ‖ kind ‖ version ‖ payload`.
pub fn encode(kind: FileKind, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(13 + payload.len());
    out.extend_from_slice(MAGIC);
    out.push(kind.tag());
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The kind of a file's bytes, if it is a Tessera file.
pub fn kind_of(bytes: &[u8]) -> Option<FileKind> {
    if bytes.len() < 13 || &bytes[..8] != MAGIC {
        return None;
    }
    FileKind::from_tag(bytes[8])
}

/// Checks the header and returns the payload.
pub fn decode<'a>(path: &Path, bytes: &'a [u8], expected: FileKind) -> Result<&'a [u8], FileError> {
    let path = path.to_path_buf();
    if bytes.len() < 13 || &bytes[..8] != MAGIC {
        return Err(FileError::NotTessera { path });
    }
    match FileKind::from_tag(bytes[8]) {
        Some(k) if k == expected => {}
        Some(k) => return Err(FileError::WrongKind { path, found: k.to_string(), expected }),
        None => {
            let found = format!("unknown kind {}", bytes[8]);
            return Err(FileError::WrongKind { path, found, expected });
        }
    }
    let version = u32::from_le_bytes([bytes[9], bytes[10], bytes[11], bytes[12]]);
    if version != FORMAT_VERSION {
        return Err(FileError::Version { path, found: version });
    }
    Ok(&bytes[13..])
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, FileError> {
    std::fs::read(path).map_err(|source| FileError::Io { path: path.to_path_buf(), source })
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    std::fs::write(path, bytes).map_err(|source| FileError::Io { path: path.to_path_buf(), source })
}

fn corrupt(path: &Path, kind: FileKind, reason: impl ToString) -> FileError {
    FileError::Corrupt { path: path.to_path_buf(), kind, reason: plain(reason.to_string()) }
}

/// Arkworks reports a short read as `I/O error: Error { kind: UnexpectedEof, … }`: say it plainly.
fn plain(reason: String) -> String {
    if reason.contains("UnexpectedEof") { "the file is truncated".into() } else { reason }
}

/// Writes a plan.
pub fn write_plan(path: &Path, plan: &BlockPlan) -> Result<(), FileError> {
    write_bytes(path, &encode(FileKind::Plan, &plan.to_bytes()))
}

/// Reads and validates a plan.
pub fn read_plan(path: &Path) -> Result<BlockPlan, FileError> {
    let bytes = read_bytes(path)?;
    plan_from_bytes(path, &bytes)
}

/// Parses plan file bytes (`path` only names the source in errors).
pub fn plan_from_bytes(path: &Path, bytes: &[u8]) -> Result<BlockPlan, FileError> {
    let payload = decode(path, bytes, FileKind::Plan)?;
    BlockPlan::from_bytes(payload).map_err(|e| corrupt(path, FileKind::Plan, e))
}

/// Writes a verifying key.
pub fn write_vk(path: &Path, vk: &VerifyingKey) -> Result<(), FileError> {
    write_bytes(path, &encode(FileKind::VerifyingKey, &vk.to_bytes()))
}

/// Reads and validates a verifying key.
pub fn read_vk(path: &Path) -> Result<VerifyingKey, FileError> {
    let bytes = read_bytes(path)?;
    vk_from_bytes(path, &bytes)
}

/// Parses verifying-key file bytes.
pub fn vk_from_bytes(path: &Path, bytes: &[u8]) -> Result<VerifyingKey, FileError> {
    let payload = decode(path, bytes, FileKind::VerifyingKey)?;
    VerifyingKey::from_bytes(payload).map_err(|e| corrupt(path, FileKind::VerifyingKey, e))
}

/// Writes a proving key.
pub fn write_pk(path: &Path, pk: &ProvingKey) -> Result<(), FileError> {
    let payload = pk.to_bytes().map_err(|e| corrupt(path, FileKind::ProvingKey, e))?;
    write_bytes(path, &encode(FileKind::ProvingKey, &payload))
}

/// Reads and validates a proving key.
pub fn read_pk(path: &Path) -> Result<ProvingKey, FileError> {
    let bytes = read_bytes(path)?;
    let payload = decode(path, &bytes, FileKind::ProvingKey)?;
    ProvingKey::from_bytes(payload).map_err(|e| corrupt(path, FileKind::ProvingKey, e))
}

/// The proof's file bytes.
pub fn proof_to_bytes(proof: &Proof) -> Vec<u8> {
    let mut payload = Vec::with_capacity(proof.size_in_bytes());
    // Serializing into a Vec cannot fail.
    let _ = proof.serialize_compressed(&mut payload);
    encode(FileKind::Proof, &payload)
}

/// Writes a proof.
pub fn write_proof(path: &Path, proof: &Proof) -> Result<(), FileError> {
    write_bytes(path, &proof_to_bytes(proof))
}

/// Reads and validates a proof.
pub fn read_proof(path: &Path) -> Result<Proof, FileError> {
    let bytes = read_bytes(path)?;
    proof_from_bytes(path, &bytes)
}

/// Parses proof file bytes: subgroup checks on every point, no trailing bytes.
pub fn proof_from_bytes(path: &Path, bytes: &[u8]) -> Result<Proof, FileError> {
    let mut payload = decode(path, bytes, FileKind::Proof)?;
    let proof = Proof::deserialize_compressed(&mut payload)
        .map_err(|e| corrupt(path, FileKind::Proof, e))?;
    if !payload.is_empty() {
        return Err(corrupt(path, FileKind::Proof, format!("{} trailing bytes", payload.len())));
    }
    Ok(proof)
}
