//! A conformance case for tensor blocks: verbs whose instance is an output claim plus input
//! tensor ids ([`crate::elementwise::Instance`]) and whose witness is the input tensors.
//! Implement [`Fixture`] for a block and run [`super::run_all`] on [`Case`]`<Block>`; input
//! claims are discharged against the witness tensors (claim `TensorId(i)` reads input `i`).

use ark_ff::{One, UniformRand};
use ark_std::rand::{Rng, SeedableRng, rngs::StdRng};

use super::{ConformanceCase, Tampering};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim, TensorId};
use crate::curve::Fr;
use crate::elementwise::Instance;
use crate::error::{RelationError, VerifyError};
use crate::sumcheck::SumcheckProof;
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

pub fn random_tensor(shape: &[usize], rng: &mut StdRng) -> IntTensor {
    let len = shape.iter().product();
    IntTensor::new(shape.to_vec(), (0..len).map(|_| rng.gen_range(-100..100)).collect()).unwrap()
}

pub fn random_point(n: usize, rng: &mut StdRng) -> Vec<Fr> {
    (0..n).map(|_| Fr::rand(rng)).collect()
}

/// Discharges tensor claims against the witness tensors (claim `TensorId(i)` is input `i`).
pub fn discharge(claims: &BlockClaims, inputs: &[IntTensor]) -> Result<(), VerifyError> {
    for c in &claims.tensors {
        let x = inputs
            .get(c.tensor.0 as usize)
            .ok_or(VerifyError::Mismatch { protocol: "oracle", what: "tensor id" })?;
        if x.to_mle().evaluate(&c.point)? != c.value {
            return Err(VerifyError::Mismatch { protocol: "oracle", what: "input claim" });
        }
    }
    Ok(())
}

pub fn output_instance(out: &IntTensor, inputs: usize, rng: &mut StdRng) -> Instance {
    let point = random_point(out.to_mle().num_vars(), rng);
    let value = out.to_mle().evaluate(&point).unwrap();
    Instance {
        output: TensorClaim { tensor: TensorId(inputs as u32), point, value },
        inputs: (0..inputs as u32).map(TensorId).collect(),
    }
}

/// A verb with tensor inputs, wrapped for the conformance suite.
pub trait Fixture: Block<Instance = Instance, Witness = Vec<IntTensor>> + Sized
where
    Self::Proof: std::fmt::Debug + PartialEq,
{
    /// Name used in failure messages.
    const NAME: &'static str;
    /// The spec for a test of `size` (the suite uses 1, 2, 5, 64, 300).
    fn spec(size: usize) -> Self::Spec;
    /// Random inputs for `spec`.
    fn inputs(spec: &Self::Spec, rng: &mut StdRng) -> Vec<IntTensor>;
    /// Every proof field tampered in turn, with the expected error.
    fn tamperings(proof: &Self::Proof) -> Vec<Tampering<Self::Proof>>;
}

pub struct Case<B: Fixture>
where
    B::Proof: std::fmt::Debug + PartialEq,
{
    pub spec: B::Spec,
    pub instance: Instance,
    pub witness: Vec<IntTensor>,
}

impl<B: Fixture> ConformanceCase for Case<B>
where
    B::Proof: std::fmt::Debug + PartialEq,
{
    type Proof = B::Proof;
    const NAME: &'static str = B::NAME;

    fn sizes() -> Vec<usize> {
        vec![1, 2, 5, 64, 300]
    }

    fn generate(size: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let spec = B::spec(size);
        let witness = B::inputs(&spec, &mut rng);
        let out = B::eval(&spec, &witness).unwrap().remove(0);
        let instance = output_instance(&out, witness.len(), &mut rng);
        Self { spec, instance, witness }
    }

    fn check(&self) -> Result<(), RelationError> {
        B::check(&self.spec, &self.instance, &self.witness)
    }

    fn corrupt_witness(&mut self) {
        let x = &self.witness[0];
        // Every entry moves, so even a map that reads only some of them sees the corruption.
        let data = x.data().iter().map(|v| v + 1).collect();
        self.witness[0] = IntTensor::new(x.shape().to_vec(), data).unwrap();
    }

    fn prove(&self, t: &mut Transcript) -> B::Proof {
        B::prove(&self.spec, &self.instance, &self.witness, t).unwrap().0
    }

    fn verify(&self, proof: &B::Proof, t: &mut Transcript) -> Result<(), VerifyError> {
        let claims = B::verify(&self.spec, &self.instance, proof, t)?;
        discharge(&claims, &self.witness)
    }

    fn tamperings(&self, proof: &B::Proof) -> Vec<Tampering<B::Proof>> {
        B::tamperings(proof)
    }
}

pub fn sumcheck_tamperings<P: Clone>(
    proof: &P,
    sumcheck: impl Fn(&mut P) -> &mut SumcheckProof,
    protocol: &'static str,
) -> Vec<Tampering<P>> {
    let mut out = Vec::new();
    let mut probe = proof.clone();
    let rounds = sumcheck(&mut probe).rounds.len();
    for r in 0..rounds {
        let width = sumcheck(&mut probe).rounds[r].evals_except_one.len();
        for e in 0..width {
            let mut p = proof.clone();
            sumcheck(&mut p).rounds[r].evals_except_one[e] += Fr::one();
            out.push(Tampering {
                field: format!("round {r} eval {e}"),
                proof: p,
                expected: VerifyError::SumcheckFinal { protocol },
            });
        }
    }
    if rounds > 0 {
        let mut p = proof.clone();
        sumcheck(&mut p).rounds.pop();
        out.push(Tampering {
            field: "rounds (one dropped)".into(),
            proof: p,
            expected: VerifyError::ProofShape {
                what: "sumcheck rounds",
                expected: rounds,
                got: rounds - 1,
            },
        });
    }
    out
}
