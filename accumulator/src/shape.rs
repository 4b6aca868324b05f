//! The fixed shape of the folding tree: a function of the number of leaves and the arity only.
//!
//! Level 0 folds the leaves: node `i` takes leaves `i·k .. min((i+1)·k, L)` in the given order.
//! Level `ℓ + 1` folds the output claims of level `ℓ` the same way, until a level has one node,
//! whose output is the root claim. So a tree has `⌈log_k L⌉` levels (at least one), the last node
//! of a level may have fewer than `k` children, and one leaf still goes through one node.
//! [`Arity::AllInOne`] is the arity `L`: one node folds every leaf.

use std::ops::Range;

use tessera_blocks::Transcript;

use crate::error::InputError;

/// How many children a fold node takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arity {
    /// At most `k ≥ 2` children per node.
    Fixed(usize),
    /// One node over every leaf (the same tree as `Fixed(number of leaves)`).
    AllInOne,
}

/// Nodes per level and which children each node folds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeShape {
    leaves: usize,
    arity: usize,
    nodes_per_level: Vec<usize>,
}

impl TreeShape {
    /// The tree for `leaves` leaves; errors on zero leaves or an arity below 2.
    pub fn new(leaves: usize, arity: Arity) -> Result<Self, InputError> {
        if leaves == 0 {
            return Err(InputError::NoLeaves);
        }
        let arity = match arity {
            Arity::Fixed(k) if k < 2 => return Err(InputError::ArityTooSmall(k)),
            Arity::Fixed(k) => k.min(leaves.max(2)),
            Arity::AllInOne => leaves.max(2),
        };
        let mut nodes_per_level = Vec::new();
        let mut inputs = leaves;
        loop {
            let nodes = inputs.div_ceil(arity);
            nodes_per_level.push(nodes);
            if nodes == 1 {
                break;
            }
            inputs = nodes;
        }
        Ok(Self { leaves, arity, nodes_per_level })
    }

    /// Number of leaf claims.
    pub fn leaves(&self) -> usize {
        self.leaves
    }

    /// The effective arity (`AllInOne` and any `Fixed(k ≥ L)` give `max(L, 2)`).
    pub fn arity(&self) -> usize {
        self.arity
    }

    /// Number of levels (at least one; the last has one node).
    pub fn levels(&self) -> usize {
        self.nodes_per_level.len()
    }

    /// Number of nodes on `level`.
    pub fn nodes_on(&self, level: usize) -> usize {
        self.nodes_per_level.get(level).copied().unwrap_or(0)
    }

    /// Total number of fold nodes.
    pub fn total_nodes(&self) -> usize {
        self.nodes_per_level.iter().sum()
    }

    /// The inputs of `level`: leaves for level 0, else the previous level's outputs.
    pub fn inputs_on(&self, level: usize) -> usize {
        match level {
            0 => self.leaves,
            _ => self.nodes_on(level - 1),
        }
    }

    /// Which of its level's inputs node `index` folds.
    pub fn children(&self, level: usize, index: usize) -> Range<usize> {
        let inputs = self.inputs_on(level);
        let start = (index * self.arity).min(inputs);
        start..((index + 1) * self.arity).min(inputs)
    }

    /// The number of variables of every node's output (`[level][index]`): the largest among its
    /// children, starting from the leaves' point lengths. Computable before reading any proof.
    pub fn num_vars(&self, leaf_vars: &[usize]) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = Vec::with_capacity(self.levels());
        for level in 0..self.levels() {
            let inputs = match level {
                0 => leaf_vars,
                _ => out[level - 1].as_slice(),
            };
            let this: Vec<usize> = (0..self.nodes_on(level))
                .map(|i| {
                    inputs
                        .get(self.children(level, i))
                        .and_then(|c| c.iter().copied().max())
                        .unwrap_or(0)
                })
                .collect();
            out.push(this);
        }
        out
    }

    /// Absorbs the shape into the base transcript, before any node forks from it.
    pub(crate) fn absorb(&self, t: &mut Transcript) {
        t.append_u64(b"accumulator leaves", self.leaves as u64);
        t.append_u64(b"accumulator arity", self.arity as u64);
    }

    /// The transcript of node `(level, index)`: a fork of the base by position.
    pub(crate) fn node_transcript(base: &Transcript, level: usize, index: usize) -> Transcript {
        base.fork(b"accumulator level", level as u64).fork(b"accumulator node", index as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_children() {
        let s = TreeShape::new(10, Arity::Fixed(3)).unwrap();
        assert_eq!(s.nodes_per_level, vec![4, 2, 1]);
        assert_eq!(s.children(0, 3), 9..10);
        assert_eq!(s.children(1, 1), 3..4);
        assert_eq!(s.children(2, 0), 0..2);
        assert_eq!(s.total_nodes(), 7);

        let one = TreeShape::new(1, Arity::Fixed(2)).unwrap();
        assert_eq!((one.levels(), one.children(0, 0)), (1, 0..1));
        let all = TreeShape::new(4096, Arity::AllInOne).unwrap();
        assert_eq!(all, TreeShape::new(4096, Arity::Fixed(5000)).unwrap());
        assert_eq!((all.levels(), all.arity()), (1, 4096));
        let binary = TreeShape::new(4096, Arity::Fixed(2)).unwrap();
        assert_eq!((binary.levels(), binary.total_nodes()), (12, 4095));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(TreeShape::new(0, Arity::AllInOne), Err(InputError::NoLeaves));
        assert_eq!(TreeShape::new(5, Arity::Fixed(1)), Err(InputError::ArityTooSmall(1)));
    }

    #[test]
    fn node_variables_are_the_largest_child() {
        let s = TreeShape::new(5, Arity::Fixed(2)).unwrap();
        let v = s.num_vars(&[3, 1, 0, 4, 2]);
        assert_eq!(v, vec![vec![3, 4, 2], vec![4, 2], vec![4]]);
    }
}
