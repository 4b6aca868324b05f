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
//!     Σ_i p(i) / (β + f(i))  =  Σ_t m_t / (β + t_t),   f = c_0 + ζ·c_1,  t = T_in + ζ·T_out
//! ```
//!
//! over the **packed domain** of [`layout`] (every vector placed in one cube of `2^a` entries; the
//! mask `p` is 1 on real entries, 0 on padding). A vector's first column may carry a public
//! offset ([`LookedUp::offset`]): `f = c_0 + offset·p + ζ·c_1`.
//!
//! **Which protocol (decided, session 4).** Committed inverse columns with one sumcheck
//! (logUp as in the paper) rather than the fractional-sum GKR (ePrint 2023/1284) used before: the
//! GKR commits nothing but costs `O(a²)` scalars — 11–22 KB per digits proof, the largest part of
//! it — while the inverse columns cost `O(a)` scalars plus one commitment per chunk. The inverse
//! column `h = p/(β + f)` has full-size entries, but an honest entry equals `1/(β + t_t)` for the
//! row it hits, so [`inverses`] commits it by row buckets: one point addition per entry and an MSM
//! over the rows hit, not a full-scalar MSM over the entries. `h` is committed in chunks of the
//! largest vector's size, so the accumulator never opens anything larger than before.
//!
//! **Protocol.** After `ζ, β`: the prover commits the chunks `[h_k]` of `h` and `[g]` of
//! `g_t = m_t/(β + t_t)`, and sends `S = Σ h`. Then `λ`, `τ ∈ F^a`, `τ_T ∈ F^K` are squeezed and
//! one batched sumcheck ([`crate::sumcheck`], degree 3) proves
//!
//! ```text
//!     Σ_x h(x) + λ·eq(τ, x)·(h(x)·(β + f(x)) − p(x))  = S     (a variables)
//!     Σ_t g(t) + λ·eq(τ_T, t)·(g(t)·(β + t(t)) − m(t)) = S    (K variables)
//! ```
//!
//! Both sums equal the same `S`, which is the logUp identity; `h·(β + f) = p` and
//! `g·(β + t) = m` hold everywhere except with probability `O(a/|F|)` over `τ`, `τ_T` (and `λ`,
//! drawn after `S`). At the end point `r` (table point `r_T`, the last `K` coordinates) the
//! prover sends the combined column and inverse values below, `g(r_T)`, `m(r_T)` and, for
//! function tables, `T_out(r_T)`; the verifier evaluates `p`, `T_in` and both `eq` itself and
//! checks the sumcheck's final claim.
//!
//! **Padding is harmless.** Padding entries (inside a vector's padded encoding, between vectors,
//! and in unused chunks) have `p = 0`, so `h = 0` there whatever the committed value; the verifier
//! evaluates the mask itself in `O(a)` per vector ([`table::shape_mask_eval`]). The table is padded
//! by repeating its first row ([`table`]), so multiplicities on padding rows only admit genuine
//! rows.
//!
//! **Final claims, combined.** The verifier needs the columns only through
//! `f(r) = Σ_j w_j·Σ_k ζ^k·c̃_{j,k}(r_j)` and `h` only through `Σ_k eq(r_{<s}, k)·h̃_k(r_c)`
//! (`w_j` the vector's weight of [`layout`], `r_j` its own point, the last `n_j` coordinates of
//! `r`; `r_c` the chunk point). Vectors of one size share their own point, so the prover sends
//! **one** column value per size group `g` ([`layout::Layout::column_groups`]),
//! `v_g = Σ_{j∈g} w_j·Σ_k ζ^k·c̃_{j,k}(r_g)`, and **one** inverse value; the verifier uses
//! `Σ_g v_g` in the final check and hands on one claim per group, on `Σ_{j∈g} w_j·Σ_k ζ^k·[c_{j,k}]`
//! at `r_g`, and one on `Σ_k eq(r_{<s}, k)·[h_k]` at `r_c`: a scalar per distinct vector size
//! (1–3 in the shipped plans) plus one, however many vectors and chunks there are.
//!
//! **Why each claim sits at its own point (issue 22).** A commitment binds a polynomial of any
//! degree below the SRS size. Until proof format 6 the column claim was one claim at the chunk
//! point `r_c`, on `Σ_j (w_j/e_j)·[c_j]` with `e_j = Π (1 − r_t)` over the coordinates between
//! `r_c` and `r_j` — valid only if `[c_j]` held no coefficient past `2^{n_j}`. Nothing enforced
//! that, and every other claim on `[c_j]` (accumulator leaves, padding checks) sits at an
//! `n_j`-variable point padded with leading zeros, which gives such coefficients the weight 0. So
//! a prover could hide `G` past vector 0's entries, exactly where the vectors packed behind it
//! sit, and the lookup proved `c_j + G` in the table instead of `c_j`: out-of-range remainders,
//! arbitrary logits (the block-level case in `tests/soundness.rs` and the runtime's `forgery`
//! test on the digits MLP). Claimed at `r_g`, a commitment is read only on its own `2^{n_j}`
//! coefficients, the same ones every other claim on it reads. The inverse chunks `[h_k]` are
//! claimed at `r_c`, their own size, and the table side at `r_T`, its own size.
//!
//! | symbol | meaning |
//! |---|---|
//! | `a`, `c` | packed-domain and chunk variables ([`layout::Layout`]) |
//! | `N = 2^K` | padded table rows |
//! | `ζ`, `β` | column-combining and logUp challenges, squeezed after the multiplicities |
//! | `λ`, `τ`, `τ_T` | zero-check weight and points, squeezed after the inverse commitments and `S` |
//!
//! **Transcript order.** Table digest, table size, table output commitment (from the verifying key
//! — the proof never carries one); looked-up vectors (shape, column commitments, offset); the
//! multiplicities' commitment; squeeze `ζ`, then `β`; the inverse chunk commitments, the
//! table-inverse commitment, `S`; squeeze `λ`, `τ`, `τ_T`; the sumcheck; then the final
//! evaluations (combined columns per size group, combined inverse chunks, table inverse,
//! multiplicities, table output).
//!
//! **Proof** ([`LookupProof`]): `#chunks + 1` commitments; `S`; `max(a, K)` sumcheck rounds of 3
//! scalars; one combined column value per vector size, one combined inverse value and 2–3 for
//! the table side.
//! Measured (compressed bytes, one vector of `n` entries into a range of `N` rows, so one chunk;
//! every further vector or chunk adds nothing but the chunk's commitment; the GKR it replaced
//! needed 5,576–17,576 bytes for the same cases):
//!
//! | n \\ N | 2^8 | 2^16 | 2^20 |
//! |---|---|---|---|
//! | 2^10 | 1,234 | 1,810 | 2,194 |
//! | 2^14 | 1,618 | 1,810 | 2,194 |
//! | 2^16 | 1,810 | 1,810 | 2,194 |
//! | 2^18 | 2,002 | 2,002 | 2,194 |
//!
//! A function table adds one scalar for the output column (tanh, `n = N = 2^16`: 1,842 bytes).
//! Measured with `cargo bench -p tessera-benches --bench lookup --
//! --test`. Prover cost: the bucketed commitments cost an MSM over the rows hit per chunk, so
//! large tables that are hit densely are the slow case (`n = 2^16`, medians on 2 cores,
//! `cargo bench -p tessera-benches --bench lookup -- 'prove/n16'`: `N = 2^8` 115 ms, `2^16`
//! 578 ms, `2^20` 1.62 s against the GKR's 540 ms; tanh `2^16` 602 ms); the digits models use
//! `N = 2^12`.
//!
//! **Claims out** ([`BlockClaims::committed`]), in order: the multiplicities at `r_T`; the table
//! output column at `r_T` (function tables, on the verifying key's commitment); then the
//! **helper** claims, on commitments the verifier combined or the proof carries: the combined
//! columns of each size group at its own point (largest first), the combined inverse chunks at
//! `r_c`, and `g` at `r_T`. The prover's
//! [`prove_with_helpers`] also returns the helper polynomials, in that order, for whoever opens
//! the claims.

