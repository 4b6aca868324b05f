//! **Function lookup** `y = T[x]` for a function table of the graph, `x` a linear form over
//! committed tensors without constant.
//!
//! Slot `[y]`. No range check: every lookup node of table `T`, across the whole model, is one
//! vector `(x, y)` of the table's merged lookup into `(t, T[t])` ([`crate::plan::merge_lookups`]),
//! proven once per table after the range lookup; its multiplicities are committed with the
//! statement. The node itself has no reduction.

use serde::{Deserialize, Serialize};

use crate::plan::interval::Interval;
use crate::plan::lower::Lowering;
use tessera_blocks::tensor::IntTensor;

use super::{Committed, Ctx, Node, StepError, StepKind};
use crate::plan::{BlockPlan, Lin, PlanError, Ref, Role, Step};
use crate::quant::qop::{QId, QNode};

/// `y = T[x]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    /// `x`, a linear form over committed tensors without constant.
    pub input: Lin,
    /// Table index in the graph's tables.
    pub table: usize,
}

/// Number of committed slots.
pub const SLOTS: usize = 1;

impl Lookup {
    /// Lowers a table lookup; the output's interval is the table's range.
    pub(crate) fn lower(
        l: &mut Lowering<'_>,
        id: QId,
        node: &QNode,
        table: usize,
    ) -> Result<(Role, Step), PlanError> {
        let x = l.arg(node, 0)?;
        let t = l.tables.get(table).ok_or_else(|| l.unsupported(node, "unknown table"))?;
        let a = l.committed_form(node, x)?;
        if a.constant != 0 || a.terms.is_empty() {
            return Err(l.unsupported(
                node,
                "its input must be a committed tensor or a linear form of them",
            ));
        }
        if l.nodes[x].shape != node.shape {
            return Err(l.unsupported(node, "input and output shapes differ"));
        }
        let lo = t.values.iter().min().copied().unwrap_or(0) as i128;
        let hi = t.values.iter().max().copied().unwrap_or(0) as i128;
        l.intervals.set(Ref { node: id, slot: 0 }, Interval::new(lo, hi));
        Ok((Role::Committed, Step::Lookup(Lookup { input: a, table })))
    }
}

impl StepKind for Lookup {
    const KIND: &'static str = "Lookup";

    /// The table exists.
    fn validate(&self, plan: &BlockPlan) -> Result<(), &'static str> {
        if self.table < plan.graph.tables.len() { Ok(()) } else { Err("an unknown table") }
    }

    fn inputs(&self) -> Vec<QId> {
        vec![]
    }

    fn slots(&self) -> usize {
        SLOTS
    }

    fn committed_input(&self) -> Option<&Lin> {
        Some(&self.input)
    }

    /// `[y]`: the node's value.
    fn witness(
        &self,
        n: &Node<'_>,
        values: &[IntTensor],
        _: &Committed,
    ) -> Result<Vec<IntTensor>, StepError> {
        Ok(vec![n.value(values, n.id)?.clone()])
    }

    /// Nothing: proven with every other node of its table by the table's merged lookup.
    fn reduce<'p, C: Ctx<'p>>(&self, _: &mut C, _: QId) -> Result<(), C::Error> {
        Ok(())
    }
}
