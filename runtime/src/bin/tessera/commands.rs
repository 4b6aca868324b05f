//! `compile`, `setup`, `prove`, `verify` and `inspect`.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use tessera_blocks::Srs;
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::passes::{Pass, optimized};
use tessera_compiler::quant::{Calibration, QuantConfig, quantize};
use tessera_compiler::{BlockPlan, ImportOptions, LowerOptions, OnnxModel, lower};
use tessera_runtime::files::{self, FileKind};
use tessera_runtime::{ProveOptions, io, required_srs_size};

use crate::progress::step;
use crate::{CompileArgs, Failure, ProveArgs, SetupArgs, VerifyArgs};

/// Compiles a model with the CLI's options (shared with the demo).
pub fn compile_plan(args: &CompileArgs) -> anyhow::Result<BlockPlan> {
    let model = &args.model;
    if args.batch == Some(0) {
        bail!("--batch must be at least 1");
    }
    let graph = OnnxModel::load(model)
        .and_then(|m| m.into_ir(ImportOptions { batch: args.batch }))
        .with_context(|| format!("{}", model.display()))?;
    let graph = optimized(&graph, &Pass::DEFAULT)?;
    let mut config = QuantConfig::default();
    if let Some(path) = &args.calibration {
        let json = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        config.calibration = Calibration::from_json(&json, &graph)
            .with_context(|| format!("{}: calibration file", path.display()))?;
    }
    if let Some(s) = args.scale_bits {
        config.max_scale_bits = s;
        config.min_scale_bits = s;
    }
    let quantized = quantize(&graph, &config)?;
    let name = model.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let name = match (name.as_str(), model.parent().and_then(Path::file_name)) {
        ("model", Some(dir)) => dir.to_string_lossy().to_string(),
        _ => name,
    };
    Ok(lower(&quantized, &LowerOptions { model: name, private_input: args.private_input })?)
}

pub fn compile(args: &CompileArgs) -> Result<(), Failure> {
    let (plan, took) = step("compiling", || compile_plan(args));
    let plan = plan?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create", args.out.display()))?;
    let path = args.out.join("plan.bin");
    files::write_plan(&path, &plan)?;
    println!("{}", plan.report.trim_end());
    println!(
        "block plan: {} nodes, {} committed tensors, {} range checks ({} limbs) into one table of 2^{}",
        plan.graph.nodes.len(),
        plan.committed_tensors(),
        plan.range_checks.len(),
        plan.range_checks.iter().map(|c| c.limbs as usize).sum::<usize>(),
        plan.range_table_bits
    );
    println!(
        "wrote {} (batch {}, digest {}) in {:.2?}",
        path.display(),
        plan.batch,
        hex(&plan.digest()),
        took
    );
    Ok(())
}

/// The SRS of `setup`: a ceremony file or the insecure development one (`announce` prints a
/// warning line for the latter; the library also logs one).
pub fn load_srs(args: &SetupArgs, plan: &BlockPlan, announce: bool) -> anyhow::Result<Srs> {
    let need = required_srs_size(plan);
    match &args.srs {
        Some(path) => {
            let f = std::fs::File::open(path)
                .with_context(|| format!("{}: cannot open", path.display()))?;
            let srs = Srs::read(std::io::BufReader::new(f))
                .with_context(|| format!("{}: not a usable SRS", path.display()))?;
            if srs.len() < need {
                bail!("{}: {} powers, the plan needs {need}", path.display(), srs.len());
            }
            Ok(srs)
        }
        None => {
            if announce {
                eprintln!(
                    "warning: using the INSECURE development SRS: anyone can forge proofs for these keys"
                );
            }
            Ok(Srs::insecure_dev(0x7e55e7a, need.next_power_of_two().trailing_zeros() as usize)?)
        }
    }
}

pub fn setup(args: &SetupArgs) -> Result<(), Failure> {
    let plan = files::read_plan(&args.dir.join("plan.bin"))?;
    let srs = load_srs(args, &plan, true)?;
    let (keys, took) = step("setup", || tessera_runtime::setup(&plan, &srs));
    let (pk, vk) = keys?;
    let (pk_path, vk_path) = (args.dir.join("pk.bin"), args.dir.join("vk.bin"));
    files::write_pk(&pk_path, &pk)?;
    files::write_vk(&vk_path, &vk)?;
    println!("wrote {} ({})", pk_path.display(), size_of(&pk_path));
    println!("wrote {} ({}, digest {})", vk_path.display(), size_of(&vk_path), hex(&vk.digest()));
    println!("setup took {took:.2?}");
    Ok(())
}

