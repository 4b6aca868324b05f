use ark_ec::CurveGroup;
use ark_serialize::CanonicalSerialize;

use super::*;
use crate::curve::Fr;
use crate::testing::off_subgroup_g1;

fn bytes(srs: &Srs) -> Vec<u8> {
    let mut out = Vec::new();
    srs.write(&mut out).unwrap();
    out
}

#[test]
fn dev_srs_is_deterministic_and_round_trips() {
    let a = Srs::insecure_dev(7, 4).unwrap();
    let b = Srs::insecure_dev(7, 4).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.digest(), b.digest());
    assert_ne!(a.digest(), Srs::insecure_dev(8, 4).unwrap().digest());
    assert_eq!(a.len(), 16);
    assert_eq!(a.origin(), &SrsOrigin::InsecureDev { seed: 7 });
    let back = Srs::read(bytes(&a).as_slice()).unwrap();
    assert_eq!(back, a);
    back.check_powers().unwrap();
    assert!(Srs::insecure_dev(1, MAX_DEV_LOG_SIZE + 1).is_err());
}

#[test]
fn ceremony_origin_round_trips() {
    let dev = Srs::insecure_dev(3, 2).unwrap();
    let vk = dev.verifier_key();
    let srs =
        Srs::from_ceremony("test ceremony".into(), dev.powers_g1().to_vec(), vk.g2, vk.tau_g2)
            .unwrap();
    let back = Srs::read(bytes(&srs).as_slice()).unwrap();
    assert_eq!(back.origin(), &SrsOrigin::Ceremony { name: "test ceremony".into() });
}

#[test]
fn every_truncation_is_an_error() {
    let full = bytes(&Srs::insecure_dev(1, 2).unwrap());
    for cut in 0..full.len() {
        assert!(Srs::read(&full[..cut]).is_err(), "prefix of {cut} bytes was accepted");
    }
}

#[test]
fn header_errors_are_specific() {
    let mut data = bytes(&Srs::insecure_dev(1, 1).unwrap());
    data[0] = b'X';
    assert!(matches!(Srs::read(data.as_slice()), Err(SrsError::BadMagic)));
    let mut data = bytes(&Srs::insecure_dev(1, 1).unwrap());
    data[4] = 9;
    assert!(matches!(Srs::read(data.as_slice()), Err(SrsError::UnsupportedVersion { found: 9 })));
    let mut data = bytes(&Srs::insecure_dev(1, 1).unwrap());
    data[8] = 5;
    assert!(matches!(Srs::read(data.as_slice()), Err(SrsError::UnknownOrigin(5))));
}

#[test]
fn points_outside_the_subgroup_are_rejected() {
    let srs = Srs::insecure_dev(1, 2).unwrap();
    let mut powers = srs.powers_g1().to_vec();
    powers[2] = off_subgroup_g1();
    let mut data = Vec::new();
    data.extend_from_slice(b"TSRS");
    data.extend_from_slice(&1u32.to_le_bytes());
    data.push(0);
    data.extend_from_slice(&1u64.to_le_bytes());
    let vk = srs.verifier_key();
    vk.g2.serialize_compressed(&mut data).unwrap();
    vk.tau_g2.serialize_compressed(&mut data).unwrap();
    powers.serialize_compressed(&mut data).unwrap();
    assert!(matches!(
        Srs::read(data.as_slice()),
        Err(SrsError::Malformed { field: "G1 powers", .. })
    ));
}

#[test]
fn garbage_point_bytes_are_rejected() {
    let mut data = bytes(&Srs::insecure_dev(1, 2).unwrap());
    let last = data.len() - 10;
    for b in &mut data[last..] {
        *b ^= 0x5a;
    }
    assert!(Srs::read(data.as_slice()).is_err());
}

#[test]
fn inconsistent_tau_is_rejected() {
    let dev = Srs::insecure_dev(3, 3).unwrap();
    let vk = dev.verifier_key();
    let wrong_tau_g2 = (vk.tau_g2 * Fr::from(2u64)).into_affine();
    let err =
        Srs::from_ceremony("x".into(), dev.powers_g1().to_vec(), vk.g2, wrong_tau_g2).unwrap_err();
    assert!(matches!(err, SrsError::Inconsistent("[tau]_1 and [tau]_2 disagree")));
    assert!(Srs::from_ceremony("x".into(), vec![], vk.g2, vk.tau_g2).is_err());
}

/// Issue 22, F2: powers that are not consecutive, each rejected by `read` and `from_ceremony`
/// (they pass the subgroup checks and the `[τ]_1`/`[τ]_2` pairing).
#[test]
fn powers_that_are_not_consecutive_are_rejected() {
    let dev = Srs::insecure_dev(3, 4).unwrap();
    let vk = dev.verifier_key();
    let honest = dev.powers_g1().to_vec();
    let mut tau5_is_tau2 = honest.clone();
    tau5_is_tau2[5] = honest[2];
    let mut all_tau = honest.clone();
    all_tau[2..].fill(honest[1]);
    let mut last_moved = honest.clone();
    last_moved[15] = (honest[15] + honest[0]).into_affine();
    let not_consecutive = SrsError::Inconsistent("powers of tau are not consecutive");
    for (name, powers) in [("τ^5 = τ^2", tau5_is_tau2), ("all τ", all_tau), ("last", last_moved)]
    {
        let bad =
            Srs { origin: dev.origin().clone(), powers_g1: powers.clone().into(), ..dev.clone() };
        assert!(bad.check_shape().is_ok(), "{name}: the points themselves are valid");
        let read = Srs::read(bytes(&bad).as_slice()).unwrap_err();
        assert_eq!(read.to_string(), not_consecutive.to_string(), "{name}");
        let imported = Srs::from_ceremony("x".into(), powers, vk.g2, vk.tau_g2).unwrap_err();
        assert_eq!(imported.to_string(), not_consecutive.to_string(), "{name}");
    }
    assert!(Srs::read(bytes(&dev).as_slice()).is_ok());
}

#[test]
fn committer_powers_reports_size() {
    let srs = Srs::insecure_dev(1, 2).unwrap();
    assert_eq!(srs.committer_powers("t", 4).unwrap().len(), 4);
    assert_eq!(
        srs.committer_powers("t", 5),
        Err(Error::SrsTooSmall { what: "t", needed: 5, available: 4 })
    );
}

#[test]
fn prover_copy_round_trips_and_checks_curve_points() {
    let srs = Srs::insecure_dev(5, 4).unwrap();
    let mut copy = Vec::new();
    srs.write_prover_copy(&mut copy).unwrap();
    assert_eq!(Srs::read_prover_copy(copy.as_slice()).unwrap(), srs);
    // The two encodings are not interchangeable.
    assert!(matches!(Srs::read(copy.as_slice()), Err(SrsError::BadMagic)));
    assert!(matches!(Srs::read_prover_copy(bytes(&srs).as_slice()), Err(SrsError::BadMagic)));
    for cut in [0, 5, 20, copy.len() / 2, copy.len() - 1] {
        assert!(Srs::read_prover_copy(&copy[..cut]).is_err(), "prefix of {cut} bytes accepted");
    }
    // A coordinate changed: the point leaves the curve.
    let mut bad = copy.clone();
    let last = bad.len() - 7;
    bad[last] ^= 0x01;
    assert!(Srs::read_prover_copy(bad.as_slice()).is_err());
}
