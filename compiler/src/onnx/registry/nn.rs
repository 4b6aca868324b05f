//! Importers of the neural-network ops: Gemm, Conv, pooling, normalisation, Q/DQ.

use crate::error::ImportError;
use crate::ir::{Op, QuantParams, QuantType, Window};
use crate::onnx::context::{Imported, NodeCtx};
use crate::onnx::decode::dtype;
use crate::onnx::registry::node;

pub fn gemm(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let op = Op::Gemm {
        alpha: c.float("alpha", 1.0)?,
        beta: c.float("beta", 1.0)?,
        trans_a: c.int("transA", 0)? != 0,
        trans_b: c.int("transB", 0)? != 0,
    };
    let mut inputs = vec![c.required(0)?, c.required(1)?];
    inputs.extend(c.input_name(2).map(str::to_string));
    node(op, inputs)
}

/// Window geometry from kernel/strides/pads/dilations/auto_pad attributes.
fn window(c: &NodeCtx<'_>, spatial: &[usize], kernel: Vec<usize>) -> Result<Window, ImportError> {
    let n = kernel.len();
    let list = |name: &str, default: usize| -> Result<Vec<usize>, ImportError> {
        match c.ints(name)? {
            None => Ok(vec![default; n]),
            Some(v) => v
                .iter()
                .map(|&x| usize::try_from(x).map_err(|_| c.err(format!("negative {name}"))))
                .collect(),
        }
    };
    let strides = list("strides", 1)?;
    let dilations = list("dilations", 1)?;
    if strides.len() != n || dilations.len() != n || spatial.len() != n {
        return Err(c.err("window attributes do not match the spatial rank"));
    }
    let (pads_begin, pads_end) = match c.string("auto_pad", "NOTSET")?.as_str() {
        "NOTSET" => {
            let pads = list("pads", 0)?;
            if c.ints("pads")?.is_none() {
                (vec![0; n], vec![0; n])
            } else if pads.len() == 2 * n {
                (pads[..n].to_vec(), pads[n..].to_vec())
            } else {
                return Err(c.err("pads must have two entries per spatial axis"));
            }
        }
        "VALID" => (vec![0; n], vec![0; n]),
        mode @ ("SAME_UPPER" | "SAME_LOWER") => {
            let (mut b, mut e) = (vec![0; n], vec![0; n]);
            for i in 0..n {
                let out = spatial[i].div_ceil(strides[i]);
                let span = dilations[i] * (kernel[i].max(1) - 1) + 1;
                let total = ((out - 1) * strides[i] + span).saturating_sub(spatial[i]);
                let small = total / 2;
                (b[i], e[i]) = if mode == "SAME_UPPER" {
                    (small, total - small)
                } else {
                    (total - small, small)
                };
            }
            (b, e)
        }
        other => return Err(c.err(format!("auto_pad {other} is not supported"))),
    };
    let ceil_mode = c.int("ceil_mode", 0)? != 0;
    Ok(Window { kernel, strides, pads_begin, pads_end, dilations, ceil_mode })
}

fn kernel_attr(c: &NodeCtx<'_>, fallback: Option<&[usize]>) -> Result<Vec<usize>, ImportError> {
    match c.ints("kernel_shape")? {
        Some(k) => k
            .iter()
            .map(|&x| usize::try_from(x).map_err(|_| c.err("negative kernel_shape")))
            .collect(),
        None => fallback.map(<[usize]>::to_vec).ok_or_else(|| c.err("missing kernel_shape")),
    }
}

pub fn conv(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let x = c.shape(0)?;
    let w = c.shape(1)?;
    let kernel = kernel_attr(c, w.get(2..))?;
    let spatial = x.get(2..).ok_or_else(|| c.err("input rank below 3"))?;
    let window = window(c, spatial, kernel)?;
    let group = usize::try_from(c.int("group", 1)?).map_err(|_| c.err("negative group"))?;
    let mut inputs = vec![c.required(0)?, c.required(1)?];
    inputs.extend(c.input_name(2).map(str::to_string));
    node(Op::Conv { window, group }, inputs)
}

