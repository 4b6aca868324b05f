//! JSON inputs and outputs of the command line, and the models' test sets.
//!
//! An input file maps each model input's name to a nested array whose leading axis is the batch:
//! `{"input": [[…], […]]}`; each batch entry may be nested or flat, as long as it holds the
//! entry's number of values. Outputs are written the same way, dequantized
//! (`real = (q − zero)·scale`).

use std::path::Path;

use serde_json::{Map, Value};
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::{BlockPlan, Tensor};
use thiserror::Error;

/// A JSON file that does not fit the plan.
#[derive(Debug, Error)]
pub enum IoError {
    /// The file cannot be read.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A field is missing or has the wrong shape or type.
    #[error("{path}: field {field}: {reason}")]
    Field {
        /// The file.
        path: String,
        /// The field (input or output name).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A real input the plan's fixed-point encoding cannot hold (it is never saturated: the
    /// proof would be of another input).
    #[error(
        "input {input}: entry {index} is {value}, outside [{lo}, {hi}], the range the plan's \
         fixed-point encoding holds; compile with a calibration set that covers such inputs \
         (or with fewer --scale-bits)"
    )]
    Range {
        /// The input's name.
        input: String,
        /// Flat index of the entry in the batch.
        index: usize,
        /// The value.
        value: f64,
        /// Smallest real value the encoding holds.
        lo: f64,
        /// Largest.
        hi: f64,
    },
}

fn flatten(v: &Value, out: &mut Vec<f64>) -> Result<(), String> {
    match v {
        Value::Array(items) => items.iter().try_for_each(|i| flatten(i, out)),
        Value::Number(n) => {
            out.push(n.as_f64().ok_or("a number out of range")?);
            Ok(())
        }
        other => Err(format!("expected numbers, found {other}")),
    }
}

fn parse(path: &Path) -> Result<Map<String, Value>, IoError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| IoError::File { path: p.clone(), reason: e.to_string() })?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(IoError::File { path: p, reason: "expected a JSON object".into() }),
        Err(e) => Err(IoError::File { path: p, reason: format!("invalid JSON: {e}") }),
    }
}

/// Reads one batch of tensors named like `names`, each of `shapes` (batch first).
fn read_named(path: &Path, names: &[(String, Vec<usize>)]) -> Result<Vec<Tensor<f64>>, IoError> {
    let map = parse(path)?;
    let p = path.display().to_string();
    names
        .iter()
        .map(|(name, shape)| {
            let field =
                |reason: String| IoError::Field { path: p.clone(), field: name.clone(), reason };
            let v = map.get(name).ok_or_else(|| field("missing".into()))?;
            let Value::Array(entries) = v else {
                return Err(field("expected an array with the batch as leading axis".into()));
            };
            let batch = shape.first().copied().unwrap_or(1);
            if entries.len() != batch {
                return Err(field(format!(
                    "{} batch entries, the plan has batch {batch}",
                    entries.len()
                )));
            }
            let per: usize = shape.iter().skip(1).product();
            let mut data = Vec::with_capacity(batch * per);
            for (b, e) in entries.iter().enumerate() {
                let start = data.len();
                flatten(e, &mut data).map_err(|r| field(format!("entry {b}: {r}")))?;
                if data.len() - start != per {
                    return Err(field(format!(
                        "entry {b} has {} values, expected {per} (shape {:?})",
                        data.len() - start,
                        &shape[1..]
                    )));
                }
            }
            Tensor::new(shape.clone(), data).map_err(|e| field(e.to_string()))
        })
        .collect()
}

/// The plan's inputs: name and shape.
pub fn input_specs(plan: &BlockPlan) -> Vec<(String, Vec<usize>)> {
    let g = &plan.graph;
    g.inputs.iter().map(|(n, id, _)| (n.clone(), g.nodes[*id].shape.clone())).collect()
}

/// The plan's outputs: name and shape.
pub fn output_specs(plan: &BlockPlan) -> Vec<(String, Vec<usize>)> {
    let g = &plan.graph;
    g.outputs.iter().map(|(n, id, _)| (n.clone(), g.nodes[*id].shape.clone())).collect()
}

/// Reads an input file for `plan`.
pub fn read_inputs(path: &Path, plan: &BlockPlan) -> Result<Vec<Tensor<f64>>, IoError> {
    read_named(path, &input_specs(plan))
}

/// Reads an output file for `plan`.
pub fn read_outputs(path: &Path, plan: &BlockPlan) -> Result<Vec<Tensor<f64>>, IoError> {
    read_named(path, &output_specs(plan))
}

