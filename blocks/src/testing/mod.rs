//! The conformance suite, written once and run on every protocol (enable the `test-utils`
//! feature). A protocol under test implements [`ConformanceCase`]; [`run_all`] then checks:
//!
//! 1. completeness on every size of [`ConformanceCase::sizes`] (which should include 1 and a
//!    non-power-of-two);
//! 2. a corrupted witness is rejected by `check` before any proving;
//! 3. every tampering of a proof field listed by [`ConformanceCase::tamperings`] is rejected by
//!    `verify` with exactly the expected error;
//! 4. prover and verifier transcripts end in the same state;
//! 5. proofs round-trip through compressed and uncompressed serialization with validation, and
//!    every truncation of the bytes fails to deserialize (without panicking);
//! 6. proofs are deterministic for a fixed seed and identical with 1 and 2 rayon threads.
//!
//! Each check panics with the case name and size on failure, as tests do.

mod points;
pub mod tensor_case;

pub use points::off_subgroup_g1;

use std::fmt::Debug;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};

use crate::error::{RelationError, VerifyError};
use crate::transcript::Transcript;

/// One way of breaking a proof, and the error the verifier must answer with.
pub struct Tampering<P> {
    pub field: String,
    pub proof: P,
    pub expected: VerifyError,
}

/// A protocol instance under test: statement, witness, prover and verifier.
pub trait ConformanceCase: Sized {
    type Proof: Clone + Debug + PartialEq + CanonicalSerialize + CanonicalDeserialize;

    /// Name used in failure messages.
    const NAME: &'static str;

    /// Sizes (entries) to test completeness on.
    fn sizes() -> Vec<usize>;

    /// A valid statement and witness of `size`, from `seed`.
    fn generate(size: usize, seed: u64) -> Self;

    /// The relation, without cryptography.
    fn check(&self) -> Result<(), RelationError>;

    /// Breaks the witness so that [`Self::check`] must fail.
    fn corrupt_witness(&mut self);

    /// Proves, appending to `transcript`.
    fn prove(&self, transcript: &mut Transcript) -> Self::Proof;

    /// Verifies, appending to `transcript`.
    fn verify(&self, proof: &Self::Proof, transcript: &mut Transcript) -> Result<(), VerifyError>;

    /// Every field of `proof` tampered in turn, with the expected rejection.
    fn tamperings(&self, proof: &Self::Proof) -> Vec<Tampering<Self::Proof>>;
}

fn new_transcript<C: ConformanceCase>() -> Transcript {
    Transcript::new(C::NAME.as_bytes())
}

/// Runs every check of the suite.
pub fn run_all<C: ConformanceCase>() {
    completeness::<C>();
    corrupted_witness_is_rejected::<C>();
    tampered_proofs_are_rejected::<C>();
    transcripts_agree::<C>();
    serialization_round_trips::<C>();
    deterministic_and_thread_independent::<C>();
}

/// 1. Honest proofs verify at every size.
pub fn completeness<C: ConformanceCase>() {
    for (i, size) in C::sizes().into_iter().enumerate() {
        let case = C::generate(size, 100 + i as u64);
        case.check().unwrap_or_else(|e| {
            panic!("{}: size {size}: honest witness fails check: {e}", C::NAME)
        });
        let proof = case.prove(&mut new_transcript::<C>());
        if let Err(e) = case.verify(&proof, &mut new_transcript::<C>()) {
            panic!("{}: size {size}: honest proof rejected: {e}", C::NAME);
        }
    }
}

/// 2. `check` catches a corrupted witness.
pub fn corrupted_witness_is_rejected<C: ConformanceCase>() {
    for size in C::sizes() {
        let mut case = C::generate(size, 7);
        case.corrupt_witness();
        assert!(case.check().is_err(), "{}: size {size}: corrupted witness passes check", C::NAME);
    }
}

/// 3. Each tampered field is rejected with its specific error.
pub fn tampered_proofs_are_rejected<C: ConformanceCase>() {
    let size = largest_size::<C>();
    let case = C::generate(size, 11);
    let proof = case.prove(&mut new_transcript::<C>());
    let tamperings = case.tamperings(&proof);
    assert!(!tamperings.is_empty(), "{}: no tamperings listed", C::NAME);
    for t in tamperings {
        assert_ne!(t.proof, proof, "{}: tampering `{}` left the proof unchanged", C::NAME, t.field);
        match case.verify(&t.proof, &mut new_transcript::<C>()) {
            Ok(()) => panic!("{}: tampered `{}` accepted", C::NAME, t.field),
            Err(e) => assert_eq!(e, t.expected, "{}: tampered `{}`: wrong error", C::NAME, t.field),
        }
    }
}

/// 4. Prover and verifier end in the same transcript state.
pub fn transcripts_agree<C: ConformanceCase>() {
    for size in C::sizes() {
        let case = C::generate(size, 13);
        let mut pt = new_transcript::<C>();
        let proof = case.prove(&mut pt);
        let mut vt = new_transcript::<C>();
        case.verify(&proof, &mut vt).unwrap_or_else(|e| panic!("{}: {e}", C::NAME));
        assert_eq!(
            pt.state_digest(),
            vt.state_digest(),
            "{}: size {size}: transcripts diverge",
            C::NAME
        );
    }
}

/// 5. Serialization round-trips with validation; truncations fail cleanly.
pub fn serialization_round_trips<C: ConformanceCase>() {
    let case = C::generate(largest_size::<C>(), 17);
    let proof = case.prove(&mut new_transcript::<C>());
    for compress in [Compress::Yes, Compress::No] {
        let mut bytes = Vec::new();
        proof.serialize_with_mode(&mut bytes, compress).expect("serialize");
        assert_eq!(bytes.len(), proof.serialized_size(compress));
        let back = C::Proof::deserialize_with_mode(bytes.as_slice(), compress, Validate::Yes)
            .unwrap_or_else(|e| panic!("{}: round trip failed: {e}", C::NAME));
        assert_eq!(back, proof, "{}: round trip changed the proof", C::NAME);
        let step = (bytes.len() / 64).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let r = C::Proof::deserialize_with_mode(&bytes[..cut], compress, Validate::Yes);
            assert!(r.is_err(), "{}: truncation to {cut} bytes deserialized", C::NAME);
        }
    }
}

/// 6. Same seed, same bytes — with 1 thread and with 2.
pub fn deterministic_and_thread_independent<C: ConformanceCase>() {
    let size = largest_size::<C>();
    let bytes_with = |threads: usize| {
        let pool =
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
        pool.install(|| {
            let case = C::generate(size, 19);
            let proof = case.prove(&mut new_transcript::<C>());
            let mut bytes = Vec::new();
            proof.serialize_compressed(&mut bytes).expect("serialize");
            bytes
        })
    };
    let one = bytes_with(1);
    assert_eq!(one, bytes_with(1), "{}: proof is not deterministic", C::NAME);
    assert_eq!(one, bytes_with(2), "{}: proof depends on the thread count", C::NAME);
}

fn largest_size<C: ConformanceCase>() -> usize {
    C::sizes().into_iter().max().unwrap_or(1)
}
