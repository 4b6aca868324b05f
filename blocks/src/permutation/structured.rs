//! Per-axis index maps (see the module doc of [`super`]).

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use super::{affine_map_eval, affine_source, prove_map_sumcheck, verify_map_sumcheck};
use crate::block::Block;
use crate::claim::{BlockClaims, TensorClaim};
use crate::curve::Fr;
use crate::elementwise::{Instance, check_outputs, single_id, single_input, split_point};
use crate::error::{Error, RelationError, VerifyError};
use crate::mle::{DenseMle, eq_table};
use crate::sumcheck::SumcheckProof;
use crate::tensor::{IntTensor, axis_vars};
use crate::transcript::Transcript;

const PROTOCOL: &str = "index map";

/// How one output axis reads the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisMap {
    /// Input axis `src`, unchanged.
    Pass { src: usize },
    /// A new axis of length 1.
    New,
    /// `out[i] = in_src[start + step·i]` inside the input axis, else 0, for `i < len`.
    Affine { src: usize, start: i64, step: i64, len: usize },
}

/// A per-axis map from a tensor of `in_shape`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructuredMapSpec {
    pub in_shape: Vec<usize>,
    pub axes: Vec<AxisMap>,
}

impl StructuredMapSpec {
    /// Axis permutation: output axis `a` is input axis `perm[a]`.
    pub fn transpose(in_shape: &[usize], perm: &[usize]) -> Self {
        Self {
            in_shape: in_shape.to_vec(),
            axes: perm.iter().map(|src| AxisMap::Pass { src: *src }).collect(),
        }
    }

    /// `in[start..end:step]` along `axis` (ONNX Slice with positive step).
    pub fn slice(in_shape: &[usize], axis: usize, start: usize, end: usize, step: usize) -> Self {
        let len = if end > start && step > 0 { (end - start).div_ceil(step) } else { 0 };
        Self::one_axis(
            in_shape,
            axis,
            AxisMap::Affine { src: axis, start: start as i64, step: step as i64, len },
        )
    }

    /// Zero padding of `before` and `after` entries along `axis`.
    pub fn pad(in_shape: &[usize], axis: usize, before: usize, after: usize) -> Self {
        let len = in_shape.get(axis).copied().unwrap_or(0) + before + after;
        Self::one_axis(
            in_shape,
            axis,
            AxisMap::Affine { src: axis, start: -(before as i64), step: 1, len },
        )
    }

    /// The view read by kernel offset `offset` of a convolution or pooling window along each of
    /// `spatial` axes: `out[o] = in[o·stride + offset·dilation − pad_before]`.
    pub fn window(in_shape: &[usize], spatial: &[WindowAxis]) -> Self {
        let mut spec = Self::transpose(in_shape, &(0..in_shape.len()).collect::<Vec<_>>());
        for w in spatial {
            if let Some(a) = spec.axes.get_mut(w.axis) {
                *a = AxisMap::Affine {
                    src: w.axis,
                    start: (w.offset * w.dilation) as i64 - w.pad_before as i64,
                    step: w.stride as i64,
                    len: w.out_len,
                };
            }
        }
        spec
    }

    fn one_axis(in_shape: &[usize], axis: usize, map: AxisMap) -> Self {
        let mut spec = Self::transpose(in_shape, &(0..in_shape.len()).collect::<Vec<_>>());
        if let Some(a) = spec.axes.get_mut(axis) {
            *a = map;
        }
        spec
    }

    /// The output shape.
    pub fn out_shape(&self) -> Vec<usize> {
        self.axes
            .iter()
            .map(|a| match a {
                AxisMap::Pass { src } => self.in_shape.get(*src).copied().unwrap_or(0),
                AxisMap::New => 1,
                AxisMap::Affine { len, .. } => *len,
            })
            .collect()
    }

