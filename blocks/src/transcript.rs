//! Labeled Fiat–Shamir transcript over BLAKE3.
//!
//! Every challenge of every protocol in Tessera comes from here, never from an RNG. The transcript
//! is a 32-byte chaining state `h`:
//!
//! | operation | new state | output |
//! |---|---|---|
//! | `new(domain)` | `H("tessera/transcript/v1" ‖ domain)` | |
//! | `append_*(label, m)` | `H(h ‖ 0x01 ‖ len(label) ‖ label ‖ len(m) ‖ m)` | |
//! | `challenge(label)` | `H(h ‖ 0x02 ‖ len(label) ‖ label)` | 64 bytes of `XOF(h ‖ 0x03 ‖ len(label) ‖ label)`, reduced mod p |
//! | `fork(label, i)` | child: `H(h ‖ 0x04 ‖ len(label) ‖ label ‖ i)`; parent unchanged | |
//!
//! Lengths are little-endian `u64`, so messages are uniquely decodable. Field elements and points
//! are absorbed in arkworks' canonical compressed encoding. A challenge is the 512-bit XOF output
//! reduced modulo `p`, whose bias is below 2^-256.
//!
//! `fork(label, index)` gives independent sub-transcripts for work that runs in parallel (one per
//! fold node, one per block): the child depends on everything absorbed so far and on its index, so
//! the proof bytes do not depend on how rayon schedules the work. The parent must absorb the
//! children's results afterwards if later challenges depend on them.

use ark_ff::PrimeField;
use ark_serialize::CanonicalSerialize;

use crate::curve::Fr;

const DOMAIN: &[u8] = b"tessera/transcript/v1";
const TAG_ABSORB: u8 = 1;
const TAG_CHALLENGE_STATE: u8 = 2;
const TAG_CHALLENGE_OUT: u8 = 3;
const TAG_FORK: u8 = 4;

/// A Fiat–Shamir transcript. Prover and verifier build the same one and absorb the same messages
/// in the same order; [`Transcript::state_digest`] lets tests assert they ended in the same state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcript {
    state: [u8; 32],
}

impl Transcript {
    /// Starts a transcript for one protocol instance; `domain` separates unrelated uses.
    pub fn new(domain: &[u8]) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(DOMAIN);
        put_bytes(&mut h, domain);
        Self { state: *h.finalize().as_bytes() }
    }

    /// Absorbs raw bytes under a label.
    pub fn append_bytes(&mut self, label: &[u8], message: &[u8]) {
        let mut h = self.hasher(TAG_ABSORB, label);
        put_bytes(&mut h, message);
        self.state = *h.finalize().as_bytes();
    }

    /// Absorbs a `u64` (sizes, counts, indices).
    pub fn append_u64(&mut self, label: &[u8], value: u64) {
        self.append_bytes(label, &value.to_le_bytes());
    }

    /// Absorbs anything with a canonical encoding (field elements, points, proofs), compressed.
    pub fn append_serializable<T: CanonicalSerialize + ?Sized>(&mut self, label: &[u8], item: &T) {
        let mut bytes = Vec::with_capacity(item.compressed_size());
        // Writing into a Vec cannot fail for arkworks types.
        let _ = item.serialize_compressed(&mut bytes);
        self.append_bytes(label, &bytes);
    }

    /// Absorbs one field element.
    pub fn append_scalar(&mut self, label: &[u8], x: &Fr) {
        self.append_serializable(label, x);
    }

    /// Absorbs a slice of field elements as one message.
    pub fn append_scalars(&mut self, label: &[u8], xs: &[Fr]) {
        self.append_serializable(label, xs);
    }

    /// Squeezes one challenge in `Fr`, after which the state moves on.
    pub fn challenge_scalar(&mut self, label: &[u8]) -> Fr {
        let mut out = self.hasher(TAG_CHALLENGE_OUT, label).finalize_xof();
        let mut wide = [0u8; 64];
        out.fill(&mut wide);
        self.state = *self.hasher(TAG_CHALLENGE_STATE, label).finalize().as_bytes();
        Fr::from_le_bytes_mod_order(&wide)
    }

    /// Squeezes `n` challenges, one after another.
    pub fn challenge_scalars(&mut self, label: &[u8], n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.challenge_scalar(label)).collect()
    }

    /// An independent child transcript for parallel work item `index`; `self` is unchanged.
    pub fn fork(&self, label: &[u8], index: u64) -> Transcript {
        let mut h = self.hasher(TAG_FORK, label);
        h.update(&index.to_le_bytes());
        Transcript { state: *h.finalize().as_bytes() }
    }

    /// The current state, for tests asserting that prover and verifier agree.
    pub fn state_digest(&self) -> [u8; 32] {
        self.state
    }

    fn hasher(&self, tag: u8, label: &[u8]) -> blake3::Hasher {
        let mut h = blake3::Hasher::new();
        h.update(&self.state);
        h.update(&[tag]);
        put_bytes(&mut h, label);
        h
    }
}

fn put_bytes(h: &mut blake3::Hasher, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_messages_same_challenges() {
        let mut a = Transcript::new(b"t");
        let mut b = Transcript::new(b"t");
        a.append_u64(b"n", 7);
        b.append_u64(b"n", 7);
        assert_eq!(a.challenge_scalar(b"c"), b.challenge_scalar(b"c"));
        assert_eq!(a.state_digest(), b.state_digest());
    }

    #[test]
    fn every_input_changes_the_challenge() {
        let base = |domain: &[u8], label: &[u8], msg: &[u8], clabel: &[u8]| {
            let mut t = Transcript::new(domain);
            t.append_bytes(label, msg);
            t.challenge_scalar(clabel)
        };
        let c = base(b"d", b"l", b"m", b"c");
        assert_ne!(c, base(b"e", b"l", b"m", b"c"));
        assert_ne!(c, base(b"d", b"k", b"m", b"c"));
        assert_ne!(c, base(b"d", b"l", b"n", b"c"));
        assert_ne!(c, base(b"d", b"l", b"m", b"x"));
        // Label/message boundaries are unambiguous.
        assert_ne!(base(b"d", b"ab", b"c", b"z"), base(b"d", b"a", b"bc", b"z"));
    }

    #[test]
    fn successive_challenges_differ_and_forks_are_independent() {
        let mut t = Transcript::new(b"t");
        let c1 = t.challenge_scalar(b"c");
        let c2 = t.challenge_scalar(b"c");
        assert_ne!(c1, c2);
        let before = t.state_digest();
        let f0 = t.fork(b"node", 0);
        let f1 = t.fork(b"node", 1);
        assert_eq!(t.state_digest(), before, "fork must not change the parent");
        assert_ne!(f0.state_digest(), f1.state_digest());
        assert_eq!(f0, t.fork(b"node", 0));
    }
}
