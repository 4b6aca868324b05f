//! Function tables on the integer fixed-point grid: `function_table(f, s_in, s_out, lo, hi)`.
//!
//! An input integer `x ∈ [lo, hi)` stands for the real `x / 2^{s_in}`; the output integer `y` stands
//! for `y / 2^{s_out}`. Rounding rules (fixed here, so tables are reproducible bit for bit):
//!
//! | function | `y` |
//! |---|---|
//! | ReLU | `max(x, 0)` rescaled exactly: `x·2^{s_out−s_in}` or `round_half_up(x / 2^{s_in−s_out})` |
//! | sigmoid, tanh, exp (`x ≤ 0` only), erf, GELU `x·Φ(x)` | `round_half_away(f(x/2^{s_in})·2^{s_out})`, `f` in `f64` |
//! | reciprocal (`x > 0` only) | `round_half_up(2^{s_in+s_out} / x)`, exact integers |
//! | rsqrt (`x > 0` only) | the integer nearest `sqrt(2^{2·s_out+s_in} / x)` (ties up), exact integers |
//! | requantize `a, k, z, [qlo, qhi]` | `clamp(round_half_up(x·a / 2^k) + z, qlo, qhi)`, exact; scales ignored |
//!
//! `round_half_up(u / 2^k) = floor((u + 2^{k−1}) / 2^k)` is DESIGN §2's rescale rule. The `f64`
//! functions use `std`'s `exp`/`tanh` and, for `erf`, the everywhere-convergent positive series
//! `erf(x) = 2/√π·e^{−x²}·Σ_n 2^n x^{2n+1} / (1·3·…·(2n+1))` (no cancellation; `|x| ≥ 6` gives ±1), so
//! errors stay near 1e-15 relative, far below one output step for `s_out ≤ 40`.
//! Negative outputs are stored as `i64` and embedded mod p by the table.

use crate::error::Error;

use super::table::Table;

/// The functions the compiler needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Relu,
    Sigmoid,
    Tanh,
    /// `e^x` for `x ≤ 0` (softmax after subtracting the maximum).
    Exp,
    Erf,
    /// `x·Φ(x) = x·(1 + erf(x/√2))/2`.
    Gelu,
    Reciprocal,
    Rsqrt,
    /// `clamp(round_half_up(x·a / 2^k) + z, lo, hi)`.
    Requantize {
        a: i64,
        k: u32,
        z: i64,
        lo: i64,
        hi: i64,
    },
}

/// Builds the table of `f` on inputs `[lo, hi)` with the given scale bits.
pub fn function_table(
    f: Function,
    s_in: u32,
    s_out: u32,
    lo: i64,
    hi: i64,
) -> Result<Table, Error> {
    let bad = |reason: String| Error::Invalid { what: "function table", reason };
    if s_in > 40 || s_out > 40 {
        return Err(bad(format!("scale bits {s_in}/{s_out} exceed 40")));
    }
    let positive_only = matches!(f, Function::Reciprocal | Function::Rsqrt);
    if positive_only && lo <= 0 {
        return Err(bad(format!("{f:?} needs inputs > 0, range starts at {lo}")));
    }
    if f == Function::Exp && hi > 1 {
        return Err(bad(format!("exp table needs inputs ≤ 0, range ends at {hi}")));
    }
    if hi <= lo {
        return Err(bad(format!("empty range [{lo}, {hi})")));
    }
    let scale_in = (1u64 << s_in) as f64;
    let scale_out = (1u64 << s_out) as f64;
    let real = |g: fn(f64) -> f64, x: i64| round_half_away(g(x as f64 / scale_in) * scale_out);
    let outputs: Vec<i64> = (lo..hi)
        .map(|x| match f {
            Function::Relu => Ok(rescale(x.max(0), s_in, s_out)),
            Function::Sigmoid => Ok(real(|v| 1.0 / (1.0 + (-v).exp()), x)),
            Function::Tanh => Ok(real(f64::tanh, x)),
            Function::Exp => Ok(real(f64::exp, x)),
            Function::Erf => Ok(real(erf, x)),
            Function::Gelu => Ok(real(|v| v * 0.5 * (1.0 + erf(v / std::f64::consts::SQRT_2)), x)),
            Function::Reciprocal => Ok(div_round_half_up(1i128 << (s_in + s_out), i128::from(x))),
            Function::Rsqrt => Ok(nearest_sqrt_ratio(1u128 << (2 * s_out + s_in), x as u128)),
            Function::Requantize { a, k, z, lo: qlo, hi: qhi } => {
                if k > 62 || qlo > qhi {
                    return Err(bad(format!("requantize k = {k}, clamp [{qlo}, {qhi}]")));
                }
                let scaled = div_round_half_up(i128::from(x) * i128::from(a), 1i128 << k);
                Ok((scaled.saturating_add(z)).clamp(qlo, qhi))
            }
        })
        .collect::<Result<_, Error>>()?;
    let label = format!("{f:?} s_in={s_in} s_out={s_out}");
    Table::function(&label, lo, hi, outputs)
}

