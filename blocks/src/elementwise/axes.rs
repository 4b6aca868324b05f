//! Verbs that only move a claim's point: scaled sums over axes and broadcasts.
//!
//! * [`AxisSum`] `z = c·Σ_{a∈S} x`: `z̃(r) = c·2^{K_S}·x̃(r⁺)` where `r⁺` inserts `½` for every
//!   variable of the summed axes (`K_S` of them). No proof; the input claim's value is
//!   `v / (c·2^{K_S})`.
//! * [`Broadcast`] along the axes `B` where the input has length 1 and the output `m_a`:
//!   `z̃(r) = Π_{a∈B} I_{m_a}(r_a)·x̃(r_{∉B})`. The prover sends `x̃(r_{∉B})` (dividing by the
//!   indicator could hit zero); one scalar of proof.

use ark_ff::{Field, One};

use super::{Instance, absorb_output, check_outputs, checked, single_id, split_point};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim};
use crate::curve::{Fr, fr_from_i64, fr_half};
use crate::error::{Error, RelationError, VerifyError};
use crate::mle::prefix_indicator;
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

/// The scaled axis-sum verb.
pub struct AxisSum;

/// `z = scale·Σ_{axes} x`; the output drops the summed axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisSumSpec {
    pub in_shape: Vec<usize>,
    pub axes: Vec<usize>,
    pub scale: i64,
}

impl AxisSumSpec {
    /// The input shape without the summed axes.
    pub fn out_shape(&self) -> Vec<usize> {
        self.in_shape
            .iter()
            .enumerate()
            .filter(|(a, _)| !self.axes.contains(a))
            .map(|(_, n)| *n)
            .collect()
    }

    fn validate(&self) -> Result<(), Error> {
        if self.scale == 0 {
            return Err(Error::Invalid { what: "axis sum", reason: "scale is zero".into() });
        }
        if let Some(a) = self.axes.iter().find(|a| **a >= self.in_shape.len()) {
            return Err(Error::Invalid {
                what: "axis sum",
                reason: format!("axis {a} out of range"),
            });
        }
        Ok(())
    }

    /// The input claim for the output claim `(point, value)`.
    fn input_claim(
        &self,
        id: crate::claim::TensorId,
        point: &[Fr],
        value: Fr,
    ) -> Result<TensorClaim, Error> {
        self.validate()?;
        let out_axes = split_point(point, &self.out_shape())?;
        let vars = axis_vars(&self.in_shape);
        let half = fr_half();
        let mut full = Vec::new();
        let mut kept = out_axes.into_iter();
        let mut summed_vars = 0u32;
        for (a, k) in vars.iter().enumerate() {
            if self.axes.contains(&a) {
                full.extend(std::iter::repeat_n(half, *k));
                summed_vars += *k as u32;
            } else {
                full.extend_from_slice(kept.next().unwrap_or(&[]));
            }
        }
        let factor = fr_from_i64(self.scale) * Fr::from(2u64).pow([u64::from(summed_vars)]);
        let inv = factor.inverse().ok_or(Error::Invalid {
            what: "axis sum",
            reason: "scale is a multiple of p".into(),
        })?;
        Ok(TensorClaim { tensor: id, point: full, value: value * inv })
    }
}

impl Block for AxisSum {
    type Spec = AxisSumSpec;
    type Instance = Instance;
    type Witness = Vec<IntTensor>;
    type Proof = ();

    fn eval(spec: &AxisSumSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        spec.validate()?;
        let [x] = inputs else {
            return Err(Error::Length { what: "axis sum inputs", expected: 1, got: inputs.len() });
        };
        if x.shape() != spec.in_shape.as_slice() {
            return Err(Error::Invalid {
                what: "axis sum input shape",
                reason: format!("{:?}", x.shape()),
            });
        }
        let out_shape = spec.out_shape();
        let mut out = vec![0i64; out_shape.iter().product()];
        for (i, v) in x.data().iter().enumerate() {
            // Row-major index of entry i with the summed axes dropped.
            let (mut rest, mut o, mut stride) = (i, 0usize, 1usize);
            for (a, n) in spec.in_shape.iter().enumerate().rev() {
                let idx = rest % n;
                rest /= n;
                if !spec.axes.contains(&a) {
                    o += idx * stride;
                    stride *= n;
                }
            }
            out[o] = checked("axis sum", out[o].checked_add(*v))?;
        }
        let data = out
            .into_iter()
            .map(|s| checked("axis sum", s.checked_mul(spec.scale)))
            .collect::<Result<_, _>>()?;
        Ok(vec![IntTensor::new(out_shape, data)?])
    }

    fn check(
        spec: &AxisSumSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
    ) -> Result<(), RelationError> {
        check_outputs("axis sum", Self::eval(spec, witness), &instance.output)
    }

    fn prove(
        spec: &AxisSumSpec,
        instance: &Instance,
        _: &Vec<IntTensor>,
        t: &mut Transcript,
    ) -> Result<((), BlockClaims), Error> {
        Ok(((), Self::reduce(spec, instance, t)?))
    }

