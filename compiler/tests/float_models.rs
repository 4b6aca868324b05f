//! The float interpreter against onnxruntime's reference outputs, for every model in `models/`.

mod common;

use common::{argmax, input_tensor, model_cases};
use tessera_compiler::interp::eval_float;
use tessera_compiler::{ImportOptions, OnnxModel, Op};

#[test]
fn float_interpreter_matches_onnxruntime_on_every_model() {
    for case in model_cases() {
        let graph = OnnxModel::load(&case.onnx).unwrap().into_ir(ImportOptions::default()).unwrap();
        // onnxruntime runs QDQ models as fused integer kernels whose rounding can differ from the
        // reference Q/DQ semantics by one step of the output quantization.
        let out_node = graph.node(graph.outputs()[0].1.node).unwrap();
        let tolerance = match &out_node.op {
            Op::DequantizeLinear(q) => q.scale[0] * 1.001,
            _ => 1e-4,
        };
        let (mut max_err, mut agree) = (0f64, 0usize);
        for ex in &case.test_set.examples {
            let out = eval_float(&graph, &[input_tensor(&case, ex)]).unwrap();
            assert_eq!(
                out[0].shape(),
                case.test_set.output.shape_per_example.as_slice(),
                "{}",
                case.name
            );
            for (a, b) in out[0].data().iter().zip(&ex.reference_output) {
                max_err = max_err.max((a - b).abs());
            }
            agree += usize::from(argmax(out[0].data()) == argmax(&ex.reference_output));
        }
        println!(
            "{}: max |float − onnxruntime| = {max_err:.2e}, argmax agreement {agree}/{}",
            case.name,
            case.test_set.examples.len()
        );
        assert!(max_err <= tolerance, "{}: max error {max_err}", case.name);
        assert_eq!(agree, case.test_set.examples.len(), "{}", case.name);
    }
}

#[test]
fn wrong_inputs_are_typed_errors() {
    use tessera_compiler::{EvalError, Tensor};
    let case = model_cases().into_iter().find(|c| c.name == "digits_cnn").unwrap();
    let graph = OnnxModel::load(&case.onnx).unwrap().into_ir(ImportOptions::default()).unwrap();
    let wrong = Tensor::new(vec![1, 64], vec![0.0; 64]).unwrap();
    let err = eval_float(&graph, std::slice::from_ref(&wrong)).unwrap_err();
    assert!(
        matches!(&err, EvalError::InputShape { input, expected, found } if input == "input" && expected == &[1, 1, 8, 8] && found == &[1, 64]),
        "{err}"
    );
    assert!(matches!(
        eval_float(&graph, &[]),
        Err(EvalError::InputCount { expected: 1, found: 0 })
    ));
    let model = tessera_compiler::quant::quantize(&graph, &Default::default()).unwrap();
    assert!(matches!(model.run(&[wrong]), Err(EvalError::InputShape { .. })));
}