fn round_half_away(v: f64) -> i64 {
    v.round() as i64
}

/// `floor((u + d/2) / d)` for `d > 0`, saturating to `i64`.
fn div_round_half_up(u: i128, d: i128) -> i64 {
    let q = (2 * u + d).div_euclid(2 * d);
    q.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// `x` from scale `s_in` to scale `s_out`, exactly when widening, half-up when narrowing.
fn rescale(x: i64, s_in: u32, s_out: u32) -> i64 {
    if s_out >= s_in {
        x.saturating_mul(1i64 << (s_out - s_in))
    } else {
        div_round_half_up(i128::from(x), 1i128 << (s_in - s_out))
    }
}

/// The integer `y ≥ 0` nearest `sqrt(a / x)`, ties up: `(2y−1)²·x ≤ 4a < (2y+1)²·x`.
fn nearest_sqrt_ratio(a: u128, x: u128) -> i64 {
    let mut y = ((a as f64) / (x as f64)).sqrt().round() as u128;
    let below = |y: u128| y == 0 || (2 * y - 1) * (2 * y - 1) * x <= 4 * a;
    let above = |y: u128| 4 * a < (2 * y + 1) * (2 * y + 1) * x;
    while !below(y) {
        y -= 1;
    }
    while !above(y) {
        y += 1;
    }
    y as i64
}

/// `erf(x)` by the positive series of the module doc.
fn erf(x: f64) -> f64 {
    if x.abs() >= 6.0 {
        return x.signum();
    }
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term.abs() > 1e-17 * sum.abs() {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    2.0 / std::f64::consts::PI.sqrt() * (-x2).exp() * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_values_follow_the_rounding_rules() {
        let t = function_table(Function::Relu, 4, 4, -8, 8).unwrap();
        assert_eq!(t.apply(-3), Some(0));
        assert_eq!(t.apply(5), Some(5));
        let s = function_table(Function::Sigmoid, 4, 8, -64, 64).unwrap();
        assert_eq!(s.apply(0), Some(128));
        let tanh = function_table(Function::Tanh, 4, 8, -64, 64).unwrap();
        assert_eq!(tanh.apply(-16), Some(-195)); // tanh(−1)·256 = −194.96
        let e = function_table(Function::Exp, 4, 8, -64, 1).unwrap();
        assert_eq!(e.apply(0), Some(256));
        assert_eq!(e.apply(-16), Some(94)); // e^{−1}·256 = 94.18
        let erf_t = function_table(Function::Erf, 8, 16, -512, 512).unwrap();
        assert_eq!(erf_t.apply(256), Some(55227)); // erf(1)·65536 = 55226.9
        let gelu = function_table(Function::Gelu, 8, 8, -512, 512).unwrap();
        assert_eq!(gelu.apply(256), Some(215)); // 0.8413·256 = 215.4
        let r = function_table(Function::Reciprocal, 4, 4, 1, 64).unwrap();
        assert_eq!(r.apply(32), Some(8)); // 1/2 at scale 16
        assert_eq!(r.apply(3), Some(85)); // 256/3 = 85.33
        let q = function_table(Function::Rsqrt, 4, 8, 1, 256).unwrap();
        assert_eq!(q.apply(64), Some(128)); // 1/sqrt(4) = 0.5
        let rq = Function::Requantize { a: 3, k: 2, z: -1, lo: -128, hi: 127 };
        let t = function_table(rq, 0, 0, -200, 200).unwrap();
        assert_eq!(t.apply(2), Some(1)); // round(1.5) = 2, −1
        assert_eq!(t.apply(-2), Some(-2)); // round_half_up(−1.5) = −1, −1
        assert_eq!(t.apply(199), Some(127));
        assert_eq!(t.apply(-200), Some(-128));
    }

    #[test]
    fn bad_domains_are_errors() {
        assert!(function_table(Function::Reciprocal, 4, 4, 0, 8).is_err());
        assert!(function_table(Function::Exp, 4, 4, -8, 8).is_err());
        assert!(function_table(Function::Relu, 4, 4, 8, 8).is_err());
    }
}
