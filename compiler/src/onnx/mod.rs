//! ONNX import: `OnnxModel::load → into_ir(batch)`.
//!
//! This is the only place that knows ONNX op-type strings: `registry` maps each supported op type
//! to an importer that reads attributes and constant inputs (resolving opset differences) and
//! returns a typed [`crate::ir::Op`]. Initializers and `Constant` nodes become constants that
//! are materialised as IR nodes only where a node reads them as data.

mod context;
pub mod decode;
mod registry;

use std::collections::HashMap;
use std::path::Path;

use onnx_protobuf::tensor_shape_proto::dimension::Value as Dim;
use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::{Message, ModelProto, ValueInfoProto};
use tracing::{debug, instrument};

use crate::error::ImportError;
use crate::ir::{ElemType, Graph, Op, ValueRef};

pub use context::{Built, Imported, NodeCtx};
pub use decode::{Decoded, decode_tensor};
pub use registry::supported_op_types;

/// Supported range of the default-domain opset: 7 (numpy broadcasting) to the newest of onnx
/// 1.22 (27; no supported op changed after 25). The importers read each opset's form: Clip's
/// bounds and Slice's parameters as attributes before 11 and 10, Split / Squeeze / Unsqueeze /
/// ReduceSum parameters as attributes before 13 (ReduceMean before 18), BatchNormalization's
/// `spatial` before 9, legacy Softmax before 13.
pub const OPSETS: std::ops::RangeInclusive<i64> = 7..=27;

/// A parsed ONNX model, before conversion to the IR.
#[derive(Clone, Debug)]
pub struct OnnxModel {
    proto: ModelProto,
    opset: i64,
}

/// Compile-time options of import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Batch size: replaces the leading dimension of every graph input (symbolic or the exported
    /// value). `None` keeps the exported value (a symbolic batch axis then becomes 1).
    pub batch: Option<usize>,
}

impl OnnxModel {
    /// Reads and parses a `.onnx` file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ImportError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|source| ImportError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes(&bytes)
    }

    /// Parses a serialized `ModelProto`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ImportError> {
        let proto = ModelProto::parse_from_bytes(bytes)
            .map_err(|e| ImportError::Corrupt { reason: e.to_string() })?;
        if proto.graph.is_none() {
            return Err(ImportError::MissingGraph);
        }
        let opset = proto
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map(|o| o.version)
            .ok_or(ImportError::UnsupportedOpset { version: 0 })?;
        if !OPSETS.contains(&opset) {
            return Err(ImportError::UnsupportedOpset { version: opset });
        }
        Ok(Self { proto, opset })
    }

    /// The default-domain opset version.
    pub fn opset(&self) -> i64 {
        self.opset
    }

    /// The underlying protobuf message.
    pub fn proto(&self) -> &ModelProto {
        &self.proto
    }

    /// Converts to the typed IR, inferring every shape.
    #[instrument(skip_all, fields(opset = self.opset, batch = ?opts.batch))]
    pub fn into_ir(&self, opts: ImportOptions) -> Result<Graph, ImportError> {
        let g = self.proto.graph.as_ref().ok_or(ImportError::MissingGraph)?;
        let mut b =
            Builder { graph: Graph::new(), values: HashMap::new(), opset: self.opset, batch: None };
        if let Some(s) = g.sparse_initializer.first() {
            let tensor = s.values.as_ref().map(|v| v.name.clone()).unwrap_or_default();
            return Err(ImportError::SparseTensor { tensor });
        }
        for t in &g.initializer {
            b.values.insert(t.name.clone(), Value::Const(decode_tensor(t)?, None));
        }
        for vi in &g.input {
            if b.values.contains_key(&vi.name) {
                continue; // an initializer listed as an input (old exporters): it is a constant.
            }
            let (shape, exported, elem) = input_shape(vi, opts.batch)?;
            if b.batch.is_none() {
                b.batch = Some((exported, shape.first().copied().unwrap_or(1)));
            }
            let idx = b.graph.add_input(&vi.name, shape, elem);
            b.values.insert(vi.name.clone(), Value::Node(ValueRef::first(idx)));
        }
        for (i, node) in g.node.iter().enumerate() {
            b.add_node(i, node)?;
        }
        let mut outputs = Vec::with_capacity(g.output.len());
        for o in &g.output {
            let v = b
                .data_value(&o.name, &o.name)
                .map_err(|_| ImportError::UndefinedOutput { output: o.name.clone() })?;
            outputs.push((o.name.clone(), v));
        }
        b.graph.set_outputs(outputs);
        debug!(nodes = b.graph.node_count(), "imported");
        Ok(b.graph)
    }
}

/// Static shape of a graph input, with the batch axis replaced; also returns the exported batch
/// and whether the input is real or integer.
fn input_shape(
    vi: &ValueInfoProto,
    batch: Option<usize>,
) -> Result<(Vec<usize>, usize, ElemType), ImportError> {
    let missing = || ImportError::MissingInputShape { input: vi.name.clone() };
    let tensor = match vi.type_.as_ref().and_then(|t| t.value.as_ref()) {
        Some(TypeValue::TensorType(t)) => t,
        _ => return Err(missing()),
    };
    let dims = &tensor.shape.as_ref().ok_or_else(missing)?.dim;
    let mut shape = Vec::with_capacity(dims.len());
    let mut exported = 1;
    for (axis, d) in dims.iter().enumerate() {
        let fixed = match &d.value {
            Some(Dim::DimValue(v)) if *v >= 0 => usize::try_from(*v).ok(),
            _ => None,
        };
        let dim = match (axis, fixed) {
            (0, f) => {
                exported = f.unwrap_or(1);
                batch.unwrap_or(exported)
            }
            (_, Some(v)) => v,
            (_, None) => {
                let dim = match &d.value {
                    Some(Dim::DimParam(p)) if !p.is_empty() => p.clone(),
                    Some(Dim::DimValue(v)) => v.to_string(),
                    _ => "unknown".to_string(),
                };
                return Err(ImportError::DynamicDim { input: vi.name.clone(), axis, dim });
            }
        };
        shape.push(dim);
    }
    let elem = match tensor.elem_type {
        decode::dtype::FLOAT | decode::dtype::FLOAT16 | decode::dtype::DOUBLE => ElemType::Real,
        decode::dtype::INT8
        | decode::dtype::UINT8
        | decode::dtype::INT32
        | decode::dtype::INT64 => ElemType::Integer,
        other => {
            return Err(ImportError::UnsupportedDataType {
                tensor: vi.name.clone(),
                data_type: other,
            });
        }
    };
    Ok((shape, exported, elem))
}

