//! Every import failure mode yields its specific typed error.

use onnx_protobuf::tensor_shape_proto::Dimension;
use onnx_protobuf::tensor_shape_proto::dimension::Value as Dim;
use onnx_protobuf::type_proto::{Tensor as TensorType, Value as TypeValue};
use onnx_protobuf::{
    GraphProto, Message, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use tessera_compiler::{ImportError, ImportOptions, OnnxModel};

fn value_info(name: &str, dims: &[Dim]) -> ValueInfoProto {
    let mut shape = TensorShapeProto::new();
    shape.dim = dims
        .iter()
        .map(|d| {
            let mut dim = Dimension::new();
            dim.value = Some(d.clone());
            dim
        })
        .collect();
    let mut tt = TensorType::new();
    tt.elem_type = 1;
    tt.shape = Some(shape).into();
    let mut ty = TypeProto::new();
    ty.value = Some(TypeValue::TensorType(tt));
    let mut vi = ValueInfoProto::new();
    vi.name = name.into();
    vi.type_ = Some(ty).into();
    vi
}

fn node(name: &str, op_type: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    let mut n = NodeProto::new();
    n.name = name.into();
    n.op_type = op_type.into();
    n.input = inputs.iter().map(|s| s.to_string()).collect();
    n.output = outputs.iter().map(|s| s.to_string()).collect();
    n
}

/// A model `y = Relu(x)` with x: [1, 4], opset 17, plus extra domains declared.
fn model(nodes: Vec<NodeProto>, input_dims: &[Dim]) -> ModelProto {
    let mut g = GraphProto::new();
    g.node = nodes;
    g.input = vec![value_info("x", input_dims)];
    g.output = vec![value_info("y", &[Dim::DimValue(1), Dim::DimValue(4)])];
    let mut m = ModelProto::new();
    m.ir_version = 8;
    let mut op = OperatorSetIdProto::new();
    op.version = 17;
    let mut unused = OperatorSetIdProto::new();
    unused.domain = "com.microsoft".into();
    unused.version = 1;
    m.opset_import = vec![op, unused];
    m.graph = Some(g).into();
    m
}

fn relu_model() -> ModelProto {
    model(vec![node("r", "Relu", &["x"], &["y"])], &[Dim::DimValue(1), Dim::DimValue(4)])
}

fn import(m: &ModelProto) -> Result<tessera_compiler::Graph, ImportError> {
    let bytes = m.write_to_bytes().expect("serializes");
    OnnxModel::from_bytes(&bytes)?.into_ir(ImportOptions::default())
}

#[test]
fn valid_model_with_unused_domain_imports() {
    let g = import(&relu_model()).unwrap();
    assert_eq!(g.outputs().len(), 1);
    let g = OnnxModel::from_bytes(&relu_model().write_to_bytes().unwrap())
        .unwrap()
        .into_ir(ImportOptions { batch: Some(5) })
        .unwrap();
    assert_eq!(g.shape(g.outputs()[0].1).unwrap(), &[5, 4]);
}

#[test]
fn corrupt_bytes() {
    let err = OnnxModel::from_bytes(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]).unwrap_err();
    assert!(matches!(err, ImportError::Corrupt { .. }), "{err}");
}

#[test]
fn truncated_file() {
    let bytes =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/digits_mlp/model.onnx"))
            .unwrap();
    let err = OnnxModel::from_bytes(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(err, ImportError::Corrupt { .. }), "{err}");
}

#[test]
fn missing_file() {
    let err = OnnxModel::load("/nonexistent/model.onnx").unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }), "{err}");
}

#[test]
fn unsupported_op_names_node_and_op_type() {
    let m = model(
        vec![node("weird", "Hardmax", &["x"], &["y"])],
        &[Dim::DimValue(1), Dim::DimValue(4)],
    );
    let err = import(&m).unwrap_err();
    assert!(
        matches!(&err, ImportError::UnsupportedOp { node, op_type } if node == "weird" && op_type == "Hardmax")
    );
    assert_eq!(err.to_string(), "node weird (Hardmax): unsupported op");
}

#[test]
fn unknown_domain_used_by_a_node() {
    let mut n = node("q", "QGemm", &["x"], &["y"]);
    n.domain = "com.microsoft".into();
    let err = import(&model(vec![n], &[Dim::DimValue(1), Dim::DimValue(4)])).unwrap_err();
    assert!(
        matches!(&err, ImportError::UnsupportedDomain { node, domain, .. } if node == "q" && domain == "com.microsoft")
    );
}

#[test]
fn external_data() {
    let mut m = relu_model();
    let mut t = TensorProto::new();
    t.name = "w".into();
    t.data_type = 1;
    t.dims = vec![4];
    let mut e = StringStringEntryProto::new();
    e.key = "location".into();
    e.value = "weights.bin".into();
    t.external_data = vec![e];
    m.graph.as_mut().unwrap().initializer.push(t);
    let err = import(&m).unwrap_err();
    assert!(matches!(&err, ImportError::ExternalData { tensor } if tensor == "w"), "{err}");
}

#[test]
fn sparse_initializer() {
    let mut m = relu_model();
    let mut values = TensorProto::new();
    values.name = "sp".into();
    let mut sp = onnx_protobuf::SparseTensorProto::new();
    sp.values = Some(values).into();
    m.graph.as_mut().unwrap().sparse_initializer.push(sp);
    let err = import(&m).unwrap_err();
    assert!(matches!(&err, ImportError::SparseTensor { tensor } if tensor == "sp"), "{err}");
}

#[test]
fn dynamic_dim_off_the_batch_axis() {
    let m = model(
        vec![node("r", "Relu", &["x"], &["y"])],
        &[Dim::DimParam("N".into()), Dim::DimParam("F".into())],
    );
    let err = import(&m).unwrap_err();
    assert!(
        matches!(&err, ImportError::DynamicDim { input, axis: 1, dim } if input == "x" && dim == "F"),
        "{err}"
    );
    // A symbolic batch axis is fine.
    let ok = model(
        vec![node("r", "Relu", &["x"], &["y"])],
        &[Dim::DimParam("N".into()), Dim::DimValue(4)],
    );
    assert!(import(&ok).is_ok());
}

#[test]
fn undefined_value_and_bad_shapes_name_the_node() {
    let m = model(
        vec![node("a", "Add", &["x", "nope"], &["y"])],
        &[Dim::DimValue(1), Dim::DimValue(4)],
    );
    let err = import(&m).unwrap_err();
    assert!(
        matches!(&err, ImportError::UndefinedValue { node, input } if node == "a" && input == "nope")
    );
    let m = model(
        vec![node("mm", "MatMul", &["x", "x"], &["y"])],
        &[Dim::DimValue(1), Dim::DimValue(4)],
    );
    let err = import(&m).unwrap_err();
    assert!(err.to_string().starts_with("node mm (MatMul): inner dimensions differ"), "{err}");
}

#[test]
fn unsupported_opset() {
    let mut m = relu_model();
    for version in [6, 28] {
        m.opset_import[0].version = version;
        let err = OnnxModel::from_bytes(&m.write_to_bytes().unwrap()).unwrap_err();
        assert!(matches!(err, ImportError::UnsupportedOpset { version: v } if v == version));
    }
    for version in [7, 9, 10, 22, 25, 27] {
        m.opset_import[0].version = version;
        OnnxModel::from_bytes(&m.write_to_bytes().unwrap()).expect("a supported opset");
    }
}
