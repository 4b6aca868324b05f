//! The lookup block: every entry (or tuple of entries) of the looked-up tensors is a row of a fixed
//! table — range checks, rescales, ReLU and every other non-linearity (DESIGN §2, §4).
//!
//! **Relation.** Looked-up vectors `c^{(j)}` (each a committed tensor, or a tuple of committed
//! tensors of one shape for a multi-column table) and a table `T` with rows `t_0..t_{N−1}`: every
//! real (non-padding) entry of every `c^{(j)}` is a row of `T`. Proved with logUp (Haböck,
//! "Multivariate lookups based on logarithmic derivatives", ePrint 2022/1530): for multiplicities
//! `m_t` = how often row `t` is looked up,
//!
//! ```text
//!     Σ_j Σ_i mask_j(i) / (β + f_j(i))  =  Σ_t m_t / (β + t_t),   f = c_0 + ζ·c_1,  t = T_in + ζ·T_out
//! ```
//!
//! **Which protocol (decided).** Both sums are proved by the fractional-sum GKR of Papini–Haböck
//! ("Improving logarithmic derivative lookups using GKR", ePrint 2023/1284; [`gkr`]) instead of
//! committed inverse helper columns: helper columns are full-scalar vectors of length `n` and `N`,
//! whose MSMs alone cost ≈ 0.5 s at 2^16 and ≈ 6.8 s at 2^20 on this machine (DESIGN §9) — over
//! the prover targets before any sumcheck. With GKR the only committed prover data are the
//! multiplicities: small integers, mostly zero; committing them (done by the caller before the
//! block, they are part of the [`LookupInstance`]) measured 60 ms at `N = 2^16` and 75 ms at
//! `N = 2^20` with `n = 2^16`. The price is `O(log² n)` proof size and verifier work instead of
//! `O(log n)`: ≈ 12–18 KB and 3–4 ms. The GKR layers use a dedicated prover ([`layer`]) that is
//! bit-identical to the kernel's sumcheck but 3–5× faster end to end on the 2^20-row table.
//!
//! **Padding is harmless.** Looked-up tensors use the kernel's zero-padded encoding; padding
//! entries (and padding slots up to a power of two of vectors) get numerator `mask = 0`, so they
//! contribute nothing whatever their value; the verifier evaluates `mask̃` itself in `O(log n)`
//! ([`table::shape_mask_eval`]). The table is padded by repeating its first row ([`table`]), so
//! multiplicities on padding rows only admit genuine rows.
//!
//! **Wide range checks** ([`Recomposition`]): a value `v` with `v + offset ∈ [0, 2^{b·L})` is
//! decomposed into `L` committed limbs looked up in the range table `[0, 2^b)` together with every
//! other vector of that table; at the limbs' common point `ρ` the verifier derives the claim
//! `ṽ(ρ) = Σ_l 2^{b·l}·limb̃_l(ρ) − offset·mask̃(ρ)` on `v`'s commitment, so the recomposition
//! costs nothing beyond the limbs' claims.
//!
//! | symbol | meaning |
//! |---|---|
//! | `n`, `a` | looked-up entries after padding, `a = log2 n` (vectors padded to `2^c`, slots to a power of two) |
//! | `N = 2^K` | padded table rows |
//! | `ζ`, `β` | column-combining and logUp challenges, both squeezed after the multiplicities |
//! | `ρ_j` | the point at which the claims on vector `j`'s columns are made |
//!
//! **Transcript order.** Table digest, table size, table output commitment (from the verifying key
//! — the proof never carries one); looked-up vectors (shape, column commitments); recompositions;
//! the multiplicities' commitment; squeeze `ζ`, then `β`; the GKR ([`gkr`]) over the lookup tree
//! (depth `a`) and the table tree (depth `K`); then the leaf evaluations (columns, multiplicity,
//! table output).
//!
//! **Proof** ([`LookupProof`]): the GKR (`4 + Σ_{d<max(a,K)} (2d + 4·active_d)` scalars), one scalar
//! per looked-up column, the multiplicity evaluation and, for function tables, the output column's.
//! Measured (compressed bytes, one vector of `n` entries into a range of `N` rows):
//!
//! | n \\ N | 2^8 | 2^16 | 2^20 |
//! |---|---|---|---|
//! | 2^10 | 5,576 | 11,496 | 16,552 |
//! | 2^14 | 9,096 | 12,008 | 17,064 |
//! | 2^16 | 11,240 | 12,264 | 17,320 |
//! | 2^18 | 13,640 | 14,664 | 17,576 |
//!
//! A function table adds one scalar per vector and one for the output column (tanh, `n = N = 2^16`:
//! 12,328 bytes). Measured with `cargo bench -p tessera-benches --bench lookup -- --test`.
//!
//! **Claims out** ([`BlockClaims::committed`]), in order: every column of every vector at `ρ_j`;
//! the multiplicities at the table point; the table output column at the table point (function
//! tables, on the verifying key's commitment); each recomposed value at its limbs' point.

