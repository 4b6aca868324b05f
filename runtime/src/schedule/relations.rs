//! Committed nodes: the relation that defines each lookup-defined tensor, proven at fresh points
//! after every commitment was absorbed. Claims on committed slots become accumulator leaves; the
//! claim each relation derives on its input is routed to the input's producer.
//!
//! Notation: `ρ` is a fresh challenge point, `ẽ(ρ)` evaluations the prover sends (absorbed
//! before anything that depends on them), `mask` the verifier's own evaluation of the real-entry
//! indicator. Every product the relations need — the Hadamard products `P` and `S∘D` below and the
//! zero checks `Π f_k = 0` — is recorded as a product claim where the step says so and proved
//! after all nodes, in one batched proof ([`Schedule::flush_products`], step 6 of the schedule).
//! In transcript order per step:
//!
//! * **rescale, division by a constant `d`** (`[y, r]`, with `0 ≤ r < d` and `y` range-checked):
//!   `ρ`; send `ỹ(ρ), r̃(ρ)`; claim `x̃(ρ) = d·ỹ + r̃ − ⌊d/2⌋·mask`.
//! * **division by a tensor** (`[y, r, d̄]`, `0 ≤ r ≤ 2d̄ − 1`, `y` range-checked):
//!   `ρ`; send `ỹ, r̃, d̄̃, P = (d̄∘y)~` at `ρ`; claim `x̃(ρ) = (2P + r̃ − d̄̃)/2^{s+1}`; the
//!   Hadamard proof of `P`; the broadcast proof that reduces `d̄̃(ρ)` to a claim on `d`.
//!   `2X + d = 2dy + r` with `0 ≤ r < 2d` gives `y = ⌊(2X + d)/(2d)⌋ = ⌊(X + ⌊d/2⌋)/d⌋` for
//!   every `d ≥ 1` (for odd `d` the two differ only if `d | 2X` with an odd quotient, which is
//!   impossible), so the divisor's parity needs no witness.
//! * **square root** (`[y, e]`, `0 ≤ e ≤ 2y`): `ρ`; send `ỹ, ẽ, P = (y∘y)~`; claim
//!   `x̃(ρ) = P + ẽ`; the Hadamard proof of `P`. Then `y² ≤ x < (y + 1)²`.
//! * **clamp** and **max pool**: range-checked differences whose product is zero (zero checks at a
//!   fresh point each); max pool first binds the differences to the window views, all taps in
//!   one [`MapBatch`] (one sumcheck and one input claim per pool). A padded pool views
//!   `x − c` for a lower bound `c` of the input, so a tap in the padding reads `c` and cannot
//!   exceed a real tap: `d_k = y − c − view_k(x − c)`.
//! * **max over an axis** (`[y, D, S]`, `D ≥ 0` range-checked): `ρ`; send `D̃(ρ)` and
//!   `B = broadcast(y)~(ρ)`; the broadcast proof reducing `B` to a claim on `y`; claim
//!   `x̃(ρ) = B − D̃(ρ)`; the zero check `S∘(S − 1) = 0`; at a fresh `ρ'` the axis sum
//!   `Σ_k S = 1` per reduced line; at a fresh `ρ''` the axis sum `Σ_k S_k·D_k = 0` per line with
//!   the product proof of `S∘D`. So exactly one selected entry per line, and it equals `y`, which
//!   is at least every entry.
//! * **function lookup** (`[y]`): not proven per node. Every lookup node of table `T`, across the
//!   whole model, is one vector `(x, y)` of the table's merged lookup block into `(t, T[t])`,
//!   whose output column the verifying key commits; it runs once per table, right after the range
//!   lookup (step 2 of the schedule), in the plan's table order. Its multiplicities `m_T` (over
//!   all the table's nodes) are committed with the statement, like every `y` and every `x`'s
//!   committed terms, so the lookup's challenges `ζ, β` come after them. Claims out: `x̃` (on the
//!   linear form's derived commitment) and `ỹ` per node, `m̃_T`, and the table's output column:
//!   all accumulator leaves.

use ark_ff::{AdditiveGroup, Field, Zero};
use tessera_blocks::Fr;
use tessera_blocks::block::Block;
use tessera_blocks::claim::TensorClaim;
use tessera_blocks::curve::fr_from_i64;
use tessera_blocks::elementwise::{
    AxisSum, AxisSumSpec, Broadcast, BroadcastSpec, HadamardBatch, HadamardBatchInstance,
    HadamardBatchSpec, Instance, MAX_FACTORS,
};
use tessera_blocks::lookup::table::shape_mask_eval;
use tessera_blocks::lookup::{LookedUp, LookupInstance, LookupSpec, LookupWitness};
use tessera_blocks::permutation::{MapBatch, MapBatchInstance, MapBatchSpec};
use tessera_blocks::tensor::IntTensor;
use tessera_compiler::plan::{Lin, Ref, Step};
use tessera_compiler::quant::qop::QId;

