//! The proving schedule, written once for both sides: the prover runs it with a [`Side`] that
//! proves and records, the verifier with one that replays and checks. Sharing it makes the two
//! transcripts agree by construction.
//!
//! **What is proved.** For a plan with committed tensors `c` (lookup-defined tensors and helpers,
//! see [`tessera_compiler::plan`]), public inputs `x` and outputs `y`: there are values of every
//! tensor, consistent with `c`'s commitments and the verifying key's weights, that satisfy every
//! node's relation, and evaluate to `y` on `x`.
//!
//! **Transcript order.** Protocol version; verifying-key digest (plan, weights, function-table
//! output columns, SRS); public inputs and outputs; every commitment (committed tensors in plan
//! order — values and helper slots, lookup outputs included — range limbs (all but limb 0 of
//! every check: limb 0 is a combination, see [`Schedule`]'s range lookup), range multiplicities,
//! then one multiplicity vector per merged function lookup, in the plan's table order). Then, in
//! this order:
//! 1. the merged range lookup (all range checks of the model into `[0, 2^T)`; its proof commits
//!    the lookup's inverse columns, whose claims become accumulator leaves too);
//! 2. the merged function lookups, one per table in the plan's table order (every lookup node of
//!    that table, across the whole model, as one `(x, y)` vector; see [`lookups`]);
//! 3. the zero-padding check of every committed tensor whose shape is not a power of two per
//!    axis: one claim of value zero per aligned block of padded positions, at points drawn now
//!    (accumulator leaves; nothing is sent);
//! 4. one random point per model output; the verifier evaluates the public output there;
//! 5. nodes from last to first: a derived node reduces each claim on its output through its block
//!    to claims on its inputs; a committed node first turns the claims on it into accumulator
//!    leaves, then proves its own relation at fresh points (each committed step's file in
//!    [`tessera_compiler::plan::steps`] gives its relation and transcript order: rescale and
//!    divisions, square root, clamp, max pool, max over an axis; a lookup node's relation is its
//!    table's lookup of step 2); a derived node's step file says which block reduces it;
//! 6. every product claim the relations of step 5 made (zero checks `Π f_k = 0` of clamps, max
//!    pooling and selectors, and the products of square roots, divisions and maxima), in the order
//!    they were made, all in **one**
//!    [`HadamardBatch`](tessera_blocks::elementwise::HadamardBatch) proof, whatever their shapes
//!    and numbers of factors (a max pool's four taps make a degree-5 instance);
//! 7. the accumulator folds every leaf claim into one opening (its own transcript order).
//!
//! Claims on public inputs are checked by the verifier directly; claims on committed tensors,
//! weights and function-table output columns (on the verifying key's commitments) become
//! accumulator leaves; every other claim is reduced by the tensor's producer. No
//! claim is dropped.

mod lookups;
mod products;

use std::collections::BTreeMap;

use ark_ff::{Field, One, Zero};
use tessera_blocks::block::Block;
use tessera_blocks::claim::{BlockClaims, Claim, TensorClaim, TensorId};
use tessera_blocks::curve::fr_from_i64;
use tessera_blocks::elementwise::{
    PaddingCheck, PaddingCheckInstance, PaddingCheckSpec, padded_blocks,
};
use tessera_blocks::kzg::Commitment;
use tessera_blocks::lookup::table::shape_mask_eval;
use tessera_blocks::lookup::{LookedUp, LookupInstance, LookupSpec, LookupWitness};
use tessera_blocks::tensor::{IntTensor, axis_vars};
use tessera_blocks::{Fr, Srs, Transcript};
use tessera_compiler::plan::{BlockPlan, Ctx, Lin, Ref, Role, StepError};
use tessera_compiler::quant::qop::QId;

use crate::error::{Error, ScheduleError};
use crate::witness::{Witness, range_table, range_vectors};

