//! Importers of the shape subgraph ops exporters write around reshapes — `Shape`, `Size`,
//! `ConstantOfShape`, `Range`, `Expand` of a constant — and `Cast` to integer and bool types.
//!
//! Shapes are static once the batch is fixed, so each of these is a constant at import time (and
//! what reads it folds too); an op whose value would depend on the data is refused by name.

use crate::error::ImportError;
use crate::ir::{ElemType, Op};
use crate::kernels::layout::broadcast_to;
use crate::onnx::context::{Imported, NodeCtx};
use crate::onnx::decode::{Decoded, dtype};
use crate::onnx::registry::node;
use crate::tensor::{Tensor, broadcast_shapes};

const BOOL: i32 = dtype::BOOL;
/// The integer ONNX types (int16, uint16, uint32 and uint64 besides [`dtype`]'s).
const INTEGERS: [i32; 8] = [dtype::UINT8, dtype::INT8, 4, 5, dtype::INT32, dtype::INT64, 12, 13];

fn constant(value: Tensor<f64>, data_type: i32) -> Result<Imported, ImportError> {
    Ok(Imported::Constant(Decoded { value, data_type }))
}

fn int_tensor(
    c: &NodeCtx<'_>,
    shape: Vec<usize>,
    data: Vec<f64>,
) -> Result<Tensor<f64>, ImportError> {
    Tensor::new(shape, data).map_err(|e| c.err(e.to_string()))
}

/// `Shape` (with opset 15's `start` and `end`): the input's static shape, as int64.
pub fn shape(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let dims = c.shape(0)?;
    let rank = dims.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
    let (start, end) = (clamp(c.int("start", 0)?), clamp(c.int("end", rank)?));
    let part: Vec<f64> = dims[start..end.max(start)].iter().map(|&d| d as f64).collect();
    constant(int_tensor(c, vec![part.len()], part)?, dtype::INT64)
}

/// `Size`: the input's number of entries, an int64 scalar.
pub fn size(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let n: usize = c.shape(0)?.iter().product();
    constant(int_tensor(c, vec![], vec![n as f64])?, dtype::INT64)
}

/// `ConstantOfShape`: a constant shape filled with the `value` attribute (default float 0).
pub fn constant_of_shape(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let dims = c.const_ints(0)?.ok_or_else(|| c.err("missing shape"))?;
    let shape = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| c.err(format!("negative dimension {d}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let (fill, data_type) = match c.has_attr("value") {
        true => {
            let v = c.constant_attr()?;
            let fill = v.value.data().first().copied().ok_or_else(|| c.err("empty value"))?;
            (fill, v.data_type)
        }
        false => (0.0, dtype::FLOAT),
    };
    let n: usize = shape.iter().product();
    constant(int_tensor(c, shape, vec![fill; n])?, data_type)
}

/// `Range(start, limit, delta)` of constants: `max(⌈(limit − start)/delta⌉, 0)` entries.
pub fn range(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let scalar = |i: usize| -> Result<(f64, i32), ImportError> {
        let d = c.constant(i)?.ok_or_else(|| c.err(format!("missing input {i}")))?;
        let v = d.value.data().first().copied().ok_or_else(|| c.err("empty input"))?;
        Ok((v, d.data_type))
    };
    let ((start, data_type), (limit, _), (delta, _)) = (scalar(0)?, scalar(1)?, scalar(2)?);
    if delta == 0.0 || !(start.is_finite() && limit.is_finite() && delta.is_finite()) {
        return Err(c.err("a zero or non-finite delta, or non-finite bounds"));
    }
    let n = ((limit - start) / delta).ceil().max(0.0);
    if n > (1u64 << 24) as f64 {
        return Err(c.err(format!("{n} entries")));
    }
    let data: Vec<f64> = (0..n as usize).map(|i| start + i as f64 * delta).collect();
    constant(int_tensor(c, vec![data.len()], data)?, data_type)
}

/// `Expand` of a constant: broadcast to `broadcast(input shape, shape)`.
pub fn expand(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let dims = c.const_ints(1)?.ok_or_else(|| c.err("missing shape"))?;
    let dims: Vec<usize> = dims.iter().map(|&d| d.max(0) as usize).collect();
    let Some(x) = c.constant(0).ok().flatten() else {
        return Err(c.err("Expand of a computed tensor is not supported"));
    };
    let out = broadcast_shapes(x.value.shape(), &dims)
        .ok_or_else(|| c.err(format!("{:?} does not broadcast to {dims:?}", x.value.shape())))?;
    let value = broadcast_to(&x.value, &out).ok_or_else(|| c.err("broadcast"))?;
    constant(value, x.data_type)
}

/// `Cast`. To a float type: the identity (the IR's values are reals). To an integer or bool type:
/// constants convert (float to integer truncates toward zero, to bool is `x ≠ 0`); a computed
/// integer tensor is unchanged by an integer cast, and a comparison's 0/1 by a bool cast. Any
/// other computed cast changes values the prover does not model, and is refused.
pub fn cast(c: &NodeCtx<'_>) -> Result<Imported, ImportError> {
    let to = c.int("to", 0)? as i32;
    if matches!(to, dtype::FLOAT | dtype::FLOAT16 | dtype::DOUBLE) {
        return node(Op::Cast { to: ElemType::Real }, vec![c.required(0)?]);
    }
    if to != BOOL && !INTEGERS.contains(&to) {
        return Err(c.err(format!("Cast to data type {to} is not supported")));
    }
    if let Some(x) = c.constant(0).ok().flatten() {
        let value = if to == BOOL {
            x.value.map(|&v| f64::from(u8::from(v != 0.0)))
        } else {
            x.value.map(|&v| v.trunc())
        };
        return constant(value, to);
    }
    let input = c.required(0)?;
    match (to == BOOL, c.elem(0), c.is_comparison(0)) {
        (false, Some(ElemType::Integer), _) | (true, _, true) => {
            node(Op::Cast { to: ElemType::Integer }, vec![input])
        }
        _ => Err(c.err(format!(
            "Cast of a computed real tensor to data type {to} (rounding or truncation) is not \
             supported"
        ))),
    }
}
