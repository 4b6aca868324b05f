//! Property tests (proptest, seeded by proptest's defaults; failures print a minimal case):
//!
//! - the layout maps: the interpreter's slice kernel and the prover's index-map block compute the
//!   same tensor, and a transpose is exactly the renaming of the multilinear point that the
//!   prover's `Transpose` step applies;
//! - the products: the interpreter's convolution (groups, strides, pads, dilations) and batched
//!   matmul kernels and the prover's blocks' `eval` compute the same integers;
//! - the pools: the window views the prover's pooling steps use (`plan::witness::pool_tap`) sum
//!   and maximise to the interpreter's pooling kernels;
//! - the quantized interpreter tracks the float interpreter on the digits MLP for random inputs.

use std::sync::OnceLock;

use proptest::prelude::*;
use tessera_blocks::Fr;
use tessera_blocks::block::Block;
use tessera_blocks::elementwise::split_point;
use tessera_blocks::matmul::conv::{Conv, ConvSpec};
use tessera_blocks::matmul::{BatchedMatmul, BatchedSpec, FixedMatmul, MatmulSpec};
use tessera_blocks::permutation::{AxisMap, StructuredMap, StructuredMapSpec};
use tessera_blocks::tensor::{IntTensor, axis_vars};
use tessera_compiler::ir::{SliceAxis, Window};
use tessera_compiler::kernels::{layout, linalg, pool};
use tessera_compiler::plan::witness::pool_tap;
use tessera_compiler::{CompileOptions, Compiled, Tensor, compile};

/// A shape of 1 to 3 axes of 1 to 5 entries, and its row-major data.
fn tensor() -> impl Strategy<Value = (Vec<usize>, Vec<i64>)> {
    prop::collection::vec(1usize..=5, 1..=3).prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        (Just(shape), prop::collection::vec(-1000i64..1000, n))
    })
}

/// A permutation of `0..n`.
fn permutation(n: usize) -> impl Strategy<Value = Vec<usize>> {
    Just((0..n).collect::<Vec<_>>()).prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn slice_kernel_and_index_map_block_agree(
        (shape, data) in tensor(),
        picks in prop::collection::vec((0usize..5, 1usize..4), 3),
    ) {
        let t = Tensor::new(shape.clone(), data.clone()).unwrap();
        // One positive-step slice per axis, starting inside it.
        let axes: Vec<SliceAxis> = shape
            .iter()
            .zip(&picks)
            .enumerate()
            .map(|(axis, (&d, &(start, step)))| SliceAxis {
                axis,
                start: (start % d) as i64,
                end: d as i64,
                step: step as i64,
            })
            .collect();
        let want = layout::slice(&t, &axes);
        let maps = axes
            .iter()
            .zip(want.shape())
            .map(|(a, &len)| AxisMap::Affine { src: a.axis, start: a.start, step: a.step, len })
            .collect();
        let spec = StructuredMapSpec { in_shape: shape.clone(), axes: maps };
        let got = StructuredMap::eval(&spec, &[IntTensor::new(shape, data).unwrap()]).unwrap();
        prop_assert_eq!(got[0].shape(), want.shape());
        prop_assert_eq!(got[0].data(), want.data());
    }

    #[test]
    fn a_transpose_renames_the_multilinear_point(
        ((shape, data), perm, seed) in tensor().prop_flat_map(|(s, d)| {
            let n = s.len();
            (Just((s, d)), permutation(n), any::<u64>())
        }),
    ) {
        let t = Tensor::new(shape.clone(), data.clone()).unwrap();
        let out = layout::transpose(&t, &perm);
        let vars: usize = axis_vars(out.shape()).iter().sum();
        let point: Vec<Fr> = (0..vars as u64).map(|i| Fr::from(seed.wrapping_add(i * 7919))).collect();
        // The step's renaming: input axis j reads the chunk of the output axis that holds it.
        let chunks = split_point(&point, out.shape()).unwrap();
        let mut renamed = Vec::with_capacity(vars);
        for j in 0..perm.len() {
            let a = perm.iter().position(|p| *p == j).unwrap();
            renamed.extend_from_slice(chunks[a]);
        }
        let x = IntTensor::new(shape, data).unwrap().to_mle().evaluate(&renamed).unwrap();
        let y = IntTensor::new(out.shape().to_vec(), out.data().to_vec())
            .unwrap()
            .to_mle()
            .evaluate(&point)
            .unwrap();
        prop_assert_eq!(x, y);
    }
}

