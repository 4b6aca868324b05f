//! The merged function lookups: every lookup node of table `T`, across the whole model, is one
//! vector `(x, y)` of the table's lookup block into `(t, T[t])`, whose output column the verifying
//! key commits. It runs once per table, right after the range lookup (step 2 of the schedule), in
//! the plan's table order. Its multiplicities `m_T` (over all the table's nodes) are committed with
//! the statement, like every `y` and every `x`'s committed terms, so the lookup's challenges `ζ, β`
//! come after them. Claims out: `x̃` (on the linear form's derived commitment) and `ỹ` per node,
//! `m̃_T`, and the table's output column: all accumulator leaves.

use tessera_blocks::lookup::{LookedUp, LookupInstance, LookupSpec, LookupWitness};
use tessera_compiler::plan::steps::lookup::Lookup;
use tessera_compiler::plan::{Ref, Step};

use super::{Poly, Schedule, Side};
use crate::error::{Error, ScheduleError};
use crate::witness::{function_table, function_vectors};

impl<S: Side> Schedule<'_, S> {
    /// Every merged function lookup of the plan, in its order: for table `T`, every `(x, y)` of
    /// its nodes is a row of `(t, T[t])`, with one multiplicity vector for all of them.
    pub(super) fn function_lookups(&mut self) -> Result<(), S::Error> {
        let plan = self.plan;
        for (k, f) in plan.function_lookups.iter().enumerate() {
            let at = format!("function lookup of table {}", f.table);
            let bad = |what: &'static str| ScheduleError::FunctionLookup { table: f.table, what };
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
                let Some(Step::Lookup(Lookup { input, table })) = plan.steps.get(id) else {
                    return Err(bad("a node that is not a lookup").into());
                };
                if *table != f.table || input.constant != 0 || input.terms.is_empty() {
                    return Err(bad("a lookup input with a constant or of another table").into());
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
                        .ok_or(Error::Internal("a function lookup has no multiplicities"))?,
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
}