/// A named value during import.
pub(crate) enum Value {
    /// Output of an IR node.
    Node(ValueRef),
    /// A constant, with the IR node created for it once something reads it as data.
    Const(Decoded, Option<ValueRef>),
}

struct Builder {
    graph: Graph,
    values: HashMap<String, Value>,
    opset: i64,
    /// (exported batch, compiled batch) of the first graph input.
    batch: Option<(usize, usize)>,
}

impl Builder {
    fn add_node(
        &mut self,
        index: usize,
        node: &onnx_protobuf::NodeProto,
    ) -> Result<(), ImportError> {
        let name = if !node.name.is_empty() {
            node.name.clone()
        } else {
            node.output.first().cloned().unwrap_or_else(|| format!("node{index}"))
        };
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            return Err(ImportError::UnsupportedDomain {
                node: name,
                op_type: node.op_type.clone(),
                domain: node.domain.clone(),
            });
        }
        let importer = registry::lookup(&node.op_type).ok_or_else(|| {
            ImportError::UnsupportedOp { node: name.clone(), op_type: node.op_type.clone() }
        })?;
        let ctx = NodeCtx::new(node, &name, self.opset, self.batch, &self.values, &self.graph);
        let built = match importer(&ctx)? {
            Imported::Node(b) => b,
            Imported::Constant(decoded) => {
                for o in node.output.iter().filter(|o| !o.is_empty()) {
                    self.values.insert(o.clone(), Value::Const(decoded.clone(), None));
                }
                return Ok(());
            }
        };
        if let Some(outs) = self.fold_integer_constants(&name, &built) {
            for (o, t) in node.output.iter().zip(outs) {
                if !o.is_empty() {
                    self.values.insert(o.clone(), Value::Const(t, None));
                }
            }
            return Ok(());
        }
        let mut inputs = Vec::with_capacity(built.inputs.len());
        for i in &built.inputs {
            inputs.push(self.data_value(&name, i)?);
        }
        let op_outputs = built.op.num_outputs();
        let idx = self.graph.add_node(&name, built.op, inputs)?;
        for (port, o) in node.output.iter().enumerate().take(op_outputs) {
            if !o.is_empty() {
                self.values.insert(o.clone(), Value::Node(ValueRef { node: idx, port }));
            }
        }
        Ok(())
    }

    /// Shape arithmetic folds at import: an op whose inputs are all int64 constants (the
    /// `Gather`, `Unsqueeze`, `Concat`, `Cast` or `Div` of a `Shape`'s output) is a constant, so
    /// importers downstream (a `Reshape`'s target, an `Expand`'s shape) see one. `None` when an
    /// input is not an integer constant, or the op does not evaluate (then it is imported as is).
    fn fold_integer_constants(&self, name: &str, built: &Built) -> Option<Vec<Decoded>> {
        let consts = built
            .inputs
            .iter()
            .map(|i| match self.values.get(i) {
                // int64 (and bool) are shape data; int8/uint8/int32 are quantized weights,
                // which quantization must see as written.
                Some(Value::Const(d, _))
                    if matches!(d.data_type, decode::dtype::INT64 | decode::dtype::BOOL) =>
                {
                    Some(&d.value)
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        if consts.is_empty() {
            return None;
        }
        let in_shapes: Vec<&[usize]> = consts.iter().map(|t| t.shape()).collect();
        let shapes = crate::ir::shape::infer(name, &built.op, &in_shapes).ok()?;
        let outs = crate::interp::float_ops::eval_op(&built.op, &consts, &shapes).ok()?;
        let real = matches!(built.op, Op::Cast { to: ElemType::Real });
        Some(
            outs.into_iter()
                .map(|value| {
                    let integral = value.data().iter().all(|v| v.fract() == 0.0);
                    let data_type =
                        if integral && !real { decode::dtype::INT64 } else { decode::dtype::FLOAT };
                    Decoded { value, data_type }
                })
                .collect(),
        )
    }

    /// The IR value for `name`, materialising a constant node on first data use.
    fn data_value(&mut self, node: &str, name: &str) -> Result<ValueRef, ImportError> {
        let undefined =
            || ImportError::UndefinedValue { node: node.to_string(), input: name.to_string() };
        match self.values.get(name).ok_or_else(undefined)? {
            Value::Node(v) | Value::Const(_, Some(v)) => Ok(*v),
            Value::Const(d, None) => {
                let op = Op::Constant { value: d.value.clone(), elem: d.elem() };
                let v = ValueRef::first(self.graph.add_node(name, op, Vec::new())?);
                if let Some(Value::Const(_, slot)) = self.values.get_mut(name) {
                    *slot = Some(v);
                }
                Ok(v)
            }
        }
    }
}
