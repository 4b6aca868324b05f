//! Float interpreter of the IR (`f64`), the reference the quantized model is measured against.

use std::collections::HashMap;

use tracing::instrument;

use crate::error::EvalError;
use crate::interp::float_ops::eval_op;
use crate::ir::{Graph, Op, ValueRef};
use crate::tensor::Tensor;

/// Every value computed during one run.
#[derive(Clone, Debug, Default)]
pub struct FloatRun {
    /// Value of each node output.
    pub values: HashMap<ValueRef, Tensor<f64>>,
    /// The graph outputs, in declared order.
    pub outputs: Vec<Tensor<f64>>,
}

/// Checks the inputs against the graph's declared inputs.
pub(crate) fn check_inputs<T>(graph: &Graph, inputs: &[Tensor<T>]) -> Result<(), EvalError> {
    if inputs.len() != graph.inputs().len() {
        return Err(EvalError::InputCount { expected: graph.inputs().len(), found: inputs.len() });
    }
    for ((name, idx), t) in graph.inputs().iter().zip(inputs) {
        let want = graph.shape(ValueRef::first(*idx))?;
        if want != t.shape() {
            return Err(EvalError::InputShape {
                input: name.clone(),
                expected: want.to_vec(),
                found: t.shape().to_vec(),
            });
        }
    }
    Ok(())
}

/// Runs the graph and returns its outputs.
pub fn eval_float(graph: &Graph, inputs: &[Tensor<f64>]) -> Result<Vec<Tensor<f64>>, EvalError> {
    Ok(run_float(graph, inputs)?.outputs)
}

/// Runs the graph keeping every intermediate value (used by calibration and tests).
#[instrument(skip_all, fields(nodes = graph.node_count()))]
pub fn run_float(graph: &Graph, inputs: &[Tensor<f64>]) -> Result<FloatRun, EvalError> {
    check_inputs(graph, inputs)?;
    let mut values: HashMap<ValueRef, Tensor<f64>> = HashMap::new();
    for idx in graph.topo_order()? {
        let node = graph.node(idx)?;
        let outs = match &node.op {
            Op::Input { index, .. } => vec![inputs[*index].clone()],
            op => {
                let ins: Vec<&Tensor<f64>> = node
                    .inputs
                    .iter()
                    .map(|v| {
                        values.get(v).ok_or_else(|| EvalError::Node {
                            node: node.name.clone(),
                            reason: "input not computed".into(),
                        })
                    })
                    .collect::<Result<_, _>>()?;
                eval_op(op, &ins, &node.shapes)
                    .map_err(|reason| EvalError::Node { node: node.name.clone(), reason })?
            }
        };
        for (port, t) in outs.into_iter().enumerate() {
            values.insert(ValueRef { node: idx, port }, t);
        }
    }
    let outputs = graph
        .outputs()
        .iter()
        .map(|(name, v)| {
            values.get(v).cloned().ok_or_else(|| EvalError::Node {
                node: name.clone(),
                reason: "output not computed".into(),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(FloatRun { values, outputs })
}
