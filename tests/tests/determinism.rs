//! Parallel code gives bit-identical proofs for any thread count: the digits CNN at batch 2 is
//! proved on rayon pools of 1, 2 and 3 threads and the proof files are compared byte for byte.

mod common;

use common::{compile_at, keys, lower, quantized_batch, root, test_set};
use tessera_runtime::{ProveOptions, files, prove, verify};

#[test]
fn proofs_are_identical_for_any_thread_count() {
    let dir = root().join("models/digits_cnn");
    let compiled = compile_at(&dir, 2);
    let plan = lower(&dir, &compiled, false).expect("the digits CNN lowers");
    let (pk, vk) = keys(&plan, 3);
    let inputs = quantized_batch(&plan, &test_set(&dir)[..2]);
    let proofs: Vec<Vec<u8>> = [1, 2, 3]
        .into_iter()
        .map(|threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            let (_, proof) = pool
                .install(|| prove(&pk, &inputs, ProveOptions::default()))
                .unwrap_or_else(|e| panic!("prove on {threads} threads: {e}"));
            verify(&vk, &proof).expect("verifies");
            files::proof_to_bytes(&proof)
        })
        .collect();
    assert!(proofs.windows(2).all(|w| w[0] == w[1]), "proofs differ between thread counts");
}
