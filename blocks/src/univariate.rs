//! Univariate polynomials in coefficient form (`p[i]` is the coefficient of `X^i`), the few
//! operations KZG needs: evaluation, exact division by `X − z`, small interpolations.

use ark_ff::{Field, One, Zero};

use crate::curve::Fr;
use crate::error::Error;

/// `p(x)` by Horner's rule.
pub fn evaluate(p: &[Fr], x: Fr) -> Fr {
    p.iter().rev().fold(Fr::zero(), |acc, c| acc * x + c)
}

/// `(q, p(z))` with `p(X) = (X − z)·q(X) + p(z)` (synthetic division).
pub fn divide_by_linear(p: &[Fr], z: Fr) -> (Vec<Fr>, Fr) {
    if p.is_empty() {
        return (Vec::new(), Fr::zero());
    }
    let mut q = vec![Fr::zero(); p.len() - 1];
    let mut carry = Fr::zero();
    for i in (1..p.len()).rev() {
        carry = p[i] + carry * z;
        q[i - 1] = carry;
    }
    (q, p[0] + carry * z)
}

/// `Π_{s ∈ set} (x − s)`.
pub fn vanishing_eval(set: &[Fr], x: Fr) -> Fr {
    set.iter().map(|s| x - s).product()
}

/// Coefficients of the polynomial of degree `< set.len()` through `(set[i], values[i])`.
/// Errors if lengths differ or two points coincide.
pub fn interpolate(set: &[Fr], values: &[Fr]) -> Result<Vec<Fr>, Error> {
    check_interpolation_input(set, values)?;
    let mut out = vec![Fr::zero(); set.len()];
    for (i, (si, vi)) in set.iter().zip(values).enumerate() {
        // Basis polynomial Π_{m≠i} (X − s_m) / (s_i − s_m), built by multiplying linear factors.
        let mut basis = vec![Fr::one()];
        let mut denom = Fr::one();
        for (m, sm) in set.iter().enumerate() {
            if m == i {
                continue;
            }
            let mut next = vec![Fr::zero(); basis.len() + 1];
            for (d, b) in basis.iter().enumerate() {
                next[d + 1] += b;
                next[d] -= *b * sm;
            }
            basis = next;
            denom *= *si - sm;
        }
        let scale = *vi * denom.inverse().ok_or(duplicate_point())?;
        for (o, b) in out.iter_mut().zip(&basis) {
            *o += scale * b;
        }
    }
    Ok(out)
}

/// The interpolant through `(set[i], values[i])` evaluated at `x`, without building it.
pub fn interpolate_eval(set: &[Fr], values: &[Fr], x: Fr) -> Result<Fr, Error> {
    check_interpolation_input(set, values)?;
    let mut acc = Fr::zero();
    for (i, (si, vi)) in set.iter().zip(values).enumerate() {
        let mut num = Fr::one();
        let mut denom = Fr::one();
        for (m, sm) in set.iter().enumerate() {
            if m != i {
                num *= x - sm;
                denom *= *si - sm;
            }
        }
        acc += *vi * num * denom.inverse().ok_or(duplicate_point())?;
    }
    Ok(acc)
}

fn check_interpolation_input(set: &[Fr], values: &[Fr]) -> Result<(), Error> {
    if set.len() != values.len() {
        return Err(Error::Length {
            what: "interpolation values",
            expected: set.len(),
            got: values.len(),
        });
    }
    Ok(())
}

fn duplicate_point() -> Error {
    Error::Invalid { what: "interpolation", reason: "two evaluation points coincide".into() }
}

#[cfg(test)]
mod tests {
    use ark_std::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    use super::*;

    #[test]
    fn division_and_interpolation() {
        let mut rng = StdRng::seed_from_u64(1);
        let p: Vec<Fr> = (0..9).map(|_| Fr::rand(&mut rng)).collect();
        let z = Fr::rand(&mut rng);
        let x = Fr::rand(&mut rng);
        let (q, rem) = divide_by_linear(&p, z);
        assert_eq!(rem, evaluate(&p, z));
        assert_eq!(evaluate(&p, x), (x - z) * evaluate(&q, x) + rem);
        let set: Vec<Fr> = (0..3).map(|_| Fr::rand(&mut rng)).collect();
        let vals: Vec<Fr> = set.iter().map(|s| evaluate(&p, *s)).collect();
        let r = interpolate(&set, &vals).unwrap();
        for (s, v) in set.iter().zip(&vals) {
            assert_eq!(evaluate(&r, *s), *v);
        }
        assert_eq!(interpolate_eval(&set, &vals, x).unwrap(), evaluate(&r, x));
        let dup = [set[0], set[0]];
        assert!(interpolate(&dup, &vals[..2]).is_err());
        assert!(interpolate_eval(&dup, &vals[..2], x).is_err());
        assert!(interpolate(&set, &vals[..2]).is_err());
        assert_eq!(divide_by_linear(&[], z), (vec![], Fr::zero()));
    }
}
