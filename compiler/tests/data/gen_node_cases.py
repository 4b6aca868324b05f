#!/usr/bin/env python3
"""Select ONNX backend node test cases for the ops of DESIGN §6 and copy them into onnx_node/.

Source: the node tests shipped in the `onnx` 1.22.0 wheel (onnx/backend/test/data/node/*), whose
expected outputs come from ONNX's reference implementation -- numbers computed outside Tessera.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install onnx==1.22.0
    /tmp/venv/bin/python compiler/tests/data/gen_node_cases.py

Selection and rewriting (the Rust test only reads the committed result):
  * every node's op type is in OPS, every input/output is float, int8, uint8, int32 or int64, and
    the data input and the outputs are float (the IR's activations are real numbers);
  * the opset is moved into Tessera's supported range 11..21 only when the op's schema at both
    opsets has the same inputs, outputs and attributes (the versions in between only added element
    types such as bfloat16 or float8, so the semantics on float/int8 data are unchanged);
    otherwise the case is skipped;
  * inputs that carry parameters (every input but the first, except for ops whose other inputs are
    data: Add, Sub, Mul, Div, MatMul, Gemm, Conv, Concat) become initializers, as exporters write
    them -- the compiler requires such parameters to be constants;
  * cases larger than MAX_BYTES are skipped and at most PER_OP cases are kept per op type (the
    smallest first) to keep the repository small;
  * ops without a usable backend case (Erf: too large; QuantizeLinear/DequantizeLinear: their
    opset-25 signature differs) get small cases built here and run through onnxruntime, which
    then provides the expected outputs.
"""
import glob
import os
import shutil

import onnx
from onnx import defs, numpy_helper

OPS = {"Gemm", "MatMul", "Conv", "Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "Exp", "Erf",
       "Softmax", "LayerNormalization", "ReduceMean", "ReduceSum", "MaxPool", "AveragePool",
       "GlobalAveragePool", "BatchNormalization", "Reshape", "Flatten", "Transpose", "Squeeze",
       "Unsqueeze", "Concat", "Slice", "Split", "Gather", "Identity", "Constant", "Clip",
       "QuantizeLinear", "DequantizeLinear", "Pow", "Sqrt"}
DATA_OPS = {"Add", "Sub", "Mul", "Div", "MatMul", "Gemm", "Conv", "Concat"}
TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.INT8, onnx.TensorProto.UINT8, onnx.TensorProto.INT32,
         onnx.TensorProto.INT64}
MAX_BYTES = 16_000
PER_OP = 6
SRC = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
DST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_node")


def signature(schema):
    return ([i.name for i in schema.inputs], [o.name for o in schema.outputs], sorted(schema.attributes))


def target_opset(model):
    v = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not v:
        return None
    v = v[0]
    t = min(max(v, 11), 21)
    for n in model.graph.node:
        try:
            a, b = defs.get_schema(n.op_type, t), defs.get_schema(n.op_type, v)
        except Exception:
            return None
        if a.since_version != b.since_version and signature(a) != signature(b):
            return None
    return t


def main():
    shutil.rmtree(DST, ignore_errors=True)
    os.makedirs(DST)
    kept = 0
    cands = {}
    for d in sorted(glob.glob(os.path.join(SRC, "test_*"))):
        name = os.path.basename(d)
        m = onnx.load(os.path.join(d, "model.onnx"))
        g = m.graph
        if not g.node or any(n.op_type not in OPS or n.domain not in ("", "ai.onnx") for n in g.node):
            continue
        if any(vi.type.tensor_type.elem_type not in TYPES for vi in list(g.input) + list(g.output)):
            continue
        # Activations are real numbers in the IR: integer arithmetic cases (int8 Add, int32 Div...)
        # test ONNX integer semantics Tessera does not implement.
        if any(vi.type.tensor_type.elem_type != onnx.TensorProto.FLOAT for vi in list(g.input)[:1] + list(g.output)):
            continue
        t = target_opset(m)
        if t is None:
            continue
        sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
        if not sets:
            continue
        inputs = []
        for i in range(len(g.input)):
            p = os.path.join(sets[0], f"input_{i}.pb")
            tp = onnx.TensorProto()
            with open(p, "rb") as f:
                tp.ParseFromString(f.read())
            inputs.append(tp)
        keep_data = len(g.node) > 1 or g.node[0].op_type in DATA_OPS
        data_idx = [i for i in range(len(g.input)) if keep_data or i == 0]
        new_inputs = [g.input[i] for i in data_idx]
        for i in range(len(g.input)):
            if i not in data_idx:
                init = onnx.TensorProto()
                init.CopyFrom(inputs[i])
                init.name = g.input[i].name
                g.initializer.append(init)
        del g.input[:]
        g.input.extend(new_inputs)
        for o in m.opset_import:
            if o.domain in ("", "ai.onnx"):
                o.version = t
        model_bytes = m.SerializeToString()
        outs = sorted(glob.glob(os.path.join(sets[0], "output_*.pb")))
        size = len(model_bytes) + sum(inputs[i].ByteSize() for i in data_idx) + sum(os.path.getsize(p) for p in outs)
        if size > MAX_BYTES:
            continue
        outputs = []
        for p in outs:
            with open(p, "rb") as f:
                outputs.append(f.read())
        cands.setdefault(g.node[0].op_type, []).append(
            (size, name, model_bytes, [inputs[i].SerializeToString() for i in data_idx], outputs))
    for c in custom_cases():
        cands.setdefault(c[1], []).append(c[0])
    for op, cs in sorted(cands.items()):
        for size, name, model_bytes, ins, outs in sorted(cs)[:PER_OP]:
            write_case(name, model_bytes, ins, outs)
            kept += 1
    print(f"kept {kept} cases in {DST}")