/// Version string absorbed first.
pub(crate) const PROTOCOL_VERSION: &[u8] = b"tessera proof v7";

use tessera_compiler::plan::steps::VIRTUAL;

/// The polynomial behind a leaf claim (the prover materializes it for the accumulator).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Poly {
    /// `Σ c·t` over committed tensors.
    Lin(Vec<(Ref, i64)>),
    /// A weight.
    Weight(QId),
    /// The range multiplicities.
    Multiplicities,
    /// The multiplicities of the plan's function lookup `k`.
    FunctionMultiplicities(usize),
    /// The output column of function table `t` (committed in the verifying key).
    Table(usize),
    /// The `i`-th helper polynomial a lookup proof committed (its inverse columns), in schedule
    /// order.
    Helper(usize),
    /// The zero polynomial of one variable (commitment: the identity), the one leaf of a proof
    /// whose claims the verifier all checks itself.
    Zero,
}

/// The prover's or the verifier's half of each step.
pub(crate) trait Side {
    type Error: From<tessera_blocks::Error> + From<ScheduleError> + From<Error> + From<StepError>;

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
        B::Proof: 'static;

    /// Proves (and records, keeping the helper polynomials for the accumulator) or replays (and
    /// verifies) one lookup block.
    fn lookup(
        &mut self,
        at: &str,
        spec: &LookupSpec,
        instance: &LookupInstance,
        witness: &dyn Fn(&Witness, &Srs) -> Result<LookupWitness, Error>,
    ) -> Result<BlockClaims, Self::Error>;

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
    /// Per function lookup of the plan, its multiplicities.
    pub function_multiplicities: Vec<Commitment>,
}

/// The shared schedule.
pub(crate) struct Schedule<'a, S: Side> {
    pub plan: &'a BlockPlan,
    pub side: S,
    pub weights: &'a BTreeMap<QId, Commitment>,
    /// Function-table output commitments from the verifying key.
    pub tables: &'a BTreeMap<usize, Commitment>,
    pub commitments: &'a Commitments,
    /// Public input tensors by node (absent when private).
    pub public_inputs: BTreeMap<QId, IntTensor>,
    /// Public output tensors by output position.
    pub public_outputs: Vec<IntTensor>,
    pending: Vec<Vec<TensorClaim>>,
    /// Product claims `Π f_k(r) = v` waiting for step 6 (see [`products`]).
    products: Vec<products::ProductClaim>,
    pub leaves: Vec<(Claim, Poly)>,
    /// Helper polynomials seen so far (the next [`Poly::Helper`] index).
    helpers: usize,
}

fn num_vars(shape: &[usize]) -> usize {
    axis_vars(shape).iter().sum()
}

impl<'a, S: Side> Schedule<'a, S> {
    pub fn new(
        plan: &'a BlockPlan,
        side: S,
        weights: &'a BTreeMap<QId, Commitment>,
        tables: &'a BTreeMap<usize, Commitment>,
        commitments: &'a Commitments,
        public_inputs: BTreeMap<QId, IntTensor>,
        public_outputs: Vec<IntTensor>,
    ) -> Self {
        let n = plan.graph.nodes.len();
        Self {
            plan,
            side,
            weights,
            tables,
            commitments,
            public_inputs,
            public_outputs,
            pending: vec![Vec::new(); n],
            products: Vec::new(),
            leaves: Vec::new(),
            helpers: 0,
        }
    }

    /// Runs steps 1–5 of the module doc (the caller absorbed the statement).
    pub fn run(&mut self) -> Result<(), S::Error> {
        self.range_lookup()?;
        self.function_lookups()?;
        self.padding_checks()?;
        self.output_claims()?;
        for id in (0..self.plan.graph.nodes.len()).rev() {
            self.node(id)?;
        }
        self.flush_products()?;
        // A graph whose data path commits nothing (every claim ended on public values): the
        // accumulator still gets one leaf, `0̃(r) = 0` on the identity commitment, trivially true.
        if self.leaves.is_empty() {
            let point = self.challenge(b"empty fold point", 1);
            let commitment = Commitment(tessera_blocks::G1::default().into());
            self.leaves.push((Claim { commitment, point, value: Fr::zero() }, Poly::Zero));
        }
        Ok(())
    }

