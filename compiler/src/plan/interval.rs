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

    /// `c·self`, `None` on overflow.
    pub fn checked_scaled(self, c: i128) -> Option<Self> {
        let (a, b) = (self.lo.checked_mul(c)?, self.hi.checked_mul(c)?);
        Some(Self { lo: a.min(b), hi: a.max(b) })
    }

    /// `self + o`, `None` on overflow.
    pub fn checked_add(self, o: Self) -> Option<Self> {
        Some(Self { lo: self.lo.checked_add(o.lo)?, hi: self.hi.checked_add(o.hi)? })
    }

    /// `{x·y}` for `x ∈ self`, `y ∈ o`, `None` on overflow.
    pub fn checked_mul(self, o: Self) -> Option<Self> {
        let c = [
            self.lo.checked_mul(o.lo)?,
            self.lo.checked_mul(o.hi)?,
            self.hi.checked_mul(o.lo)?,
            self.hi.checked_mul(o.hi)?,
        ];
        Some(Self { lo: *c.iter().min()?, hi: *c.iter().max()? })
    }

    /// The smallest interval containing both.
    pub fn hull(self, o: Self) -> Self {
        Self { lo: self.lo.min(o.lo), hi: self.hi.max(o.hi) }
    }

    /// The common part, `None` if they are disjoint.
    pub fn intersect(self, o: Self) -> Option<Self> {
        let (lo, hi) = (self.lo.max(o.lo), self.hi.min(o.hi));
        (lo <= hi).then_some(Self { lo, hi })
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