    /// Every input axis is read by at most one output axis; unread input axes have length 1.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |reason: String| Err(Error::Invalid { what: PROTOCOL, reason });
        let mut read = vec![false; self.in_shape.len()];
        for a in &self.axes {
            let src = match a {
                AxisMap::Pass { src } | AxisMap::Affine { src, .. } => *src,
                AxisMap::New => continue,
            };
            match read.get_mut(src) {
                None => return bad(format!("source axis {src} out of range")),
                Some(true) => return bad(format!("input axis {src} read twice")),
                Some(r) => *r = true,
            }
        }
        if let Some(a) = read.iter().zip(&self.in_shape).position(|(r, n)| !r && *n != 1) {
            return bad(format!("input axis {a} of length {} is dropped", self.in_shape[a]));
        }
        Ok(())
    }

    /// Row-major input index read by row-major output index `o`, if any.
    fn source(&self, out_shape: &[usize], mut o: usize) -> Option<usize> {
        let mut idx = vec![0usize; self.in_shape.len()];
        for (a, n) in self.axes.iter().zip(out_shape).rev() {
            let i = o % n;
            o /= n;
            match a {
                AxisMap::Pass { src } => idx[*src] = i,
                AxisMap::New => {}
                AxisMap::Affine { src, start, step, .. } => {
                    idx[*src] = affine_source(*start, *step, i, self.in_shape[*src])?
                }
            }
        }
        Some(idx.iter().zip(&self.in_shape).fold(0, |acc, (i, n)| acc * n + i))
    }

    /// `(output axis, source axis, start, step, len)` of the affine axes, by source axis.
    /// Variables of the map sumcheck: those of the input axes read by affine axes.
    pub(super) fn sumcheck_vars(&self) -> usize {
        let in_vars = axis_vars(&self.in_shape);
        self.affine_axes().iter().map(|x| in_vars[x.1]).sum()
    }

    /// `M̃(r_out, r) = Π_affine M̃_a(r_a, r'_a)` at the output's per-axis points and the sumcheck
    /// point `r` (the affine source axes' variables, in source order).
    pub(super) fn matrix_eval(&self, out_axes: &[&[Fr]], r: &[Fr]) -> Result<Fr, Error> {
        let in_vars = axis_vars(&self.in_shape);
        let mut m_at = Fr::from(1u64);
        let mut rest = r;
        for (a, src, start, step, len) in self.affine_axes() {
            let (r_src, tail) = rest.split_at(in_vars[src].min(rest.len()));
            rest = tail;
            m_at *= affine_map_eval(out_axes[a], r_src, start, step, len, self.in_shape[src])?;
        }
        Ok(m_at)
    }

    pub(super) fn affine_axes(&self) -> Vec<(usize, usize, i64, i64, usize)> {
        let mut out: Vec<_> = self
            .axes
            .iter()
            .enumerate()
            .filter_map(|(a, m)| match m {
                AxisMap::Affine { src, start, step, len } => Some((a, *src, *start, *step, *len)),
                _ => None,
            })
            .collect();
        out.sort_by_key(|x| x.1);
        out
    }
}

/// One axis of a convolution or pooling window (ONNX semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowAxis {
    pub axis: usize,
    pub offset: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad_before: usize,
    pub out_len: usize,
}

/// The per-axis index-map verb.
pub struct StructuredMap;

/// Sumcheck over the mapped input axes, and the input's evaluation at its point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MapProof {
    pub sumcheck: SumcheckProof,
    pub input_eval: Fr,
}

impl Block for StructuredMap {
    type Spec = StructuredMapSpec;
    type Instance = Instance;
    type Witness = Vec<IntTensor>;
    type Proof = MapProof;

    fn eval(spec: &StructuredMapSpec, inputs: &[IntTensor]) -> Result<Vec<IntTensor>, Error> {
        spec.validate()?;
        let x = single_input(inputs, &spec.in_shape, PROTOCOL)?;
        let out_shape = spec.out_shape();
        let len: usize = out_shape.iter().product();
        let data =
            (0..len).map(|o| spec.source(&out_shape, o).map_or(0, |i| x.data()[i])).collect();
        Ok(vec![IntTensor::new(out_shape, data)?])
    }

    fn check(
        spec: &StructuredMapSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
    ) -> Result<(), RelationError> {
        check_outputs(PROTOCOL, Self::eval(spec, witness), &instance.output)
    }

    fn prove(
        spec: &StructuredMapSpec,
        instance: &Instance,
        witness: &Vec<IntTensor>,
        t: &mut Transcript,
    ) -> Result<(MapProof, BlockClaims), Error> {
        spec.validate()?;
        let x = single_input(witness, &spec.in_shape, PROTOCOL)?;
        let id = single_id(instance, "index map inputs")?;
        let out_shape = spec.out_shape();
        let out_axes = split_point(&instance.output.point, &out_shape)?;
        absorb(t, instance);
        let (a_table, b_table) = tables(spec, x, &out_axes)?;
        let (proof, point) = prove_map_sumcheck(
            a_table,
            DenseMle::new(b_table)?,
            instance.output.value,
            b"index map input eval",
            t,
        )?;
        let claim = TensorClaim {
            tensor: id,
            point: input_point(spec, &out_axes, &point),
            value: proof.input_eval,
        };
        Ok((proof, BlockClaims { committed: vec![], tensors: vec![claim] }))
    }

