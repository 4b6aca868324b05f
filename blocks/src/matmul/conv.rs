//! 2-D convolution (ONNX `Conv`, `group = 1`, no bias) as a matmul over shifted views of the
//! input, with the im2col view expressed by index maps the verifier evaluates itself: nothing is
//! copied or committed.
//!
//! Shapes: `X [B, C, H, W]`, `W [O, C, KH, KW]`, `Y [B, O, OH, OW]` with
//! `OH = ⌊(H + pad_top + pad_bottom − dil_y·(KH − 1) − 1)/stride_y⌋ + 1` (likewise `OW`), and
//! `Y[b, o, y, x] = Σ_{c, ky, kx} W[o, c, ky, kx]·X[b, c, y·s_y + ky·d_y − p_top, x·s_x + kx·d_x − p_left]`
//! (out-of-image taps read zero). Given `Ỹ(r_b, r_o, r_y, r_x) = v`:
//!
//! 1. **Taps.** `v = Σ_{c, ky, kx} W̃(r_o, c, ky, kx)·V(c, ky, kx)` with the view
//!    `V(c, ky, kx) = Σ_{b, y, x} eq(r_b, b)·eq(r_y, y)·eq(r_x, x)·X[b, c, src_y(y, ky), src_x(x, kx)]`:
//!    a degree-2 sumcheck to `ρ = (ρ_c, ρ_ky, ρ_kx)`; the prover sends `W̃(r_o, ρ)`, `V(ρ)`.
//! 2. **Window.** `V(ρ) = Σ_{iy, ix} X̂(iy, ix)·M_y(iy)·M_x(ix)` with
//!    `X̂(iy, ix) = X̃(r_b, ρ_c, iy, ix)` and the index maps
//!    `M_y(iy) = Σ_{ky, y : src_y(y, ky) = iy} eq(ρ_ky, ky)·eq(r_y, y)` (likewise `M_x`): a degree-3
//!    sumcheck to `σ = (σ_y, σ_x)`; the prover sends `X̂(σ)`, and the verifier evaluates
//!    `M̃_y(σ_y)`, `M̃_x(σ_x)` itself in `O(KH·OH + KW·OW)` (linear in one spatial side, not in the
//!    tensor; the permutation block's structured maps would make it `O(log)`).
//!
//! Claims out: `W̃(r_o, ρ_c, ρ_ky, ρ_kx)` on the weight's commitment, `X̃(r_b, ρ_c, σ_y, σ_x)` on `X`.
//! Transcript: statement (every spec number, ids, commitment, output claim); sumcheck 1;
//! `W̃(r_o, ρ)`, `V(ρ)`; sumcheck 2; `X̂(σ)`. Proof: `⌈log C⌉ + ⌈log KH⌉ + ⌈log KW⌉` rounds of 2
//! and `⌈log H⌉ + ⌈log W⌉` rounds of 3 field elements, plus three evaluations.
//! Prover: `O(BCHW + C·H·KW·OW + C·KH·KW·OH + O·C·KH·KW)` field operations.

use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::index::join;
use crate::block::Block;
use crate::claim::{BlockClaims, Claim, TensorClaim, TensorId};
use crate::curve::Fr;
use crate::error::{Error, RelationError, VerifyError};
use crate::kzg::Commitment;
use crate::mle::{MAX_NUM_VARS, eq_table};
use crate::sumcheck::{SumOfProducts, SumcheckProof, SumcheckStatement, verify_batch};
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

const PROTOCOL: &str = "conv";

/// ONNX Conv attributes and shapes (`pads = [top, left, bottom, right]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvSpec {
    pub batch: usize,
    pub in_channels: usize,
    pub height: usize,
    pub width: usize,
    pub out_channels: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub pads: [usize; 4],
    pub dilation: [usize; 2],
}

impl ConvSpec {
    /// `[OH, OW]`, or an error when the kernel does not fit.
    pub fn output_hw(&self) -> Result<[usize; 2], Error> {
        let mut out = [0; 2];
        for a in 0..2 {
            let len = [self.height, self.width][a] + self.pads[a] + self.pads[a + 2];
            let span = self.dilation[a] * (self.kernel[a] - 1) + 1;
            out[a] = len.checked_sub(span).ok_or(Error::Invalid {
                what: "conv spec",
                reason: format!("kernel span {span} exceeds padded length {len} on axis {a}"),
            })? / self.stride[a]
                + 1;
        }
        Ok(out)
    }

