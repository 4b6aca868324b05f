//! Integer intervals of committed tensors, from the range checks that enforce them: the bits of
//! every difference checked in a clamp or a max follow from them.

use std::collections::HashMap;

use super::{Lin, Ref};

/// A closed interval `[lo, hi]` (in `i128` so sums of 64-bit bounds cannot overflow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// Smallest value.
    pub lo: i128,
    /// Largest value.
    pub hi: i128,
}

impl Interval {
    /// `[lo, hi]`.
    pub fn new(lo: i128, hi: i128) -> Self {
        Self { lo, hi }
    }

    /// The single value `k`.
    pub fn point(k: i128) -> Self {
        Self { lo: k, hi: k }
    }

    fn scaled(self, c: i128) -> Self {
        let (a, b) = (self.lo * c, self.hi * c);
        Self { lo: a.min(b), hi: a.max(b) }
    }

    fn add(self, o: Self) -> Self {
        Self { lo: self.lo + o.lo, hi: self.hi + o.hi }
    }
}

/// Known intervals of committed tensors.
#[derive(Default)]
pub struct Intervals(HashMap<Ref, Interval>);

impl Intervals {
    /// Records `r ∈ i`.
    pub fn set(&mut self, r: Ref, i: Interval) {
        self.0.insert(r, i);
    }

    /// The interval of a linear form, or `None` if a term is unknown.
    pub fn of(&self, l: &Lin) -> Option<Interval> {
        let mut acc = Interval::point(l.constant as i128);
        for (r, c) in &l.terms {
            acc = acc.add(self.0.get(r)?.scaled(*c as i128));
        }
        Some(acc)
    }
}

/// Bits needed for a non-negative value up to `hi`.
pub fn bits_for(hi: i128) -> u32 {
    if hi <= 0 { 0 } else { 128 - (hi as u128).leading_zeros() }
}
