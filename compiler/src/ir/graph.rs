//! The typed graph: a `petgraph` stable graph whose nodes carry an [`Op`], their ordered inputs and
//! their inferred output shapes. Edges mirror the inputs (edge weight = input slot) so petgraph's
//! algorithms (topological order, reachability) apply; [`Graph`] keeps both in sync.

use std::fmt;

use petgraph::Direction;
use petgraph::algo::toposort;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;

use crate::error::GraphError;
use crate::ir::op::{Composed, ElemType, Op};
use crate::ir::shape;

/// One output of one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueRef {
    /// Producing node.
    pub node: NodeIndex,
    /// Output position.
    pub port: usize,
}

impl ValueRef {
    /// Output 0 of `node`.
    pub fn first(node: NodeIndex) -> Self {
        Self { node, port: 0 }
    }
}

/// A node of the IR.
#[derive(Clone, Debug)]
pub struct Node {
    /// Unique, human-readable name (the ONNX node name or its first output).
    pub name: String,
    /// The operation.
    pub op: Op,
    /// Ordered inputs.
    pub inputs: Vec<ValueRef>,
    /// Inferred shape of each output.
    pub shapes: Vec<Vec<usize>>,
}

/// Whether an op's outputs are integers when all its data inputs are.
fn keeps_integers(op: &Op) -> bool {
    matches!(
        op,
        Op::Add
            | Op::Sub
            | Op::Mul
            | Op::IntDiv
            | Op::Relu
            | Op::Identity
            | Op::Reshape { .. }
            | Op::Flatten { .. }
            | Op::Squeeze { .. }
            | Op::Unsqueeze { .. }
            | Op::Transpose { .. }
            | Op::Slice { .. }
            | Op::Split { .. }
            | Op::Concat { .. }
            | Op::Gather { .. }
            | Op::MaxPool { .. }
            | Op::Composed(
                Composed::Neg
                    | Composed::Abs
                    | Composed::Sign
                    | Composed::Max
                    | Composed::Min
                    | Composed::Where
                    | Composed::Not
                    | Composed::And
                    | Composed::Or
                    | Composed::Xor
            )
    )
}

/// A typed dataflow graph with declared inputs and outputs.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    g: StableDiGraph<Node, usize>,
    inputs: Vec<(String, NodeIndex)>,
    outputs: Vec<(String, ValueRef)>,
}