    fn verify(
        spec: &AxisSumSpec,
        instance: &Instance,
        _: &(),
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        Ok(Self::reduce(spec, instance, t)?)
    }
}

impl AxisSum {
    /// Prover and verifier do the same thing: move the point.
    fn reduce(
        spec: &AxisSumSpec,
        instance: &Instance,
        t: &mut Transcript,
    ) -> Result<BlockClaims, Error> {
        let [id] = instance.inputs.as_slice() else {
            return Err(Error::Length {
                what: "axis sum inputs",
                expected: 1,
                got: instance.inputs.len(),
            });
        };
        absorb_output(t, b"axis sum", instance);
        let claim = spec.input_claim(*id, &instance.output.point, instance.output.value)?;
        Ok(BlockClaims { committed: vec![], tensors: vec![claim] })
    }
}

/// The broadcast verb.
pub struct Broadcast;

/// Same rank; every input axis is 1 or equal to the output axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BroadcastSpec {
    pub in_shape: Vec<usize>,
    pub out_shape: Vec<usize>,
}

/// `x̃` at the output point with the broadcast axes dropped.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    ark_serialize::CanonicalSerialize,
    ark_serialize::CanonicalDeserialize,
)]
pub struct BroadcastProof {
    pub input_eval: Fr,
}

impl BroadcastSpec {
    fn validate(&self) -> Result<(), Error> {
        let ok = self.in_shape.len() == self.out_shape.len()
            && self.in_shape.iter().zip(&self.out_shape).all(|(i, o)| *i == 1 || i == o);
        if ok {
            Ok(())
        } else {
            Err(Error::Invalid {
                what: "broadcast",
                reason: format!("{:?} → {:?}", self.in_shape, self.out_shape),
            })
        }
    }

    /// The input point and the factor `Π_{a∈B} I_{m_a}(r_a)`.
    fn split(&self, point: &[Fr]) -> Result<(Vec<Fr>, Fr), Error> {
        self.validate()?;
        let axes = split_point(point, &self.out_shape)?;
        let mut input_point = Vec::new();
        let mut factor = Fr::one();
        for ((r, i), o) in axes.iter().zip(&self.in_shape).zip(&self.out_shape) {
            if *i == 1 && *o != 1 {
                factor *= prefix_indicator(r, *o)?;
            } else {
                input_point.extend_from_slice(r);
            }
        }
        Ok((input_point, factor))
    }
}

impl Block for Broadcast {
    type Spec = BroadcastSpec;
    type Instance = Instance;
    type Witness = Vec<IntTensor>;
    type Proof = BroadcastProof;

    fn eval(spec: &BroadcastSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        spec.validate()?;
        let [x] = inputs else {
            return Err(Error::Length { what: "broadcast inputs", expected: 1, got: inputs.len() });
        };
        if x.shape() != spec.in_shape.as_slice() {
            return Err(Error::Invalid {
                what: "broadcast input shape",
                reason: format!("{:?}", x.shape()),
            });
        }
        let len: usize = spec.out_shape.iter().product();
        let data = (0..len)
            .map(|o| {
                let (mut rest, mut i, mut stride) = (o, 0usize, 1usize);
                for (n_out, n_in) in spec.out_shape.iter().zip(&spec.in_shape).rev() {
                    let idx = rest % n_out;
                    rest /= n_out;
                    i += if *n_in == 1 { 0 } else { idx * stride };
                    stride *= n_in;
                }
                x.data()[i]
            })
            .collect();
        Ok(vec![IntTensor::new(spec.out_shape.clone(), data)?])
    }

    fn check(
        spec: &BroadcastSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
    ) -> Result<(), RelationError> {
        check_outputs("broadcast", Self::eval(spec, witness), &instance.output)
    }

    fn prove(
        spec: &BroadcastSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
        t: &mut Transcript,
    ) -> Result<(BroadcastProof, BlockClaims), Error> {
        let id = single_id(instance, "broadcast inputs")?;
        let [x] = witness.as_slice() else {
            return Err(Error::Length {
                what: "broadcast inputs",
                expected: 1,
                got: witness.len(),
            });
        };
        absorb_output(t, b"broadcast", instance);
        let (point, _) = spec.split(&instance.output.point)?;
        let input_eval = x.to_mle().evaluate(&point)?;
        t.append_scalar(b"broadcast input eval", &input_eval);
        let claim = TensorClaim { tensor: id, point, value: input_eval };
        Ok((BroadcastProof { input_eval }, BlockClaims { committed: vec![], tensors: vec![claim] }))
    }

    fn verify(
        spec: &BroadcastSpec,
        instance: &Instance,
        proof: &BroadcastProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        let id = single_id(instance, "broadcast inputs")?;
        absorb_output(t, b"broadcast", instance);
        let (point, factor) = spec.split(&instance.output.point)?;
        if factor * proof.input_eval != instance.output.value {
            return Err(VerifyError::Mismatch { protocol: "broadcast", what: "output claim" });
        }
        t.append_scalar(b"broadcast input eval", &proof.input_eval);
        let claim = TensorClaim { tensor: id, point, value: proof.input_eval };
        Ok(BlockClaims { committed: vec![], tensors: vec![claim] })
    }
}