pub mod inverses;
pub mod layout;
mod prover;
pub mod table;
mod verifier;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

pub use table::Table;

use crate::block::Block;
use crate::claim::BlockClaims;
use crate::curve::Fr;
use crate::error::{Error, RelationError, VerifyError};
use crate::kzg::{self, Commitment};
use crate::mle::DenseMle;
use crate::srs::Srs;
use crate::sumcheck::SumcheckProof;
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

/// One looked-up vector: a committed tensor per table column, all of `shape`. The looked-up
/// values are the first column's entries **plus `offset`** (on the tensor's real entries), so a
/// caller can look up `v + c` for a committed `v` without committing `v + c`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookedUp {
    pub shape: Vec<usize>,
    pub columns: Vec<Commitment>,
    pub offset: i64,
}

/// The public statement: commitments the block reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupInstance {
    pub inputs: Vec<LookedUp>,
    /// Commitment to the padded multiplicity vector (`N` entries), made before the block.
    pub multiplicities: Commitment,
    /// The inverse column is committed in chunks of up to `2^chunk_vars` entries (more if a
    /// vector is larger; see [`layout`]): callers pass the largest polynomial they open anyway.
    pub chunk_vars: usize,
}

/// The prover's data: column values per vector, multiplicities, and the
/// SRS it commits the inverse columns with (a cheap clone of the proving key's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupWitness {
    pub inputs: Vec<Vec<IntTensor>>,
    pub multiplicities: Vec<u64>,
    pub srs: Srs,
}

