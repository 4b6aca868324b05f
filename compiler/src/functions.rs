//! The function-table registry: every elementwise function Tessera proves by a lookup table, in
//! one list. An entry names the ONNX op, gives the real function (the float interpreter's
//! semantics and the table's values, `round(f(x/2^s)·2^s)`), and its input domain.
//!
//! **Adding a table op** is one entry of [`FUNCTIONS`] plus its function: the ONNX importer, the
//! float interpreter, shape inference, quantization (a clamp to the domain, then the lookup) and
//! the prover (the table's merged lookup) all read this list.
//!
//! The domain says what happens outside the table:
//! - [`Domain::Saturating`]: the function is within half an output step of its limits beyond the
//!   domain (for `s ≤ 12`), so clamping the input to it is exact on the integer grid;
//! - [`Domain::Linear`]: beyond the domain the function is a line of slope 0 or 1 (softplus is
//!   `x` to half a step above 10): the table's value at the clamped input plus the input's excess
//!   over the domain, exact everywhere;
//! - [`Domain::Calibrated`]: the table spans the calibrated input range with a margin (×1.5 + 1),
//!   within hard limits; inputs beyond the calibrated range are clamped to it, which changes the
//!   function there (the compile report shows the calibrated ranges).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::interp::math;

/// What happens outside a table (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Domain {
    /// `[lo, hi]`, exact: the function is constant to half a step beyond.
    Saturating(f64, f64),
    /// `[lo, hi]`, exact: beyond it the function is within half a step of the line of slope
    /// `below` (left) or `above` (right) through its value at the end, each slope 0 or 1. The
    /// prover adds `max(x, hi) − hi` (slope 1 above) and `min(x, lo) − lo` (slope 1 below) to the
    /// table's value at the clamped input, so every input gets the function.
    Linear {
        /// Smallest table input.
        lo: f64,
        /// Largest table input.
        hi: f64,
        /// Slope left of `lo` (0 or 1).
        below: f64,
        /// Slope right of `hi` (0 or 1).
        above: f64,
    },
    /// The calibrated range with a margin, within `[min, max]`.
    Calibrated {
        /// Smallest table input.
        min: f64,
        /// Largest table input.
        max: f64,
    },
}

/// One tabulated function.
#[derive(Clone, Copy, Debug)]
pub struct TableFunction {
    /// The ONNX op type (and the table's name in plans).
    pub name: &'static str,
    /// The real function.
    pub f: fn(f64) -> f64,
    /// Its table's domain.
    pub domain: Domain,
}

/// Every function Tessera tabulates.
pub const FUNCTIONS: &[TableFunction] = &[
    TableFunction { name: "Sigmoid", f: math::sigmoid, domain: Domain::Saturating(-10.0, 10.0) },
    TableFunction { name: "Tanh", f: f64::tanh, domain: Domain::Saturating(-5.0, 5.0) },
    TableFunction { name: "Erf", f: math::erf, domain: Domain::Saturating(-4.0, 4.0) },
    TableFunction {
        name: "Exp",
        f: f64::exp,
        domain: Domain::Calibrated { min: -16.0, max: 10.0 },
    },
    TableFunction {
        name: "Elu",
        f: math::elu,
        domain: Domain::Linear { lo: -16.0, hi: 0.0, below: 0.0, above: 1.0 },
    },
    TableFunction {
        name: "Celu",
        f: math::elu,
        domain: Domain::Linear { lo: -16.0, hi: 0.0, below: 0.0, above: 1.0 },
    },
    TableFunction {
        name: "Mish",
        f: math::mish,
        domain: Domain::Linear { lo: -20.0, hi: 10.0, below: 0.0, above: 1.0 },
    },
    TableFunction {
        name: "Gelu",
        f: math::gelu,
        domain: Domain::Linear { lo: -8.0, hi: 8.0, below: 0.0, above: 1.0 },
    },
    // Gelu's `approximate = "tanh"` form: not an ONNX op of its own (a name with `:` is a
    // variant, read through its op's attributes).
    TableFunction {
        name: "Gelu:tanh",
        f: math::gelu_tanh,
        domain: Domain::Linear { lo: -8.0, hi: 8.0, below: 0.0, above: 1.0 },
    },
    TableFunction {
        name: "Softplus",
        f: math::softplus,
        domain: Domain::Linear { lo: -10.0, hi: 10.0, below: 0.0, above: 1.0 },
    },
];

/// A tabulated function, by its registry name.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableFn(&'static str);

impl TableFn {
    /// `e^x` (softmax's table).
    pub const EXP: TableFn = TableFn("Exp");

    /// The registered function named `name`.
    pub fn find(name: &str) -> Option<TableFn> {
        FUNCTIONS.iter().find(|f| f.name == name).map(|f| TableFn(f.name))
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        self.0
    }

    /// Its registry entry.
    pub fn def(self) -> &'static TableFunction {
        // Every `TableFn` is made from an entry, so the search finds one.
        FUNCTIONS.iter().find(|f| f.name == self.0).unwrap_or(&FUNCTIONS[0])
    }

    /// `f(x)`.
    pub fn eval(self, x: f64) -> f64 {
        (self.def().f)(x)
    }
}

impl std::fmt::Debug for TableFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for TableFn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for TableFn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TableFn::find(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown table function {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            assert!(FUNCTIONS[..i].iter().all(|g| g.name != f.name), "{} twice", f.name);
            let t = TableFn::find(f.name).expect("registered");
            let json = serde_json::to_string(&t).expect("serializes");
            assert_eq!(json, format!("\"{}\"", f.name));
            assert_eq!(serde_json::from_str::<TableFn>(&json).expect("parses"), t);
        }
        assert!(serde_json::from_str::<TableFn>("\"NoSuchFunction\"").is_err());
        // Beyond a linear domain the function is its line to half a step at s = 12.
        let half = 0.5 / 4096.0;
        for f in FUNCTIONS {
            if let Domain::Linear { lo, hi, below, above } = f.domain {
                assert!([0.0, 1.0].contains(&below) && [0.0, 1.0].contains(&above), "{}", f.name);
                for k in 0..100 {
                    let d = k as f64 * 0.37;
                    let (l, h) = ((f.f)(lo - d), (f.f)(hi + d));
                    assert!((l - ((f.f)(lo) - below * d)).abs() < half, "{} below", f.name);
                    assert!((h - ((f.f)(hi) + above * d)).abs() < half, "{} above", f.name);
                }
            }
        }
        assert_eq!(TableFn::EXP.eval(0.0), 1.0);
    }
}
