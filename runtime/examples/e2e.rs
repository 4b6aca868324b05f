use std::time::Instant;
fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let model = std::env::args().nth(1).unwrap();
    let batch: usize = std::env::args().nth(2).map(|b| b.parse().unwrap()).unwrap_or(2);
    let t0 = Instant::now();
    let mut o = tessera_compiler::CompileOptions::default();
    o.import.batch = Some(batch);
    let c = tessera_compiler::compile(format!("models/{model}/model.onnx"), &o).unwrap();
    let plan = tessera_compiler::lower(
        &c.quantized,
        &tessera_compiler::LowerOptions { model: model.clone(), private_input: false },
    )
    .unwrap();
    println!(
        "compile {:?}, {} range checks, limbs {}",
        t0.elapsed(),
        plan.range_checks.len(),
        plan.range_checks.iter().map(|c| c.limbs).sum::<u32>()
    );
    let t0 = Instant::now();
    let n = tessera_runtime::required_srs_size(&plan);
    let srs = tessera_blocks::Srs::insecure_dev(7, n.trailing_zeros() as usize).unwrap();
    let (pk, vk) = tessera_runtime::setup(&plan, &srs).unwrap();
    println!("setup {:?} srs {n}", t0.elapsed());
    // inputs: zeros-ish deterministic
    let g = &plan.graph;
    let inputs: Vec<tessera_compiler::Tensor<i64>> = g
        .inputs
        .iter()
        .map(|(_, id, _)| {
            let s = g.nodes[*id].shape.clone();
            let len: usize = s.iter().product();
            tessera_compiler::Tensor::new(s, (0..len).map(|i| (i * 7919 % 4096) as i64).collect())
                .unwrap()
        })
        .collect();
    let t0 = Instant::now();
    let (outs, proof) = tessera_runtime::prove(&pk, &inputs, Default::default()).unwrap();
    println!(
        "prove {:?}, proof {} bytes, out {:?}",
        t0.elapsed(),
        proof.size_in_bytes(),
        &outs[0].data()[..4.min(outs[0].data().len())]
    );
    let t0 = Instant::now();
    tessera_runtime::verify(&vk, &proof).unwrap();
    println!("verify {:?}", t0.elapsed());
    let mut bad = proof.clone();
    bad.public.outputs[0].data[0] += 1;
    println!(
        "tampered output: {:?}",
        tessera_runtime::verify(&vk, &bad).err().map(|e| e.to_string())
    );
}
