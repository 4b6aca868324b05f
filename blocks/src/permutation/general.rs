//! A general fixed index map `out[i] = in[σ(i)]` from a table, by the sparse-matrix sumcheck of
//! [`super`]; and reshape, which is a renaming when the padded layouts coincide.

use super::{MapProof, prove_map_sumcheck, verify_map_sumcheck};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim};
use crate::curve::Fr;
use crate::elementwise::{Instance, check_outputs, single_id, single_input};
use crate::error::{Error, RelationError, VerifyError};
use crate::mle::eq_table;
use crate::tensor::{IntTensor, axis_vars, padded_position};
use crate::transcript::Transcript;

const PROTOCOL: &str = "general map";

/// `source[i]` is the row-major input entry read by row-major output entry `i` (`None`: zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneralMapSpec {
    pub in_shape: Vec<usize>,
    pub out_shape: Vec<usize>,
    pub source: Vec<Option<usize>>,
}

impl GeneralMapSpec {
    fn validate(&self) -> Result<(), Error> {
        let n_out: usize = self.out_shape.iter().product();
        let n_in: usize = self.in_shape.iter().product();
        if self.source.len() != n_out {
            return Err(Error::Length {
                what: "general map table",
                expected: n_out,
                got: self.source.len(),
            });
        }
        if let Some(j) = self.source.iter().flatten().find(|j| **j >= n_in) {
            return Err(Error::Invalid {
                what: PROTOCOL,
                reason: format!("source {j} out of range"),
            });
        }
        Ok(())
    }

    /// `M̃(r, r') = Σ_i eq(r, pad(i))·eq(r', pad(σ(i)))`, `O(n_out + n_in)`.
    fn matrix_eval(&self, r: &[Fr], r_in: &[Fr]) -> Result<Fr, Error> {
        let (out_eq, in_eq) = (eq_table(r)?, eq_table(r_in)?);
        let mut acc = Fr::from(0u64);
        for (i, j) in self.source.iter().enumerate() {
            if let Some(j) = j {
                acc += out_eq[padded_position(&self.out_shape, i)]
                    * in_eq[padded_position(&self.in_shape, *j)];
            }
        }
        Ok(acc)
    }
}

/// What a reshape is once axes are padded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReshapeMap {
    /// Same padded table: a claim on the output is the same claim on the input.
    Renaming,
    /// Entries move: prove with a [`GeneralMap`].
    General(GeneralMapSpec),
}

/// Classifies `in_shape → out_shape` (equal element counts required).
pub fn reshape_map(in_shape: &[usize], out_shape: &[usize]) -> Result<ReshapeMap, Error> {
    let n: usize = in_shape.iter().product();
    if n != out_shape.iter().product::<usize>() {
        return Err(Error::Invalid {
            what: "reshape",
            reason: format!("{in_shape:?} and {out_shape:?} differ in size"),
        });
    }
    let same_vars =
        axis_vars(in_shape).iter().sum::<usize>() == axis_vars(out_shape).iter().sum::<usize>();
    if same_vars && (0..n).all(|i| padded_position(in_shape, i) == padded_position(out_shape, i)) {
        return Ok(ReshapeMap::Renaming);
    }
    Ok(ReshapeMap::General(GeneralMapSpec {
        in_shape: in_shape.to_vec(),
        out_shape: out_shape.to_vec(),
        source: (0..n).map(Some).collect(),
    }))
}

/// The general-map verb.
pub struct GeneralMap;

impl Block for GeneralMap {
    type Spec = GeneralMapSpec;
    type Instance = Instance;
    type Witness = Vec<IntTensor>;
    type Proof = MapProof;

    fn eval(spec: &GeneralMapSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        spec.validate()?;
        let x = single_input(inputs, &spec.in_shape, PROTOCOL)?;
        let data = spec.source.iter().map(|j| j.map_or(0, |j| x.data()[j])).collect();
        Ok(vec![IntTensor::new(spec.out_shape.clone(), data)?])
    }

    fn check(
        spec: &GeneralMapSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
    ) -> Result<(), RelationError> {
        check_outputs(PROTOCOL, Self::eval(spec, witness), &instance.output)
    }

    fn prove(
        spec: &GeneralMapSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
        t: &mut Transcript,
    ) -> Result<(MapProof, BlockClaims), Error> {
        spec.validate()?;
        let x = single_input(witness, &spec.in_shape, PROTOCOL)?;
        let id = single_id(instance, "general map inputs")?;
        absorb(t, instance);
        let out_eq = eq_table(&instance.output.point)?;
        let b = x.to_mle();
        if out_eq.len() != 1 << axis_vars(&spec.out_shape).iter().sum::<usize>() {
            return Err(Error::Length {
                what: "general map claim point",
                expected: axis_vars(&spec.out_shape).iter().sum(),
                got: instance.output.point.len(),
            });
        }
        let mut a = vec![Fr::from(0u64); b.evals().len()];
        for (i, j) in spec.source.iter().enumerate() {
            if let Some(j) = j {
                a[padded_position(&spec.in_shape, *j)] +=
                    out_eq[padded_position(&spec.out_shape, i)];
            }
        }
        let (proof, point) =
            prove_map_sumcheck(a, b, instance.output.value, b"general map input eval", t)?;
        let claim = TensorClaim { tensor: id, point, value: proof.input_eval };
        Ok((proof, BlockClaims { committed: vec![], tensors: vec![claim] }))
    }

    fn verify(
        spec: &GeneralMapSpec,
        instance: &Instance,
        proof: &MapProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        spec.validate()?;
        let id = single_id(instance, "general map inputs")?;
        let out_vars: usize = axis_vars(&spec.out_shape).iter().sum();
        if instance.output.point.len() != out_vars {
            return Err(Error::Length {
                what: "general map claim point",
                expected: out_vars,
                got: instance.output.point.len(),
            }
            .into());
        }
        absorb(t, instance);
        let num_vars = axis_vars(&spec.in_shape).iter().sum();
        let point = verify_map_sumcheck(
            PROTOCOL,
            num_vars,
            instance.output.value,
            proof,
            |r| spec.matrix_eval(&instance.output.point, r),
            b"general map input eval",
            t,
        )?;
        let claim = TensorClaim { tensor: id, point, value: proof.input_eval };
        Ok(BlockClaims { committed: vec![], tensors: vec![claim] })
    }
}

fn absorb(t: &mut Transcript, instance: &Instance) {
    t.append_bytes(b"block", PROTOCOL.as_bytes());
    t.append_serializable(b"output claim", &instance.output);
}
