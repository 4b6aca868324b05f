//! Pooling windows: max and sum (with the count of non-padding cells, for averages).

use crate::ir::Window;
use crate::kernels::{Scalar, next_index};
use crate::tensor::{Tensor, numel, strides};

/// Applies `fold` over each window of every channel; returns the folded values and, per output
/// position, the number of in-bounds cells. Padding cells are skipped.
fn pool<T: Scalar>(
    x: &Tensor<T>,
    win: &Window,
    out_sp: &[usize],
    init: T,
    fold: impl Fn(T, T) -> T,
) -> (Tensor<T>, Vec<usize>) {
    let (batch, ch) = (x.shape()[0], x.shape()[1]);
    let in_sp = &x.shape()[2..];
    let xs = strides(in_sp);
    let (n_in, n_out, n_k) = (numel(in_sp), numel(out_sp), numel(&win.kernel));
    let mut out = vec![init; batch * ch * n_out];
    let mut counts = vec![0; n_out];
    let mut opos = vec![0; out_sp.len()];
    for o in 0..n_out {
        let mut taps = Vec::with_capacity(n_k);
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
            taps.extend(off);
            next_index(&mut kpos, &win.kernel);
        }
        counts[o] = taps.len();
        for bc in 0..batch * ch {
            let base = bc * n_in;
            out[bc * n_out + o] = taps.iter().fold(init, |acc, &t| fold(acc, x.data()[base + t]));
        }
        next_index(&mut opos, out_sp);
    }
    let mut shape = vec![batch, ch];
    shape.extend_from_slice(out_sp);
    (Tensor::from_parts(shape, out), counts)
}

/// Max pooling; `lowest` must be below every element.
pub fn max_pool<T: Scalar>(x: &Tensor<T>, win: &Window, out_sp: &[usize], lowest: T) -> Tensor<T> {
    pool(x, win, out_sp, lowest, |a, b| if b > a { b } else { a }).0
}

/// Window sums and per-position in-bounds cell counts.
pub fn sum_pool<T: Scalar>(
    x: &Tensor<T>,
    win: &Window,
    out_sp: &[usize],
) -> (Tensor<T>, Vec<usize>) {
    pool(x, win, out_sp, T::default(), T::add)
}
