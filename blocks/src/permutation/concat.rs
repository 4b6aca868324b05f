//! Concatenation along one axis: `out = Σ_i P_i(x_i)` where `P_i` places input `i` at its offset
//! (an affine map with `start = −offset_i`). The prover splits the output claim into one value per
//! input (`Σ v_i = v`, checked), then proves each `P_i` with [`StructuredMap`]. Split is the
//! reverse: one slice map per output.
//!
//! **No zero extension is assumed** (issue 22). A placement reads input `i` only at its real
//! positions (`start + i` inside the axis's real length), so neither an input's padding nor
//! anything its commitment may hold past its table is read; each input's claim comes from its own
//! map's sumcheck, at a point of that input's own variables; and the output's padding is zero by
//! construction (only rows `< Σ d_i` of the maps are non-zero).

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{AxisMap, MapProof, StructuredMap, StructuredMapSpec};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim};
use crate::curve::Fr;
use crate::elementwise::{Instance, check_outputs};
use crate::error::{Error, RelationError, VerifyError};
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

const PROTOCOL: &str = "concat";

/// The concatenation verb.
pub struct Concat;

/// Input shapes (equal except along `axis`) and the axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConcatSpec {
    pub in_shapes: Vec<Vec<usize>>,
    pub axis: usize,
}

/// The output claim split per input, and each input's placement proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ConcatProof {
    pub parts: Vec<Fr>,
    pub maps: Vec<MapProof>,
}

impl ConcatSpec {
    /// One placement map per input.
    pub fn placements(&self) -> Result<Vec<StructuredMapSpec>, Error> {
        let first = self
            .in_shapes
            .first()
            .ok_or(Error::Invalid { what: PROTOCOL, reason: "no inputs".into() })?;
        let bad = |reason: String| Error::Invalid { what: PROTOCOL, reason };
        if self.axis >= first.len() {
            return Err(bad(format!("axis {} out of range", self.axis)));
        }
        let compatible = |s: &Vec<usize>| {
            s.len() == first.len()
                && s.iter().zip(first).enumerate().all(|(a, (x, y))| a == self.axis || x == y)
        };
        if !self.in_shapes.iter().all(compatible) {
            return Err(bad(format!("incompatible shapes {:?}", self.in_shapes)));
        }
        let total: usize = self.in_shapes.iter().map(|s| s[self.axis]).sum();
        let mut offset = 0usize;
        let mut maps = Vec::with_capacity(self.in_shapes.len());
        for s in &self.in_shapes {
            let mut spec = StructuredMapSpec::transpose(s, &(0..s.len()).collect::<Vec<_>>());
            spec.axes[self.axis] =
                AxisMap::Affine { src: self.axis, start: -(offset as i64), step: 1, len: total };
            offset += s[self.axis];
            maps.push(spec);
        }
        Ok(maps)
    }
}

impl Block for Concat {
    type Spec = ConcatSpec;
    type Instance = Instance;
    type Witness = Vec<IntTensor>;
    type Proof = ConcatProof;

    fn eval(spec: &ConcatSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        let maps = spec.placements()?;
        if inputs.len() != maps.len() {
            return Err(Error::Length {
                what: "concat inputs",
                expected: maps.len(),
                got: inputs.len(),
            });
        }
        let mut out: Option<IntTensor> = None;
        for (m, x) in maps.iter().zip(inputs) {
            let placed = StructuredMap::eval(m, std::slice::from_ref(x))?.remove(0);
            out = Some(match out {
                None => placed,
                Some(acc) => {
                    let data = acc.data().iter().zip(placed.data()).map(|(a, b)| a + b).collect();
                    IntTensor::new(acc.shape().to_vec(), data)?
                }
            });
        }
        out.map(|t| vec![t]).ok_or(Error::Invalid { what: PROTOCOL, reason: "no inputs".into() })
    }

    fn check(
        spec: &ConcatSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
    ) -> Result<(), RelationError> {
        check_outputs(PROTOCOL, Self::eval(spec, witness), &instance.output)
    }

    fn prove(
        spec: &ConcatSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
        t: &mut Transcript,
    ) -> Result<(ConcatProof, BlockClaims), Error> {
        let maps = spec.placements()?;
        check_counts(maps.len(), instance.inputs.len())?;
        if witness.len() != maps.len() {
            return Err(Error::Length {
                what: "concat inputs",
                expected: maps.len(),
                got: witness.len(),
            });
        }
        let mut parts = Vec::with_capacity(maps.len());
        for (m, x) in maps.iter().zip(witness) {
            let placed = StructuredMap::eval(m, std::slice::from_ref(x))?.remove(0);
            parts.push(placed.to_mle().evaluate(&instance.output.point)?);
        }
        absorb(t, instance, &parts);
        let mut proofs = Vec::with_capacity(maps.len());
        let mut claims = BlockClaims::default();
        for ((m, x), (id, v)) in maps.iter().zip(witness).zip(instance.inputs.iter().zip(&parts)) {
            let sub = sub_instance(instance, *id, *v);
            let (p, c) = StructuredMap::prove(m, &sub, &vec![x.clone()], t)?;
            proofs.push(p);
            claims.tensors.extend(c.tensors);
        }
        Ok((ConcatProof { parts, maps: proofs }, claims))
    }

    fn verify(
        spec: &ConcatSpec,
        instance: &Instance,
        proof: &ConcatProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        let maps = spec.placements()?;
        check_counts(maps.len(), instance.inputs.len())?;
        for (what, got) in
            [("concat parts", proof.parts.len()), ("concat map proofs", proof.maps.len())]
        {
            if got != maps.len() {
                return Err(VerifyError::ProofShape { what, expected: maps.len(), got });
            }
        }
        if proof.parts.iter().sum::<Fr>() != instance.output.value {
            return Err(VerifyError::Mismatch { protocol: PROTOCOL, what: "output claim" });
        }
        absorb(t, instance, &proof.parts);
        let mut claims = BlockClaims::default();
        for ((m, p), (id, v)) in
            maps.iter().zip(&proof.maps).zip(instance.inputs.iter().zip(&proof.parts))
        {
            let c = StructuredMap::verify(m, &sub_instance(instance, *id, *v), p, t)?;
            claims.tensors.extend(c.tensors);
        }
        Ok(claims)
    }
}

fn absorb(t: &mut Transcript, instance: &Instance, parts: &[Fr]) {
    t.append_bytes(b"block", PROTOCOL.as_bytes());
    t.append_serializable(b"output claim", &instance.output);
    t.append_scalars(b"concat parts", parts);
}

fn sub_instance(instance: &Instance, input: crate::claim::TensorId, value: Fr) -> Instance {
    Instance {
        output: TensorClaim {
            tensor: instance.output.tensor,
            point: instance.output.point.clone(),
            value,
        },
        inputs: vec![input],
    }
}

fn check_counts(maps: usize, ids: usize) -> Result<(), Error> {
    if maps != ids {
        return Err(Error::Length { what: "concat inputs", expected: maps, got: ids });
    }
    Ok(())
}
