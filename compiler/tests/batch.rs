//! Batch size as a compile-time parameter: compiling for batch B and feeding B stacked examples
//! gives each example's reference output, for every model in `models/` (float and quantized).

mod common;

use common::model_cases;
use tessera_compiler::interp::eval_float;
use tessera_compiler::quant::{QuantConfig, quantize};
use tessera_compiler::{ImportOptions, OnnxModel, Tensor};

#[test]
fn every_model_compiles_for_a_larger_batch() {
    const B: usize = 3;
    for case in model_cases() {
        let graph =
            OnnxModel::load(&case.onnx).unwrap().into_ir(ImportOptions { batch: Some(B) }).unwrap();
        let per_in = &case.test_set.input.shape_per_example;
        let mut shape = per_in.clone();
        shape[0] *= B;
        let examples = &case.test_set.examples[..B];
        let data: Vec<f64> = examples.iter().flat_map(|e| e.input.clone()).collect();
        let x = Tensor::new(shape, data).unwrap();
        let out = eval_float(&graph, std::slice::from_ref(&x)).unwrap();
        let n = out[0].len() / B;
        assert_eq!(
            out[0].shape()[0],
            B * case.test_set.output.shape_per_example[0],
            "{}",
            case.name
        );
        let model = quantize(&graph, &QuantConfig::default()).unwrap();
        let qout = model.run(&[x]).unwrap();
        for (b, ex) in examples.iter().enumerate() {
            let (got, qgot) =
                (&out[0].data()[b * n..(b + 1) * n], &qout[0].data()[b * n..(b + 1) * n]);
            for ((g, q), r) in got.iter().zip(qgot).zip(&ex.reference_output) {
                assert!(
                    (g - r).abs() < 0.25,
                    "{} example {b}: float {g} vs reference {r}",
                    case.name
                );
                assert!(
                    (q - r).abs() < 0.3,
                    "{} example {b}: quantized {q} vs reference {r}",
                    case.name
                );
            }
        }
    }
}
