//! Decoding of ONNX `TensorProto` payloads.
//!
//! `onnx-protobuf`'s own helper ignores `raw_data` (where exporters put weights) and misreads
//! small integer types, so tensors are decoded here: `raw_data` little-endian when present, the
//! typed repeated fields otherwise. Supported element types: float, float16, double, int8, uint8,
//! int32, int64. Anything else, and tensors with external data, are typed errors.

use onnx_protobuf::TensorProto;
use onnx_protobuf::tensor_proto::DataLocation;

use crate::error::ImportError;
use crate::ir::ElemType;
use crate::tensor::Tensor;

/// ONNX `TensorProto.DataType` codes used here.
pub mod dtype {
    /// float32
    pub const FLOAT: i32 = 1;
    /// uint8
    pub const UINT8: i32 = 2;
    /// int8
    pub const INT8: i32 = 3;
    /// int32
    pub const INT32: i32 = 6;
    /// int64
    pub const INT64: i32 = 7;
    /// bool
    pub const BOOL: i32 = 9;
    /// float16
    pub const FLOAT16: i32 = 10;
    /// float64
    pub const DOUBLE: i32 = 11;
}

/// A decoded tensor: values widened to `f64` (exact for every supported type except int64 beyond
/// 2^53, which no supported model uses for data), plus the ONNX element type.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// The values.
    pub value: Tensor<f64>,
    /// The ONNX data type code.
    pub data_type: i32,
}

impl Decoded {
    /// Whether the ONNX type is an integer type.
    pub fn elem(&self) -> ElemType {
        match self.data_type {
            dtype::FLOAT | dtype::FLOAT16 | dtype::DOUBLE => ElemType::Real,
            _ => ElemType::Integer,
        }
    }
}

/// Decodes one tensor.
pub fn decode_tensor(t: &TensorProto) -> Result<Decoded, ImportError> {
    let name = || t.name.clone();
    if !t.external_data.is_empty() || t.data_location.enum_value() == Ok(DataLocation::EXTERNAL) {
        return Err(ImportError::ExternalData { tensor: name() });
    }
    let mut shape = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        shape.push(
            usize::try_from(d)
                .map_err(|_| ImportError::BadDims { tensor: name(), dims: t.dims.clone() })?,
        );
    }
    let expected = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let expected =
        expected.ok_or_else(|| ImportError::BadDims { tensor: name(), dims: t.dims.clone() })?;
    let raw = !t.raw_data.is_empty() || expected == 0;
    let data: Vec<f64> = match t.data_type {
        dtype::FLOAT if raw => {
            le_chunks::<4>(&t.raw_data).map(|b| f64::from(f32::from_le_bytes(b))).collect()
        }
        dtype::FLOAT => t.float_data.iter().map(|&v| f64::from(v)).collect(),
        dtype::DOUBLE if raw => le_chunks::<8>(&t.raw_data).map(f64::from_le_bytes).collect(),
        dtype::DOUBLE => t.double_data.clone(),
        dtype::FLOAT16 if raw => {
            le_chunks::<2>(&t.raw_data).map(|b| f16_to_f64(u16::from_le_bytes(b))).collect()
        }
        // float16 values sit in the low 16 bits of int32_data.
        dtype::FLOAT16 => t.int32_data.iter().map(|&v| f16_to_f64((v & 0xffff) as u16)).collect(),
        dtype::BOOL if raw => t.raw_data.iter().map(|&b| f64::from(u8::from(b != 0))).collect(),
        dtype::BOOL => t.int32_data.iter().map(|&v| f64::from(u8::from(v != 0))).collect(),
        dtype::INT8 if raw => t.raw_data.iter().map(|&b| f64::from(b as i8)).collect(),
        dtype::UINT8 if raw => t.raw_data.iter().map(|&b| f64::from(b)).collect(),
        // int8/uint8 values are stored one per int32_data entry.
        dtype::INT8 => t.int32_data.iter().map(|&v| f64::from(v as i8)).collect(),
        dtype::UINT8 => t.int32_data.iter().map(|&v| f64::from(v as u8)).collect(),
        dtype::INT32 if raw => {
            le_chunks::<4>(&t.raw_data).map(|b| f64::from(i32::from_le_bytes(b))).collect()
        }
        dtype::INT32 => t.int32_data.iter().map(|&v| f64::from(v)).collect(),
        dtype::INT64 if raw => {
            le_chunks::<8>(&t.raw_data).map(|b| i64::from_le_bytes(b) as f64).collect()
        }
        dtype::INT64 => t.int64_data.iter().map(|&v| v as f64).collect(),
        other => return Err(ImportError::UnsupportedDataType { tensor: name(), data_type: other }),
    };
    let width = match t.data_type {
        dtype::INT8 | dtype::UINT8 | dtype::BOOL => 1,
        dtype::FLOAT16 => 2,
        dtype::FLOAT | dtype::INT32 => 4,
        _ => 8,
    };
    if raw && Some(t.raw_data.len()) != expected.checked_mul(width) {
        let found = t.raw_data.len() / width;
        return Err(ImportError::TensorLength { tensor: name(), expected, found });
    }
    let found = data.len();
    let value = Tensor::new(shape, data).map_err(|_| ImportError::TensorLength {
        tensor: name(),
        expected,
        found,
    })?;
    Ok(Decoded { value, data_type: t.data_type })
}

