use ark_std::UniformRand;
use ark_std::rand::{SeedableRng, rngs::StdRng};

use super::*;

fn random_mle(num_vars: usize, rng: &mut StdRng) -> DenseMle {
    DenseMle::new((0..1 << num_vars).map(|_| Fr::rand(rng)).collect()).unwrap()
}

/// Evaluation by the definition `Σ_x eq(r, x)·f(x)`, with the MSB-first variable order spelled out.
fn evaluate_by_definition(f: &DenseMle, r: &[Fr]) -> Fr {
    let k = f.num_vars();
    (0..1usize << k)
        .map(|i| {
            let bits: Vec<Fr> = (0..k).map(|j| Fr::from(((i >> (k - 1 - j)) & 1) as u64)).collect();
            eq_eval(r, &bits).unwrap() * f.evals()[i]
        })
        .sum()
}

#[test]
fn evaluation_matches_definition_and_hypercube() {
    let mut rng = StdRng::seed_from_u64(1);
    for k in [0, 1, 3, 5] {
        let f = random_mle(k, &mut rng);
        let r: Vec<Fr> = (0..k).map(|_| Fr::rand(&mut rng)).collect();
        assert_eq!(f.evaluate(&r).unwrap(), evaluate_by_definition(&f, &r));
        let table = eq_table(&r).unwrap();
        let via_table: Fr = table.iter().zip(f.evals()).map(|(e, v)| *e * v).sum();
        assert_eq!(via_table, f.evaluate(&r).unwrap());
    }
    // On the hypercube the MLE is the table, with the first variable the most significant bit.
    let f = DenseMle::new((0..8u64).map(Fr::from).collect()).unwrap();
    let p = |b: [u64; 3]| b.map(Fr::from);
    assert_eq!(f.evaluate(&p([1, 0, 0])).unwrap(), Fr::from(4u64));
    assert_eq!(f.evaluate(&p([0, 1, 1])).unwrap(), Fr::from(3u64));
}

#[test]
fn binding_first_and_last_variables() {
    let mut rng = StdRng::seed_from_u64(2);
    let f = random_mle(4, &mut rng);
    let r: Vec<Fr> = (0..4).map(|_| Fr::rand(&mut rng)).collect();
    let want = f.evaluate(&r).unwrap();
    assert_eq!(f.bind_first(r[0]).unwrap().evaluate(&r[1..]).unwrap(), want);
    assert_eq!(f.bind_last(r[3]).unwrap().evaluate(&r[..3]).unwrap(), want);
    let zero = DenseMle::new(vec![Fr::from(5u64)]).unwrap();
    assert!(matches!(zero.bind_first(r[0]), Err(Error::Invalid { .. })));
}

#[test]
fn zero_padding_adds_leading_variables() {
    let mut rng = StdRng::seed_from_u64(3);
    let f = random_mle(3, &mut rng);
    let g = f.padded_to(5).unwrap();
    assert_eq!(&g.evals()[..8], f.evals());
    let r: Vec<Fr> = (0..5).map(|_| Fr::rand(&mut rng)).collect();
    assert_eq!(g.evaluate(&r).unwrap(), padding_factor(&r[..2]) * f.evaluate(&r[2..]).unwrap());
    assert!(f.padded_to(2).is_err());
    let padded = DenseMle::zero_padded(vec![Fr::from(1u64); 5]);
    assert_eq!(padded.num_vars(), 3);
    assert_eq!(DenseMle::zero_padded(vec![]).num_vars(), 0);
}

#[test]
fn bad_shapes_are_typed_errors() {
    assert_eq!(
        DenseMle::new(vec![Fr::from(1u64); 3]),
        Err(Error::NotPowerOfTwo { what: "multilinear evaluation table", len: 3 })
    );
    let f = DenseMle::new(vec![Fr::from(1u64); 4]).unwrap();
    assert!(matches!(f.evaluate(&[Fr::from(1u64)]), Err(Error::Length { .. })));
    assert!(eq_eval(&[Fr::from(1u64)], &[]).is_err());
    assert!(matches!(eq_table(&vec![Fr::from(0u64); 64]), Err(Error::Invalid { .. })));
    assert!(matches!(f.padded_to(64), Err(Error::Invalid { .. })));
}

#[test]
fn parallel_paths_agree_with_serial() {
    let mut rng = StdRng::seed_from_u64(4);
    let f = random_mle(14, &mut rng); // above PAR_THRESHOLD
    let r: Vec<Fr> = (0..14).map(|_| Fr::rand(&mut rng)).collect();
    let table = eq_table(&r).unwrap();
    let via_table: Fr = table.iter().zip(f.evals()).map(|(e, v)| *e * v).sum();
    assert_eq!(f.evaluate(&r).unwrap(), via_table);
    assert_eq!(f.bind_last(r[13]).unwrap().evaluate(&r[..13]).unwrap(), via_table);
}

#[test]
fn prefix_and_region_indicators() {
    let mut rng = StdRng::seed_from_u64(6);
    for k in 0..5usize {
        let r: Vec<Fr> = (0..k).map(|_| Fr::rand(&mut rng)).collect();
        let table = eq_table(&r).unwrap();
        for m in 0..=(1usize << k) {
            let want: Fr = table[..m].iter().sum();
            assert_eq!(prefix_indicator(&r, m).unwrap(), want, "k={k} m={m}");
        }
        assert!(prefix_indicator(&r, (1 << k) + 1).is_err());
    }
    let a: Vec<Fr> = (0..2).map(|_| Fr::rand(&mut rng)).collect();
    let b: Vec<Fr> = (0..3).map(|_| Fr::rand(&mut rng)).collect();
    let got = region_indicator(&[&a, &b], &[3, 5]).unwrap();
    assert_eq!(got, prefix_indicator(&a, 3).unwrap() * prefix_indicator(&b, 5).unwrap());
    assert!(region_indicator(&[&a], &[3, 5]).is_err());
}