use super::{Poly, Schedule, Side, VIRTUAL, VIRTUAL_LEFT, num_vars};
use crate::error::{Error, Reject};
use crate::witness::{Witness, broadcast_to, eval_lin, function_table, function_vectors, pool_tap};

impl<S: Side> Schedule<'_, S> {
    /// Proves the relation that defines a committed node.
    pub(super) fn relation(&mut self, id: QId) -> Result<(), S::Error> {
        let shape = self.shape(id).to_vec();
        let at = |slot| Ref { node: id, slot };
        match self.plan.steps[id].clone() {
            Step::Rescale { input, shift } => {
                if !(1..=62).contains(&shift) {
                    return Err(Reject { at: self.name(id), what: "rescale shift".into() }.into());
                }
                self.division(id, input, 1i64 << shift, b"rescale point", b"rescale evals")
            }
            Step::DivConst { input, divisor } => {
                self.division(id, input, divisor, b"division point", b"division evals")
            }
            Step::DivRound { input, divisor, shift } => self.div_round(id, input, divisor, shift),
            Step::Sqrt { input } => self.sqrt(id, input),
            Step::ReduceMax { input, axis } => self.reduce_max(id, input, axis),
            // Proven with every other node of its table by `function_lookups` (step 2).
            Step::Lookup { .. } => Ok(()),
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
            Step::MaxPool { input, kernel, stride, pads, dilation, pad_value } => {
                let taps = kernel[0] * kernel[1];
                let first = self.plan.graph.nodes[id].inputs.first().copied();
                let first = first.ok_or_else(|| Reject {
                    at: self.name(id),
                    what: "a max pool without input".into(),
                })?;
                let in_shape = self.shape(first).to_vec();
                let point = self.challenge(b"max pool point", num_vars(&shape));
                let refs: Vec<Ref> = (0..=taps).map(at).collect();
                let p = point.clone();
                let e =
                    self.side.send(b"max pool evals", taps + 1, &|w| eval_refs(w, &refs, &p))?;
                for (r, v) in refs.iter().zip(&e) {
                    self.lin_leaf(&Lin::of(*r), &shape, point.clone(), *v)?;
                }
                // Every tap is a window view of the input at the same point: one batch.
                let spec = MapBatchSpec {
                    maps: (0..taps)
                        .map(|k| pool_tap(&in_shape, &shape, kernel, stride, pads, dilation, k))
                        .collect(),
                };
                // Tap k of `x − pad_value` is `y − pad_value − d_k` (0 in the padding).
                let shift = fr_from_i64(pad_value) * shape_mask_eval(&shape, &point)?;
                let values = (0..taps).map(|k| e[0] - e[1 + k] - shift).collect();
                let instance =
                    MapBatchInstance { point: point.clone(), values, input: VIRTUAL_LEFT };
                let shifted = input.clone().plus(-pad_value);
                let (lin, ins) = (shifted.clone(), in_shape.clone());
                let claims =
                    self.side.block::<MapBatch>(&self.name(id), &spec, &instance, &|w| {
                        Ok(vec![eval_lin(&w.committed, &lin, &ins, true)?])
                    })?;
                let [c] = <[TensorClaim; 1]>::try_from(claims.tensors)
                    .map_err(|_| Reject { at: self.name(id), what: "window claims".into() })?;
                self.lin_leaf(&shifted, &in_shape, c.point, c.value)?;
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

    /// `x + ⌊d/2⌋ = d·y + r` at a fresh point (slots `[y, r]`).
    fn division(
        &mut self,
        id: QId,
        input: QId,
        d: i64,
        point_label: &'static [u8],
        evals_label: &'static [u8],
    ) -> Result<(), S::Error> {
        let shape = self.shape(id).to_vec();
        let (y, r) = (Ref { node: id, slot: 0 }, Ref { node: id, slot: 1 });
        let point = self.challenge(point_label, num_vars(&shape));
        let p = point.clone();
        let e = self.side.send(evals_label, 2, &|w| eval_refs(w, &[y, r], &p))?;
        let mask = shape_mask_eval(&shape, &point)?;
        let x = fr_from_i64(d) * e[0] + e[1] - fr_from_i64(d / 2) * mask;
        self.lin_leaf(&Lin::of(y), &shape, point.clone(), e[0])?;
        self.lin_leaf(&Lin::of(r), &shape, point.clone(), e[1])?;
        self.route(input, point, x);
        Ok(())
    }

    /// `2·x·2^s + d̄ = 2·d̄·y + r` and `d̄ = broadcast(d)` (slots `[y, r, d̄]`).
    fn div_round(&mut self, id: QId, input: QId, divisor: QId, shift: u32) -> Result<(), S::Error> {
        let shape = self.shape(id).to_vec();
        let at = |slot| Ref { node: id, slot };
        let (y, r, dd) = (at(0), at(1), at(2));
        let point = self.challenge(b"division point", num_vars(&shape));
        let (p, sh) = (point.clone(), shape.clone());
        let name = self.name(id);
        let e = self.side.send(b"division evals", 4, &|w| {
            let mut v = eval_refs(w, &[y, r, dd], &p)?;
            let prod = product(w, &[Lin::of(y), Lin::of(dd)], &sh, &name)?;
            v.push(prod.to_mle().evaluate(&p)?);
            Ok(v)
        })?;
        for (s, v) in [y, r, dd].iter().zip(&e) {
            self.lin_leaf(&Lin::of(*s), &shape, point.clone(), *v)?;
        }
        let scale = Fr::from(2u64).pow([u64::from(shift) + 1]);
        let inv = scale
            .inverse()
            .ok_or_else(|| Reject { at: self.name(id), what: "division shift".into() })?;
        let x = (e[3].double() + e[1] - e[2]) * inv;
        self.route(input, point.clone(), x);
        self.product_claim(id, &shape, &[Lin::of(y), Lin::of(dd)], point.clone(), e[3])?;
        let claim = TensorClaim { tensor: VIRTUAL, point, value: e[2] };
        self.broadcast_claim(id, divisor, claim)
    }

    /// `x = y∘y + e` (slots `[y, e]`; the range checks give `0 ≤ e ≤ 2y`).
    fn sqrt(&mut self, id: QId, input: QId) -> Result<(), S::Error> {
        let shape = self.shape(id).to_vec();
        let (y, e) = (Ref { node: id, slot: 0 }, Ref { node: id, slot: 1 });
        let point = self.challenge(b"sqrt point", num_vars(&shape));
        let (p, sh) = (point.clone(), shape.clone());
        let name = self.name(id);
        let v = self.side.send(b"sqrt evals", 3, &|w| {
            let mut v = eval_refs(w, &[y, e], &p)?;
            let prod = product(w, &[Lin::of(y), Lin::of(y)], &sh, &name)?;
            v.push(prod.to_mle().evaluate(&p)?);
            Ok(v)
        })?;
        self.lin_leaf(&Lin::of(y), &shape, point.clone(), v[0])?;
        self.lin_leaf(&Lin::of(e), &shape, point.clone(), v[1])?;
        self.route(input, point.clone(), v[2] + v[1]);
        self.product_claim(id, &shape, &[Lin::of(y), Lin::of(y)], point, v[2])
    }

    /// `D = broadcast(y) − x`, `S∘(S−1) = 0`, `Σ_k S = 1`, `Σ_k S·D = 0` (slots `[y, D, S]`).
    fn reduce_max(&mut self, id: QId, input: QId, axis: usize) -> Result<(), S::Error> {
        let ys = self.shape(id).to_vec();
        let xs = self.shape(input).to_vec();
        let at = |slot| Ref { node: id, slot };
        let (y, d, s) = (at(0), at(1), at(2));
        let name = self.name(id);
        let bad = |what: &str| Reject { at: name.clone(), what: what.to_string() };
        if axis >= xs.len() || ys.len() != xs.len() {
            return Err(bad("max shapes").into());
        }
        // 1. D = broadcast(y) − x at ρ.
        let point = self.challenge(b"max point", num_vars(&xs));
        let (p, wide) = (point.clone(), xs.clone());
        let e = self.side.send(b"max evals", 2, &|w| {
            let mut v = eval_refs(w, &[d], &p)?;
            let yt = w.committed.get(&y).ok_or_else(|| Error::Input("missing tensor".into()))?;
            v.push(broadcast_to(yt, &wide)?.to_mle().evaluate(&p)?);
            Ok(v)
        })?;
        self.lin_leaf(&Lin::of(d), &xs, point.clone(), e[0])?;
        let spec = BroadcastSpec { in_shape: ys.clone(), out_shape: xs.clone() };
        let output = TensorClaim { tensor: VIRTUAL, point: point.clone(), value: e[1] };
        let instance = Instance { output, inputs: vec![VIRTUAL_LEFT] };
        let claims = self.side.block::<Broadcast>(&name, &spec, &instance, &|w| {
            let yt = w.committed.get(&y).ok_or_else(|| Error::Input("missing tensor".into()))?;
            Ok(vec![yt.clone()])
        })?;
        let [c] =
            <[TensorClaim; 1]>::try_from(claims.tensors).map_err(|_| bad("broadcast claims"))?;
        self.lin_leaf(&Lin::of(y), &ys, c.point, c.value)?;
        self.route(input, point, e[1] - e[0]);
        // 2. S is 0/1.
        self.zero_product_shaped(id, &xs, &[Lin::of(s), Lin::of(s).plus(-1)])?;
        // 3. One selected entry per row, 4. whose difference is zero.
        let sum = AxisSumSpec { in_shape: xs.clone(), axes: vec![axis], scale: 1 };
        let rho = self.challenge(b"max selector sum point", num_vars(&ys));
        let mask = shape_mask_eval(&ys, &rho)?;
        let output = TensorClaim { tensor: VIRTUAL, point: rho, value: mask };
        let instance = Instance { output, inputs: vec![VIRTUAL_LEFT] };
        let ((), claims) = AxisSum::prove(&sum, &instance, &vec![], self.side.transcript())?;
        let [c] = <[TensorClaim; 1]>::try_from(claims.tensors).map_err(|_| bad("sum claims"))?;
        self.lin_leaf(&Lin::of(s), &xs, c.point, c.value)?;
        let rho = self.challenge(b"max selected difference point", num_vars(&ys));
        let output = TensorClaim { tensor: VIRTUAL, point: rho, value: Fr::zero() };
        let instance = Instance { output, inputs: vec![VIRTUAL_LEFT] };
        let ((), claims) = AxisSum::prove(&sum, &instance, &vec![], self.side.transcript())?;
        let [c] = <[TensorClaim; 1]>::try_from(claims.tensors).map_err(|_| bad("sum claims"))?;
        self.product_claim(id, &xs, &[Lin::of(s), Lin::of(d)], c.point, c.value)
    }

    /// Every merged function lookup of the plan, in its order: for table `T`, every `(x, y)` of
    /// its nodes is a row of `(t, T[t])`, with one multiplicity vector for all of them.
    pub(super) fn function_lookups(&mut self) -> Result<(), S::Error> {
        let plan = self.plan;
        for (k, f) in plan.function_lookups.iter().enumerate() {
            let at = format!("function lookup of table {}", f.table);
            let bad = |what: &str| Reject { at: at.clone(), what: what.to_string() };
            let table_commitment =
                *self.tables.get(&f.table).ok_or_else(|| bad("no table commitment in the key"))?;
            let mc = *self
                .commitments
                .function_multiplicities
                .get(k)
                .ok_or_else(|| bad("missing multiplicities"))?;
            if f.nodes.is_empty() {
                return Err(bad("a lookup without nodes").into());
            }
            let spec = LookupSpec {
                table: function_table(plan, f.table)?,
                table_commitment: Some(table_commitment),
            };
            let mut inputs = Vec::with_capacity(f.nodes.len());
            let mut expected = Vec::with_capacity(2);
            for &id in &f.nodes {
                let Some(Step::Lookup { input, table }) = plan.steps.get(id) else {
                    return Err(bad("a node that is not a lookup").into());
                };
                if *table != f.table || input.constant != 0 || input.terms.is_empty() {
                    return Err(Reject {
                        at: self.name(id),
                        what: "a lookup input with a constant or of another table".into(),
                    }
                    .into());
                }
                let y = Ref { node: id, slot: 0 };
                let (xc, yc) = (self.lin_commitment(input)?, self.committed(y)?);
                let shape = self.shape(id).to_vec();
                inputs.push(LookedUp { shape, columns: vec![xc, yc], offset: 0 });
            }
            expected.push((mc, Poly::FunctionMultiplicities(k)));
            expected.push((table_commitment, Poly::Table(f.table)));
            let instance =
                LookupInstance { inputs, multiplicities: mc, chunk_vars: self.lookup_chunk_vars() };
            let claims = self.side.lookup(&at, &spec, &instance, &|w, srs| {
                Ok(LookupWitness {
                    inputs: function_vectors(plan, &w.committed, &f.nodes)?,
                    multiplicities: w
                        .function_multiplicities
                        .get(k)
                        .cloned()
                        .ok_or_else(|| Error::Input("missing multiplicities".into()))?,
                    srs: srs.clone(),
                })
            })?;
            for (c, (commitment, _)) in claims.committed.iter().zip(&expected) {
                if c.commitment != *commitment {
                    return Err(bad("a lookup claim on an unexpected commitment").into());
                }
            }
            let polys = expected.into_iter().map(|(_, p)| p).collect();
            self.lookup_leaves(&at, claims, polys)?;
        }
        Ok(())
    }

    /// Proves `Π_k f_k = 0` entrywise for linear forms `f_k` (a product claim at a random point).
    fn zero_product(&mut self, id: QId, factors: &[Lin]) -> Result<(), S::Error> {
        let shape = self.shape(id).to_vec();
        self.zero_product_shaped(id, &shape, factors)
    }

    /// [`Self::zero_product`] for factors of `shape`.
    fn zero_product_shaped(
        &mut self,
        id: QId,
        shape: &[usize],
        factors: &[Lin],
    ) -> Result<(), S::Error> {
        let point = self.challenge(b"zero check point", num_vars(shape));
        self.product_claim(id, shape, factors, point, Fr::zero())
    }

    /// Records the claim `Π f_k(point) = value`; [`Self::flush_products`] proves it later.
    fn product_claim(
        &mut self,
        id: QId,
        shape: &[usize],
        factors: &[Lin],
        point: Vec<Fr>,
        value: Fr,
    ) -> Result<(), S::Error> {
        self.products.push(ProductClaim {
            node: id,
            shape: shape.to_vec(),
            factors: factors.to_vec(),
            point,
            value,
        });
        Ok(())
    }

    /// Proves every recorded product claim: a claim on one factor is an accumulator leaf; all
    /// claims on `Π f_k` with several factors are one [`HadamardBatch`] (degree: the most factors
    /// plus one), whose claims on each factor are leaves. A claim with more than
    /// [`MAX_FACTORS`] factors (a 3×3 pool's nine taps) is split into its halves' products
    /// `(Π L)·(Π R)`, whose claims are proved the same way by a next batch.
    pub(super) fn flush_products(&mut self) -> Result<(), S::Error> {
        let mut level = std::mem::take(&mut self.products);
        while !level.is_empty() {
            let mut batch = Vec::new();
            for c in level {
                if let [single] = c.factors.as_slice() {
                    self.lin_leaf(single, &c.shape, c.point, c.value)?;
                } else {
                    batch.push(c);
                }
            }
            if batch.is_empty() {
                break;
            }
            // Each claim's factors in this batch: its own, or the products of its two halves.
            let groups: Vec<Vec<Vec<Lin>>> = batch
                .iter()
                .map(|c| match c.factors.len() {
                    k if k <= MAX_FACTORS => c.factors.iter().map(|f| vec![f.clone()]).collect(),
                    k => c.factors.chunks(k.div_ceil(2)).map(<[Lin]>::to_vec).collect(),
                })
                .collect();
            let spec =
                HadamardBatchSpec { shapes: batch.iter().map(|c| c.shape.clone()).collect() };
            let instance = HadamardBatchInstance {
                outputs: batch
                    .iter()
                    .map(|c| TensorClaim {
                        tensor: VIRTUAL,
                        point: c.point.clone(),
                        value: c.value,
                    })
                    .collect(),
                inputs: groups.iter().map(|g| vec![VIRTUAL; g.len()]).collect(),
            };
            let names: Vec<String> = batch.iter().map(|c| self.name(c.node)).collect();
            let claims =
                self.side.block::<HadamardBatch>("product checks", &spec, &instance, &|w| {
                    batch
                        .iter()
                        .zip(&groups)
                        .zip(&names)
                        .map(|((c, g), name)| {
                            g.iter().map(|fs| product(w, fs, &c.shape, name)).collect()
                        })
                        .collect()
                })?;
            let factors: usize = groups.iter().map(Vec::len).sum();
            if claims.tensors.len() != factors || !claims.committed.is_empty() {
                let what = "unexpected product-check claims".into();
                return Err(Reject { at: "product checks".into(), what }.into());
            }
            let mut claims = claims.tensors.into_iter();
            let mut next = Vec::with_capacity(factors);
            for (c, g) in batch.into_iter().zip(groups) {
                for (fs, claim) in g.into_iter().zip(claims.by_ref()) {
                    next.push(ProductClaim {
                        node: c.node,
                        shape: c.shape.clone(),
                        factors: fs,
                        point: claim.point,
                        value: claim.value,
                    });
                }
            }
            level = next;
        }
        Ok(())
    }
}

/// `Π factors (point) = value` on tensors of `shape`, made by node `node`'s relation.
pub(crate) struct ProductClaim {
    node: QId,
    shape: Vec<usize>,
    factors: Vec<Lin>,
    point: Vec<Fr>,
    value: Fr,
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