impl Graph {
    /// The element type of value `v`: integer when it is an integer input or constant, a
    /// comparison or an arg-max, or an op that keeps integers (arithmetic, layout, pooling) of
    /// integers only; real otherwise (a `Cast` to a real type included).
    pub fn elem_type(&self, v: ValueRef) -> ElemType {
        let mut stack = vec![v.node];
        let mut seen = std::collections::HashSet::new();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            let Ok(node) = self.node(n) else { return ElemType::Real };
            match &node.op {
                Op::Input { elem, .. } | Op::Constant { elem, .. } if *elem == ElemType::Real => {
                    return ElemType::Real;
                }
                Op::Input { .. }
                | Op::Constant { .. }
                | Op::Compare(_)
                | Op::ArgMax { .. }
                | Op::Cast { to: ElemType::Integer } => {}
                op if keeps_integers(op) => stack.extend(node.inputs.iter().map(|i| i.node)),
                _ => return ElemType::Real,
            }
        }
        ElemType::Integer
    }

    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares the next graph input with a static shape.
    pub fn add_input(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        elem: crate::ir::ElemType,
    ) -> NodeIndex {
        let op = Op::Input { index: self.inputs.len(), elem };
        let idx = self.g.add_node(Node {
            name: name.to_string(),
            op,
            inputs: Vec::new(),
            shapes: vec![shape],
        });
        self.inputs.push((name.to_string(), idx));
        idx
    }

    /// Adds a node, inferring its output shapes from its inputs.
    pub fn add_node(
        &mut self,
        name: &str,
        op: Op,
        inputs: Vec<ValueRef>,
    ) -> Result<NodeIndex, GraphError> {
        let shapes = self.infer(name, &op, &inputs)?;
        let idx =
            self.g.add_node(Node { name: name.to_string(), op, inputs: inputs.clone(), shapes });
        for (slot, v) in inputs.iter().enumerate() {
            self.g.add_edge(v.node, idx, slot);
        }
        Ok(idx)
    }

    /// Replaces the op and inputs of an existing node, re-inferring its shapes. The output shapes
    /// must not change (users were built against them).
    pub fn replace_node(
        &mut self,
        idx: NodeIndex,
        op: Op,
        inputs: Vec<ValueRef>,
    ) -> Result<(), GraphError> {
        let (name, old_shapes) = {
            let n = self.node(idx)?;
            (n.name.clone(), n.shapes.clone())
        };
        let shapes = self.infer(&name, &op, &inputs)?;
        if shapes != old_shapes {
            return Err(GraphError::Shape {
                node: name,
                op: op.name(),
                reason: format!("replacement changes shapes {old_shapes:?} to {shapes:?}"),
            });
        }
        let old_edges: Vec<_> =
            self.g.edges_directed(idx, Direction::Incoming).map(|e| e.id()).collect();
        for e in old_edges {
            self.g.remove_edge(e);
        }
        for (slot, v) in inputs.iter().enumerate() {
            self.g.add_edge(v.node, idx, slot);
        }
        if let Some(n) = self.g.node_weight_mut(idx) {
            n.op = op;
            n.inputs = inputs;
        }
        Ok(())
    }

    /// Redirects every use of `old` (node inputs and graph outputs) to `new`.
    pub fn replace_uses(&mut self, old: ValueRef, new: ValueRef) -> Result<(), GraphError> {
        let users: Vec<NodeIndex> =
            self.g.neighbors_directed(old.node, Direction::Outgoing).collect();
        for u in users {
            let (op, inputs) = {
                let n = self.node(u)?;
                let inputs = n.inputs.iter().map(|&v| if v == old { new } else { v }).collect();
                (n.op.clone(), inputs)
            };
            self.replace_node(u, op, inputs)?;
        }
        for (_, v) in &mut self.outputs {
            if *v == old {
                *v = new;
            }
        }
        Ok(())
    }

    /// Removes a node that nothing uses any more.
    pub fn remove_node(&mut self, idx: NodeIndex) -> Option<Node> {
        self.g.remove_node(idx)
    }

    /// Declares the graph outputs.
    pub fn set_outputs(&mut self, outputs: Vec<(String, ValueRef)>) {
        self.outputs = outputs;
    }

    /// The node at `idx`.
    pub fn node(&self, idx: NodeIndex) -> Result<&Node, GraphError> {
        self.g
            .node_weight(idx)
            .ok_or_else(|| GraphError::DanglingInput { node: format!("#{}", idx.index()) })
    }

    /// Shape of a value.
    pub fn shape(&self, v: ValueRef) -> Result<&[usize], GraphError> {
        let n = self.node(v.node)?;
        n.shapes
            .get(v.port)
            .map(Vec::as_slice)
            .ok_or_else(|| GraphError::DanglingInput { node: n.name.clone() })
    }

    /// Declared inputs, in order.
    pub fn inputs(&self) -> &[(String, NodeIndex)] {
        &self.inputs
    }

    /// Declared outputs, in order.
    pub fn outputs(&self) -> &[(String, ValueRef)] {
        &self.outputs
    }

    /// Every node index, in increasing order.
    pub fn node_indices(&self) -> Vec<NodeIndex> {
        let mut v: Vec<NodeIndex> = self.g.node_indices().collect();
        v.sort();
        v
    }

    /// Nodes that read `v`, with the input slot they read it in.
    pub fn uses(&self, v: ValueRef) -> Vec<(NodeIndex, usize)> {
        let mut out = Vec::new();
        for u in self.users(v.node) {
            if let Some(n) = self.g.node_weight(u) {
                out.extend(
                    n.inputs
                        .iter()
                        .enumerate()
                        .filter(|(_, i)| **i == v)
                        .map(|(slot, _)| (u, slot)),
                );
            }
        }
        out
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    /// Node indices in a topological order (inputs before users), deterministic for a given graph.
    pub fn topo_order(&self) -> Result<Vec<NodeIndex>, GraphError> {
        toposort(&self.g, None).map_err(|c| GraphError::Cycle {
            node: self.g.node_weight(c.node_id()).map(|n| n.name.clone()).unwrap_or_default(),
        })
    }

    /// Nodes that read any output of `idx`.
    pub fn users(&self, idx: NodeIndex) -> Vec<NodeIndex> {
        let mut u: Vec<NodeIndex> = self.g.neighbors_directed(idx, Direction::Outgoing).collect();
        u.sort();
        u.dedup();
        u
    }

    /// Whether a value is a declared graph output.
    pub fn is_output(&self, v: ValueRef) -> bool {
        self.outputs.iter().any(|(_, o)| *o == v)
    }

    /// Histogram of op names, sorted by name.
    pub fn op_counts(&self) -> Vec<(&'static str, usize)> {
        let mut m = std::collections::BTreeMap::new();
        for n in self.g.node_weights() {
            *m.entry(n.op.name()).or_insert(0) += 1;
        }
        m.into_iter().collect()
    }

    fn infer(
        &self,
        name: &str,
        op: &Op,
        inputs: &[ValueRef],
    ) -> Result<Vec<Vec<usize>>, GraphError> {
        let mut in_shapes = Vec::with_capacity(inputs.len());
        for v in inputs {
            let s = self
                .g
                .node_weight(v.node)
                .and_then(|n| n.shapes.get(v.port))
                .ok_or_else(|| GraphError::DanglingInput { node: name.to_string() })?;
            in_shapes.push(s.as_slice());
        }
        shape::infer(name, op, &in_shapes)
    }
}

impl fmt::Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = self.topo_order().map_err(|_| fmt::Error)?;
        for idx in order {
            let n = &self.g[idx];
            let ins: Vec<String> = n
                .inputs
                .iter()
                .map(|v| {
                    let src = &self.g[v.node].name;
                    if v.port == 0 { src.clone() } else { format!("{src}:{}", v.port) }
                })
                .collect();
            writeln!(f, "{} = {}({}) -> {:?}", n.name, n.op.name(), ins.join(", "), n.shapes)?;
        }
        let outs: Vec<&str> = self.outputs.iter().map(|(n, _)| n.as_str()).collect();
        write!(f, "outputs: {}", outs.join(", "))
    }
}
