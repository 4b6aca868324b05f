//! Layout kernels: broadcasting, transpose, slice, concat, split, gather, reductions by sum/max.
//! Each is an index map `out[i] = in[σ(i)]` (or a sum over such maps).

use crate::ir::SliceAxis;
use crate::kernels::{Scalar, next_index};
use crate::tensor::{Tensor, broadcast_shapes, numel, strides};

/// Strides of `shape` viewed as broadcast to rank `rank` (stride 0 on broadcast axes).
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let s = strides(shape);
    let off = out.len() - shape.len();
    (0..out.len())
        .map(|i| if i < off || shape[i - off] == 1 && out[i] != 1 { 0 } else { s[i - off] })
        .collect()
}

/// Elementwise `f(a, b)` with numpy broadcasting; `None` if the shapes do not broadcast.
pub fn zip_broadcast<T: Copy, U: Copy, V>(
    a: &Tensor<T>,
    b: &Tensor<U>,
    f: impl Fn(T, U) -> V,
) -> Option<Tensor<V>> {
    let out = broadcast_shapes(a.shape(), b.shape())?;
    if a.shape() == out.as_slice() && b.shape() == out.as_slice() {
        let data = a.data().iter().zip(b.data()).map(|(&x, &y)| f(x, y)).collect();
        return Tensor::new(out, data).ok();
    }
    let (sa, sb) = (broadcast_strides(a.shape(), &out), broadcast_strides(b.shape(), &out));
    let n = numel(&out);
    let mut data = Vec::with_capacity(n);
    let mut idx = vec![0; out.len()];
    for _ in 0..n {
        let ia: usize = idx.iter().zip(&sa).map(|(i, s)| i * s).sum();
        let ib: usize = idx.iter().zip(&sb).map(|(i, s)| i * s).sum();
        data.push(f(a.data()[ia], b.data()[ib]));
        next_index(&mut idx, &out);
    }
    Tensor::new(out, data).ok()
}

/// `t` broadcast to `shape`; `None` if impossible.
pub fn broadcast_to<T: Copy>(t: &Tensor<T>, shape: &[usize]) -> Option<Tensor<T>> {
    if broadcast_shapes(t.shape(), shape).as_deref() != Some(shape) {
        return None;
    }
    let zeros = Tensor::new(shape.to_vec(), vec![(); numel(shape)]).ok()?;
    zip_broadcast(t, &zeros, |x, ()| x)
}

/// Output axis i takes input axis `perm[i]`.
pub fn transpose<T: Copy>(t: &Tensor<T>, perm: &[usize]) -> Tensor<T> {
    let s = strides(t.shape());
    let out: Vec<usize> = perm.iter().map(|&p| t.shape()[p]).collect();
    let ps: Vec<usize> = perm.iter().map(|&p| s[p]).collect();
    gather_strided(t, out, &ps, 0)
}

fn gather_strided<T: Copy>(t: &Tensor<T>, out: Vec<usize>, st: &[usize], base: usize) -> Tensor<T> {
    let n = numel(&out);
    let mut data = Vec::with_capacity(n);
    let mut idx = vec![0; out.len()];
    for _ in 0..n {
        let i: usize = base + idx.iter().zip(st).map(|(i, s)| i * s).sum::<usize>();
        data.push(t.data()[i]);
        next_index(&mut idx, &out);
    }
    Tensor::from_parts(out, data)
}

/// Strided slice (bounds already clamped by import).
pub fn slice<T: Copy>(t: &Tensor<T>, axes: &[SliceAxis]) -> Tensor<T> {
    let s = strides(t.shape());
    let mut out = t.shape().to_vec();
    let mut st: Vec<isize> = s.iter().map(|&x| x as isize).collect();
    let mut base: isize = 0;
    for a in axes {
        out[a.axis] = crate::ir::shape::slice_len(a.start, a.end, a.step);
        base += a.start as isize * s[a.axis] as isize;
        st[a.axis] = a.step as isize * s[a.axis] as isize;
    }
    let n = numel(&out);
    let mut data = Vec::with_capacity(n);
    let mut idx = vec![0; out.len()];
    for _ in 0..n {
        let i: isize = base + idx.iter().zip(&st).map(|(&i, &s)| i as isize * s).sum::<isize>();
        data.push(t.data()[i as usize]);
        next_index(&mut idx, &out);
    }
    Tensor::from_parts(out, data)
}

