//! Golden fixtures of the digits MLP at batch 1 (dev SRS of seed 7, the first test example): the
//! verifying-key digest and a stored proof file. They fail loudly when the plan, key or proof format
//! or the transcript changes — on purpose or not. After an intended change, regenerate with
//!
//! ```sh
//! TESSERA_BLESS=1 cargo test -p tessera-tests --test golden
//! ```
//!
//! which rewrites the proof fixture and prints the new digest for [`VK_DIGEST`]; say why in the
//! commit message.

mod common;

use common::{compile_at, keys, lower, quantized_batch, root, test_set};
use tessera_runtime::{ProveOptions, files, prove, verify};

/// BLAKE3 digest of the verifying key (hex).
const VK_DIGEST: &str = "2c9d9c8184175661efc158518590bf3f8b686c60f21a1a30ed0bd0aaab379b04";
/// The stored proof, relative to the repository root.
const PROOF_FIXTURE: &str = "tests/fixtures/digits_mlp_batch1.proof";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn digits_mlp_verifying_key_digest_and_proof_are_golden() {
    let dir = root().join("models/digits_mlp");
    let plan = lower(&dir, &compile_at(&dir, 1), false).expect("the digits MLP lowers");
    let (pk, vk) = keys(&plan, 7);
    let inputs = quantized_batch(&plan, &test_set(&dir)[..1]);
    let (_, proof) = prove(&pk, &inputs, ProveOptions::default()).expect("prove");
    let bytes = files::proof_to_bytes(&proof);
    let digest = hex(&vk.digest());
    let path = root().join(PROOF_FIXTURE);
    if std::env::var_os("TESSERA_BLESS").is_some() {
        std::fs::write(&path, &bytes).expect("write the proof fixture");
        println!("VK_DIGEST = {digest}; {} proof bytes written to {PROOF_FIXTURE}", bytes.len());
        return;
    }
    assert_eq!(
        digest, VK_DIGEST,
        "the verifying-key digest changed (plan, weights, tables or key format): if intended, \
         regenerate the fixtures (see the module doc)"
    );
    let stored = std::fs::read(&path).expect("the proof fixture");
    let stored_proof = files::proof_from_bytes(&path, &stored).expect("the fixture is a proof");
    verify(&vk, &stored_proof).unwrap_or_else(|e| {
        panic!("the stored proof no longer verifies (transcript or proof format changed): {e}")
    });
    assert!(
        bytes == stored,
        "the proof differs from the stored one ({} vs {} bytes): the prover's output changed; if \
         intended, regenerate the fixtures (see the module doc)",
        bytes.len(),
        stored.len()
    );
}