/// The lookup proof (see the module doc for its size).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LookupProof {
    /// `[h_k]`: the inverse column `p/(β + f)`, one commitment per chunk of the packed domain.
    pub inverse_chunks: Vec<Commitment>,
    /// `[g]`: the table side `m_t/(β + t_t)`.
    pub table_inverses: Commitment,
    /// `S = Σ h = Σ g`.
    pub sum: Fr,
    pub sumcheck: SumcheckProof,
    /// Per column group `g` ([`layout::Layout::column_groups`]), `Σ_{j∈g} w_j·Σ_k ζ^k·c̃_{j,k}(r_j)`:
    /// the group's combined columns at its own point.
    pub column_evals: Vec<Fr>,
    /// `Σ_k eq(r_{<s}, k)·h̃_k(r_c)`: the combined inverse chunks' value at the chunk point.
    pub inverse_eval: Fr,
    pub table_inverse_eval: Fr,
    pub multiplicity_eval: Fr,
    /// `T̃_out(r_T)`: one entry for a function table, none for a range.
    pub table_output_evals: Vec<Fr>,
}

impl LookupProof {
    /// Size of the compressed encoding in bytes.
    pub fn size_in_bytes(&self) -> usize {
        self.compressed_size()
    }
}

/// What [`prove_with_helpers`] returns: the proof, its claims, and the polynomials behind the
/// helper claims (combined columns, combined inverse chunks, table inverses), in their order.
#[derive(Clone, Debug)]
pub struct LookupOutput {
    pub proof: LookupProof,
    pub claims: BlockClaims,
    pub helpers: Vec<DenseMle>,
}

/// Proves the lookup and returns the helper polynomials too (see [`LookupOutput`]).
pub fn prove_with_helpers(
    spec: &LookupSpec,
    instance: &LookupInstance,
    witness: &LookupWitness,
    transcript: &mut Transcript,
) -> Result<LookupOutput, Error> {
    prover::check_relation(spec, instance, witness)
        .map_err(|e| Error::Invalid { what: "lookup witness", reason: e.to_string() })?;
    prove_unchecked(spec, instance, witness, transcript)
}

/// [`prove_with_helpers`] without checking the witness against the table: a cheating prover for
/// the soundness tests of callers (the `test-utils` feature).
#[cfg(feature = "test-utils")]
pub fn prove_with_helpers_unchecked(
    spec: &LookupSpec,
    instance: &LookupInstance,
    witness: &LookupWitness,
    transcript: &mut Transcript,
) -> Result<LookupOutput, Error> {
    prove_unchecked(spec, instance, witness, transcript)
}

/// [`prove_with_helpers_unchecked`] by a prover whose column commitments hold `committed`
/// (per vector and column; a polynomial may be longer than its vector) rather than the
/// witness: the helper polynomials are built from what is committed, the lookup itself from
/// the witness. The soundness tests of callers play issue 22's forgery with it.
#[cfg(feature = "test-utils")]
pub fn prove_with_helpers_committing(
    spec: &LookupSpec,
    instance: &LookupInstance,
    witness: &LookupWitness,
    committed: &[Vec<DenseMle>],
    transcript: &mut Transcript,
) -> Result<LookupOutput, Error> {
    let cheats = prover::Cheats { committed_columns: Some(committed), ..Default::default() };
    prove_cheating(spec, instance, witness, &cheats, transcript)
}

fn prove_unchecked(
    spec: &LookupSpec,
    instance: &LookupInstance,
    witness: &LookupWitness,
    transcript: &mut Transcript,
) -> Result<LookupOutput, Error> {
    prove_cheating(spec, instance, witness, &prover::Cheats::default(), transcript)
}

fn prove_cheating(
    spec: &LookupSpec,
    instance: &LookupInstance,
    witness: &LookupWitness,
    cheats: &prover::Cheats<'_>,
    transcript: &mut Transcript,
) -> Result<LookupOutput, Error> {
    let m: Vec<Fr> = witness.multiplicities.iter().map(|x| Fr::from(*x)).collect();
    prover::prove_with_multiplicities(
        spec,
        instance,
        &witness.inputs,
        &m,
        &witness.srs,
        cheats,
        transcript,
    )
}

/// The challenges drawn before the inverse columns are committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenges {
    pub zeta: Fr,
    pub beta: Fr,
}

/// Absorbs the statement — table, vectors, then the multiplicities — and only
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
        t.append_bytes(b"lookup vector offset", &v.offset.to_le_bytes());
    }
    t.append_u64(b"lookup chunk vars", instance.chunk_vars as u64);
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
        prove_with_helpers(spec, instance, witness, transcript).map(|o| (o.proof, o.claims))
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
