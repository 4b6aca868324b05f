//! Conv attributes, shapes, and the index maps the verifier evaluates from them.

use ark_ff::Zero;

use crate::curve::Fr;
use crate::error::Error;
use crate::mle::{MAX_NUM_VARS, eq_table};
use crate::permutation::affine_map_eval;
use crate::tensor::axis_vars;

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
    /// ONNX `group`: both channel counts are multiples of it; `group = in_channels` is depthwise.
    pub group: usize,
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
        if dims.contains(&0) || attrs.contains(&0) || self.group == 0 {
            return Err(Error::Invalid { what: "conv spec", reason: format!("zero in {self:?}") });
        }
        if !self.in_channels.is_multiple_of(self.group)
            || !self.out_channels.is_multiple_of(self.group)
        {
            return Err(Error::Invalid {
                what: "conv spec",
                reason: format!(
                    "group {} does not divide {} input and {} output channels",
                    self.group, self.in_channels, self.out_channels
                ),
            });
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

    /// `[M, C/g, KH, KW]`.
    pub fn weight_shape(&self) -> Vec<usize> {
        vec![self.out_channels, self.group_inputs(), self.kernel[0], self.kernel[1]]
    }

    pub fn output_shape(&self) -> Result<Vec<usize>, Error> {
        let [oh, ow] = self.output_hw()?;
        Ok(vec![self.batch, self.out_channels, oh, ow])
    }

    /// Input channels per group, `C/g`.
    pub fn group_inputs(&self) -> usize {
        self.in_channels / self.group.max(1)
    }

    /// Output channels per group, `M/g`.
    pub fn group_outputs(&self) -> usize {
        self.out_channels / self.group.max(1)
    }

    /// Whether the window sumcheck sums over the input channels: only with groups of a size that
    /// is not a power of two. Otherwise input channel `c = γ·C/g + c'` is the concatenation of the
    /// bits of `γ` and `c'`, so `M_c = eq(ρ_g‖ρ_c, ·)` and the channel is fixed to `ρ_g‖ρ_c`.
    pub fn sums_channels(&self) -> bool {
        self.group > 1 && !self.group_inputs().is_power_of_two()
    }

    /// The input index read by output index `o` and tap `k` along axis `a` (0 = y, 1 = x).
    pub(super) fn source(&self, a: usize, o: usize, k: usize) -> Option<usize> {
        let v = (o * self.stride[a] + k * self.dilation[a]).checked_sub(self.pads[a])?;
        (v < [self.height, self.width][a]).then_some(v)
    }

    /// `M_a(i) = Σ_{k, o : src(o, k) = i} eq_k[k]·eq_o[o]`, as a table over padded input indices.
    pub(super) fn window_map(&self, a: usize, eq_k: &[Fr], eq_o: &[Fr], out_len: usize) -> Vec<Fr> {
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

    /// `M̃_a(σ) = Σ_k eq(ρ_k, k)·Σ_o eq(r_o, o)·eq(σ, src(o, k))`, the verifier's evaluation of
    /// [`Self::window_map`]'s extension: per tap `k` the view `o ↦ o·stride + k·dilation − pad` is
    /// an affine axis map, evaluated by the permutation block's evaluator (the one pooling windows
    /// use): `O(KH·(log OH + log H))` for power-of-two strides. Other strides evaluate the table.
    pub(super) fn window_map_eval(
        &self,
        a: usize,
        rho_k: &[Fr],
        r_o: &[Fr],
        sigma: &[Fr],
        out_len: usize,
    ) -> Result<Fr, Error> {
        let eq_k = eq_table(rho_k)?;
        if !self.stride[a].is_power_of_two() {
            return evaluate_table(&self.window_map(a, &eq_k, &eq_table(r_o)?, out_len), sigma);
        }
        let mut acc = Fr::zero();
        for (k, ek) in eq_k.iter().enumerate().take(self.kernel[a]) {
            let start = (k * self.dilation[a]) as i64 - self.pads[a] as i64;
            let n = [self.height, self.width][a];
            acc += *ek * affine_map_eval(r_o, sigma, start, self.stride[a] as i64, out_len, n)?;
        }
        Ok(acc)
    }

    /// `Γ(m) = eq(r_m, m)·eq(ρ_g, ⌊m/(M/g)⌋)` for `m < M` (zero on padding), from the tables
    /// `eq_m = eq(r_m, ·)`, `eq_g = eq(ρ_g, ·)`: which output channels fold into group `ρ_g`.
    pub(super) fn output_channel_map(&self, eq_m: &[Fr], eq_g: &[Fr]) -> Vec<Fr> {
        let per = self.group_outputs().max(1);
        let mut m = vec![Fr::zero(); self.out_channels.next_power_of_two()];
        for (i, (s, e)) in m.iter_mut().zip(eq_m).take(self.out_channels).enumerate() {
            *s = *e * eq_g.get(i / per).copied().unwrap_or_default();
        }
        m
    }

    /// `M_c(c) = eq(ρ_g, ⌊c/(C/g)⌋)·eq(ρ_c, c mod C/g)` for `c < C` (zero on padding): input
    /// channel `c` is channel `c mod C/g` of group `⌊c/(C/g)⌋`.
    pub(super) fn input_channel_map(&self, eq_g: &[Fr], eq_c: &[Fr]) -> Vec<Fr> {
        let per = self.group_inputs().max(1);
        let mut m = vec![Fr::zero(); self.in_channels.next_power_of_two()];
        for (c, s) in m.iter_mut().enumerate().take(self.in_channels) {
            let (g, e) = (eq_g.get(c / per), eq_c.get(c % per));
            *s = g.zip(e).map(|(g, e)| *g * e).unwrap_or_default();
        }
        m
    }
}

/// `Σ_i table[i]·eq(point, i)`: the multilinear extension of `table` at `point`.
pub(super) fn evaluate_table(table: &[Fr], point: &[Fr]) -> Result<Fr, Error> {
    if table.len() != 1 << point.len() {
        return Err(Error::Length {
            what: "conv map",
            expected: 1 << point.len(),
            got: table.len(),
        });
    }
    Ok(table.iter().zip(eq_table(point)?).map(|(x, e)| *x * e).sum())
}

#[cfg(test)]
mod tests {
    use ark_ff::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    use super::*;

    /// The verifier's per-tap evaluation equals the extension of the prover's table, for strides
    /// 1, 2, 4 (affine evaluator) and 3 (table), with dilation and asymmetric pads.
    #[test]
    fn window_map_eval_matches_the_table() {
        let mut rng = StdRng::seed_from_u64(1);
        for (stride, dilation, pads) in
            [(1, 1, [1, 0, 1, 2]), (2, 1, [1, 1, 0, 0]), (4, 2, [3, 0, 2, 1]), (3, 2, [0, 2, 1, 0])]
        {
            let spec = ConvSpec {
                batch: 1,
                in_channels: 2,
                height: 13,
                width: 9,
                out_channels: 2,
                kernel: [3, 2],
                stride: [stride, stride],
                pads,
                dilation: [dilation, dilation],
                group: 1,
            };
            let out = spec.output_hw().unwrap();
            for a in 0..2 {
                let vars = |n: usize| n.next_power_of_two().trailing_zeros() as usize;
                let rand =
                    |k: usize, rng: &mut StdRng| (0..k).map(|_| Fr::rand(rng)).collect::<Vec<_>>();
                let rho_k = rand(vars(spec.kernel[a]), &mut rng);
                let r_o = rand(vars(out[a]), &mut rng);
                let sigma = rand(vars([spec.height, spec.width][a]), &mut rng);
                let table = spec.window_map(
                    a,
                    &eq_table(&rho_k).unwrap(),
                    &eq_table(&r_o).unwrap(),
                    out[a],
                );
                assert_eq!(
                    spec.window_map_eval(a, &rho_k, &r_o, &sigma, out[a]).unwrap(),
                    evaluate_table(&table, &sigma).unwrap(),
                    "stride {stride}, axis {a}"
                );
            }
        }
    }
}