    fn shape(&self, id: QId) -> &'a [usize] {
        &self.plan.graph.nodes[id].shape
    }

    fn name(&self, id: QId) -> String {
        format!("node {}", self.plan.graph.nodes[id].label())
    }

    fn route(&mut self, id: QId, point: Vec<Fr>, value: Fr) {
        self.pending[id].push(TensorClaim { tensor: TensorId(id as u32), point, value });
    }

    fn challenge(&mut self, label: &'static [u8], n: usize) -> Vec<Fr> {
        self.side.transcript().challenge_scalars(label, n)
    }

    fn committed(&self, r: Ref) -> Result<Commitment, S::Error> {
        self.commitments.tensors.get(&r).copied().ok_or_else(|| {
            ScheduleError::MissingCommitment { node: self.name(r.node), slot: r.slot }.into()
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
                return Err(ScheduleError::ClaimOnConstant { at: "linear form".into() }.into());
            }
            return Ok(());
        }
        let commitment = self.lin_commitment(lin)?;
        self.leaves.push((Claim { commitment, point, value }, Poly::Lin(lin.terms.clone())));
        Ok(())
    }

    /// Every range check of the plan, as one lookup into `[0, 2^T)`. A check of `v + c` with `L`
    /// limbs commits limbs `1..L` only: limb 0 is looked up as `C_0 + c` with
    /// `C_0 = [v] − Σ_{l≥1} 2^{T·l}·[limb_l]`, a combination both sides compute, so
    /// `v + c = limb_0 + Σ_{l≥1} 2^{T·l}·limb_l` holds by construction and needs no claim. A top
    /// limb of `b < T` bits is looked up once more with the offset `2^T − 2^b`.
    fn range_lookup(&mut self) -> Result<(), S::Error> {
        let checks = &self.plan.range_checks;
        if checks.is_empty() {
            return Ok(());
        }
        let table = range_table(self.plan)?;
        let spec = LookupSpec { table, table_commitment: None };
        let bits = self.plan.range_table_bits;
        let mut inputs = Vec::new();
        for (i, c) in checks.iter().enumerate() {
            let shape = self.plan.lin_shape(&c.value, c.node);
            let limbs = self
                .commitments
                .limbs
                .get(i)
                .ok_or_else(|| ScheduleError::MissingLimbs { node: self.name(c.node) })?;
            let value = self.lin_commitment(&c.value)?;
            let mut bases = vec![value];
            let mut coeffs = vec![Fr::one()];
            for (l, limb) in limbs.iter().enumerate() {
                bases.push(*limb);
                coeffs.push(-Fr::from(2u64).pow([u64::from(bits) * (l as u64 + 1)]));
            }
            let base = Commitment::linear_combination(&bases, &coeffs)?;
            let offset = c.value.constant;
            inputs.push(LookedUp { shape: shape.clone(), columns: vec![base], offset });
            for limb in limbs {
                inputs.push(LookedUp { shape: shape.clone(), columns: vec![*limb], offset: 0 });
            }
            if let Some(shift) = c.top_shift(bits) {
                // The top limb again, shifted: it is below 2^{top_bits}.
                let (column, offset) = match limbs.last() {
                    Some(top) => (*top, Some(shift)),
                    None => (base, offset.checked_add(shift)),
                };
                let offset = offset
                    .ok_or_else(|| ScheduleError::RangeConstant { node: self.name(c.node) })?;
                inputs.push(LookedUp { shape: shape.clone(), columns: vec![column], offset });
            }
        }
        let instance = LookupInstance {
            inputs,
            multiplicities: self.commitments.multiplicities,
            chunk_vars: self.lookup_chunk_vars(),
        };
        let plan = self.plan;
        let claims = self.side.lookup("range lookup", &spec, &instance, &|w, srs| {
            Ok(LookupWitness {
                inputs: range_vectors(plan, &w.limbs)?,
                multiplicities: w.multiplicities.clone(),
                srs: srs.clone(),
            })
        })?;
        // The column claims come back combined, as helpers; the multiplicities' claim is ours.
        self.lookup_leaves("range lookup", claims, vec![Poly::Multiplicities])
    }

    /// Lookups commit their inverse columns in chunks as large as the largest polynomial of the
    /// plan: the accumulator opens one that large anyway.
    pub(super) fn lookup_chunk_vars(&self) -> usize {
        crate::keys::required_srs_size(self.plan).trailing_zeros() as usize
    }

    /// Makes leaves of a lookup's claims: the `expected` statement polynomials first, then the
    /// proof's helpers (every claim after those).
    pub(super) fn lookup_leaves(
        &mut self,
        at: &str,
        claims: BlockClaims,
        expected: Vec<Poly>,
    ) -> Result<(), S::Error> {
        let helpers = claims.committed.len().checked_sub(expected.len());
        let Some(helpers) = helpers.filter(|h| *h > 0 && claims.tensors.is_empty()) else {
            return Err(ScheduleError::UnexpectedClaims { at: at.into() }.into());
        };
        let first = self.helpers;
        self.helpers += helpers;
        let polys = expected.into_iter().chain((first..self.helpers).map(Poly::Helper));
        self.leaves.extend(claims.committed.into_iter().zip(polys));
        Ok(())
    }

    /// Zero padding of every committed tensor whose axes are not all powers of two: one claim
    /// per padded block ([`PaddingCheck`]), each an accumulator leaf.
    fn padding_checks(&mut self) -> Result<(), S::Error> {
        let refs: Vec<Ref> = self
            .commitments
            .tensors
            .keys()
            .copied()
            .filter(|r| !self.plan.slot_shape(*r).iter().all(|d| d.is_power_of_two()))
            .collect();
        if refs.is_empty() {
            return Ok(());
        }
        let spec =
            PaddingCheckSpec { shapes: refs.iter().map(|r| self.plan.slot_shape(*r)).collect() };
        let commitments = refs.iter().map(|r| self.committed(*r)).collect::<Result<_, _>>()?;
        let instance = PaddingCheckInstance { commitments };
        let claims = self.side.block::<PaddingCheck>("padding checks", &spec, &instance, &|w| {
            refs.iter()
                .map(|r| {
                    let t = w
                        .committed
                        .get(r)
                        .ok_or(Error::Internal("a padded tensor has no witness"))?;
                    Ok(t.to_mle())
                })
                .collect()
        })?;
        // One claim per padded block of each tensor, tensor by tensor.
        let owners: Vec<Ref> = refs
            .iter()
            .zip(&spec.shapes)
            .flat_map(|(r, shape)| {
                let blocks: usize = shape
                    .iter()
                    .zip(axis_vars(shape))
                    .map(|(d, n)| padded_blocks(*d, n).len())
                    .sum();
                std::iter::repeat_n(*r, blocks)
            })
            .collect();
        if claims.committed.len() != owners.len() || !claims.tensors.is_empty() {
            return Err(ScheduleError::UnexpectedClaims { at: "padding checks".into() }.into());
        }
        for (c, r) in claims.committed.into_iter().zip(owners) {
            self.leaves.push((c, Poly::Lin(vec![(r, 1)])));
        }
        Ok(())
    }

    /// One random point per output, evaluated on the public output.
    fn output_claims(&mut self) -> Result<(), S::Error> {
        for (k, (_, id, _)) in self.plan.graph.outputs.clone().iter().enumerate() {
            let point = self.challenge(b"output point", num_vars(self.shape(*id)));
            let out = self.public_outputs.get(k).ok_or_else(|| ScheduleError::MissingPublic {
                node: self.name(*id),
                what: "output",
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
                let x = self.public_inputs.get(&id).ok_or_else(|| {
                    ScheduleError::MissingPublic { node: self.name(id), what: "input" }
                })?;
                let mle = x.to_mle();
                for c in claims {
                    if mle.evaluate(&c.point)? != c.value {
                        return Err(ScheduleError::PublicInputClaim { node: self.name(id) }.into());
                    }
                }
                // A committed public input (an op reads it as a committed tensor): its
                // commitment opens to the public values at a point drawn after every commitment.
                if self.plan.steps[id].committed() == 1 {
                    let point = self.challenge(b"public input binding point", mle.num_vars());
                    let value = mle.evaluate(&point)?;
                    self.lin_leaf(&Lin::of(Ref { node: id, slot: 0 }), shape, point, value)?;
                }
            }
            Role::PrivateInput | Role::Committed => {
                for c in claims {
                    self.lin_leaf(&Lin::of(Ref { node: id, slot: 0 }), shape, c.point, c.value)?;
                }
                if self.plan.roles[id] == Role::Committed {
                    let plan = self.plan;
                    plan.steps[id].reduce(self, id)?;
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
                    return Err(ScheduleError::ClaimOnConstant { at: self.name(id) }.into());
                }
            }
            Role::Derived => {
                let plan = self.plan;
                for c in claims {
                    plan.steps[id].reduce_claim(self, id, c)?;
                }
            }
        }
        Ok(())
    }

    fn weight(&self, id: QId) -> Result<Commitment, S::Error> {
        self.weights
            .get(&id)
            .copied()
            .ok_or_else(|| ScheduleError::MissingWeight { node: self.name(id) }.into())
    }
}

