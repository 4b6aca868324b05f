//! Witness generation: every node's value from the reference interpreter, then the tensors the
//! prover commits (rescale and division remainders, square-root residues, clamp stages, max
//! differences and selectors, lookup outputs), the limbs of every range check and the range
//! table's multiplicities, and the multiplicities of each merged function lookup (one vector per
//! table, over all its nodes).

use std::collections::BTreeMap;

use rayon::prelude::*;
use tessera_blocks::lookup::{self, Table};
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::Tensor;
pub(crate) use tessera_compiler::plan::Witness;
pub(crate) use tessera_compiler::plan::witness::eval_lin;
use tessera_compiler::plan::{BlockPlan, Ref, Step};
use tessera_compiler::quant::run_quantized;

use crate::error::Error;

pub(crate) fn to_int(t: &Tensor<i64>) -> Result<IntTensor, Error> {
    Ok(IntTensor::new(t.shape().to_vec(), t.data().to_vec())?)
}

/// The range table `[0, 2^T)`.
pub(crate) fn range_table(plan: &BlockPlan) -> Result<Table, Error> {
    Ok(Table::range(0, 1i64 << plan.range_table_bits)?)
}

/// Function table `t` of the plan's graph, as the lookup block's two-column table.
pub(crate) fn function_table(plan: &BlockPlan, t: usize) -> Result<Table, Error> {
    let qt = plan
        .graph
        .tables
        .get(t)
        .ok_or(Error::Internal("a function lookup reads a table the plan does not have"))?;
    let label =
        format!("{:?} [{}, {}] {}→{} bits", qt.func, qt.lo, qt.hi(), qt.in_bits, qt.out_bits);
    Ok(Table::function(&label, qt.lo, qt.hi() + 1, qt.values.clone())?)
}

/// Runs the plan on quantized inputs and derives every committed tensor.
pub(crate) fn generate(plan: &BlockPlan, inputs: &[Tensor<i64>]) -> Result<Witness, Error> {
    let _span = tracing::info_span!("witness").entered();
    let values = run_quantized(&plan.graph, inputs, None)
        .map_err(Error::Interpret)?
        .iter()
        .map(to_int)
        .collect::<Result<Vec<_>, _>>()?;
    let mut committed = BTreeMap::new();
    for (id, step) in plan.steps.iter().enumerate() {
        if let Some(slots) = step.witness(plan, id, &values, &committed)? {
            for (slot, t) in slots.into_iter().enumerate() {
                committed.insert(Ref { node: id, slot }, t);
            }
        }
    }
    let mut w = Witness {
        values,
        committed,
        limbs: Vec::new(),
        multiplicities: Vec::new(),
        function_multiplicities: Vec::new(),
    };
    range_witness(plan, &mut w)?;
    function_witness(plan, &mut w)?;
    Ok(w)
}

/// The `(x, y)` columns of every node of a merged function lookup, from `committed`.
pub(crate) fn function_vectors(
    plan: &BlockPlan,
    committed: &BTreeMap<Ref, IntTensor>,
    nodes: &[usize],
) -> Result<Vec<Vec<IntTensor>>, Error> {
    nodes
        .iter()
        .map(|&id| {
            let (
                Some(Step::Lookup(tessera_compiler::plan::steps::lookup::Lookup { input, .. })),
                Some(node),
            ) = (plan.steps.get(id), plan.graph.nodes.get(id))
            else {
                return Err(Error::Internal("a function lookup lists a node that is not a lookup"));
            };
            let x = eval_lin(committed, input, &node.shape, true)?;
            let y = committed
                .get(&Ref { node: id, slot: 0 })
                .ok_or(Error::Internal("a lookup's output has no witness"))?;
            Ok(vec![x, y.clone()])
        })
        .collect()
}