    fn verify(
        spec: &StructuredMapSpec,
        instance: &Instance,
        proof: &MapProof,
        t: &mut Transcript,
    ) -> Result<BlockClaims, VerifyError> {
        spec.validate()?;
        let id = single_id(instance, "index map inputs")?;
        let out_axes = split_point(&instance.output.point, &spec.out_shape())?;
        absorb(t, instance);
        let num_vars = spec.sumcheck_vars();
        let matrix_at = |r: &[Fr]| spec.matrix_eval(&out_axes, r);
        let point = verify_map_sumcheck(
            PROTOCOL,
            num_vars,
            instance.output.value,
            proof,
            matrix_at,
            b"index map input eval",
            t,
        )?;
        let claim = TensorClaim {
            tensor: id,
            point: input_point(spec, &out_axes, &point),
            value: proof.input_eval,
        };
        Ok(BlockClaims { committed: vec![], tensors: vec![claim] })
    }
}

fn absorb(t: &mut Transcript, instance: &Instance) {
    t.append_bytes(b"block", PROTOCOL.as_bytes());
    t.append_serializable(b"output claim", &instance.output);
}

/// `A(j) = Π_affine A_a(j_src)` and `B(j) = ĩn(pass axes at their points, j)` over the variables of
/// the affine source axes.
pub(super) fn tables(
    spec: &StructuredMapSpec,
    x: &IntTensor,
    out_axes: &[&[Fr]],
) -> Result<(Vec<Fr>, Vec<Fr>), Error> {
    Ok((affine_table(spec, out_axes)?, input_table(spec, x, out_axes)?))
}

/// `B(j) = ĩn(pass axes at their points, j)`: depends only on the input, the pass axes and the
/// output point, so maps that differ only in their affine parameters share it.
pub(super) fn input_table(
    spec: &StructuredMapSpec,
    x: &IntTensor,
    out_axes: &[&[Fr]],
) -> Result<Vec<Fr>, Error> {
    let in_vars = axis_vars(&spec.in_shape);
    let affine = spec.affine_axes();
    // Per input axis: either an eq table (pass) or its position among the affine axes.
    let mut pass_eq: Vec<Option<Vec<Fr>>> = vec![None; spec.in_shape.len()];
    for (a, m) in spec.axes.iter().enumerate() {
        if let AxisMap::Pass { src } = m {
            pass_eq[*src] = Some(eq_table(out_axes[a])?);
        }
    }
    let b_vars: usize = affine.iter().map(|x| in_vars[x.1]).sum();
    let mut b = vec![Fr::from(0u64); 1 << b_vars];
    let mut idx = vec![0usize; spec.in_shape.len()];
    for v in x.data() {
        let mut weight = Fr::from(1u64);
        for (i, e) in idx.iter().zip(&pass_eq) {
            if let Some(e) = e {
                weight *= e[*i];
            }
        }
        let pos = affine.iter().fold(0usize, |acc, x| (acc << in_vars[x.1]) | idx[x.1]);
        b[pos] += weight * crate::curve::fr_from_i64(*v);
        // Row-major increment of the input multi-index.
        for (i, n) in idx.iter_mut().zip(&spec.in_shape).rev() {
            *i += 1;
            if *i < *n {
                break;
            }
            *i = 0;
        }
    }
    Ok(b)
}

/// `A(j) = Π_affine A_a(j_src)`: the map's affine factor at the output point.
pub(super) fn affine_table(spec: &StructuredMapSpec, out_axes: &[&[Fr]]) -> Result<Vec<Fr>, Error> {
    let in_vars = axis_vars(&spec.in_shape);
    let mut a = vec![Fr::from(1u64)];
    for (ax, src, start, step, len) in spec.affine_axes() {
        let out_eq = eq_table(out_axes[ax])?;
        let mut factor = vec![Fr::from(0u64); 1 << in_vars[src]];
        for (i, e) in out_eq.iter().enumerate().take(len) {
            if let Some(j) = affine_source(start, step, i, spec.in_shape[src]) {
                factor[j] += e;
            }
        }
        a = a.iter().flat_map(|p| factor.iter().map(move |f| *p * f)).collect();
    }
    Ok(a)
}

/// The input claim's point: pass axes take the output's sub-points, affine axes the sumcheck's.
pub(super) fn input_point(
    spec: &StructuredMapSpec,
    out_axes: &[&[Fr]],
    sumcheck_point: &[Fr],
) -> Vec<Fr> {
    let in_vars = axis_vars(&spec.in_shape);
    let mut per_src: Vec<&[Fr]> = vec![&[]; spec.in_shape.len()];
    for (a, m) in spec.axes.iter().enumerate() {
        if let AxisMap::Pass { src } = m {
            per_src[*src] = out_axes[a];
        }
    }
    let mut rest = sumcheck_point;
    for (_, src, ..) in spec.affine_axes() {
        let (head, tail) = rest.split_at(in_vars[src].min(rest.len()));
        per_src[src] = head;
        rest = tail;
    }
    per_src.concat()
}