    pub fn validate(&self) -> Result<(), Error> {
        let dims = [self.batch, self.in_channels, self.height, self.width, self.out_channels];
        let attrs = [self.kernel, self.stride, self.dilation].concat();
        if dims.contains(&0) || attrs.contains(&0) {
            return Err(Error::Invalid { what: "conv spec", reason: format!("zero in {self:?}") });
        }
        let [oh, ow] = self.output_hw()?;
        let v: usize =
            [self.input_shape(), self.weight_shape(), vec![self.batch, self.out_channels, oh, ow]]
                .iter()
                .map(|s| axis_vars(s).iter().sum::<usize>())
                .max()
                .unwrap_or(0);
        if v > MAX_NUM_VARS {
            return Err(Error::Invalid { what: "conv spec", reason: format!("{v} variables") });
        }
        Ok(())
    }

    pub fn input_shape(&self) -> Vec<usize> {
        vec![self.batch, self.in_channels, self.height, self.width]
    }

    pub fn weight_shape(&self) -> Vec<usize> {
        vec![self.out_channels, self.in_channels, self.kernel[0], self.kernel[1]]
    }

    pub fn output_shape(&self) -> Result<Vec<usize>, Error> {
        let [oh, ow] = self.output_hw()?;
        Ok(vec![self.batch, self.out_channels, oh, ow])
    }

    /// The input index read by output index `o` and tap `k` along axis `a` (0 = y, 1 = x).
    fn source(&self, a: usize, o: usize, k: usize) -> Option<usize> {
        let v = (o * self.stride[a] + k * self.dilation[a]).checked_sub(self.pads[a])?;
        (v < [self.height, self.width][a]).then_some(v)
    }

    /// `M_a(i) = Σ_{k, o : src(o, k) = i} eq_k[k]·eq_o[o]`, as a table over padded input indices.
    fn window_map(&self, a: usize, eq_k: &[Fr], eq_o: &[Fr], out_len: usize) -> Vec<Fr> {
        let len = [self.height, self.width][a].next_power_of_two();
        let mut m = vec![Fr::zero(); len];
        for (k, ek) in eq_k.iter().enumerate().take(self.kernel[a]) {
            for (o, eo) in eq_o.iter().enumerate().take(out_len) {
                if let Some(i) = self.source(a, o, k) {
                    m[i] += *ek * eo;
                }
            }
        }
        m
    }
}

/// The statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvInstance {
    pub input: TensorId,
    pub weight: Commitment,
    pub output: TensorClaim,
}

/// What the prover knows (the weight as stored, `[O, C, KH, KW]`).
#[derive(Clone, Debug)]
pub struct ConvWitness {
    pub input: IntTensor,
    pub weight: IntTensor,
    pub output: IntTensor,
}

/// Two sumchecks and the evaluations between them (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ConvProof {
    pub taps: SumcheckProof,
    pub weight_eval: Fr,
    pub view_eval: Fr,
    pub window: SumcheckProof,
    pub input_eval: Fr,
}

impl ConvProof {
    /// Size of the compressed encoding, in bytes.
    pub fn size_in_bytes(&self) -> usize {
        self.compressed_size()
    }
}

/// 2-D convolution (see the module doc).
pub struct Conv;

fn absorb_statement(t: &mut Transcript, spec: &ConvSpec, inst: &ConvInstance) {
    t.append_bytes(b"matmul variant", b"conv2d");
    let s = spec;
    let nums = [s.batch, s.in_channels, s.height, s.width, s.out_channels];
    let attrs = [s.kernel, s.stride, s.dilation].concat();
    for n in nums.iter().chain(&attrs).chain(&s.pads) {
        t.append_u64(b"conv spec", *n as u64);
    }
    t.append_serializable(b"conv input", &inst.input);
    t.append_serializable(b"conv weight", &inst.weight);
    t.append_serializable(b"conv output claim", &inst.output);
}

/// Variables of `(b, o, y, x)` and the split output point.
fn split(spec: &ConvSpec, point: &[Fr]) -> Result<[Vec<Fr>; 4], Error> {
    let v = axis_vars(&spec.output_shape()?);
    let total: usize = v.iter().sum();
    if point.len() != total {
        return Err(Error::Length { what: "conv output point", expected: total, got: point.len() });
    }
    let (mut out, mut at) = (Vec::with_capacity(4), 0);
    for n in v {
        out.push(point[at..at + n].to_vec());
        at += n;
    }
    Ok([out[0].clone(), out[1].clone(), out[2].clone(), out[3].clone()])
}

