//! What an op importer sees: the node's attributes, its inputs' shapes and constant values.

use std::collections::HashMap;

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::{AttributeProto, NodeProto};

use crate::error::ImportError;
use crate::ir::{ElemType, Graph, Op};
use crate::onnx::Value;
use crate::onnx::decode::{Decoded, decode_tensor};
use crate::tensor::Tensor;

/// An IR node to create: its op and the ONNX names of its data inputs.
#[derive(Clone, Debug)]
pub struct Built {
    /// The op.
    pub op: Op,
    /// Value names read as data, in IR input order.
    pub inputs: Vec<String>,
}

/// Result of importing one ONNX node.
#[derive(Clone, Debug)]
pub enum Imported {
    /// Create an IR node.
    Node(Built),
    /// The node's outputs are this constant (Constant nodes, Identity of a constant).
    Constant(Decoded),
}

/// Read-only view of one ONNX node during import.
pub struct NodeCtx<'a> {
    node: &'a NodeProto,
    name: &'a str,
    opset: i64,
    batch: Option<(usize, usize)>,
    values: &'a HashMap<String, Value>,
    graph: &'a Graph,
}

impl<'a> NodeCtx<'a> {
    pub(crate) fn new(
        node: &'a NodeProto,
        name: &'a str,
        opset: i64,
        batch: Option<(usize, usize)>,
        values: &'a HashMap<String, Value>,
        graph: &'a Graph,
    ) -> Self {
        Self { node, name, opset, batch, values, graph }
    }