def write_case(name, model_bytes, ins, outs):
    out_dir = os.path.join(DST, name)
    os.makedirs(out_dir)
    with open(os.path.join(out_dir, "model.onnx"), "wb") as f:
        f.write(model_bytes)
    for k, b in enumerate(ins):
        with open(os.path.join(out_dir, f"input_{k}.pb"), "wb") as f:
            f.write(b)
    for k, b in enumerate(outs):
        with open(os.path.join(out_dir, f"output_{k}.pb"), "wb") as f:
            f.write(b)


def custom_cases():
    """Single-node models at opset 21 with seeded inputs; expected outputs from onnxruntime."""
    import numpy as np
    import onnxruntime as ort
    from onnx import helper

    rng = np.random.default_rng(7)
    F, I8, U8, I32 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT8, onnx.TensorProto.UINT8, onnx.TensorProto.INT32

    def case(name, op, x, x_type, out_type, inits, attrs=None):
        node = helper.make_node(op, ["x"] + [i.name for i in inits], ["y"], **(attrs or {}))
        graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", x_type, list(x.shape))],
                                  [helper.make_tensor_value_info("y", out_type, None)], initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
        model.ir_version = 10
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        y = sess.run(None, {"x": x})[0]
        ins = [numpy_helper.from_array(x, "x").SerializeToString()]
        outs = [numpy_helper.from_array(y, "y").SerializeToString()]
        b = model.SerializeToString()
        return (len(b), "ort_" + name, b, ins, outs), op

    x = rng.normal(size=(2, 3, 4)).astype(np.float32) * 3
    t = numpy_helper.from_array
    yield case("erf", "Erf", x, F, F, [])
    yield case("quantizelinear_int8", "QuantizeLinear", x, F, I8,
               [t(np.array(0.02, np.float32), "s"), t(np.array(-3, np.int8), "z")])
    yield case("quantizelinear_uint8_axis", "QuantizeLinear", x, F, U8,
               [t(np.array([0.02, 0.05, 0.1], np.float32), "s"), t(np.array([128, 120, 3], np.uint8), "z")],
               {"axis": 1})
    q = rng.integers(-128, 128, size=(2, 3, 4)).astype(np.int8)
    yield case("dequantizelinear_int8", "DequantizeLinear", q, I8, F,
               [t(np.array(0.037, np.float32), "s"), t(np.array(5, np.int8), "z")])
    yield case("dequantizelinear_int8_axis", "DequantizeLinear", q, I8, F,
               [t(np.array([0.5, 0.25, 0.125], np.float32), "s"), t(np.array([1, -2, 3], np.int8), "z")],
               {"axis": 1})
    # LayerNorm as exporters write it below opset 17 (ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add).
    d = 8
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["mean"], axes=[-1]),
        helper.make_node("Sub", ["x", "mean"], ["c"]),
        helper.make_node("Pow", ["c", "two"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["var"], axes=[-1]),
        helper.make_node("Add", ["var", "eps"], ["ve"]),
        helper.make_node("Sqrt", ["ve"], ["std"]),
        helper.make_node("Div", ["c", "std"], ["n"]),
        helper.make_node("Mul", ["n", "gamma"], ["g"]),
        helper.make_node("Add", ["g", "beta"], ["y"]),
    ]
    inits = [t(np.array(2.0, np.float32), "two"), t(np.array(1e-5, np.float32), "eps"),
             t(rng.normal(size=(d,)).astype(np.float32), "gamma"), t(rng.normal(size=(d,)).astype(np.float32), "beta")]
    xl = (rng.normal(size=(2, 4, d)) * 2 + 0.5).astype(np.float32)
    graph = helper.make_graph(nodes, "layernorm_decomposed", [helper.make_tensor_value_info("x", F, list(xl.shape))],
                              [helper.make_tensor_value_info("y", F, None)], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    y = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": xl})[0]
    mb = model.SerializeToString()
    yield (len(mb), "ort_layernorm_decomposed", mb, [t(xl, "x").SerializeToString()],
           [t(y, "y").SerializeToString()]), "decomposed LayerNormalization"
    b = rng.integers(-5000, 5000, size=(6,)).astype(np.int32)
    yield case("dequantizelinear_int32", "DequantizeLinear", b, I32, F,
               [t(np.array(0.0004, np.float32), "s"), t(np.array(0, np.int32), "z")])


if __name__ == "__main__":
    main()
