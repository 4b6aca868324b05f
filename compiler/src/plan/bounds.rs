//! Worst-case value bounds of every node, by interval arithmetic over the plan's steps, from the
//! intervals of committed tensors and the weights' actual values.
//!
//! A rescale's quotient is bounded by its input's bound: `⌊(x + 2^{s−1})/2^s⌋` is monotone in
//! `x`. After an int8 convolution and its requantization the quotient is a few thousand at most,
//! so the clamp that reads it needs one range limb per difference instead of the two that the
//! activation range would need.
//!
//! The bounds only size range checks: a bound that is too small makes honest proving fail (the
//! witness's range check reports the node), never a false proof, because every check proves
//! what it claims whatever bound chose its limbs. They hold for every input within the
//! activation range: public inputs, like private ones, are taken to lie in it.

use super::Step;
use super::interval::Interval;
use crate::quant::qop::{QNode, QOp};

/// The bound on every entry of node `id`, whose step is `step`, given the bounds of the nodes
/// before it (`None`: unknown). `committed` is the interval of the node's own value (slot 0)
/// when the node commits it.
pub(super) fn step_bound(
    id: usize,
    step: &Step,
    nodes: &[QNode],
    bounds: &[Option<Interval>],
    committed: Option<Interval>,
    act: Interval,
) -> Option<Interval> {
    let b = |j: usize| bounds.get(j).copied().flatten();
    match step {
        Step::Input { .. } => Some(act),
        Step::Data => weight_values(nodes, id).and_then(|w| {
            let lo = w.iter().min()?;
            let hi = w.iter().max()?;
            Some(Interval::new(*lo as i128, *hi as i128))
        }),
        step => step.bound(id, nodes, &b, committed),
    }
}

/// The bound of a rescale's quotient `⌊(x + 2^{s−1})/2^s⌋` for `x ∈ input`, within `act` (the
/// activation range, which the quotient is checked against where no clamp bounds it); `act`
/// when the input is unbounded.
pub(super) fn quotient_bound(input: Option<Interval>, shift: u32, act: Interval) -> Interval {
    let q = input.and_then(|x| {
        let (half, d) = (1i128.checked_shl(shift.checked_sub(1)?)?, 1i128.checked_shl(shift)?);
        let lo = x.lo.checked_add(half)?.div_euclid(d);
        let hi = x.hi.checked_add(half)?.div_euclid(d);
        Interval::new(lo, hi).intersect(act)
    });
    q.unwrap_or(act)
}

/// The values of a weight (a constant node), if `j` is one.
pub(crate) fn weight_values(nodes: &[QNode], j: usize) -> Option<&[i64]> {
    match &nodes.get(j)?.op {
        QOp::Const(t) => Some(t.data()),
        _ => None,
    }
}

/// The bound of `Σ_k w_k·x_k` for `x_k ∈ x` (and, `with_zero`, each term possibly 0).
pub(crate) fn dot_bound(
    ws: impl Iterator<Item = i64>,
    x: Interval,
    with_zero: bool,
) -> Option<Interval> {
    let mut acc = Interval::point(0);
    for w in ws {
        let mut t = x.checked_scaled(w as i128)?;
        if with_zero {
            t = t.hull(Interval::point(0));
        }
        acc = acc.checked_add(t)?;
    }
    Some(acc)
}

/// The smallest interval containing all of them (`None` if any is unknown or there are none).
pub(crate) fn hull(parts: impl Iterator<Item = Option<Interval>>) -> Option<Interval> {
    let mut acc: Option<Interval> = None;
    for p in parts {
        let p = p?;
        acc = Some(acc.map_or(p, |a| a.hull(p)));
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_quotient_follows_its_input() {
        let act = Interval::new(-128, 127);
        // x ∈ [−1000, 3000], s = 4: ⌊(x + 8)/16⌋ ∈ [−62, 188], within act: [−62, 127].
        let q = quotient_bound(Some(Interval::new(-1000, 3000)), 4, act);
        assert_eq!(q, Interval::new(-62, 127));
        assert_eq!(quotient_bound(Some(Interval::new(-8, 7)), 4, act), Interval::point(0));
        assert_eq!(quotient_bound(None, 4, act), act);
        // Disjoint from the activation range: the activation range (the check fails honestly).
        assert_eq!(quotient_bound(Some(Interval::new(1 << 20, 1 << 21)), 4, act), act);
    }

    #[test]
    fn dot_bounds_take_each_sign_and_padding() {
        let x = Interval::new(-2, 5);
        // 3·x − 4·x: [−6 − 20, 15 + 8].
        assert_eq!(dot_bound([3, -4].into_iter(), x, false), Some(Interval::new(-26, 23)));
        let pos = Interval::new(1, 5);
        // With padding each term may vanish: 2·x ∈ [0, 10] instead of [2, 10].
        assert_eq!(dot_bound([2].into_iter(), pos, true), Some(Interval::new(0, 10)));
        let huge = Interval::new(0, i128::MAX);
        assert_eq!(dot_bound([i64::MAX, i64::MAX].into_iter(), huge, false), None);
    }
}
