//! Conv integer semantics and prover (the protocol is in the parent module's doc).

use ark_ff::{One, Zero};
use tracing::instrument;

use super::{ConvInstance, Vars};
use super::{ConvProof, ConvSpec, ConvWitness, absorb_statement, claims, split};
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
    let (cg, mg) = (spec.group_inputs(), spec.group_outputs());
    let mut out = Vec::with_capacity(spec.batch * spec.out_channels * oh * ow);
    for b in 0..spec.batch {
        for m in 0..spec.out_channels {
            let first = m / mg * cg;
            for y in 0..oh {
                for xo in 0..ow {
                    let mut s = 0i128;
                    for c in 0..cg {
                        for ky in 0..kh {
                            let Some(iy) = spec.source(0, y, ky) else { continue };
                            for kx in 0..kw {
                                let Some(ix) = spec.source(1, xo, kx) else { continue };
                                let xv = x.data()[((b * c_len + first + c) * h + iy) * wd + ix];
                                let wv = w.data()[((m * cg + c) * kh + ky) * kw + kx];
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

/// The sumcheck's final evaluations of instance 0, checked for length.
fn evals(o: &[Vec<Fr>], i: usize, n: usize) -> Result<Vec<Fr>, Error> {
    o.get(i)
        .filter(|e| e.len() == n)
        .cloned()
        .ok_or(Error::Invalid { what: "conv", reason: "sumcheck output".into() })
}

/// The sumchecks of the module doc. `shift` is 0 for the honest prover; tests play a prover whose
/// output group `γ` reads the input channels of group `γ + shift` (mod `g`) with a nonzero one.
#[instrument(skip_all, fields(group = spec.group, out_channels = spec.out_channels))]
pub(super) fn prove(
    spec: &ConvSpec,
    inst: &ConvInstance,
    wit: &ConvWitness,
    t: &mut Transcript,
    shift: usize,
) -> Result<(ConvProof, BlockClaims), Error> {
    check_shapes(spec, &wit.input, &wit.weight)?;
    let r = split(spec, &inst.output.point)?;
    let [oh, ow] = spec.output_hw()?;
    let v = Vars::new(spec);
    let grouped = spec.group > 1;
    absorb_statement(t, spec, inst);
    let [eq_b, eq_m, eq_y, eq_x] = [0, 1, 2, 3].map(|i| eq_table(&r[i]));
    let (eq_b, eq_m, eq_y, eq_x) = (eq_b?, eq_m?, eq_y?, eq_x?);
    let (c_len, h, wd, [kh, kw]) = (spec.in_channels, spec.height, spec.width, spec.kernel);
    let (cg, mg) = (spec.group_inputs(), spec.group_outputs());
    let small = SmallInts::new();
    let [_, vcg, vky, vkx] = v.taps;
    let (cgp, khp, kwp) = (1usize << vcg, 1usize << vky, 1usize << vkx);
    // Position of channel c (of the whole input) and taps in the stage-1 tables over (γ, c', ky, kx).
    let tap = |c: usize, ky: usize, kx: usize| ((c / cg * cgp + c % cg) * khp + ky) * kwp + kx;
    // The channel whose group the input channel c is read for (c itself when honest).
    let g = spec.group;
    let read_as = |c: usize| (c / cg + g - shift % g) % g * cg + c % cg;
    let taps_len = 1usize << v.taps_total();

    // Stage 1 tables. W_r(γ, c', ky, kx) = Σ_{m ∈ γ} eq(r_m, m)·W[m, c', ky, kx]: one pass over W.
    let per_m = cg * kh * kw;
    let mut wt = vec![Fr::zero(); taps_len];
    for (m, block) in wit.weight.data().chunks_exact(per_m).enumerate() {
        let first = m / mg * cg;
        for (i, w) in block.iter().enumerate() {
            let (c, ky, kx) = (i / (kh * kw), i / kw % kh, i % kw);
            small.mul_add(&mut wt[tap(first + c, ky, kx)], eq_m[m], *w);
        }
    }
    // Xb[c, iy, ix] = Σ_b eq(r_b, b)·X[b, c, iy, ix].
    let plane = h * wd;
    let mut xb = vec![Fr::zero(); c_len * plane];
    for (b, block) in wit.input.data().chunks_exact(c_len * plane).enumerate() {
        for (s, x) in xb.iter_mut().zip(block) {
            small.mul_add(s, eq_b[b], *x);
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
                    view[tap(read_as(c), ky, kx)] += *ey * tt[(c * h + iy) * kw + kx];
                }
            }
        }
    }
    let polys = vec![DenseMle::new(wt)?, DenseMle::new(view)?];
    let inst1 = SumcheckInstance { polys, expr: SumOfProducts::product(2) };
    let out1 = prove_batch(vec![inst1], &[inst.output.value], t)?;
    let e1 = evals(&out1.final_evals, 0, 2)?;
    let (weight_eval, view_eval) = (e1[0], e1[1]);
    t.append_scalars(b"conv tap evaluations", &[weight_eval, view_eval]);

    // Stage 2 tables over ([c,] iy, ix): X̂, M_c·M_y, M_x; with groups also Γ and W̃(·, ρ_c, ρ_k).
    let rho = out1.point;
    let [rho_g, rho_c, rho_ky, rho_kx] = v.split_rho(&rho);
    let (eq_g, eq_c) = (eq_table(rho_g)?, eq_table(rho_c)?);
    let sums = spec.sums_channels();
    // eq(ρ_g‖ρ_c, c) over the input's channels: the fixed channel point when not summing.
    let eq_ch = if sums { vec![] } else { eq_table(&[rho_g, rho_c].concat())? };
    let (eq_ky, eq_kx) = (eq_table(rho_ky)?, eq_table(rho_kx)?);
    let wp = 1usize << v.window[2];
    let plane2 = (1usize << v.window[1]) * wp;
    let len2 = (1usize << v.window[0]) * plane2;
    let mut xh = vec![Fr::zero(); len2];
    for c in 0..c_len {
        // The channel is a sumcheck variable (a copy), or fixed to ρ_g‖ρ_c (see `sums_channels`).
        let (slot, e) = if sums { (c, None) } else { (0, Some(eq_ch[read_as(c)])) };
        for iy in 0..h {
            for ix in 0..wd {
                let x = xb[c * plane + iy * wd + ix];
                xh[slot * plane2 + iy * wp + ix] += e.map_or(x, |e| e * x);
            }
        }
    }
    let mut mc = vec![Fr::one()];
    if sums {
        let honest = spec.input_channel_map(&eq_g, &eq_c);
        mc = honest.clone();
        (0..c_len).for_each(|c| mc[c] = honest[read_as(c)]);
    }
    let my = spec.window_map(0, &eq_ky, &eq_y, oh);
    let mx = spec.window_map(1, &eq_kx, &eq_x, ow);
    let mcy: Vec<Fr> = (0..len2).map(|i| mc[i / plane2] * my[i % plane2 / wp]).collect();
    let mxt: Vec<Fr> = (0..len2).map(|i| mx[i % wp]).collect();
    let polys = vec![DenseMle::new(xh)?, DenseMle::new(mcy)?, DenseMle::new(mxt)?];
    let mut instances = vec![SumcheckInstance { polys, expr: SumOfProducts::product(3) }];
    let mut claimed = vec![view_eval];
    if grouped {
        // Ŵ(m) = W̃(m, ρ_c, ρ_ky, ρ_kx): one pass over the entries of W.
        let e_tap: Vec<Fr> =
            (0..per_m).map(|i| eq_c[i / (kh * kw)] * eq_ky[i / kw % kh] * eq_kx[i % kw]).collect();
        let mut w_hat = vec![Fr::zero(); spec.out_channels.next_power_of_two()];
        for (s, block) in w_hat.iter_mut().zip(wit.weight.data().chunks_exact(per_m)) {
            for (e, w) in e_tap.iter().zip(block) {
                small.mul_add(s, *e, *w);
            }
        }
        let gamma = spec.output_channel_map(&eq_m, &eq_g);
        let polys = vec![DenseMle::new(gamma)?, DenseMle::new(w_hat)?];
        instances.push(SumcheckInstance { polys, expr: SumOfProducts::product(2) });
        claimed.push(weight_eval);
    }
    let out2 = prove_batch(instances, &claimed, t)?;
    let input_eval = evals(&out2.final_evals, 0, 3)?[0];
    t.append_scalar(b"conv input evaluation", &input_eval);
    let regrouped_weight_eval =
        if grouped { Some(evals(&out2.final_evals, 1, 2)?[1]) } else { None };
    if let Some(w_at) = regrouped_weight_eval {
        t.append_scalar(b"conv regrouped weight evaluation", &w_at);
    }
    let n2 = out2.point.len();
    let sigma = &out2.point[n2 - v.window_total()..];
    let sigma_m = &out2.point[n2 - v.regroup..];
    let proof = ConvProof {
        taps: out1.proof,
        weight_eval,
        view_eval,
        window: out2.proof,
        input_eval,
        regrouped_weight_eval,
    };
    let claims = claims(spec, inst, &r, &rho, sigma, sigma_m, &proof);
    Ok((proof, claims))
}