    /// The node's ONNX op type.
    pub fn op_type(&self) -> &'a str {
        &self.node.op_type
    }

    /// Default-domain opset of the model.
    pub fn opset(&self) -> i64 {
        self.opset
    }

    /// (exported, compiled) batch size of the first graph input, if any.
    pub fn batch(&self) -> Option<(usize, usize)> {
        self.batch
    }

    /// An `UnsupportedNode` error for this node.
    pub fn err(&self, reason: impl Into<String>) -> ImportError {
        ImportError::UnsupportedNode {
            node: self.name.to_string(),
            op_type: self.node.op_type.clone(),
            reason: reason.into(),
        }
    }

    /// Name of input `i` if present and non-empty.
    pub fn input_name(&self, i: usize) -> Option<&'a str> {
        self.node.input.get(i).map(String::as_str).filter(|s| !s.is_empty())
    }

    /// Name of input `i`, or an error if it is absent.
    pub fn required(&self, i: usize) -> Result<String, ImportError> {
        self.input_name(i).map(str::to_string).ok_or_else(|| self.err(format!("missing input {i}")))
    }

    /// Number of declared (possibly empty) inputs.
    pub fn num_inputs(&self) -> usize {
        self.node.input.len()
    }

    /// Number of non-empty outputs.
    pub fn num_outputs(&self) -> usize {
        self.node.output.iter().filter(|o| !o.is_empty()).count()
    }

    /// Shape of input `i`.
    pub fn shape(&self, i: usize) -> Result<Vec<usize>, ImportError> {
        let name = self.required(i)?;
        match self.values.get(&name) {
            Some(Value::Node(v)) => Ok(self.graph.shape(*v)?.to_vec()),
            Some(Value::Const(d, _)) => Ok(d.value.shape().to_vec()),
            None => Err(ImportError::UndefinedValue { node: self.name.to_string(), input: name }),
        }
    }

    /// Whether the node has attribute `name`.
    pub fn has_attr(&self, name: &str) -> bool {
        self.node.attribute.iter().any(|a| a.name == name)
    }

    /// Whether input `i` is a comparison's output (0/1).
    pub fn is_comparison(&self, i: usize) -> bool {
        let node = |v: &crate::ir::ValueRef| self.graph.node(v.node).ok();
        match self.input_name(i).and_then(|n| self.values.get(n)) {
            Some(Value::Node(v)) => node(v).is_some_and(|n| matches!(n.op, Op::Compare(_))),
            _ => false,
        }
    }

    /// Element type of input `i` (`None` when absent or undefined).
    pub fn elem(&self, i: usize) -> Option<ElemType> {
        match self.values.get(self.input_name(i)?)? {
            Value::Node(v) => Some(self.graph.elem_type(*v)),
            Value::Const(d, _) => Some(d.elem()),
        }
    }

    /// Rank of input `i`.
    pub fn rank(&self, i: usize) -> Result<usize, ImportError> {
        self.shape(i).map(|s| s.len())
    }

    /// The constant value of input `i`: `Ok(None)` when the input is absent, an error when it is
    /// present but not a constant.
    pub fn constant(&self, i: usize) -> Result<Option<&'a Decoded>, ImportError> {
        let Some(name) = self.input_name(i) else { return Ok(None) };
        match self.values.get(name) {
            Some(Value::Const(d, _)) => Ok(Some(d)),
            Some(Value::Node(_)) => Err(ImportError::NotConstant {
                node: self.name.to_string(),
                op_type: self.node.op_type.clone(),
                input: name.to_string(),
            }),
            None => Err(ImportError::UndefinedValue {
                node: self.name.to_string(),
                input: name.to_string(),
            }),
        }
    }

    /// Whether input `i` is a known constant.
    pub fn is_constant(&self, i: usize) -> bool {
        matches!(self.input_name(i).and_then(|n| self.values.get(n)), Some(Value::Const(..)))
    }

    /// Constant input `i` as integers (absent → `None`).
    pub fn const_ints(&self, i: usize) -> Result<Option<Vec<i64>>, ImportError> {
        Ok(self.constant(i)?.map(|d| d.value.data().iter().map(|&v| v as i64).collect()))
    }

    fn attr(&self, name: &str) -> Option<&'a AttributeProto> {
        self.node.attribute.iter().find(|a| a.name == name)
    }

    fn typed(
        &self,
        name: &str,
        ty: AttributeType,
    ) -> Result<Option<&'a AttributeProto>, ImportError> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) if a.type_.enum_value() == Ok(ty) => Ok(Some(a)),
            Some(_) => Err(self.err(format!("attribute {name} has the wrong type"))),
        }
    }

    /// Integer attribute with a default.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, ImportError> {
        Ok(self.typed(name, AttributeType::INT)?.map_or(default, |a| a.i))
    }

    /// Float attribute with a default.
    pub fn float(&self, name: &str, default: f64) -> Result<f64, ImportError> {
        Ok(self.typed(name, AttributeType::FLOAT)?.map_or(default, |a| f64::from(a.f)))
    }

    /// Integer-list attribute, `None` when absent.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, ImportError> {
        Ok(self.typed(name, AttributeType::INTS)?.map(|a| a.ints.clone()))
    }

    /// String attribute with a default.
    pub fn string(&self, name: &str, default: &str) -> Result<String, ImportError> {
        Ok(self
            .typed(name, AttributeType::STRING)?
            .map_or_else(|| default.to_string(), |a| String::from_utf8_lossy(&a.s).into_owned()))
    }

    /// The value of a `Constant` node from whichever attribute carries it.
    pub fn constant_attr(&self) -> Result<Decoded, ImportError> {
        use crate::onnx::decode::dtype;
        if let Some(a) = self.typed("value", AttributeType::TENSOR)? {
            let t = a.t.as_ref().ok_or_else(|| self.err("empty value tensor"))?;
            return decode_tensor(t);
        }
        let shaped = |data: Vec<f64>, scalar: bool, data_type: i32| {
            let shape = if scalar { vec![] } else { vec![data.len()] };
            Tensor::new(shape, data)
                .map(|value| Decoded { value, data_type })
                .map_err(|e| self.err(e.to_string()))
        };
        if let Some(a) = self.typed("value_float", AttributeType::FLOAT)? {
            return shaped(vec![f64::from(a.f)], true, dtype::FLOAT);
        }
        if let Some(a) = self.typed("value_floats", AttributeType::FLOATS)? {
            return shaped(a.floats.iter().map(|&v| f64::from(v)).collect(), false, dtype::FLOAT);
        }
        if let Some(a) = self.typed("value_int", AttributeType::INT)? {
            return shaped(vec![a.i as f64], true, dtype::INT64);
        }
        if let Some(a) = self.typed("value_ints", AttributeType::INTS)? {
            return shaped(a.ints.iter().map(|&v| v as f64).collect(), false, dtype::INT64);
        }
        Err(self
            .err("no supported value attribute (sparse and string constants are not supported)"))
    }

    /// Normalises a possibly negative axis for a tensor of rank `rank`.
    pub fn axis(&self, axis: i64, rank: usize) -> Result<usize, ImportError> {
        let r = rank as i64;
        let a = if axis < 0 { axis + r } else { axis };
        if (0..r).contains(&a) {
            Ok(a as usize)
        } else {
            Err(self.err(format!("axis {axis} out of range for rank {rank}")))
        }
    }

    /// Normalises, sorts and deduplicates a list of axes.
    pub fn axes(&self, axes: &[i64], rank: usize) -> Result<Vec<usize>, ImportError> {
        let mut out = axes.iter().map(|&a| self.axis(a, rank)).collect::<Result<Vec<_>, _>>()?;
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}