/// What the steps' reductions see of the schedule ([`tessera_compiler::plan::steps`]).
impl<'a, S: Side> Ctx<'a> for Schedule<'a, S> {
    type Error = S::Error;

    fn plan(&self) -> &'a BlockPlan {
        self.plan
    }

    fn transcript(&mut self) -> &mut Transcript {
        self.side.transcript()
    }

    fn send(
        &mut self,
        label: &'static [u8],
        count: usize,
        values: &dyn Fn(&Witness) -> Result<Vec<Fr>, StepError>,
    ) -> Result<Vec<Fr>, S::Error> {
        self.side.send(label, count, &|w| Ok(values(w)?))
    }

    fn block<B: Block>(
        &mut self,
        at: &str,
        spec: &B::Spec,
        instance: &B::Instance,
        witness: &dyn Fn(&Witness) -> Result<B::Witness, StepError>,
    ) -> Result<BlockClaims, S::Error>
    where
        B::Proof: 'static,
    {
        self.side.block::<B>(at, spec, instance, &|w| Ok(witness(w)?))
    }

    fn leaf(
        &mut self,
        lin: &Lin,
        shape: &[usize],
        point: Vec<Fr>,
        value: Fr,
    ) -> Result<(), S::Error> {
        self.lin_leaf(lin, shape, point, value)
    }

    fn route(&mut self, node: QId, point: Vec<Fr>, value: Fr) {
        Schedule::route(self, node, point, value);
    }

    fn weight(&self, id: QId) -> Result<Commitment, S::Error> {
        Schedule::weight(self, id)
    }

    fn weight_leaf(&mut self, id: QId, claim: Claim) {
        self.leaves.push((claim, Poly::Weight(id)));
    }

    fn product(&mut self, node: QId, shape: &[usize], factors: &[Lin], point: Vec<Fr>, value: Fr) {
        self.products.push(products::ProductClaim {
            node,
            shape: shape.to_vec(),
            factors: factors.to_vec(),
            point,
            value,
        });
    }
}