pub fn prove(args: &ProveArgs) -> Result<(), Failure> {
    let pk = files::read_pk(&args.dir.join("pk.bin"))?;
    let inputs = io::read_inputs(&args.input, &pk.plan)?;
    let quantized = io::quantize_inputs(&pk.plan, &inputs)
        .with_context(|| format!("{}", args.input.display()))?;
    let options = match args.fold_arity {
        Some(k) => ProveOptions::with_fold_arity(k)?,
        None => ProveOptions::default(),
    };
    let (result, took) = step("proving", || tessera_runtime::prove(&pk, &quantized, options));
    let (outputs, proof) = result?;
    files::write_proof(&args.proof, &proof)?;
    println!("wrote {} ({}) in {took:.2?}", args.proof.display(), size_of(&args.proof));
    if let Some(out) = &args.output {
        let json = io::outputs_json(&pk.plan, &outputs);
        std::fs::write(out, serde_json::to_string_pretty(&json)?)
            .with_context(|| format!("{}: cannot write", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}

pub fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let vk = files::read_vk(&args.vk)?;
    let proof = files::read_proof(&args.proof)?;
    let (result, took) = step("verifying", || tessera_runtime::verify(&vk, &proof));
    result.map_err(|e| Failure::Rejected(format!("{}: {e}", args.proof.display())))?;
    if let Some(path) = &args.input {
        let inputs = io::read_inputs(path, &vk.plan)?;
        let quantized = io::quantize_inputs(&vk.plan, &inputs)
            .with_context(|| format!("{}", path.display()))?;
        if proof.public.inputs.is_empty() {
            return Err(Failure::Error(anyhow!(
                "{}: the proof's inputs are private; there is nothing to compare",
                path.display()
            )));
        }
        // Named as the plan names them (the verifier checked the proof's names against it).
        for ((t, p), (name, _, _)) in
            quantized.iter().zip(&proof.public.inputs).zip(&vk.plan.graph.inputs)
        {
            if t.data() != p.data.as_slice() {
                return Err(Failure::Rejected(format!(
                    "{}: input {name} differs from the proof's public input",
                    path.display(),
                )));
            }
        }
    }
    if let Some(path) = &args.output {
        let outputs = io::read_outputs(path, &vk.plan)?;
        let names = vk.plan.graph.outputs.iter().map(|(name, _, _)| name);
        for (k, ((t, p), name)) in outputs.iter().zip(&proof.public.outputs).zip(names).enumerate()
        {
            let shape: Vec<usize> = p.shape.iter().map(|d| *d as usize).collect();
            let q = IntTensor::new(shape, p.data.clone()).map_err(|e| anyhow!("{e}"))?;
            let real = io::dequantize_output(&vk.plan, k, &q);
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            if real.len() != t.data().len()
                || !real.iter().zip(t.data()).all(|(a, b)| close(*a, *b))
            {
                return Err(Failure::Rejected(format!(
                    "{}: output {name} differs from the proof's output",
                    path.display(),
                )));
            }
        }
    }
    println!("proof verified in {took:.2?} (model {}, batch {})", vk.plan.model, vk.plan.batch);
    Ok(())
}

pub fn inspect(path: &PathBuf) -> Result<(), Failure> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let kind =
        files::kind_of(&bytes).ok_or_else(|| anyhow!("{}: not a Tessera file", path.display()))?;
    println!("{}: Tessera {kind}, {} bytes", path.display(), bytes.len());
    match kind {
        FileKind::Plan => {
            let plan = files::plan_from_bytes(path, &bytes)?;
            describe_plan(&plan);
        }
        FileKind::ProvingKey => {
            let pk = files::read_pk(path)?;
            describe_plan(&pk.plan);
            println!("  srs: {} powers, digest {}", pk.srs.len(), hex(&pk.srs.digest()));
            println!("  verifying key digest: {}", hex(&pk.vk.digest()));
        }
        FileKind::VerifyingKey => {
            let vk = files::vk_from_bytes(path, &bytes)?;
            describe_plan(&vk.plan);
            println!("  weight commitments: {}", vk.weights.len());
            println!("  srs digest: {}", hex(&vk.srs_digest));
            println!("  verifying key digest: {}", hex(&vk.digest()));
        }
        FileKind::Proof => {
            let proof = files::proof_from_bytes(path, &bytes)?;
            // Without a verifying key these are the proof's own names: `verify` checks them
            // against the plan.
            for t in proof.public.inputs.iter().chain(&proof.public.outputs) {
                println!("  public {} (as the proof names it): shape {:?}", t.name, t.shape);
            }
            if proof.public.inputs.is_empty() {
                println!("  inputs: private (committed)");
            }
            println!(
                "  public values: {} B; the rest of the proof: {} B",
                proof.public_size_in_bytes(),
                proof.size_in_bytes() - proof.public_size_in_bytes()
            );
            println!(
                "  commitments: {} tensors, {} range limbs, 1 multiplicity vector",
                proof.commitments.len(),
                proof.limbs.len()
            );
            let counts: Vec<String> =
                proof.blocks.counts().iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!(
                "  block proofs: {} ({} B), {} evals",
                counts.join(", "),
                proof.blocks.bytes.len(),
                proof.blocks.evals.len()
            );
            println!("  commitments: {} B", 48 * (proof.commitments.len() + proof.limbs.len() + 1));
            println!("  accumulator: {} bytes", proof.accumulator.size_in_bytes());
            println!("  proof digest: {}", hex(blake3::hash(&bytes).as_bytes()));
        }
    }
    Ok(())
}

fn describe_plan(plan: &BlockPlan) {
    println!(
        "  model {} (batch {}), {} nodes, {} committed tensors, {} range checks",
        plan.model,
        plan.batch,
        plan.graph.nodes.len(),
        plan.committed_tensors(),
        plan.range_checks.len()
    );
    println!("  plan digest: {}", hex(&plan.digest()));
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn size_of(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(m) => format!("{} bytes", m.len()),
        Err(_) => "size unknown".into(),
    }
}
