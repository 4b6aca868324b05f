fn main() {
    let p = std::env::args().nth(1).unwrap();
    let mut o = tessera_compiler::CompileOptions::default();
    if let Some(b) = std::env::args().nth(2) {
        o.import.batch = Some(b.parse().unwrap());
    }
    let c = tessera_compiler::compile(&p, &o).unwrap();
    println!("{}", c.quantized.graph);
    for t in &c.quantized.graph.tables {
        println!(
            "table {:?} lo {} n {} in {} out {}",
            t.func,
            t.lo,
            t.values.len(),
            t.in_bits,
            t.out_bits
        );
    }
    println!("{:#?}", c.quantized.report);
}
