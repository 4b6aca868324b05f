//! Same-table merge of function lookups: every [`Step::Lookup`] node that reads table `t` joins
//! the one [`FunctionLookup`] of `t`, so the whole model proves each function table with one
//! lookup block and one multiplicity vector (DESIGN §4), as the range checks already are.
//!
//! Lookups are listed in increasing table order, each with its nodes in increasing node order:
//! the order the proof commits their multiplicities and the schedule proves them.

use std::collections::BTreeMap;

use super::{FunctionLookup, Step};
use crate::quant::qop::QId;

/// One [`FunctionLookup`] per table some step reads, in table order.
pub fn merge_lookups(steps: &[Step]) -> Vec<FunctionLookup> {
    let mut by_table: BTreeMap<usize, Vec<QId>> = BTreeMap::new();
    for (id, s) in steps.iter().enumerate() {
        if let Step::Lookup(l) = s {
            by_table.entry(l.table).or_default().push(id);
        }
    }
    by_table.into_iter().map(|(table, nodes)| FunctionLookup { table, nodes }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Lin;
    use crate::plan::Ref;

    fn lookup(node: QId, table: usize) -> Step {
        Step::Lookup(crate::plan::steps::lookup::Lookup {
            input: Lin::of(Ref { node, slot: 0 }),
            table,
        })
    }

    #[test]
    fn groups_by_table_in_table_then_node_order() {
        let steps = vec![
            Step::Input { private: true, committed: false },
            lookup(0, 1),
            lookup(0, 0),
            Step::Data,
            lookup(2, 1),
        ];
        assert_eq!(
            merge_lookups(&steps),
            vec![
                FunctionLookup { table: 0, nodes: vec![2] },
                FunctionLookup { table: 1, nodes: vec![1, 4] },
            ]
        );
        assert!(merge_lookups(&[Step::Data]).is_empty());
    }
}
