//! Step 6 of the schedule: every product claim `Π f_k(r) = v` the steps made (zero checks of
//! clamps, max pooling and selectors; the products of square roots, divisions and maxima), in the
//! order they were made, in **one** [`HadamardBatch`] proof per level, whatever their shapes and
//! numbers of factors.

use tessera_blocks::Fr;
use tessera_blocks::claim::TensorClaim;
use tessera_blocks::elementwise::{
    HadamardBatch, HadamardBatchInstance, HadamardBatchSpec, MAX_FACTORS,
};
use tessera_compiler::plan::Lin;
use tessera_compiler::plan::steps::{Node, product};
use tessera_compiler::quant::qop::QId;

use super::{Schedule, Side, VIRTUAL};
use crate::error::{Error, ScheduleError};

impl<S: Side> Schedule<'_, S> {
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
            let plan = self.plan;
            let nodes: Vec<Node<'_>> =
                batch.iter().map(|c| Node::new(plan, c.node, "product check")).collect();
            let claims =
                self.side.block::<HadamardBatch>("product checks", &spec, &instance, &|w| {
                    batch
                        .iter()
                        .zip(&groups)
                        .zip(&nodes)
                        .map(|((c, g), node)| {
                            g.iter().map(|fs| Ok(product(w, fs, &c.shape, node)?)).collect::<Result<
                                Vec<_>,
                                Error,
                            >>(
                            )
                        })
                        .collect()
                })?;
            let factors: usize = groups.iter().map(Vec::len).sum();
            if claims.tensors.len() != factors || !claims.committed.is_empty() {
                return Err(ScheduleError::UnexpectedClaims { at: "product checks".into() }.into());
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
    pub node: QId,
    pub shape: Vec<usize>,
    pub factors: Vec<Lin>,
    pub point: Vec<Fr>,
    pub value: Fr,
}
