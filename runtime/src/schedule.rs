//! The proving schedule, written once for both sides: the prover runs it with a [`Side`] that
//! proves and records, the verifier with one that replays and checks. Sharing it makes the two
//! transcripts agree by construction.
//!
//! **What is proved.** For a plan with committed tensors `c` (lookup-defined tensors and helpers,
//! see [`tessera_compiler::plan`]), public inputs `x` and outputs `y`: there are values of every
//! tensor, consistent with `c`'s commitments and the verifying key's weights, that satisfy every
//! node's relation, and evaluate to `y` on `x`.
//!
//! **Transcript order.** Protocol version; verifying-key digest (plan, weights, SRS); public
//! inputs and outputs; every commitment (committed tensors in plan order, range limbs, range
//! multiplicities). Then, in this order:
//! 1. the merged range lookup (all range checks of the model into `[0, 2^T)`);
//! 2. one zero-padding check per committed tensor whose shape is not a power of two per axis;
//! 3. one random point per model output; the verifier evaluates the public output there;
//! 4. nodes from last to first: a derived node reduces each claim on its output through its block
//!    to claims on its inputs; a committed node first turns the claims on it into accumulator
//!    leaves, then proves its own relation at a fresh point (rescale: `x = 2^s·y + r − 2^{s−1}`;
//!    clamp and max: range-checked differences whose product is zero, by Hadamard zero checks;
//!    max pool: the differences are bound to the window views by index maps);
//! 5. the accumulator folds every leaf claim into one opening (its own transcript order).
//!
//! Claims on public inputs are checked by the verifier directly; claims on committed tensors and
//! weights become accumulator leaves; every other claim is reduced by the tensor's producer. No
//! claim is dropped.

use std::collections::BTreeMap;
use std::sync::Arc;

use ark_ff::Zero;
use tessera_blocks::block::Block;
use tessera_blocks::claim::{BlockClaims, Claim, TensorClaim, TensorId};
use tessera_blocks::curve::fr_from_i64;
use tessera_blocks::elementwise::{
    Broadcast, BroadcastSpec, Hadamard, HadamardSpec, Instance, Linear, LinearSpec, PaddingCheck,
    PaddingCheckInstance, PaddingCheckSpec,
};
use tessera_blocks::kzg::Commitment;
use tessera_blocks::lookup::table::shape_mask_eval;
use tessera_blocks::lookup::{
    LookedUp, Lookup, LookupInstance, LookupSpec, LookupWitness, Recomposition,
};
use tessera_blocks::matmul::conv::{Conv, ConvInstance, ConvSpec, ConvWitness};
use tessera_blocks::matmul::{
    FixedMatmul, MatmulInstance, MatmulSpec, MatmulWeights, MatmulWitness,
};
use tessera_blocks::permutation::{GeneralMap, ReshapeMap, StructuredMap, reshape_map};
use tessera_blocks::tensor::{IntTensor, axis_vars};
use tessera_blocks::{Fr, Transcript};
use tessera_compiler::plan::{BlockPlan, Lin, Ref, Role, Step};
use tessera_compiler::quant::qop::QId;

use crate::error::{Error, Reject};
use crate::proof::Recorded;
use crate::witness::{Witness, eval_lin, pool_tap, range_table};

/// Version string absorbed first.
pub(crate) const PROTOCOL_VERSION: &[u8] = b"tessera proof v1";

const VIRTUAL: TensorId = TensorId(u32::MAX);
const VIRTUAL_LEFT: TensorId = TensorId(u32::MAX - 1);
const VIRTUAL_RIGHT: TensorId = TensorId(u32::MAX - 2);

/// The polynomial behind a leaf claim (the prover materializes it for the accumulator).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Poly {
    /// `Σ c·t` over committed tensors.
    Lin(Vec<(Ref, i64)>),
    /// A weight.
    Weight(QId),
    /// Limb `l` of range check `c`.
    Limb(usize, usize),
    /// The range multiplicities.
    Multiplicities,
}

