//! The compile report: chosen scale, op and block counts, tables, and the value ranges every
//! rescale, division, clamp and lookup must be range-checked over (observed on the calibration
//! inputs through the integer interpreter).

use std::collections::BTreeMap;
use std::fmt;

use crate::error::QuantError;
use crate::quant::QuantizedModel;
use crate::quant::interp::Ranges;
use crate::quant::qop::{BlockKind, QOp, TableFn};
use crate::tensor::Tensor;

/// One table of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct TableInfo {
    /// Function.
    pub func: TableFn,
    /// Smallest input.
    pub lo: i64,
    /// Largest input.
    pub hi: i64,
    /// Number of rows.
    pub size: usize,
}

/// Observed range at one range-checked node.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeCheck {
    /// Node id in [`crate::quant::qop::QGraph::nodes`].
    pub id: usize,
    /// Node name.
    pub node: String,
    /// Op name.
    pub op: &'static str,
    /// Observed range of the input that the check constrains.
    pub input: (i64, i64),
    /// Observed range of the output.
    pub output: (i64, i64),
}

/// Summary of a quantized model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompileReport {
    /// Scale bits `s` of the canonical activation scale `2^−s`.
    pub scale_bits: u32,
    /// Activation bits the scale was chosen for.
    pub activation_bits: u32,
    /// Number of integer nodes.
    pub nodes: usize,
    /// Integer op counts by name.
    pub op_counts: BTreeMap<&'static str, usize>,
    /// Node counts by proof block.
    pub block_counts: BTreeMap<BlockKind, usize>,
    /// Function tables.
    pub tables: Vec<TableInfo>,
    /// Ranges at every rescale, division, square root, clamp and lookup.
    pub checks: Vec<RangeCheck>,
    /// Bits of the largest |integer| seen anywhere (sign excluded).
    pub max_value_bits: u32,
    /// Largest |quantized − float| over the outputs of the calibration inputs.
    pub max_output_error: f64,
    /// `[min, max]` of the float outputs on the calibration inputs.
    pub output_range: (f64, f64),
}

fn bits(v: i64) -> u32 {
    64 - v.unsigned_abs().leading_zeros()
}

/// Builds the report, replaying `samples` through the integer interpreter to observe ranges.
pub fn build(
    model: &QuantizedModel,
    scale_bits: u32,
    activation_bits: u32,
    samples: &[Vec<Tensor<f64>>],
) -> Result<CompileReport, QuantError> {
    let g = &model.graph;
    let mut r = CompileReport {
        scale_bits,
        activation_bits,
        nodes: g.nodes.len(),
        output_range: (f64::INFINITY, f64::NEG_INFINITY),
        ..Default::default()
    };
    for n in &g.nodes {
        *r.op_counts.entry(n.op.name()).or_insert(0) += 1;
        *r.block_counts.entry(n.op.block()).or_insert(0) += 1;
    }
    let used: Vec<usize> = g
        .nodes
        .iter()
        .filter_map(|n| if let QOp::Lookup { table } = n.op { Some(table) } else { None })
        .collect();
    r.tables = g
        .tables
        .iter()
        .enumerate()
        .filter(|(i, _)| used.contains(i))
        .map(|(_, t)| TableInfo { func: t.func, lo: t.lo, hi: t.hi(), size: t.values.len() })
        .collect();
    let mut ranges = Ranges::default();
    let probe = QuantizedModel {
        graph: g.clone(),
        report: CompileReport { activation_bits, ..Default::default() },
    };
    for s in samples {
        probe.run_int(&probe.encode_inputs(s), Some(&mut ranges))?;
    }
    for (id, n) in g.nodes.iter().enumerate() {
        if let Some((lo, hi)) = ranges.get(id) {
            r.max_value_bits = r.max_value_bits.max(bits(lo)).max(bits(hi));
        }
        if n.op.block() == BlockKind::Lookup {
            let input = n.inputs.first().and_then(|&i| ranges.get(i)).unwrap_or((0, 0));
            let output = ranges.get(id).unwrap_or((0, 0));
            r.checks.push(RangeCheck { id, node: n.name.clone(), op: n.op.name(), input, output });
        }
    }
    Ok(r)
}

impl fmt::Display for CompileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "scale: 2^-{} (activations of {} bits)",
            self.scale_bits, self.activation_bits
        )?;
        writeln!(f, "integer nodes: {}; largest value: {} bits", self.nodes, self.max_value_bits)?;
        let blocks: Vec<String> =
            self.block_counts.iter().map(|(k, v)| format!("{k:?} {v}")).collect();
        writeln!(f, "blocks: {}", blocks.join(", "))?;
        let ops: Vec<String> = self.op_counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(f, "ops: {}", ops.join(", "))?;
        writeln!(
            f,
            "accuracy on calibration inputs: max |quantized − float| = {:.3e} \
             (float outputs in [{:.4}, {:.4}])",
            self.max_output_error, self.output_range.0, self.output_range.1
        )?;
        for t in &self.tables {
            writeln!(f, "table {:?}: inputs [{}, {}], {} rows", t.func, t.lo, t.hi, t.size)?;
        }
        writeln!(f, "range checks (calibration inputs):")?;
        for c in &self.checks {
            writeln!(
                f,
                "  {:<40} {:<9} in [{}, {}] out [{}, {}]",
                c.node, c.op, c.input.0, c.input.1, c.output.0, c.output.1
            )?;
        }
        Ok(())
    }
}
