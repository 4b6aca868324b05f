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

impl Arity {
    /// The widest tree whose fold nodes each hold about `budget` field elements of working
    /// tables: one node over every leaf when all of them fit, else the arity that gives a node
    /// `budget` elements at the leaves' average size.
    ///
    /// A node folding children of `n_a` variables allocates a half-size table per child while it
    /// runs (`Σ_a 2^(n_a − 1)` elements), so one node over every leaf is the fold's peak memory.
    /// `leaf_vars` are the variables of the leaves' polynomials (not of their claims' points). The
    /// shape is the prover's choice: the proof carries the arity, and any arity is sound.
    pub fn fit(leaf_vars: &[usize], budget: usize) -> Self {
        let half = |n: usize| {
            u32::try_from(n.saturating_sub(1))
                .ok()
                .and_then(|s| 1usize.checked_shl(s))
                .unwrap_or(usize::MAX)
        };
        let total = leaf_vars.iter().fold(0usize, |acc, &n| acc.saturating_add(half(n)));
        if total <= budget || leaf_vars.len() < 2 {
            return Self::AllInOne;
        }
        let average = (total / leaf_vars.len()).max(1);
        let k = (budget / average).max(2);
        if k >= leaf_vars.len() { Self::AllInOne } else { Self::Fixed(k) }
    }
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
    fn fit_is_one_node_within_the_budget_and_a_tree_beyond() {
        // 1,024 leaves of 2^16 entries: 2^25 working elements in one node.
        let vars = vec![16; 1024];
        assert_eq!(Arity::fit(&vars, 1 << 25), Arity::AllInOne);
        assert_eq!(Arity::fit(&vars, 1 << 23), Arity::Fixed(256));
        assert_eq!(Arity::fit(&vars, 1 << 15), Arity::Fixed(2), "never below arity 2");
        assert_eq!(Arity::fit(&vars, 0), Arity::Fixed(2));
        assert_eq!(Arity::fit(&[40], 0), Arity::AllInOne, "one leaf is one node");
        assert_eq!(Arity::fit(&[usize::MAX; 3], 1 << 20), Arity::Fixed(2), "no overflow");
        // Mixed sizes: the average decides (3 × 2^3 + 1 × 2^11 = 2,072 elements, average 518).
        assert_eq!(Arity::fit(&[4, 4, 4, 12], 1036), Arity::Fixed(2));
        assert_eq!(Arity::fit(&[4, 4, 4, 12], 1554), Arity::Fixed(3));
    }

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
