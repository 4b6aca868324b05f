//! Conv integer semantics and prover (the protocol is in the parent module's doc).

use ark_ff::Zero;

use super::{ConvInstance, PROTOCOL};
use super::{ConvProof, ConvSpec, ConvWitness, absorb_statement, claims, split, sumcheck_vars};
use crate::claim::BlockClaims;
use crate::curve::Fr;
use crate::error::Error;
use crate::matmul::index::SmallInts;
use crate::mle::{DenseMle, eq_table};
use crate::sumcheck::{SumOfProducts, SumcheckInstance, prove_batch};
use crate::tensor::IntTensor;
use crate::transcript::Transcript;

fn check_shapes(spec: &ConvSpec, x: &IntTensor, w: &IntTensor) -> Result<(), Error> {
    spec.validate()?;
    for (what, t, want) in
        [("conv input", x, spec.input_shape()), ("conv weight", w, spec.weight_shape())]
    {
        if t.shape() != want {
            return Err(Error::Invalid {
                what,
                reason: format!("shape {:?}, spec says {want:?}", t.shape()),
            });
        }
    }
    Ok(())
}

/// `Y = conv(X, W)` in integers (`i128` accumulation; overflow is an error).
pub(super) fn eval(spec: &ConvSpec, x: &IntTensor, w: &IntTensor) -> Result<Vec<IntTensor>, Error> {
    check_shapes(spec, x, w)?;
    let [oh, ow] = spec.output_hw()?;
    let (c_len, h, wd, [kh, kw]) = (spec.in_channels, spec.height, spec.width, spec.kernel);
    let mut out = Vec::with_capacity(spec.batch * spec.out_channels * oh * ow);
    for b in 0..spec.batch {
        for o in 0..spec.out_channels {
            for y in 0..oh {
                for xo in 0..ow {
                    let mut s = 0i128;
                    for c in 0..c_len {
                        for ky in 0..kh {
                            let Some(iy) = spec.source(0, y, ky) else { continue };
                            for kx in 0..kw {
                                let Some(ix) = spec.source(1, xo, kx) else { continue };
                                let xv = x.data()[((b * c_len + c) * h + iy) * wd + ix];
                                let wv = w.data()[((o * c_len + c) * kh + ky) * kw + kx];
                                s += xv as i128 * wv as i128;
                            }
                        }
                    }
                    out.push(i64::try_from(s).map_err(|_| Error::Invalid {
                        what: "conv",
                        reason: "overflows i64".into(),
                    })?);
                }
            }
        }
    }
    Ok(vec![IntTensor::new(spec.output_shape()?, out)?])
}