pub mod functions;
pub mod gkr;
pub mod layer;
mod prover;
pub mod table;
mod verifier;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

pub use functions::{Function, function_table};
pub use table::Table;

use crate::block::Block;
use crate::claim::BlockClaims;
use crate::curve::Fr;
use crate::error::{Error, RelationError, VerifyError};
use crate::kzg::{self, Commitment};
use crate::srs::Srs;
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

const PROTOCOL: &str = "lookup";

/// What the compiler and setup fix: the table and, for a function table, its output commitment
/// (a verifying-key entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupSpec {
    pub table: Table,
    pub table_commitment: Option<Commitment>,
}

impl LookupSpec {
    /// Setup: commits the table's output column once.
    pub fn setup(srs: &Srs, table: Table) -> Result<Self, Error> {
        let table_commitment = table.commit_outputs(srs)?;
        Ok(Self { table, table_commitment })
    }
}

/// One looked-up vector: a committed tensor per table column, all of `shape`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookedUp {
    pub shape: Vec<usize>,
    pub columns: Vec<Commitment>,
}

/// `value + offset = Σ_l 2^{limb_bits·l}·limb_l` entrywise; `limbs` index [`LookupInstance::inputs`],
/// least significant first. Only for range tables `[0, 2^limb_bits)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recomposition {
    pub value: Commitment,
    pub limbs: Vec<usize>,
    pub limb_bits: u32,
    pub offset: i64,
}

/// The public statement: commitments the block reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupInstance {
    pub inputs: Vec<LookedUp>,
    pub recompositions: Vec<Recomposition>,
    /// Commitment to the padded multiplicity vector (`N` entries), made before the block.
    pub multiplicities: Commitment,
}

/// The prover's data: column values per vector, recomposed values, multiplicities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupWitness {
    pub inputs: Vec<Vec<IntTensor>>,
    pub recomposed: Vec<IntTensor>,
    pub multiplicities: Vec<u64>,
}

/// The lookup proof (see the module doc for its size).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LookupProof {
    pub gkr: gkr::GkrProof,
    /// `c̃^{(j)}_k(ρ_j)` per vector `j`, per column `k`.
    pub column_evals: Vec<Vec<Fr>>,
    pub multiplicity_eval: Fr,
    /// `T̃_out(r_table)`: one entry for a function table, none for a range.
    pub table_output_evals: Vec<Fr>,
}

impl LookupProof {
    /// Size of the compressed encoding in bytes.
    pub fn size_in_bytes(&self) -> usize {
        self.compressed_size()
    }
}

/// The challenges drawn before the GKR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenges {
    pub zeta: Fr,
    pub beta: Fr,
}

/// Absorbs the statement — table, vectors, recompositions, then the multiplicities — and only
/// then squeezes `ζ` and `β`. Prover, verifier and the soundness tests all derive them here.
pub fn derive_challenges(
    t: &mut Transcript,
    spec: &LookupSpec,
    instance: &LookupInstance,
) -> Challenges {
    t.append_bytes(b"lookup table digest", &spec.table.digest());
    t.append_u64(b"lookup table size", spec.table.size() as u64);
    t.append_serializable(b"lookup table commitment", &spec.table_commitment.as_slice());
    t.append_u64(b"lookup vectors", instance.inputs.len() as u64);
    for v in &instance.inputs {
        let shape: Vec<u64> = v.shape.iter().map(|n| *n as u64).collect();
        t.append_serializable(b"lookup vector shape", &shape);
        t.append_serializable(b"lookup vector columns", &v.columns);
    }
    t.append_u64(b"lookup recompositions", instance.recompositions.len() as u64);
    for r in &instance.recompositions {
        let limbs: Vec<u64> = r.limbs.iter().map(|l| *l as u64).collect();
        t.append_serializable(b"lookup recomposed value", &r.value);
        t.append_serializable(b"lookup recomposition limbs", &limbs);
        t.append_u64(b"lookup limb bits", r.limb_bits as u64);
        t.append_bytes(b"lookup offset", &r.offset.to_le_bytes());
    }
    // Guard (DESIGN §8.1): multiplicities are bound before ζ and β.
    t.append_serializable(b"lookup multiplicities", &instance.multiplicities);
    let zeta = t.challenge_scalar(b"lookup zeta");
    let beta = t.challenge_scalar(b"lookup beta");
    Challenges { zeta, beta }
}