/// The prover's or the verifier's half of each step.
pub(crate) trait Side {
    type Error: From<tessera_blocks::Error> + From<Reject> + From<Error>;

    fn transcript(&mut self) -> &mut Transcript;

    /// Proves (and records) or replays (and verifies) one block.
    fn block<B: Block>(
        &mut self,
        at: &str,
        spec: &B::Spec,
        instance: &B::Instance,
        witness: &dyn Fn(&Witness) -> Result<B::Witness, Error>,
    ) -> Result<BlockClaims, Self::Error>
    where
        B::Proof: Recorded;

    /// Evaluations the prover sends: computed (prover) or read from the proof (verifier), then
    /// absorbed under `label` by both.
    fn send(
        &mut self,
        label: &'static [u8],
        count: usize,
        values: &dyn Fn(&Witness) -> Result<Vec<Fr>, Error>,
    ) -> Result<Vec<Fr>, Self::Error>;
}

/// Commitments known to both sides.
pub(crate) struct Commitments {
    pub tensors: BTreeMap<Ref, Commitment>,
    /// Per range check, its limbs.
    pub limbs: Vec<Vec<Commitment>>,
    pub multiplicities: Commitment,
}

/// The shared schedule.
pub(crate) struct Schedule<'a, S: Side> {
    pub plan: &'a BlockPlan,
    pub side: S,
    pub weights: &'a BTreeMap<QId, Commitment>,
    pub commitments: &'a Commitments,
    /// Public input tensors by node (absent when private).
    pub public_inputs: BTreeMap<QId, IntTensor>,
    /// Public output tensors by output position.
    pub public_outputs: Vec<IntTensor>,
    pending: Vec<Vec<TensorClaim>>,
    pub leaves: Vec<(Claim, Poly)>,
}

fn num_vars(shape: &[usize]) -> usize {
    axis_vars(shape).iter().sum()
}

impl<'a, S: Side> Schedule<'a, S> {
    pub fn new(
        plan: &'a BlockPlan,
        side: S,
        weights: &'a BTreeMap<QId, Commitment>,
        commitments: &'a Commitments,
        public_inputs: BTreeMap<QId, IntTensor>,
        public_outputs: Vec<IntTensor>,
    ) -> Self {
        let n = plan.graph.nodes.len();
        Self {
            plan,
            side,
            weights,
            commitments,
            public_inputs,
            public_outputs,
            pending: vec![Vec::new(); n],
            leaves: Vec::new(),
        }
    }

    /// Runs steps 1–4 of the module doc (the caller absorbed the statement).
    pub fn run(&mut self) -> Result<(), S::Error> {
        self.range_lookup()?;
        self.padding_checks()?;
        self.output_claims()?;
        for id in (0..self.plan.graph.nodes.len()).rev() {
            self.node(id)?;
        }
        Ok(())
    }