/// The two sumchecks of the module doc.
pub(super) fn prove(
    spec: &ConvSpec,
    inst: &ConvInstance,
    wit: &ConvWitness,
    t: &mut Transcript,
) -> Result<(ConvProof, BlockClaims), Error> {
    check_shapes(spec, &wit.input, &wit.weight)?;
    let r = split(spec, &inst.output.point)?;
    let [oh, ow] = spec.output_hw()?;
    let ([vc, vky, vkx], [vy, vx]) = sumcheck_vars(spec);
    absorb_statement(t, spec, inst);
    let [eq_b, eq_o, eq_y, eq_x] = [0, 1, 2, 3].map(|i| eq_table(&r[i]));
    let (eq_b, eq_o, eq_y, eq_x) = (eq_b?, eq_o?, eq_y?, eq_x?);
    let (c_len, h, wd, [kh, kw]) = (spec.in_channels, spec.height, spec.width, spec.kernel);
    let small = SmallInts::new();
    let (khp, kwp) = (1usize << vky, 1usize << vkx);
    let tap = |c: usize, ky: usize, kx: usize| (c * khp + ky) * kwp + kx;
    let taps_len = (1usize << vc) * khp * kwp;

    // Stage 1 tables. Wt(c, ky, kx) = W̃(r_o, c, ky, kx).
    let mut wt = vec![Fr::zero(); taps_len];
    for (o, block) in wit.weight.data().chunks_exact(c_len * kh * kw).enumerate() {
        for (i, v) in block.iter().enumerate() {
            let (c, ky, kx) = (i / (kh * kw), i / kw % kh, i % kw);
            small.mul_add(&mut wt[tap(c, ky, kx)], eq_o[o], *v);
        }
    }
    // Xb[c, iy, ix] = Σ_b eq(r_b, b)·X[b, c, iy, ix].
    let plane = h * wd;
    let mut xb = vec![Fr::zero(); c_len * plane];
    for (b, block) in wit.input.data().chunks_exact(c_len * plane).enumerate() {
        for (s, v) in xb.iter_mut().zip(block) {
            small.mul_add(s, eq_b[b], *v);
        }
    }
    // T[c, iy, kx] = Σ_x eq(r_x, x)·Xb[c, iy, src_x(x, kx)]; V(c, ky, kx) = Σ_y eq(r_y, y)·T[c, src_y(y, ky), kx].
    let mut tt = vec![Fr::zero(); c_len * h * kw];
    for c in 0..c_len {
        for iy in 0..h {
            for kx in 0..kw {
                let row = &xb[c * plane + iy * wd..];
                tt[(c * h + iy) * kw + kx] = (0..ow)
                    .filter_map(|xo| spec.source(1, xo, kx).map(|ix| eq_x[xo] * row[ix]))
                    .sum();
            }
        }
    }
    let mut view = vec![Fr::zero(); taps_len];
    for c in 0..c_len {
        for ky in 0..kh {
            for (y, ey) in eq_y.iter().enumerate().take(oh) {
                let Some(iy) = spec.source(0, y, ky) else { continue };
                for kx in 0..kw {
                    view[tap(c, ky, kx)] += *ey * tt[(c * h + iy) * kw + kx];
                }
            }
        }
    }
    let polys = vec![DenseMle::new(wt)?, DenseMle::new(view)?];
    let inst1 = SumcheckInstance { polys, expr: SumOfProducts::product(2) };
    let out1 = prove_batch(vec![inst1], &[inst.output.value], t)?;
    let evals = |o: &[Vec<Fr>], n: usize| -> Result<Vec<Fr>, Error> {
        o.first()
            .filter(|e| e.len() == n)
            .cloned()
            .ok_or(Error::Invalid { what: PROTOCOL, reason: "sumcheck output".into() })
    };
    let e1 = evals(&out1.final_evals, 2)?;
    let (weight_eval, view_eval) = (e1[0], e1[1]);
    t.append_scalars(b"conv tap evaluations", &[weight_eval, view_eval]);

    // Stage 2 tables over (iy, ix): X̂ = X̃(r_b, ρ_c, ·, ·), M_y, M_x.
    let rho = out1.point;
    let eq_c = eq_table(&rho[..vc])?;
    let (eq_ky, eq_kx) = (eq_table(&rho[vc..vc + vky])?, eq_table(&rho[vc + vky..])?);
    let wp = 1usize << vx;
    let len2 = (1usize << vy) * wp;
    let mut xh = vec![Fr::zero(); len2];
    for (c, e) in eq_c.iter().enumerate().take(c_len) {
        for iy in 0..h {
            for ix in 0..wd {
                xh[iy * wp + ix] += *e * xb[c * plane + iy * wd + ix];
            }
        }
    }
    let my = spec.window_map(0, &eq_ky, &eq_y, oh);
    let mx = spec.window_map(1, &eq_kx, &eq_x, ow);
    let myt: Vec<Fr> = (0..len2).map(|i| my[i / wp]).collect();
    let mxt: Vec<Fr> = (0..len2).map(|i| mx[i % wp]).collect();
    let polys = vec![DenseMle::new(xh)?, DenseMle::new(myt)?, DenseMle::new(mxt)?];
    let inst2 = SumcheckInstance { polys, expr: SumOfProducts::product(3) };
    let out2 = prove_batch(vec![inst2], &[view_eval], t)?;
    let input_eval = evals(&out2.final_evals, 3)?[0];
    t.append_scalar(b"conv input evaluation", &input_eval);
    let proof =
        ConvProof { taps: out1.proof, weight_eval, view_eval, window: out2.proof, input_eval };
    let claims = claims(inst, &r, &rho, vc, &out2.point, &proof);
    Ok((proof, claims))
}