/// The multiplicities of every merged function lookup, from `w.committed`.
pub(crate) fn function_witness(plan: &BlockPlan, w: &mut Witness) -> Result<(), Error> {
    w.function_multiplicities = plan
        .function_lookups
        .iter()
        .map(|f| {
            let table = function_table(plan, f.table)?;
            let vectors = function_vectors(plan, &w.committed, &f.nodes)?;
            lookup::multiplicities(&table, &vectors)
                .map_err(|e| Error::OutOfTable { table: f.table, reason: e.to_string() })
        })
        .collect::<Result<_, _>>()?;
    Ok(())
}

/// The limbs of every range check and the range table's multiplicities, from `w.committed`.
pub(crate) fn range_witness(plan: &BlockPlan, w: &mut Witness) -> Result<(), Error> {
    let committed = &w.committed;
    let t = plan.range_table_bits;
    let limbs = plan
        .range_checks
        .par_iter()
        .map(|c| {
            let shape = plan.lin_shape(&c.value, c.node);
            let v = eval_lin(committed, &c.value, &shape, true)?;
            lookup::decompose(&v, t, c.limbs as usize, 0).map_err(|e| Error::Range {
                node: plan.graph.nodes[c.node].label(),
                bits: t * c.limbs,
                detail: format!(": {e}"),
            })
        })
        .collect::<Vec<_>>()
        // The first failing check in plan order, whatever the thread count.
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    for (c, ls) in plan.range_checks.iter().zip(&limbs) {
        let top = ls.last().map(|l| l.data());
        if top.is_some_and(|top| top.iter().any(|x| *x >> c.top_bits != 0)) {
            let bits = t * (c.limbs - 1) + c.top_bits;
            return Err(Error::Range {
                node: plan.graph.nodes[c.node].label(),
                bits,
                detail: String::new(),
            });
        }
    }
    let table = range_table(plan)?;
    let multiplicities = if limbs.is_empty() {
        vec![0; 1 << table.num_vars()]
    } else {
        let mut looked_up: Vec<Vec<IntTensor>> = Vec::new();
        for (c, ls) in plan.range_checks.iter().zip(&limbs) {
            looked_up.extend(ls.iter().map(|l| vec![l.clone()]));
            if let (Some(shift), Some(top)) = (c.top_shift(t), ls.last()) {
                looked_up.push(vec![plus(top, shift)?]);
            }
        }
        lookup::multiplicities(&table, &looked_up)
            .map_err(|_| Error::Internal("a range limb is outside the range table"))?
    };
    w.limbs = limbs;
    w.multiplicities = multiplicities;
    Ok(())
}

/// The range lookup's looked-up vectors: per check, limb 0 minus the check's constant (the
/// committed combination `C_0`, see the schedule), then its other limbs, then (when the top limb
/// has fewer than `T` bits) the top limb's column once more; one column each.
pub(crate) fn range_vectors(
    plan: &BlockPlan,
    limbs: &[Vec<IntTensor>],
) -> Result<Vec<Vec<IntTensor>>, Error> {
    let mut out = Vec::new();
    for (c, ls) in plan.range_checks.iter().zip(limbs) {
        let Some((first, rest)) = ls.split_first() else {
            return Err(Error::Internal("a range check without limbs"));
        };
        let base = limb_base(first, c.value.constant)?;
        out.extend(std::iter::once(&base).chain(rest).map(|l| vec![l.clone()]));
        if c.top_shift(plan.range_table_bits).is_some() {
            out.push(vec![rest.last().unwrap_or(&base).clone()]);
        }
    }
    Ok(out)
}

/// `x + k` entrywise.
fn plus(x: &IntTensor, k: i64) -> Result<IntTensor, Error> {
    let data = x.data().iter().map(|v| v + k).collect();
    Ok(IntTensor::new(x.shape().to_vec(), data)?)
}

/// `limb_0 − constant` entrywise: the tensor committed in `C_0`.
pub(crate) fn limb_base(limb0: &IntTensor, constant: i64) -> Result<IntTensor, Error> {
    let data = limb0.data().iter().map(|x| x - constant).collect();
    Ok(IntTensor::new(limb0.shape().to_vec(), data)?)
}