fn le_chunks<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    bytes.chunks_exact(N).map(|c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        a
    })
}

/// IEEE 754 binary16 to f64.
pub fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto(data_type: i32, dims: Vec<i64>) -> TensorProto {
        let mut t = TensorProto::new();
        t.name = "t".into();
        t.data_type = data_type;
        t.dims = dims;
        t
    }

    #[test]
    fn raw_and_typed_fields_agree() {
        let mut raw = proto(dtype::FLOAT, vec![2]);
        raw.raw_data = [1.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut typed = proto(dtype::FLOAT, vec![2]);
        typed.float_data = vec![1.5, -2.0];
        assert_eq!(decode_tensor(&raw).unwrap().value.data(), &[1.5, -2.0]);
        assert_eq!(decode_tensor(&typed).unwrap().value.data(), &[1.5, -2.0]);
    }

    #[test]
    fn small_integers_and_halves() {
        let mut i8s = proto(dtype::INT8, vec![3]);
        i8s.raw_data = vec![0xff, 0x80, 0x7f];
        assert_eq!(decode_tensor(&i8s).unwrap().value.data(), &[-1.0, -128.0, 127.0]);
        let mut i8_typed = proto(dtype::INT8, vec![2]);
        i8_typed.int32_data = vec![-5, 100];
        assert_eq!(decode_tensor(&i8_typed).unwrap().value.data(), &[-5.0, 100.0]);
        let mut u8s = proto(dtype::UINT8, vec![2]);
        u8s.int32_data = vec![200, 3];
        assert_eq!(decode_tensor(&u8s).unwrap().value.data(), &[200.0, 3.0]);
        let mut i64s = proto(dtype::INT64, vec![2]);
        i64s.raw_data = [-7i64, 9].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(decode_tensor(&i64s).unwrap().value.data(), &[-7.0, 9.0]);
        let mut halves = proto(dtype::FLOAT16, vec![3]);
        halves.raw_data =
            [0x3c00u16, 0xc000, 0x3555].iter().flat_map(|v| v.to_le_bytes()).collect();
        let h = decode_tensor(&halves).unwrap();
        assert_eq!(&h.value.data()[..2], &[1.0, -2.0]);
        assert!((h.value.data()[2] - 0.333_251_953_125).abs() < 1e-12);
    }

    #[test]
    fn errors_are_specific() {
        let mut ext = proto(dtype::FLOAT, vec![1]);
        ext.data_location = DataLocation::EXTERNAL.into();
        assert!(
            matches!(decode_tensor(&ext), Err(ImportError::ExternalData { tensor }) if tensor == "t")
        );
        let strings = proto(8, vec![1]);
        assert!(matches!(
            decode_tensor(&strings),
            Err(ImportError::UnsupportedDataType { data_type: 8, .. })
        ));
        let mut short = proto(dtype::FLOAT, vec![3]);
        short.raw_data = vec![0; 8];
        assert!(matches!(
            decode_tensor(&short),
            Err(ImportError::TensorLength { expected: 3, found: 2, .. })
        ));
        let neg = proto(dtype::FLOAT, vec![-1]);
        assert!(matches!(decode_tensor(&neg), Err(ImportError::BadDims { .. })));
    }
}