/// Real inputs to the plan's integers: `round(x / scale) + zero`, which must lie in the activation
/// range (a value outside it, or not finite, is an error naming the input and the entry).
pub fn quantize_inputs(
    plan: &BlockPlan,
    inputs: &[Tensor<f64>],
) -> Result<Vec<Tensor<i64>>, IoError> {
    let bound = 1i64 << (plan.activation_bits - 1);
    inputs
        .iter()
        .zip(&plan.graph.inputs)
        .map(|(t, (name, _, e))| {
            let mut data = Vec::with_capacity(t.data().len());
            for (index, &x) in t.data().iter().enumerate() {
                let q = (x / e.scale).round() + e.zero as f64;
                if !(q >= -(bound as f64) && q <= (bound - 1) as f64) {
                    return Err(IoError::Range {
                        input: name.clone(),
                        index,
                        value: x,
                        lo: (-bound - e.zero) as f64 * e.scale,
                        hi: (bound - 1 - e.zero) as f64 * e.scale,
                    });
                }
                data.push(q as i64);
            }
            Tensor::new(t.shape().to_vec(), data).map_err(|e| IoError::Field {
                path: String::new(),
                field: name.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Output `k`'s integers as reals.
pub fn dequantize_output(plan: &BlockPlan, k: usize, t: &IntTensor) -> Vec<f64> {
    let (scale, zero) =
        plan.graph.outputs.get(k).map(|(_, _, e)| (e.scale, e.zero)).unwrap_or((1.0, 0));
    t.data().iter().map(|q| (q - zero) as f64 * scale).collect()
}

fn nest(data: &[f64], shape: &[usize]) -> Value {
    match shape {
        [] => data.first().map_or(Value::Null, |x| Value::from(*x)),
        [_] => Value::Array(data.iter().map(|x| Value::from(*x)).collect()),
        [n, rest @ ..] => {
            let per: usize = rest.iter().product();
            Value::Array((0..*n).map(|i| nest(&data[i * per..(i + 1) * per], rest)).collect())
        }
    }
}

/// The outputs as an output file's JSON.
pub fn outputs_json(plan: &BlockPlan, outputs: &[IntTensor]) -> Value {
    let mut map = Map::new();
    for (k, ((name, shape), t)) in output_specs(plan).iter().zip(outputs).enumerate() {
        map.insert(name.clone(), nest(&dequantize_output(plan, k, t), shape));
    }
    Value::Object(map)
}

/// Inputs as an input file's JSON.
pub fn inputs_json(plan: &BlockPlan, inputs: &[Tensor<f64>]) -> Value {
    let mut map = Map::new();
    for ((name, shape), t) in input_specs(plan).iter().zip(inputs) {
        map.insert(name.clone(), nest(t.data(), shape));
    }
    Value::Object(map)
}

/// One example of a model's `test_set.json`.
#[derive(Clone, Debug)]
pub struct Example {
    /// Flattened input.
    pub input: Vec<f64>,
    /// The float reference output (onnxruntime).
    pub reference: Vec<f64>,
    /// The class label, if the set has one.
    pub label: Option<usize>,
}

/// Reads `test_set.json` of a model folder.
pub fn read_test_set(path: &Path) -> Result<Vec<Example>, IoError> {
    let map = parse(path)?;
    let p = path.display().to_string();
    let field = |f: &str, reason: &str| IoError::Field {
        path: p.clone(),
        field: f.into(),
        reason: reason.into(),
    };
    let Some(Value::Array(examples)) = map.get("examples") else {
        return Err(field("examples", "expected an array"));
    };
    examples
        .iter()
        .map(|e| {
            let mut input = Vec::new();
            let mut reference = Vec::new();
            flatten(e.get("input").unwrap_or(&Value::Null), &mut input)
                .map_err(|r| field("input", &r))?;
            flatten(e.get("reference_output").unwrap_or(&Value::Null), &mut reference)
                .map_err(|r| field("reference_output", &r))?;
            let label = match e.get("label") {
                Some(Value::Number(n)) => n.as_u64().map(|l| l as usize),
                Some(Value::String(s)) => s.parse().ok(),
                _ => None,
            };
            Ok(Example { input, reference, label })
        })
        .collect()
}

/// Stacks `examples` into one batch tensor of `shape` (batch first).
pub fn batch_of(examples: &[Example], shape: &[usize]) -> Result<Tensor<f64>, String> {
    let data: Vec<f64> = examples.iter().flat_map(|e| e.input.iter().copied()).collect();
    Tensor::new(shape.to_vec(), data).map_err(|e| format!("test set does not fit {shape:?}: {e}"))
}