pub fn max_pool(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    if c.num_outputs() > 1 {
        return Err(c.err("the Indices output is not supported"));
    }
    if c.int("storage_order", 0)? != 0 {
        return Err(c.err("storage_order 1 is not supported"));
    }
    let x = c.shape(0)?;
    let spatial = x.get(2..).ok_or_else(|| c.err("input rank below 3"))?;
    let window = window(c, spatial, kernel_attr(c, None)?)?;
    node(Op::MaxPool { window }, vec![c.required(0)?])
}

pub fn average_pool(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let x = c.shape(0)?;
    let spatial = x.get(2..).ok_or_else(|| c.err("input rank below 3"))?;
    let window = window(c, spatial, kernel_attr(c, None)?)?;
    let count_include_pad = c.int("count_include_pad", 0)? != 0;
    if count_include_pad && window.ceil_mode {
        return Err(c.err("count_include_pad with ceil_mode is not supported"));
    }
    node(Op::AveragePool { window, count_include_pad }, vec![c.required(0)?])
}

pub fn batch_norm(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    if c.int("training_mode", 0)? != 0 || c.num_outputs() > 1 {
        return Err(c.err("training mode is not supported"));
    }
    // Opsets 7–8: `spatial = 0` normalizes per entry, not per channel.
    if c.opset() < 9 && c.int("spatial", 1)? == 0 {
        return Err(c.err("spatial = 0 (per-entry statistics) is not supported"));
    }
    let inputs = (0..5).map(|i| c.required(i)).collect::<Result<Vec<_>, _>>()?;
    node(Op::BatchNorm { epsilon: c.float("epsilon", 1e-5)? }, inputs)
}

pub fn layer_norm(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let stats = c.num_outputs() > 1;
    let axis = c.axis(c.int("axis", -1)?, c.rank(0)?)?;
    let mut inputs = vec![c.required(0)?, c.required(1)?];
    inputs.extend(c.input_name(2).map(str::to_string));
    node(Op::LayerNorm { axis, epsilon: c.float("epsilon", 1e-5)?, stats }, inputs)
}

/// Scale and zero point (constant inputs 1 and 2) of QuantizeLinear / DequantizeLinear.
fn quant_params(c: &NodeCtx<'_>, rank: usize) -> Result<QuantParams, ImportError> {
    if c.int("block_size", 0)? != 0 {
        return Err(c.err("blocked quantization is not supported"));
    }
    let scale = c.constant(1)?.ok_or_else(|| c.err("missing scale"))?;
    let zp = c.constant(2)?;
    let qtype = match zp.map(|z| z.data_type) {
        None | Some(dtype::UINT8) => QuantType::U8,
        Some(dtype::INT8) => QuantType::I8,
        Some(dtype::INT32) => QuantType::I32,
        Some(other) => return Err(c.err(format!("zero point type {other} is not supported"))),
    };
    let scale: Vec<f64> = scale.value.data().to_vec();
    let zero_point: Vec<i64> = match zp {
        Some(z) => z.value.data().iter().map(|&v| v as i64).collect(),
        None => vec![0; scale.len()],
    };
    if scale.is_empty() || zero_point.len() != scale.len() {
        return Err(c.err("scale and zero point differ in length"));
    }
    let axis = if scale.len() > 1 { c.axis(c.int("axis", 1)?, rank)? } else { 0 };
    Ok(QuantParams { scale, zero_point, axis, qtype })
}

pub fn quantize(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let q = quant_params(c, c.rank(0)?)?;
    if q.qtype == QuantType::I32 {
        return Err(c.err("quantizing to int32 is not supported"));
    }
    node(Op::QuantizeLinear(q), vec![c.required(0)?])
}

pub fn dequantize(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let mut q = quant_params(c, c.rank(0)?)?;
    // The input's own type decides for DequantizeLinear when no zero point is given.
    if c.constant(2)?.is_none()
        && let Ok(Some(d)) = c.constant(0)
    {
        q.qtype = match d.data_type {
            dtype::INT8 => QuantType::I8,
            dtype::INT32 => QuantType::I32,
            _ => QuantType::U8,
        };
    }
    node(Op::DequantizeLinear(q), vec![c.required(0)?])
}
