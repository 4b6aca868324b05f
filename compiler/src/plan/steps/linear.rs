//! **Linear combinations**: `Σ c_i·x_i + constant` of same-shape tensors ([`Linear`]), and
//! `x + sign·broadcast(bias)` with a committed or computed bias ([`BiasAdd`]). Derived: the
//! linear-combination block reduces a claim on the output to one claim per input at the same
//! point (and a bias's through a broadcast proof).

use serde::{Deserialize, Serialize};
use tessera_blocks::claim::{TensorClaim, TensorId};
use tessera_blocks::elementwise::{Instance, Linear as LinearBlock, LinearSpec};

use super::{Ctx, Node, StepKind, VIRTUAL, absorb, broadcast_claim, value};
use crate::plan::interval::Interval;
use crate::plan::witness::broadcast_to;
use crate::quant::qop::{QId, QNode};

/// `Σ c_i·x_i + constant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linear {
    /// Inputs and coefficients.
    pub terms: Vec<(QId, i64)>,
    /// Constant on the real entries.
    pub constant: i64,
}

/// `x + sign·broadcast(bias)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BiasAdd {
    /// `x` (same shape as the output).
    pub input: QId,
    /// The bias (broadcasts to the output).
    pub bias: QId,
    /// `±1`.
    pub sign: i64,
}

impl StepKind for Linear {
    const KIND: &'static str = "Linear";

    /// `constant + Σ c·bound(x)`.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        let mut acc = Interval::point(self.constant as i128);
        for (t, c) in &self.terms {
            acc = acc.checked_add(b(*t)?.checked_scaled(*c as i128)?)?;
        }
        Some(acc)
    }

    /// The nodes it reads.
    fn inputs(&self) -> Vec<QId> {
        self.terms.iter().map(|t| t.0).collect()
    }

    /// Reduces a claim on the output.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let spec = LinearSpec {
            shape: n.shape(),
            coeffs: self.terms.iter().map(|t| t.1).collect(),
            constant: self.constant,
        };
        let inputs = self.terms.iter().map(|t| TensorId(t.0 as u32)).collect();
        let instance = Instance { output: claim, inputs };
        let terms = &self.terms;
        let claims = c.block::<LinearBlock>(&n.label(), &spec, &instance, &|w| {
            terms.iter().map(|t| Ok(value(w, t.0)?.clone())).collect()
        })?;
        absorb(c, id, claims, None)
    }
}

impl StepKind for BiasAdd {
    const KIND: &'static str = "BiasAdd";

    /// `bound(x) + sign·bound(bias)`.
    fn bound(
        &self,
        _: QId,
        _: &[QNode],
        b: &dyn Fn(QId) -> Option<Interval>,
        _: Option<Interval>,
    ) -> Option<Interval> {
        b(self.input)?.checked_add(b(self.bias)?.checked_scaled(self.sign as i128)?)
    }

    /// The nodes it reads.
    fn inputs(&self) -> Vec<QId> {
        vec![self.input, self.bias]
    }

    /// Reduces a claim on the output to one on `x` and, through a broadcast, one on the bias.
    fn reduce_claim<'p, C: Ctx<'p>>(
        &self,
        c: &mut C,
        id: QId,
        claim: TensorClaim,
    ) -> Result<(), C::Error> {
        let n = Node::new(c.plan(), id, Self::KIND);
        let out_shape = n.shape();
        let spec = LinearSpec { shape: out_shape.clone(), coeffs: vec![1, self.sign], constant: 0 };
        let instance =
            Instance { output: claim, inputs: vec![TensorId(self.input as u32), VIRTUAL] };
        let (input, bias) = (self.input, self.bias);
        let claims = c.block::<LinearBlock>(&n.label(), &spec, &instance, &|w| {
            Ok(vec![value(w, input)?.clone(), broadcast_to(value(w, bias)?, &out_shape)?])
        })?;
        let [x_claim, b_claim] = <[TensorClaim; 2]>::try_from(claims.tensors)
            .map_err(|_| n.malformed("linear claims"))?;
        if x_claim.tensor != TensorId(input as u32) || b_claim.tensor != VIRTUAL {
            return Err(n.malformed("linear claims").into());
        }
        c.route(input, x_claim.point, x_claim.value);
        broadcast_claim(c, id, bias, b_claim)
    }
}
