//! Scalar functions not in `std`.

/// The Gauss error function, accurate to about 1e-12 (Taylor series below |x| = 4, asymptotic
/// expansion of erfc above, where erf is within 2e-8 of ±1).
pub fn erf(x: f64) -> f64 {
    let a = x.abs();
    let v = if a < 4.0 {
        // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
        let x2 = a * a;
        let (mut term, mut sum, mut n) = (a, a, 0.0);
        while term.abs() > 1e-17 * sum.abs().max(1e-300) {
            n += 1.0;
            term *= -x2 / n;
            sum += term / (2.0 * n + 1.0);
            if n > 200.0 {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else {
        // erfc(x) ≈ e^(−x²)/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶))
        let x2 = a * a;
        let series = 1.0 - 1.0 / (2.0 * x2) + 3.0 / (4.0 * x2 * x2) - 15.0 / (8.0 * x2 * x2 * x2);
        1.0 - (-x2).exp() / (a * std::f64::consts::PI.sqrt()) * series
    };
    if x < 0.0 { -v } else { v }
}

/// The logistic function 1 / (1 + e^−x), stable for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^x)`, without overflow for large `x`.
pub fn softplus(x: f64) -> f64 {
    if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
}

/// `elu(x) = x` for `x > 0`, `eˣ − 1` otherwise (ONNX Elu and Celu at α = 1).
pub fn elu(x: f64) -> f64 {
    if x > 0.0 { x } else { x.exp_m1() }
}

/// `gelu(x) = x·Φ(x) = x·(1 + erf(x/√2))/2`.
pub fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

/// GELU's tanh approximation `x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2`.
pub fn gelu_tanh(x: f64) -> f64 {
    let k = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
}

/// `mish(x) = x·tanh(softplus(x))`.
pub fn mish(x: f64) -> f64 {
    x * softplus(x).tanh()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        // Values from standard tables (Abramowitz & Stegun, table 7.1).
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_8),
            (1.0, 0.842_700_792_9),
            (2.0, 0.995_322_265_0),
            (3.5, 0.999_999_256_9),
        ] {
            assert!((erf(x) - want).abs() < 1e-9, "erf({x}) = {}", erf(x));
            assert!((erf(-x) + want).abs() < 1e-9);
        }
        assert!((erf(5.0) - 1.0).abs() < 1e-10);
    }
}