/// A convolution geometry that fits: `(group, cin/group, cout/group, [h, w], kernel, stride,
/// pads [top, left, bottom, right], dilation)`.
#[allow(clippy::type_complexity)]
fn conv_geometry() -> impl Strategy<
    Value = (usize, usize, usize, [usize; 2], [usize; 2], [usize; 2], [usize; 4], [usize; 2]),
> {
    (
        1usize..=2,
        1usize..=2,
        1usize..=2,
        [3usize..=6, 3usize..=6],
        [1usize..=3, 1usize..=3],
        [1usize..=2, 1usize..=2],
        [0usize..=1, 0usize..=1, 0usize..=1, 0usize..=1],
        [1usize..=2, 1usize..=2],
    )
        .prop_filter("the dilated kernel fits the padded input", |(_, _, _, hw, k, _, p, d)| {
            (0..2).all(|a| d[a] * (k[a] - 1) < hw[a] + p[a] + p[a + 2])
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn conv_kernel_and_conv_block_agree(
        (group, cg, og, hw, kernel, stride, pads, dilation) in conv_geometry(),
        seed in any::<u64>(),
    ) {
        let (cin, cout) = (group * cg, group * og);
        let spec = ConvSpec {
            batch: 1,
            in_channels: cin,
            height: hw[0],
            width: hw[1],
            out_channels: cout,
            kernel,
            stride,
            pads,
            dilation,
            group,
        };
        let out_hw = spec.output_hw().unwrap();
        let value = |i: usize, m: i64| ((seed.wrapping_mul(i as u64 + 1) >> 7) % 19) as i64 - m;
        let xs: Vec<i64> = (0..cin * hw[0] * hw[1]).map(|i| value(i, 9)).collect();
        let ws: Vec<i64> = (0..cout * cg * kernel[0] * kernel[1]).map(|i| value(i + 1000, 9)).collect();
        let x = Tensor::new(vec![1, cin, hw[0], hw[1]], xs.clone()).unwrap();
        let w = Tensor::new(vec![cout, cg, kernel[0], kernel[1]], ws.clone()).unwrap();
        let window = Window {
            kernel: kernel.to_vec(),
            strides: stride.to_vec(),
            pads_begin: vec![pads[0], pads[1]],
            pads_end: vec![pads[2], pads[3]],
            dilations: dilation.to_vec(),
            ceil_mode: false,
        };
        let want = linalg::conv(&x, &w, &window, group, &out_hw);
        let got = Conv::eval(&spec, &[
            IntTensor::new(x.shape().to_vec(), xs).unwrap(),
            IntTensor::new(w.shape().to_vec(), ws).unwrap(),
        ])
        .unwrap();
        prop_assert_eq!(got[0].shape(), want.shape());
        prop_assert_eq!(got[0].data(), want.data());
    }

    #[test]
    fn gemm_kernel_and_fixed_weight_block_agree(
        (m, k, n, trans) in (1usize..=4, 1usize..=6, 1usize..=5, any::<bool>()),
        seed in any::<u64>(),
    ) {
        let value = |i: usize| ((seed.wrapping_mul(i as u64 + 7) >> 13) % 61) as i64 - 30;
        let x: Vec<i64> = (0..m * k).map(value).collect();
        let w: Vec<i64> = (0..k * n).map(|i| value(i + 900)).collect();
        let w_shape = if trans { vec![n, k] } else { vec![k, n] };
        let want = linalg::gemm(
            &Tensor::new(vec![m, k], x.clone()).unwrap(),
            &Tensor::new(w_shape.clone(), w.clone()).unwrap(),
            false,
            trans,
        );
        let spec = MatmulSpec { trans_weight: trans, ..MatmulSpec::matmul(vec![m], k, n) };
        let got = FixedMatmul::eval(&spec, &[
            IntTensor::new(vec![m, k], x).unwrap(),
            IntTensor::new(w_shape, w).unwrap(),
        ])
        .unwrap();
        prop_assert_eq!(got[0].data(), want.data());
    }

    #[test]
    fn batched_matmul_kernel_and_block_agree(
        (h, m, k, n) in (1usize..=3, 1usize..=4, 1usize..=5, 1usize..=4),
        seed in any::<u64>(),
    ) {
        let value = |i: usize| ((seed.wrapping_mul(i as u64 + 3) >> 11) % 41) as i64 - 20;
        let a: Vec<i64> = (0..h * m * k).map(value).collect();
        let b: Vec<i64> = (0..h * k * n).map(|i| value(i + 500)).collect();
        let want = linalg::matmul(
            &Tensor::new(vec![h, m, k], a.clone()).unwrap(),
            &Tensor::new(vec![h, k, n], b.clone()).unwrap(),
        );
        let spec = BatchedSpec { heads: vec![h], rows: m, inner: k, cols: n, trans_right: false };
        let got = BatchedMatmul::eval(&spec, &[
            IntTensor::new(vec![h, m, k], a).unwrap(),
            IntTensor::new(vec![h, k, n], b).unwrap(),
        ])
        .unwrap();
        prop_assert_eq!(got[0].shape(), want.shape());
        prop_assert_eq!(got[0].data(), want.data());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn pool_tap_views_match_the_pooling_kernels(
        (hw, kernel, stride, dilation, pads, seed) in (
            [3usize..=7, 3usize..=7],
            [1usize..=3, 1usize..=3],
            [1usize..=2, 1usize..=2],
            [1usize..=2, 1usize..=2],
            [0usize..=2, 0usize..=2],
            any::<u64>(),
        ).prop_filter("pads below the dilated kernel, which fits", |(hw, k, _, d, p, _)| {
            (0..2).all(|a| p[a] < d[a] * (k[a] - 1) + 1 && d[a] * (k[a] - 1) < hw[a] + 2 * p[a])
        }),
    ) {
        let shape = vec![1, 2, hw[0], hw[1]];
        let data: Vec<i64> = (0..2 * hw[0] * hw[1])
            .map(|i| ((seed.wrapping_mul(i as u64 + 5) >> 9) % 200) as i64 - 100)
            .collect();
        let window = Window {
            kernel: kernel.to_vec(),
            strides: stride.to_vec(),
            pads_begin: pads.to_vec(),
            pads_end: pads.to_vec(),
            dilations: dilation.to_vec(),
            ceil_mode: false,
        };
        let out_sp: Vec<usize> = (0..2)
            .map(|a| (hw[a] + 2 * pads[a] - dilation[a] * (kernel[a] - 1) - 1) / stride[a] + 1)
            .collect();
        let out_shape = vec![1, 2, out_sp[0], out_sp[1]];
        let x = Tensor::new(shape.clone(), data.clone()).unwrap();
        let sums = pool::sum_pool(&x, &window, &out_sp).0;
        // The max step views x − c for a lower bound c, so a padded tap (0) never wins.
        let c = -1000i64;
        let maxes = pool::max_pool(&x, &window, &out_sp, i64::MIN);
        let shifted = IntTensor::new(shape.clone(), data.iter().map(|v| v - c).collect()).unwrap();
        let plain = IntTensor::new(shape.clone(), data).unwrap();
        let n: usize = out_shape.iter().product();
        let (mut sum, mut max) = (vec![0i64; n], vec![i64::MIN; n]);
        for k in 0..kernel[0] * kernel[1] {
            let spec = pool_tap(&shape, &out_shape, kernel, stride, pads, dilation, k);
            let v = StructuredMap::eval(&spec, std::slice::from_ref(&plain)).unwrap();
            let m = StructuredMap::eval(&spec, std::slice::from_ref(&shifted)).unwrap();
            for i in 0..n {
                sum[i] += v[0].data()[i];
                max[i] = max[i].max(m[0].data()[i] + c);
            }
        }
        prop_assert_eq!(&sum, sums.data());
        prop_assert_eq!(&max, maxes.data());
    }
}

fn mlp() -> &'static Compiled {
    static MLP: OnceLock<Compiled> = OnceLock::new();
    MLP.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/digits_mlp/model.onnx");
        compile(path, &CompileOptions::default()).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Pixels in `[0, 1]` (the digits' range): every output within 1 % of the float output's
    /// range (at least 0.05).
    #[test]
    fn quantized_mlp_tracks_the_float_mlp(x in prop::collection::vec(0.0f64..=1.0, 64)) {
        let m = mlp();
        let input = Tensor::new(vec![1, 64], x).unwrap();
        let float = tessera_compiler::interp::eval_float(&m.float, std::slice::from_ref(&input))
            .unwrap();
        let quant = m.quantized.run(&[input]).unwrap();
        let (f, q) = (float[0].data(), quant[0].data());
        let lo = f.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let tolerance = (0.01 * (hi - lo)).max(0.05);
        for (a, b) in f.iter().zip(q) {
            prop_assert!((a - b).abs() <= tolerance, "float {a}, quantized {b}, tolerance {tolerance}");
        }
    }
}
