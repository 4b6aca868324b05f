//! `tessera demo`: the whole pipeline on one model folder, with the test set as the batch.

use std::time::Instant;

use anyhow::{Context, anyhow};
use tessera_runtime::{ProveOptions, files, io};

use crate::commands::{compile_plan, hex, load_srs};
use crate::progress::step;
use crate::{CompileArgs, DemoArgs, Failure, SetupArgs};

pub fn run(args: &DemoArgs) -> Result<(), Failure> {
    let dir = &args.model_dir;
    let model = dir.join("model.onnx");
    let examples = io::read_test_set(&dir.join("test_set.json"))
        .with_context(|| format!("{}: a model folder needs test_set.json", dir.display()))?;
    let batch = args.batch.min(examples.len()).max(1);
    println!("Tessera demo: {} — one proof for {batch} test inputs", dir.display());
    println!("(INSECURE development SRS: fine for a demo, never for real proofs)\n");
    let total = Instant::now();

    let compile = CompileArgs {
        model,
        out: dir.clone(),
        batch: Some(batch),
        calibration: None,
        scale_bits: None,
        private_input: false,
    };
    let (plan, t) = step("compiling", || compile_plan(&compile));
    let plan = plan?;
    row(
        "compile",
        t,
        format!("{} nodes, {} range checks", plan.graph.nodes.len(), plan.range_checks.len()),
    );

    let srs_args = SetupArgs { dir: dir.clone(), srs: None, insecure_dev_srs: true };
    let (keys, t) = step("setup", || -> anyhow::Result<_> {
        let srs = load_srs(&srs_args, &plan, false)?;
        let keys = tessera_runtime::setup(&plan, &srs)?;
        Ok((srs, keys))
    });
    let (srs, (pk, vk)) = keys?;
    row(
        "setup (dev SRS, weight commitments)",
        t,
        format!("{} SRS powers, vk {}", srs.len(), &hex(&vk.digest())[..16]),
    );

    let specs = io::input_specs(&plan);
    let [(_, shape)] = specs.as_slice() else {
        return Err(Failure::Error(anyhow!("the demo needs a model with one input")));
    };
    let input = io::batch_of(&examples[..batch], shape).map_err(|e| anyhow!(e))?;
    let quantized = io::quantize_inputs(&plan, std::slice::from_ref(&input))?;
    let (result, t) =
        step("proving", || tessera_runtime::prove(&pk, &quantized, ProveOptions::default()));
    let (outputs, proof) = result?;
    let bytes = files::proof_to_bytes(&proof);
    let public = proof.public_size_in_bytes();
    row(
        "prove",
        t,
        format!("proof {} bytes ({public} of them public inputs and outputs)", bytes.len()),
    );

    let (verdict, t) = step("verifying", || {
        let parsed = files::proof_from_bytes(std::path::Path::new("demo proof"), &bytes);
        parsed.map(|p| tessera_runtime::verify(&vk, &p))
    });
    verdict?.map_err(|e| Failure::Rejected(e.to_string()))?;
    row("verify", t, "accepted".into());

    let logits = io::dequantize_output(&plan, 0, &outputs[0]);
    let classes = logits.len() / batch;
    let (mut correct, mut labelled, mut agree, mut max_err) = (0, 0, 0, 0f64);
    for (b, e) in examples[..batch].iter().enumerate() {
        let row = &logits[b * classes..(b + 1) * classes];
        let ours = argmax(row);
        if let Some(l) = e.label {
            labelled += 1;
            correct += usize::from(ours == l);
        }
        agree += usize::from(ours == argmax(&e.reference));
        for (a, r) in row.iter().zip(&e.reference) {
            max_err = max_err.max((a - r).abs());
        }
    }
    println!();
    if labelled > 0 {
        println!(
            "accuracy against labels: {correct}/{labelled} = {:.1} %",
            100.0 * correct as f64 / labelled as f64
        );
    }
    println!(
        "argmax agrees with the float reference (onnxruntime): {agree}/{batch}; max |Δ| {max_err:.4}"
    );
    println!("proof: {} bytes for {batch} inputs; total {:.2?}", bytes.len(), total.elapsed());
    Ok(())
}

fn argmax(xs: &[f64]) -> usize {
    xs.iter().enumerate().fold(0, |best, (i, x)| if *x > xs[best] { i } else { best })
}

fn row(what: &str, took: std::time::Duration, detail: String) {
    println!("  {what:<38} {:>9.2?}   {detail}", took);
}
