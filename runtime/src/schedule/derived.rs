//! Derived nodes: a claim on the output of an arithmetic block is reduced through that block to
//! claims on its inputs (GKR style). Nothing is committed; every claim produced is routed to the
//! input's producer or becomes an accumulator leaf (weights).
//!
//! | step | block | transcript |
//! |---|---|---|
//! | matmul / conv | fixed-weight sumcheck | the block's |
//! | linear, bias add | linear combination (+ a broadcast proof for the bias) | the blocks' |
//! | Hadamard | sumcheck of `eq·x·y`; a broadcast operand adds a broadcast proof | the blocks' |
//! | axis sum | the point gets `½` on the summed variables; no proof | the output claim |
//! | slice, reshape | index-map sumcheck (a reshape that keeps positions is a renaming) | the block's |
//! | transpose | renaming of the point's axis chunks; no proof, nothing absorbed | — |
//! | concat | the output claim split per input, each placement an index-map sumcheck | the block's |
//! | gather (constant indices) | general index-map sumcheck | the block's |
//! | sum pool | the prover sends each tap view's value (they must sum to the claim); one map-batch sumcheck binds them to the input | the values, then the block's |
//! | batched matmul | one sumcheck over (heads, inner) | the block's |

use std::sync::Arc;

use tessera_blocks::Fr;
use tessera_blocks::block::Block;
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::elementwise::{
    AxisSum, AxisSumSpec, Hadamard, HadamardSpec, Instance, Linear, LinearSpec, split_point,
};
use tessera_blocks::matmul::conv::{Conv, ConvInstance, ConvSpec, ConvWitness};
use tessera_blocks::matmul::{
    BatchedInstance, BatchedMatmul, BatchedSpec, BatchedWitness, FixedMatmul, MatmulInstance,
    MatmulSpec, MatmulWeights, MatmulWitness,
};
use tessera_blocks::permutation::{
    AxisMap, Concat, ConcatSpec, GeneralMap, GeneralMapSpec, MapBatch, MapBatchInstance,
    MapBatchSpec, ReshapeMap, StructuredMap, StructuredMapSpec, reshape_map,
};
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::plan::Step;
use tessera_compiler::quant::qop::QId;

use super::{Schedule, Side, VIRTUAL};
use crate::error::Reject;
use tessera_compiler::plan::steps::broadcast_claim;
use tessera_compiler::plan::witness::{broadcast_to, pool_tap};