/// `(vars of c, ky, kx)` and `(vars of iy, ix)`.
fn sumcheck_vars(spec: &ConvSpec) -> ([usize; 3], [usize; 2]) {
    let t = axis_vars(&[spec.in_channels, spec.kernel[0], spec.kernel[1]]);
    let w = axis_vars(&[spec.height, spec.width]);
    ([t[0], t[1], t[2]], [w[0], w[1]])
}

fn claims(
    inst: &ConvInstance,
    r: &[Vec<Fr>; 4],
    rho: &[Fr],
    vc: usize,
    sigma: &[Fr],
    p: &ConvProof,
) -> BlockClaims {
    let weight =
        Claim { commitment: inst.weight, point: join(&[&r[1], rho]), value: p.weight_eval };
    let input = TensorClaim {
        tensor: inst.input,
        point: join(&[&r[0], &rho[..vc.min(rho.len())], sigma]),
        value: p.input_eval,
    };
    BlockClaims { committed: vec![weight], tensors: vec![input] }
}

mod prove;

impl Block for Conv {
    type Spec = ConvSpec;
    type Instance = ConvInstance;
    type Witness = ConvWitness;
    type Proof = ConvProof;

    /// `inputs = [X, W]`; returns `[Y]`.
    fn eval(spec: &ConvSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        let [x, w] = inputs else {
            return Err(Error::Length { what: "conv inputs", expected: 2, got: inputs.len() });
        };
        prove::eval(spec, x, w)
    }

    fn check(spec: &ConvSpec, inst: &ConvInstance, w: &ConvWitness) -> Result<(), RelationError> {
        let violated = |detail: String| RelationError::Violated { relation: PROTOCOL, detail };
        let y = prove::eval(spec, &w.input, &w.weight).map_err(|e| violated(e.to_string()))?;
        if y[0] != w.output {
            return Err(violated("Y ≠ conv(X, W)".into()));
        }
        match w.output.to_mle().evaluate(&inst.output.point) {
            Ok(v) if v == inst.output.value => Ok(()),
            Ok(_) => Err(violated("the claim on Y does not hold".into())),
            Err(e) => Err(violated(e.to_string())),
        }
    }

    fn prove(
        spec: &ConvSpec,
        inst: &ConvInstance,
        w: &ConvWitness,
        t: &mut Transcript,
    ) -> Result<(ConvProof, BlockClaims), Error> {
        prove::prove(spec, inst, w, t)
    }

    fn verify(
        spec: &ConvSpec,
        inst: &ConvInstance,
        proof: &ConvProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        spec.validate()?;
        let r = split(spec, &inst.output.point)?;
        let [oh, ow] = spec.output_hw()?;
        let ([vc, vky, vkx], [vy, vx]) = sumcheck_vars(spec);
        absorb_statement(t, spec, inst);
        // 1. Taps: Σ W̃(r_o, ·)·V = v.
        let st =
            SumcheckStatement { num_vars: vc + vky + vkx, degree: 2, claim: inst.output.value };
        let sub = verify_batch(&[st], &proof.taps, t)?;
        let prod2 = SumOfProducts::product(2);
        sub.check_final(PROTOCOL, &[&prod2], &[vec![proof.weight_eval, proof.view_eval]])?;
        t.append_scalars(b"conv tap evaluations", &[proof.weight_eval, proof.view_eval]);
        // 2. Window: Σ X̂·M_y·M_x = V(ρ), with the maps evaluated here.
        let st = SumcheckStatement { num_vars: vy + vx, degree: 3, claim: proof.view_eval };
        let sub2 = verify_batch(&[st], &proof.window, t)?;
        let rho = &sub.point;
        let (rho_ky, rho_kx) = (&rho[vc..vc + vky], &rho[vc + vky..]);
        let (sigma_y, sigma_x) = sub2.point.split_at(vy);
        let map_at = |a: usize, rk: &[Fr], ro: &[Fr], s: &[Fr], len: usize| -> Result<Fr, Error> {
            let m = spec.window_map(a, &eq_table(rk)?, &eq_table(ro)?, len);
            Ok(m.iter().zip(eq_table(s)?).map(|(x, e)| *x * e).sum())
        };
        let my = map_at(0, rho_ky, &r[2], sigma_y, oh)?;
        let mx = map_at(1, rho_kx, &r[3], sigma_x, ow)?;
        let prod3 = SumOfProducts::product(3);
        sub2.check_final(PROTOCOL, &[&prod3], &[vec![proof.input_eval, my, mx]])?;
        t.append_scalar(b"conv input evaluation", &proof.input_eval);
        Ok(claims(inst, &r, rho, vc, &sub2.point, proof))
    }
}

#[cfg(test)]
mod tests;
