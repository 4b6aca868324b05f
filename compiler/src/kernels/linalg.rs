//! Matrix products and convolution (no bias, no scaling: callers add those).

use crate::ir::Window;
use crate::kernels::{Scalar, next_index};
use crate::tensor::{Tensor, broadcast_shapes, numel, strides};

/// `[m,k] x [k,n]` on raw row-major slices, accumulating into `out` (`[m,n]`).
fn matmul_into<T: Scalar>(a: &[T], b: &[T], out: &mut [T], m: usize, k: usize, n: usize) {
    for i in 0..m {
        let row = &mut out[i * n..(i + 1) * n];
        for p in 0..k {
            let x = a[i * k + p];
            let brow = &b[p * n..(p + 1) * n];
            for (o, &w) in row.iter_mut().zip(brow) {
                *o = o.add(x.mul(w));
            }
        }
    }
}

/// 2-D product with optional transposes: `A'·B'`.
pub fn gemm<T: Scalar>(a: &Tensor<T>, b: &Tensor<T>, trans_a: bool, trans_b: bool) -> Tensor<T> {
    let a = if trans_a { crate::kernels::layout::transpose(a, &[1, 0]) } else { a.clone() };
    let b = if trans_b { crate::kernels::layout::transpose(b, &[1, 0]) } else { b.clone() };
    let (m, k, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
    let mut out = vec![T::default(); m * n];
    matmul_into(a.data(), b.data(), &mut out, m, k, n);
    Tensor::from_parts(vec![m, n], out)
}

/// Numpy `matmul` with broadcast batch axes (shapes checked by shape inference).
pub fn matmul<T: Scalar>(a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    let a_shape: Vec<usize> =
        if a.shape().len() == 1 { vec![1, a.shape()[0]] } else { a.shape().to_vec() };
    let b_shape: Vec<usize> =
        if b.shape().len() == 1 { vec![b.shape()[0], 1] } else { b.shape().to_vec() };
    let (ra, rb) = (a_shape.len(), b_shape.len());
    let (m, k, n) = (a_shape[ra - 2], a_shape[ra - 1], b_shape[rb - 1]);
    let batch = broadcast_shapes(&a_shape[..ra - 2], &b_shape[..rb - 2]).unwrap_or_default();
    let bs = |s: &[usize]| -> Vec<usize> {
        let st = strides(s);
        let off = batch.len() - s.len();
        (0..batch.len()).map(|i| if i < off || s[i - off] == 1 { 0 } else { st[i - off] }).collect()
    };
    let (sa, sb) = (bs(&a_shape[..ra - 2]), bs(&b_shape[..rb - 2]));
    let nb = numel(&batch);
    let mut out = vec![T::default(); nb * m * n];
    let mut idx = vec![0; batch.len()];
    for i in 0..nb {
        let ia: usize = idx.iter().zip(&sa).map(|(x, s)| x * s).sum::<usize>() * m * k;
        let ib: usize = idx.iter().zip(&sb).map(|(x, s)| x * s).sum::<usize>() * k * n;
        let dst = &mut out[i * m * n..(i + 1) * m * n];
        matmul_into(&a.data()[ia..ia + m * k], &b.data()[ib..ib + k * n], dst, m, k, n);
        next_index(&mut idx, &batch);
    }
    let mut shape = batch;
    if a.shape().len() > 1 {
        shape.push(m);
    }
    if b.shape().len() > 1 {
        shape.push(n);
    }
    Tensor::from_parts(shape, out)
}

/// Grouped N-d convolution without bias: `out[b,o,p] = Σ_{c,q} x[b, g·C + c, p·s + q·d − pad]·w[o,c,q]`.
/// Padding cells are zero.
pub fn conv<T: Scalar>(
    x: &Tensor<T>,
    w: &Tensor<T>,
    win: &Window,
    group: usize,
    out_spatial: &[usize],
) -> Tensor<T> {
    let (batch, cin) = (x.shape()[0], x.shape()[1]);
    let (cout, cg) = (w.shape()[0], w.shape()[1]);
    let in_sp = &x.shape()[2..];
    let out_per_group = cout / group.max(1);
    let n_out = numel(out_spatial);
    let n_k = numel(&win.kernel);
    let xs = strides(in_sp);
    let mut out = vec![T::default(); batch * cout * n_out];
    let mut opos = vec![0; out_spatial.len()];
    for o_flat in 0..n_out {
        // For this output position, the input offset of each kernel tap (None when in padding).
        let mut taps: Vec<Option<usize>> = Vec::with_capacity(n_k);
        let mut kpos = vec![0; win.kernel.len()];
        for _ in 0..n_k {
            let mut off = Some(0usize);
            for d in 0..kpos.len() {
                let p = (opos[d] * win.strides[d] + kpos[d] * win.dilations[d]) as isize
                    - win.pads_begin[d] as isize;
                off = match off {
                    Some(acc) if p >= 0 && (p as usize) < in_sp[d] => {
                        Some(acc + p as usize * xs[d])
                    }
                    _ => None,
                };
            }
            taps.push(off);
            next_index(&mut kpos, &win.kernel);
        }
        for b in 0..batch {
            for oc in 0..cout {
                let g = oc / out_per_group.max(1);
                let mut acc = T::default();
                for c in 0..cg {
                    let xbase = (b * cin + g * cg + c) * numel(in_sp);
                    let wbase = (oc * cg + c) * n_k;
                    for (q, tap) in taps.iter().enumerate() {
                        if let Some(t) = tap {
                            acc = acc.add(x.data()[xbase + t].mul(w.data()[wbase + q]));
                        }
                    }
                }
                out[(b * cout + oc) * n_out + o_flat] = acc;
            }
        }
        next_index(&mut opos, out_spatial);
    }
    let mut shape = vec![batch, cout];
    shape.extend_from_slice(out_spatial);
    Tensor::from_parts(shape, out)
}