/// Concatenation along `axis` (shapes checked by shape inference).
pub fn concat<T: Copy>(ts: &[&Tensor<T>], axis: usize) -> Tensor<T> {
    let Some(first) = ts.first() else { return Tensor::from_parts(vec![0], Vec::new()) };
    let outer: usize = first.shape()[..axis].iter().product();
    let mut out = first.shape().to_vec();
    out[axis] = ts.iter().map(|t| t.shape()[axis]).sum();
    let mut data = Vec::with_capacity(numel(&out));
    for o in 0..outer {
        for t in ts {
            let inner: usize = t.shape()[axis..].iter().product();
            data.extend_from_slice(&t.data()[o * inner..(o + 1) * inner]);
        }
    }
    Tensor::from_parts(out, data)
}

/// Consecutive parts along `axis`.
pub fn split<T: Copy>(t: &Tensor<T>, axis: usize, sizes: &[usize]) -> Vec<Tensor<T>> {
    let mut start = 0i64;
    sizes
        .iter()
        .map(|&n| {
            let a = SliceAxis { axis, start, end: start + n as i64, step: 1 };
            start += n as i64;
            slice(t, &[a])
        })
        .collect()
}

/// Gather along `axis` with constant indices.
pub fn gather<T: Copy>(t: &Tensor<T>, axis: usize, indices: &Tensor<usize>) -> Tensor<T> {
    let outer: usize = t.shape()[..axis].iter().product();
    let inner: usize = t.shape()[axis + 1..].iter().product();
    let n = t.shape()[axis];
    let mut out = t.shape()[..axis].to_vec();
    out.extend_from_slice(indices.shape());
    out.extend_from_slice(&t.shape()[axis + 1..]);
    let mut data = Vec::with_capacity(numel(&out));
    for o in 0..outer {
        for &i in indices.data() {
            let b = (o * n + i) * inner;
            data.extend_from_slice(&t.data()[b..b + inner]);
        }
    }
    Tensor::from_parts(out, data)
}

/// Reduces `axes` with `f` starting from `init`; reduced axes kept with extent 1.
pub fn reduce<T: Copy>(t: &Tensor<T>, axes: &[usize], init: T, f: impl Fn(T, T) -> T) -> Tensor<T> {
    let shape = t.shape();
    let out: Vec<usize> =
        shape.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect();
    let os = strides(&out);
    let mut data = vec![init; numel(&out)];
    let mut idx = vec![0; shape.len()];
    for &v in t.data() {
        let o: usize = idx
            .iter()
            .enumerate()
            .map(|(i, &x)| if axes.contains(&i) { 0 } else { x * os[i] })
            .sum();
        data[o] = f(data[o], v);
        next_index(&mut idx, shape);
    }
    Tensor::from_parts(out, data)
}

/// Sum over `axes` (kept with extent 1).
pub fn reduce_sum<T: Scalar>(t: &Tensor<T>, axes: &[usize]) -> Tensor<T> {
    reduce(t, axes, T::default(), T::add)
}

/// Max over one axis (kept with extent 1); `lowest` must be below every element.
pub fn reduce_max<T: Scalar>(t: &Tensor<T>, axis: usize, lowest: T) -> Tensor<T> {
    reduce(t, &[axis], lowest, |a, b| if b > a { b } else { a })
}