/// How often each padded table row is hit by the real entries of `inputs` (the honest multiplicities).
pub fn multiplicities(table: &Table, inputs: &[Vec<IntTensor>]) -> Result<Vec<u64>, RelationError> {
    let mut m = vec![0u64; 1 << table.num_vars()];
    for (j, cols) in inputs.iter().enumerate() {
        let Some(first) = cols.first() else {
            return Err(violated(format!("vector {j} has no columns")));
        };
        for (i, x) in first.data().iter().enumerate() {
            let row = table.row_of(*x).ok_or_else(|| {
                violated(format!("vector {j} entry {i}: {x} is not in the table"))
            })?;
            if let Some(y) = cols.get(1) {
                let want = table.apply(*x);
                let got = y.data().get(i).copied();
                if want != got {
                    return Err(violated(format!(
                        "vector {j} entry {i}: ({x}, {got:?}) is not a table row (f(x) = {want:?})"
                    )));
                }
            }
            m[row] += 1;
        }
    }
    Ok(m)
}

/// Commits a multiplicity vector (small integers: a cheap MSM).
pub fn commit_multiplicities(srs: &Srs, m: &[u64]) -> Result<Commitment, Error> {
    let scalars: Vec<Fr> = m.iter().map(|x| Fr::from(*x)).collect();
    kzg::commit(srs, &scalars)
}

/// Commits a tensor in the kernel's padded encoding.
pub fn commit_tensor(srs: &Srs, t: &IntTensor) -> Result<Commitment, Error> {
    kzg::commit(srs, t.to_mle().evals())
}

/// Splits `value + offset` into `num_limbs` limbs of `limb_bits` bits, least significant first.
pub fn decompose(
    value: &IntTensor,
    limb_bits: u32,
    num_limbs: usize,
    offset: i64,
) -> Result<Vec<IntTensor>, Error> {
    let total_bits = limb_bits as usize * num_limbs;
    if limb_bits == 0 || total_bits > 62 {
        return Err(Error::Invalid {
            what: "limb decomposition",
            reason: format!("{num_limbs} limbs of {limb_bits} bits"),
        });
    }
    let mask = (1i64 << limb_bits) - 1;
    let mut limbs = vec![Vec::with_capacity(value.data().len()); num_limbs];
    for x in value.data() {
        let shifted = x.checked_add(offset).filter(|s| *s >= 0 && *s < 1i64 << total_bits);
        let s = shifted.ok_or(Error::Invalid {
            what: "limb decomposition",
            reason: format!("{x} + {offset} is outside [0, 2^{total_bits})"),
        })?;
        for (l, limb) in limbs.iter_mut().enumerate() {
            limb.push((s >> (limb_bits as usize * l)) & mask);
        }
    }
    limbs.into_iter().map(|d| IntTensor::new(value.shape().to_vec(), d)).collect()
}

fn violated(detail: String) -> RelationError {
    RelationError::Violated { relation: PROTOCOL, detail }
}

/// The lookup block.
pub struct Lookup;

impl Block for Lookup {
    type Spec = LookupSpec;
    type Instance = LookupInstance;
    type Witness = LookupWitness;
    type Proof = LookupProof;

    /// A function table maps every entry through `f`; a range table returns its input unchanged.
    /// Entries outside the table are errors.
    fn eval(spec: &LookupSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        inputs
            .iter()
            .map(|x| {
                let data = x
                    .data()
                    .iter()
                    .map(|v| {
                        spec.table.apply(*v).ok_or(Error::Invalid {
                            what: "lookup eval",
                            reason: format!("{v} is outside table {}", spec.table.label()),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                IntTensor::new(x.shape().to_vec(), data)
            })
            .collect()
    }

    fn check(
        spec: &LookupSpec,
        instance: &LookupInstance,
        witness: &LookupWitness,
    ) -> Result<(), RelationError> {
        prover::check_relation(spec, instance, witness)
    }

    fn prove(
        spec: &LookupSpec,
        instance: &LookupInstance,
        witness: &LookupWitness,
        transcript: &mut Transcript,
    ) -> Result<(LookupProof, BlockClaims), Error> {
        prover::check_relation(spec, instance, witness)
            .map_err(|e| Error::Invalid { what: "lookup witness", reason: e.to_string() })?;
        let m: Vec<Fr> = witness.multiplicities.iter().map(|x| Fr::from(*x)).collect();
        prover::prove_with_multiplicities(spec, instance, &witness.inputs, &m, transcript)
    }

    fn verify(
        spec: &LookupSpec,
        instance: &LookupInstance,
        proof: &LookupProof,
        transcript: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        verifier::verify(spec, instance, proof, transcript)
    }
}

#[cfg(test)]
mod tests;