impl<S: Side> Schedule<'_, S> {
    /// Reduces one claim on a derived node to claims on its inputs.
    pub(super) fn derived(&mut self, id: QId, claim: TensorClaim) -> Result<(), S::Error> {
        let at = self.name(id);
        let out_shape = self.shape(id).to_vec();
        match self.plan.steps[id].clone() {
            Step::Matmul { input, weight, trans_weight } => {
                let in_shape = self.shape(input);
                let (rows, inner) = in_shape.split_at(in_shape.len().saturating_sub(1));
                let spec = MatmulSpec {
                    rows: rows.to_vec(),
                    inner: inner.first().copied().unwrap_or(1),
                    cols: out_shape.last().copied().unwrap_or(1),
                    trans_input: false,
                    trans_weight,
                    alpha: 1,
                    beta: 0,
                    bias: false,
                };
                let instance = MatmulInstance {
                    input: TensorId(input as u32),
                    weight: self.weight(weight)?,
                    bias: None,
                    output: claim,
                };
                let claims = self.side.block::<FixedMatmul>(&at, &spec, &instance, &|w| {
                    let weights = MatmulWeights::new(&spec, &w.values[weight], None)?;
                    Ok(MatmulWitness {
                        input: w.values[input].clone(),
                        output: w.values[id].clone(),
                        weights: Arc::new(weights),
                    })
                })?;
                self.absorb_claims(id, claims, Some(weight))
            }
            Step::Conv { input, weight, kernel, stride, pads, dilation, group } => {
                let s = self.shape(input);
                let ws = self.shape(weight);
                if s.len() != 4 || ws.len() != 4 {
                    return Err(Reject { at, what: "conv shapes".into() }.into());
                }
                let spec = ConvSpec {
                    batch: s[0],
                    in_channels: s[1],
                    height: s[2],
                    width: s[3],
                    out_channels: ws[0],
                    kernel,
                    stride,
                    pads,
                    dilation,
                    group,
                };
                let instance = ConvInstance {
                    input: TensorId(input as u32),
                    weight: self.weight(weight)?,
                    output: claim,
                };
                let claims = self.side.block::<Conv>(&at, &spec, &instance, &|w| {
                    Ok(ConvWitness {
                        input: w.values[input].clone(),
                        weight: w.values[weight].clone(),
                        output: w.values[id].clone(),
                    })
                })?;
                self.absorb_claims(id, claims, Some(weight))
            }
            Step::Linear { terms, constant } => {
                let spec = LinearSpec {
                    shape: out_shape,
                    coeffs: terms.iter().map(|t| t.1).collect(),
                    constant,
                };
                let inputs = terms.iter().map(|t| TensorId(t.0 as u32)).collect();
                let instance = Instance { output: claim, inputs };
                let claims = self.side.block::<Linear>(&at, &spec, &instance, &|w| {
                    Ok(terms.iter().map(|t| w.values[t.0].clone()).collect())
                })?;
                self.absorb_claims(id, claims, None)
            }
            Step::BiasAdd { input, bias, sign } => {
                let spec =
                    LinearSpec { shape: out_shape.clone(), coeffs: vec![1, sign], constant: 0 };
                let instance =
                    Instance { output: claim, inputs: vec![TensorId(input as u32), VIRTUAL] };
                let os = out_shape.clone();
                let claims = self.side.block::<Linear>(&at, &spec, &instance, &|w| {
                    Ok(vec![w.values[input].clone(), broadcast_to(&w.values[bias], &os)?])
                })?;
                let [x_claim, b_claim] = <[TensorClaim; 2]>::try_from(claims.tensors)
                    .map_err(|_| Reject { at: at.clone(), what: "linear claims".into() })?;
                if x_claim.tensor != TensorId(input as u32) || b_claim.tensor != VIRTUAL {
                    return Err(Reject { at, what: "linear claims".into() }.into());
                }
                self.route(input, x_claim.point, x_claim.value);
                broadcast_claim(self, id, bias, b_claim)
            }
            Step::Hadamard { left, right } => {
                let wide = self.shape(right) != out_shape.as_slice();
                let spec = HadamardSpec { shape: out_shape.clone() };
                let r_id = if wide { VIRTUAL } else { TensorId(right as u32) };
                let inputs = vec![TensorId(left as u32), r_id];
                let instance = Instance { output: claim, inputs };
                let os = out_shape.clone();
                let claims = self.side.block::<Hadamard>(&at, &spec, &instance, &|w| {
                    Ok(vec![w.values[left].clone(), broadcast_to(&w.values[right], &os)?])
                })?;
                if !wide {
                    return self.absorb_claims(id, claims, None);
                }
                let [l_claim, r_claim] = <[TensorClaim; 2]>::try_from(claims.tensors)
                    .map_err(|_| Reject { at: at.clone(), what: "hadamard claims".into() })?;
                if l_claim.tensor != TensorId(left as u32) || r_claim.tensor != VIRTUAL {
                    return Err(Reject { at, what: "hadamard claims".into() }.into());
                }
                self.route(left, l_claim.point, l_claim.value);
                broadcast_claim(self, id, right, r_claim)
            }
            Step::AxisSum { input, axes } => {
                let spec = AxisSumSpec { in_shape: self.shape(input).to_vec(), axes, scale: 1 };
                let instance = Instance { output: claim, inputs: vec![TensorId(input as u32)] };
                // No proof: both sides move the point the same way (the block absorbs the claim).
                let ((), claims) =
                    AxisSum::prove(&spec, &instance, &vec![], self.side.transcript())?;
                self.absorb_claims(id, claims, None)
            }
            Step::Slice { input, axes } => {
                let in_shape = self.shape(input).to_vec();
                let mut maps: Vec<AxisMap> =
                    (0..in_shape.len()).map(|src| AxisMap::Pass { src }).collect();
                for a in &axes {
                    let len = out_shape.get(a.axis).copied().unwrap_or(0);
                    if let Some(m) = maps.get_mut(a.axis) {
                        *m = AxisMap::Affine { src: a.axis, start: a.start, step: a.step, len };
                    }
                }
                let spec = StructuredMapSpec { in_shape, axes: maps };
                let instance = Instance { output: claim, inputs: vec![TensorId(input as u32)] };
                let claims = self.side.block::<StructuredMap>(&at, &spec, &instance, &|w| {
                    Ok(vec![w.values[input].clone()])
                })?;
                self.absorb_claims(id, claims, None)
            }
            Step::Transpose { input, perm } => {
                // Each axis is padded on its own, so a transpose permutes the point's chunks.
                let chunks = split_point(&claim.point, &out_shape)?;
                let mut point = Vec::with_capacity(claim.point.len());
                for j in 0..perm.len() {
                    let chunk = perm.iter().position(|p| *p == j).and_then(|a| chunks.get(a));
                    let chunk = chunk.ok_or_else(|| Reject {
                        at: at.clone(),
                        what: "not a permutation".into(),
                    })?;
                    point.extend_from_slice(chunk);
                }
                if point.len() != claim.point.len() {
                    return Err(Reject { at, what: "not a permutation".into() }.into());
                }
                self.route(input, point, claim.value);
                Ok(())
            }
            Step::BatchedMatmul { left, right } => {
                let a = self.shape(left);
                let b = self.shape(right);
                let r = a.len();
                if r < 2 || b.len() != r {
                    return Err(Reject { at, what: "batched matmul shapes".into() }.into());
                }
                let spec = BatchedSpec {
                    heads: a[..r - 2].to_vec(),
                    rows: a[r - 2],
                    inner: a[r - 1],
                    cols: b[r - 1],
                    trans_right: false,
                };
                let instance = BatchedInstance {
                    left: TensorId(left as u32),
                    right: TensorId(right as u32),
                    output: claim,
                };
                let claims = self.side.block::<BatchedMatmul>(&at, &spec, &instance, &|w| {
                    Ok(BatchedWitness {
                        left: w.values[left].clone(),
                        right: w.values[right].clone(),
                        output: w.values[id].clone(),
                    })
                })?;
                self.absorb_claims(id, claims, None)
            }
            Step::Gather { input, .. } => {
                let sources = self
                    .plan
                    .gather_sources(id)
                    .map_err(|e| Reject { at: at.clone(), what: e.to_string() })?;
                let spec = GeneralMapSpec {
                    in_shape: self.shape(input).to_vec(),
                    out_shape,
                    source: sources.into_iter().map(Some).collect(),
                };
                let instance = Instance { output: claim, inputs: vec![TensorId(input as u32)] };
                let claims = self.side.block::<GeneralMap>(&at, &spec, &instance, &|w| {
                    Ok(vec![w.values[input].clone()])
                })?;
                self.absorb_claims(id, claims, None)
            }
            Step::SumPool { input, kernel, stride, pads, dilation } => {
                let in_shape = self.shape(input).to_vec();
                let taps = kernel[0] * kernel[1];
                let maps: Vec<StructuredMapSpec> = (0..taps)
                    .map(|k| pool_tap(&in_shape, &out_shape, kernel, stride, pads, dilation, k))
                    .collect();
                // The prover sends every tap view's value at the claim's point; they sum to it.
                let (p, m, ins) = (claim.point.clone(), maps.clone(), in_shape.clone());
                let values = self.side.send(b"sum pool taps", taps, &|w| {
                    let x = IntTensor::new(ins.clone(), w.values[input].data().to_vec())?;
                    m.iter()
                        .map(|spec| {
                            let view = StructuredMap::eval(spec, std::slice::from_ref(&x))?;
                            Ok(view[0].to_mle().evaluate(&p)?)
                        })
                        .collect()
                })?;
                if values.iter().sum::<Fr>() != claim.value {
                    return Err(Reject {
                        at,
                        what: "sum pool taps do not sum to the claim".into(),
                    }
                    .into());
                }
                let spec = MapBatchSpec { maps };
                let instance =
                    MapBatchInstance { point: claim.point, values, input: TensorId(input as u32) };
                let claims = self.side.block::<MapBatch>(&at, &spec, &instance, &|w| {
                    Ok(vec![w.values[input].clone()])
                })?;
                self.absorb_claims(id, claims, None)
            }
            Step::Concat { inputs, axis } => {
                let spec = ConcatSpec {
                    in_shapes: inputs.iter().map(|j| self.shape(*j).to_vec()).collect(),
                    axis,
                };
                let ids = inputs.iter().map(|j| TensorId(*j as u32)).collect();
                let instance = Instance { output: claim, inputs: ids };
                let claims = self.side.block::<Concat>(&at, &spec, &instance, &|w| {
                    Ok(inputs.iter().map(|j| w.values[*j].clone()).collect())
                })?;
                self.absorb_claims(id, claims, None)
            }
            Step::Reshape { input } => match reshape_map(self.shape(input), &out_shape)? {
                ReshapeMap::Renaming => {
                    self.route(input, claim.point, claim.value);
                    Ok(())
                }
                ReshapeMap::General(spec) => {
                    let instance = Instance { output: claim, inputs: vec![TensorId(input as u32)] };
                    let claims = self.side.block::<GeneralMap>(&at, &spec, &instance, &|w| {
                        Ok(vec![w.values[input].clone()])
                    })?;
                    self.absorb_claims(id, claims, None)
                }
            },
            _ => {
                Err(Reject { at, what: "a derived node without an arithmetic block".into() }.into())
            }
        }
    }
}