/// `x` padded per axis by `(before, after)` entries (`constant(c)` maps a constant mode's value
/// to the element type).
pub fn pad<T: Copy>(
    x: &Tensor<T>,
    pads: &[(usize, usize)],
    mode: crate::ir::PadMode,
    constant: impl Fn(f64) -> T,
) -> Tensor<T> {
    let shape = x.shape();
    let out: Vec<usize> = shape.iter().zip(pads).map(|(n, (b, e))| b + n + e).collect();
    let fill = match mode {
        crate::ir::PadMode::Constant(c) => constant(c),
        _ => constant(0.0),
    };
    let strides = strides(shape);
    let mut data = Vec::with_capacity(numel(&out));
    let mut idx = vec![0; out.len()];
    for _ in 0..numel(&out) {
        let mut at = Some(0usize);
        for (a, &i) in idx.iter().enumerate() {
            at = match (at, mode.source(i, pads[a].0, shape[a])) {
                (Some(o), Some(j)) => Some(o + j * strides[a]),
                _ => None,
            };
        }
        data.push(at.map_or(fill, |o| x.data()[o]));
        next_index(&mut idx, &out);
    }
    Tensor::from_parts(out, data)
}

/// The index of the maximum along `axis` (kept with extent 1): the first maximal entry of each
/// line, or the last one with `last` (ONNX `ArgMax`, `select_last_index`).
pub fn arg_max<T: PartialOrd + Copy>(t: &Tensor<T>, axis: usize, last: bool) -> Tensor<i64> {
    let shape = t.shape();
    let k = shape.get(axis).copied().unwrap_or(1);
    let inner: usize = shape.get(axis + 1..).map_or(1, |s| s.iter().product());
    let outer: usize = shape[..axis.min(shape.len())].iter().product();
    let mut out_shape = shape.to_vec();
    if let Some(d) = out_shape.get_mut(axis) {
        *d = 1;
    }
    let data = t.data();
    let mut index = vec![0i64; outer * inner];
    for o in 0..outer {
        for b in 0..inner {
            let at = |j: usize| data[(o * k + j) * inner + b];
            let mut best = 0;
            for j in 1..k {
                let better = if last { at(j) >= at(best) } else { at(j) > at(best) };
                if better {
                    best = j;
                }
            }
            index[o * inner + b] = best as i64;
        }
    }
    Tensor::from_parts(out_shape, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arg_max_takes_the_first_or_the_last_maximum() {
        let x = t(&[2, 3], &[1, 5, 5, 7, 2, 7]);
        assert_eq!(arg_max(&x, 1, false).data(), &[1, 0]);
        assert_eq!(arg_max(&x, 1, true).data(), &[2, 2]);
        assert_eq!(arg_max(&x, 0, false).data(), &[1, 0, 1]);
        assert_eq!(arg_max(&x, 1, false).shape(), &[2, 1]);
    }

    fn t(shape: &[usize], data: &[i64]) -> Tensor<i64> {
        Tensor::new(shape.to_vec(), data.to_vec()).unwrap()
    }

    #[test]
    fn transpose_slice_concat_gather() {
        let x = t(&[2, 3], &[0, 1, 2, 3, 4, 5]);
        assert_eq!(transpose(&x, &[1, 0]).data(), &[0, 3, 1, 4, 2, 5]);
        let s = slice(&x, &[SliceAxis { axis: 1, start: 2, end: -1, step: -2 }]);
        assert_eq!((s.shape(), s.data()), (&[2usize, 2][..], &[2i64, 0, 5, 3][..]));
        assert_eq!(concat(&[&x, &x], 1).data(), &[0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
        let idx = Tensor::new(vec![2], vec![2, 0]).unwrap();
        assert_eq!(gather(&x, 1, &idx).data(), &[2, 0, 5, 3]);
        assert_eq!(reduce_sum(&x, &[0]).data(), &[3, 5, 7]);
        let b = zip_broadcast(&x, &t(&[3], &[10, 20, 30]), |a, b| a + b).unwrap();
        assert_eq!(b.data(), &[10, 21, 32, 13, 24, 35]);
    }
}