    fn shape(&self, id: QId) -> &'a [usize] {
        &self.plan.graph.nodes[id].shape
    }

    fn name(&self, id: QId) -> String {
        format!("node {}", self.plan.graph.nodes[id].name)
    }

    fn route(&mut self, id: QId, point: Vec<Fr>, value: Fr) {
        self.pending[id].push(TensorClaim { tensor: TensorId(id as u32), point, value });
    }

    fn challenge(&mut self, label: &'static [u8], n: usize) -> Vec<Fr> {
        self.side.transcript().challenge_scalars(label, n)
    }

    fn committed(&self, r: Ref) -> Result<Commitment, S::Error> {
        self.commitments.tensors.get(&r).copied().ok_or_else(|| {
            Reject { at: self.name(r.node), what: format!("no commitment for slot {}", r.slot) }
                .into()
        })
    }

    /// The commitment of `Σ c·t` (without the constant).
    fn lin_commitment(&self, lin: &Lin) -> Result<Commitment, S::Error> {
        if let [(r, 1)] = lin.terms.as_slice() {
            return self.committed(*r);
        }
        let cs =
            lin.terms.iter().map(|(r, _)| self.committed(*r)).collect::<Result<Vec<_>, _>>()?;
        let coeffs: Vec<Fr> = lin.terms.iter().map(|(_, c)| fr_from_i64(*c)).collect();
        Ok(Commitment::linear_combination(&cs, &coeffs)?)
    }

    /// Turns a claim on the linear form `lin` (a tensor of `shape`) into an accumulator leaf.
    fn lin_leaf(
        &mut self,
        lin: &Lin,
        shape: &[usize],
        point: Vec<Fr>,
        value: Fr,
    ) -> Result<(), S::Error> {
        let mask = shape_mask_eval(shape, &point)?;
        let value = value - fr_from_i64(lin.constant) * mask;
        if lin.terms.is_empty() {
            if !value.is_zero() {
                return Err(
                    Reject { at: "constant".into(), what: "claim on a constant".into() }.into()
                );
            }
            return Ok(());
        }
        let commitment = self.lin_commitment(lin)?;
        self.leaves.push((Claim { commitment, point, value }, Poly::Lin(lin.terms.clone())));
        Ok(())
    }

    /// Every range check of the plan, as one lookup into `[0, 2^T)`.
    fn range_lookup(&mut self) -> Result<(), S::Error> {
        let checks = &self.plan.range_checks;
        if checks.is_empty() {
            return Ok(());
        }
        let table = range_table(self.plan)?;
        let spec = LookupSpec { table, table_commitment: None };
        let mut inputs = Vec::new();
        let mut recompositions = Vec::new();
        for (i, c) in checks.iter().enumerate() {
            let shape = self.shape(c.node).to_vec();
            let limbs = self.commitments.limbs.get(i).ok_or_else(|| Reject {
                at: self.name(c.node),
                what: "missing range limbs".into(),
            })?;
            let first = inputs.len();
            for l in limbs {
                inputs.push(LookedUp { shape: shape.clone(), columns: vec![*l] });
            }
            recompositions.push(Recomposition {
                value: self.lin_commitment(&c.value)?,
                limbs: (first..inputs.len()).collect(),
                limb_bits: self.plan.range_table_bits,
                offset: c.value.constant,
            });
        }
        let instance = LookupInstance {
            inputs,
            recompositions,
            multiplicities: self.commitments.multiplicities,
        };
        let plan = self.plan;
        let claims = self.side.block::<Lookup>("range lookup", &spec, &instance, &|w| {
            let recomposed = plan
                .range_checks
                .iter()
                .map(|c| {
                    let lin = Lin { terms: c.value.terms.clone(), constant: 0 };
                    eval_lin(&w.committed, &lin, &plan.graph.nodes[c.node].shape, false)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(LookupWitness {
                inputs: w.limbs.iter().flatten().map(|l| vec![l.clone()]).collect(),
                recomposed,
                multiplicities: w.multiplicities.clone(),
            })
        })?;
        // Claims out: every limb, the multiplicities, every recomposed value (module doc of lookup).
        let limb_polys: Vec<Poly> = self
            .commitments
            .limbs
            .iter()
            .enumerate()
            .flat_map(|(c, ls)| (0..ls.len()).map(move |l| Poly::Limb(c, l)))
            .collect();
        let value_polys = checks.iter().map(|c| Poly::Lin(c.value.terms.clone()));
        let polys: Vec<Poly> =
            limb_polys.into_iter().chain([Poly::Multiplicities]).chain(value_polys).collect();
        if claims.committed.len() != polys.len() || !claims.tensors.is_empty() {
            return Err(
                Reject { at: "range lookup".into(), what: "unexpected claims".into() }.into()
            );
        }
        self.leaves.extend(claims.committed.into_iter().zip(polys));
        Ok(())
    }

    /// Zero padding of every committed tensor whose axes are not all powers of two.
    fn padding_checks(&mut self) -> Result<(), S::Error> {
        let refs: Vec<Ref> = self.commitments.tensors.keys().copied().collect();
        for r in refs {
            let shape = self.shape(r.node).to_vec();
            if shape.iter().all(|d| d.is_power_of_two()) {
                continue;
            }
            let spec = PaddingCheckSpec { shape };
            let instance = PaddingCheckInstance { commitment: self.committed(r)? };
            let claims =
                self.side.block::<PaddingCheck>(&self.name(r.node), &spec, &instance, &|w| {
                    let t =
                        w.committed.get(&r).ok_or_else(|| Error::Input("missing tensor".into()))?;
                    Ok(t.to_mle())
                })?;
            for c in claims.committed {
                self.leaves.push((c, Poly::Lin(vec![(r, 1)])));
            }
        }
        Ok(())
    }

    /// One random point per output, evaluated on the public output.
    fn output_claims(&mut self) -> Result<(), S::Error> {
        for (k, (_, id, _)) in self.plan.graph.outputs.clone().iter().enumerate() {
            let point = self.challenge(b"output point", num_vars(self.shape(*id)));
            let out = self.public_outputs.get(k).ok_or_else(|| Reject {
                at: self.name(*id),
                what: "missing public output".into(),
            })?;
            let value = out.to_mle().evaluate(&point)?;
            self.route(*id, point, value);
        }
        Ok(())
    }

    fn node(&mut self, id: QId) -> Result<(), S::Error> {
        let claims = std::mem::take(&mut self.pending[id]);
        let shape = self.shape(id);
        match self.plan.roles[id] {
            Role::PublicInput => {
                let x = self.public_inputs.get(&id).ok_or_else(|| Reject {
                    at: self.name(id),
                    what: "missing public input".into(),
                })?;
                let mle = x.to_mle();
                for c in claims {
                    if mle.evaluate(&c.point)? != c.value {
                        let what = "a claim on the public input does not hold".into();
                        return Err(Reject { at: self.name(id), what }.into());
                    }
                }
            }
            Role::PrivateInput | Role::Committed => {
                for c in claims {
                    self.lin_leaf(&Lin::of(Ref { node: id, slot: 0 }), shape, c.point, c.value)?;
                }
                if self.plan.roles[id] == Role::Committed {
                    self.relation(id)?;
                }
            }
            Role::Weight => {
                let commitment = self.weight(id)?;
                for c in claims {
                    let claim = Claim { commitment, point: c.point, value: c.value };
                    self.leaves.push((claim, Poly::Weight(id)));
                }
            }
            Role::Scalar(_) => {
                if !claims.is_empty() {
                    return Err(
                        Reject { at: self.name(id), what: "claim on a scalar".into() }.into()
                    );
                }
            }
            Role::Derived => {
                for c in claims {
                    self.derived(id, c)?;
                }
            }
        }
        Ok(())
    }

    fn weight(&self, id: QId) -> Result<Commitment, S::Error> {
        self.weights.get(&id).copied().ok_or_else(|| {
            Reject { at: self.name(id), what: "no weight commitment in the key".into() }.into()
        })
    }

    /// Routes the tensor claims a block emitted and makes leaves of its weight claims.
    fn absorb_claims(
        &mut self,
        id: QId,
        claims: BlockClaims,
        weight: Option<QId>,
    ) -> Result<(), S::Error> {
        for c in claims.committed {
            match weight {
                Some(w) if c.commitment == self.weight(w)? => {
                    self.leaves.push((c, Poly::Weight(w)))
                }
                _ => {
                    let what = "a block claimed an unknown commitment".into();
                    return Err(Reject { at: self.name(id), what }.into());
                }
            }
        }
        for c in claims.tensors {
            let t = c.tensor.0 as usize;
            if t >= id {
                let what = "a block claimed a later tensor".into();
                return Err(Reject { at: self.name(id), what }.into());
            }
            self.route(t, c.point, c.value);
        }
        Ok(())
    }

    /// Reduces one claim on a derived node to claims on its inputs.
    fn derived(&mut self, id: QId, claim: TensorClaim) -> Result<(), S::Error> {
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
            Step::Conv { input, weight, kernel, stride, pads, dilation } => {
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
                let mut in_shape = vec![1; out_shape.len().saturating_sub(self.shape(bias).len())];
                in_shape.extend_from_slice(self.shape(bias));
                let bspec = BroadcastSpec { in_shape: in_shape.clone(), out_shape };
                let claims = self.side.block::<Linear>(&at, &spec, &instance, &|w| {
                    let b = IntTensor::new(in_shape.clone(), w.values[bias].data().to_vec())?;
                    let wide = Broadcast::eval(&bspec, &[b])?.remove(0);
                    Ok(vec![w.values[input].clone(), wide])
                })?;
                let [x_claim, b_claim] = <[TensorClaim; 2]>::try_from(claims.tensors)
                    .map_err(|_| Reject { at: at.clone(), what: "linear claims".into() })?;
                if x_claim.tensor != TensorId(input as u32) || b_claim.tensor != VIRTUAL {
                    return Err(Reject { at, what: "linear claims".into() }.into());
                }
                self.route(input, x_claim.point, x_claim.value);
                let instance = Instance { output: b_claim, inputs: vec![TensorId(bias as u32)] };
                let claims = self.side.block::<Broadcast>(&at, &bspec, &instance, &|w| {
                    Ok(vec![IntTensor::new(in_shape.clone(), w.values[bias].data().to_vec())?])
                })?;
                self.absorb_claims(id, claims, None)
            }
            Step::Hadamard { left, right } => {
                let spec = HadamardSpec { shape: out_shape };
                let inputs = vec![TensorId(left as u32), TensorId(right as u32)];
                let instance = Instance { output: claim, inputs };
                let claims = self.side.block::<Hadamard>(&at, &spec, &instance, &|w| {
                    Ok(vec![w.values[left].clone(), w.values[right].clone()])
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

    /// Proves the relation that defines a committed node.
    fn relation(&mut self, id: QId) -> Result<(), S::Error> {
        let shape = self.shape(id).to_vec();
        let at = |slot| Ref { node: id, slot };
        match self.plan.steps[id].clone() {
            Step::Rescale { input, shift } => {
                let point = self.challenge(b"rescale point", num_vars(&shape));
                let p = point.clone();
                let e =
                    self.side.send(b"rescale evals", 2, &|w| eval_refs(w, &[at(0), at(1)], &p))?;
                let mask = shape_mask_eval(&shape, &point)?;
                let two_s = Fr::from(1u64 << shift);
                let half = Fr::from(1u64 << (shift - 1));
                let x = two_s * e[0] + e[1] - half * mask;
                self.lin_leaf(&Lin::of(at(0)), &shape, point.clone(), e[0])?;
                self.lin_leaf(&Lin::of(at(1)), &shape, point.clone(), e[1])?;
                self.route(input, point, x);
                Ok(())
            }
            Step::Clamp { input, lo, hi } => {
                let z = Lin::of(at(0));
                let w = match lo {
                    Some(lo) => {
                        let w = if hi.is_some() { Lin::of(at(1)) } else { z.clone() };
                        self.zero_product(id, &[w.combine(1, &input, -1), w.clone().plus(-lo)])?;
                        w
                    }
                    None => input,
                };
                if let Some(hi) = hi {
                    let hi_minus_z = Lin { terms: vec![(at(0), -1)], constant: hi };
                    self.zero_product(id, &[w.combine(1, &z, -1), hi_minus_z])?;
                }
                Ok(())
            }
            Step::MaxPool { input, kernel, stride } => {
                let taps = kernel[0] * kernel[1];
                let in_shape = self.shape(self.plan.graph.nodes[id].inputs[0]).to_vec();
                let point = self.challenge(b"max pool point", num_vars(&shape));
                let refs: Vec<Ref> = (0..=taps).map(at).collect();
                let p = point.clone();
                let e =
                    self.side.send(b"max pool evals", taps + 1, &|w| eval_refs(w, &refs, &p))?;
                for (r, v) in refs.iter().zip(&e) {
                    self.lin_leaf(&Lin::of(*r), &shape, point.clone(), *v)?;
                }
                for k in 0..taps {
                    let spec = pool_tap(&in_shape, &shape, kernel, stride, k);
                    let output = TensorClaim {
                        tensor: VIRTUAL,
                        point: point.clone(),
                        value: e[0] - e[1 + k],
                    };
                    let instance = Instance { output, inputs: vec![VIRTUAL_LEFT] };
                    let (lin, ins) = (input.clone(), in_shape.clone());
                    let claims = self.side.block::<StructuredMap>(
                        &self.name(id),
                        &spec,
                        &instance,
                        &|w| Ok(vec![eval_lin(&w.committed, &lin, &ins, true)?]),
                    )?;
                    let [c] = <[TensorClaim; 1]>::try_from(claims.tensors)
                        .map_err(|_| Reject { at: self.name(id), what: "window claims".into() })?;
                    self.lin_leaf(&input, &in_shape, c.point, c.value)?;
                }
                let diffs: Vec<Lin> = (1..=taps).map(|k| Lin::of(at(k))).collect();
                self.zero_product(id, &diffs)
            }
            _ => Err(Reject {
                at: self.name(id),
                what: "a committed node without a relation".into(),
            }
            .into()),
        }
    }

    /// Proves `Π_k f_k = 0` entrywise for linear forms `f_k` (a Hadamard tree from a random point).
    fn zero_product(&mut self, id: QId, factors: &[Lin]) -> Result<(), S::Error> {
        let shape = self.shape(id).to_vec();
        let point = self.challenge(b"zero check point", num_vars(&shape));
        self.product_claim(id, &shape, factors, point, Fr::zero())
    }

    fn product_claim(
        &mut self,
        id: QId,
        shape: &[usize],
        factors: &[Lin],
        point: Vec<Fr>,
        value: Fr,
    ) -> Result<(), S::Error> {
        if factors.len() == 1 {
            return self.lin_leaf(&factors[0], shape, point, value);
        }
        let (l, r) = factors.split_at(factors.len() / 2);
        let spec = HadamardSpec { shape: shape.to_vec() };
        let output = TensorClaim { tensor: VIRTUAL, point, value };
        let instance = Instance { output, inputs: vec![VIRTUAL_LEFT, VIRTUAL_RIGHT] };
        let name = self.name(id);
        let claims = self.side.block::<Hadamard>(&name, &spec, &instance, &|w| {
            Ok(vec![product(w, l, shape, &name)?, product(w, r, shape, &name)?])
        })?;
        let [cl, cr] = <[TensorClaim; 2]>::try_from(claims.tensors)
            .map_err(|_| Reject { at: name.clone(), what: "hadamard claims".into() })?;
        self.product_claim(id, shape, l, cl.point, cl.value)?;
        self.product_claim(id, shape, r, cr.point, cr.value)
    }
}

/// `Π f_k` entrywise, in checked integers.
fn product(w: &Witness, factors: &[Lin], shape: &[usize], at: &str) -> Result<IntTensor, Error> {
    let mut acc: Option<Vec<i64>> = None;
    for f in factors {
        let t = eval_lin(&w.committed, f, shape, true)?;
        acc = Some(match acc {
            None => t.data().to_vec(),
            Some(a) => a
                .iter()
                .zip(t.data())
                .map(|(x, y)| x.checked_mul(*y))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| Error::Witness {
                    node: at.to_string(),
                    reason: "product overflows".into(),
                })?,
        });
    }
    Ok(IntTensor::new(shape.to_vec(), acc.unwrap_or_default())?)
}

fn eval_refs(w: &Witness, refs: &[Ref], point: &[Fr]) -> Result<Vec<Fr>, Error> {
    refs.iter()
        .map(|r| {
            let t = w.committed.get(r).ok_or_else(|| Error::Input("missing tensor".into()))?;
            Ok(t.to_mle().evaluate(point)?)
        })
        .collect()
}
