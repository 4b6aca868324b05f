#!/usr/bin/env python3
"""Small models, one per op family the real-model issues add, exported with the onnx helper API and
run through onnxruntime for their reference outputs (numbers computed outside Tessera).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install onnx==1.22.0 onnxruntime numpy
    /tmp/venv/bin/python models/make_op_models.py

Each model gets a folder here with `model.onnx` and `test_set.json` (the format of
`make_models.py`: inputs and onnxruntime's `reference_output` per example), so the end-to-end test
`tests/tests/models.rs` proves it automatically. Random weights, seed 0; 8 examples of N(0, 1.5²)
inputs.
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def mlp_with(op_type, name, d_in=16, d_hidden=8, d_out=4, examples=8, head=None):
    """x [1, d_in] -> Gemm -> op_type -> Gemm -> y [1, d_out]; op_type "GreaterMask" is the
    ReLU as exporters of masks write it: h * Cast(Greater(h, 0), float). With head "ArgMax" the
    model outputs the index of the largest logit instead (int64 [1], as classifiers export it)."""
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 0.5, (d_in, d_hidden)).astype(np.float32)
    b1 = rng.normal(0, 0.1, (d_hidden,)).astype(np.float32)
    w2 = rng.normal(0, 0.5, (d_hidden, d_out)).astype(np.float32)
    b2 = rng.normal(0, 0.1, (d_out,)).astype(np.float32)
    if op_type == "GreaterMask":
        middle = [
            helper.make_node("Greater", ["h", "zero"], ["positive"], name="greater"),
            helper.make_node("Cast", ["positive"], ["mask"], name="cast", to=TensorProto.FLOAT),
            helper.make_node("Mul", ["h", "mask"], ["a"], name="mask_mul"),
        ]
    elif op_type == "TanhGelu":
        # GPT-2's GELU: 0.5·h·(1 + tanh(√(2/π)·(h + 0.044715·h³))), the cube as Pow(h, 3).
        middle = [
            helper.make_node("Pow", ["h", "three"], ["h3"], name="cube"),
            helper.make_node("Mul", ["h3", "c"], ["h3c"], name="cube_scaled"),
            helper.make_node("Add", ["h", "h3c"], ["inner"], name="inner"),
            helper.make_node("Mul", ["inner", "k"], ["arg"], name="arg"),
            helper.make_node("Tanh", ["arg"], ["t"], name="tanh"),
            helper.make_node("Add", ["t", "one"], ["t1"], name="one_plus"),
            helper.make_node("Mul", ["h", "t1"], ["ht"], name="gate"),
            helper.make_node("Mul", ["ht", "half"], ["a"], name="halve"),
        ]
    else:
        middle = [helper.make_node(op_type, ["h"], ["a"], name=op_type.lower())]
    logits = "logits" if head else "y"
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"), *middle,
             helper.make_node("Gemm", ["a", "w2", "b2"], [logits], name="fc2")]
    out_type, out_shape = TensorProto.FLOAT, [1, d_out]
    if head == "ArgMax":
        nodes.append(helper.make_node("ArgMax", [logits], ["y"], name="argmax", axis=1,
                                      keepdims=0))
        out_type, out_shape = TensorProto.INT64, [1]
    consts = [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2")]
    if op_type == "GreaterMask":
        consts.append((np.zeros((), np.float32), "zero"))
    if op_type == "TanhGelu":
        consts += [(np.array(3.0, np.float32), "three"), (np.array(0.044715, np.float32), "c"),
                   (np.array(np.sqrt(2 / np.pi), np.float32), "k"),
                   (np.array(1.0, np.float32), "one"), (np.array(0.5, np.float32), "half")]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, d_in])],
        [helper.make_tensor_value_info("y", out_type, out_shape)],
        [numpy_helper.from_array(a, n) for a, n in consts],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    xs = rng.normal(0, 1.5, (examples, 1, d_in)).astype(np.float32)
    rows = []
    for x in xs:
        (y,) = sess.run(None, {"x": x})
        rows.append({"input": [round(float(v), 7) for v in x.ravel()],
                     "reference_output": [round(float(v), 7) for v in y.ravel()]})
    test_set = {
        "description": f"MLP {d_in}-{d_hidden}-{d_out} with {op_type}"
                       + (f" and an {head} head" if head else "")
                       + ", random weights (seed 0); reference = onnxruntime outputs",
        "input": {"name": "x", "shape_per_example": [1, d_in]},
        "output": {"name": "y", "shape_per_example": out_shape},
        "examples": rows,
    }
    with open(os.path.join(out, "test_set.json"), "w") as f:
        json.dump(test_set, f)


def single_op(name, description, nodes, x_type, x_shape, y_type, y_shape, xs, consts=(),
              opset=17):
    """One graph x -> nodes -> y with the given inputs `xs` (a list of arrays of `x_shape`)."""
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", x_type, x_shape)],
        [helper.make_tensor_value_info("y", y_type, y_shape)],
        [numpy_helper.from_array(a, n) for a, n in consts],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rows = []
    for x in xs:
        (y,) = sess.run(None, {"x": x})
        rows.append({"input": [round(float(v), 7) for v in x.ravel()],
                     "reference_output": [round(float(v), 7) for v in y.ravel()]})
    test_set = {
        "description": description + "; reference = onnxruntime outputs",
        "input": {"name": "x", "shape_per_example": x_shape},
        "output": {"name": "y", "shape_per_example": y_shape},
        "examples": rows,
    }
    with open(os.path.join(out, "test_set.json"), "w") as f:
        json.dump(test_set, f)


def regressions():
    """Issue 17's wrong-function cases that are models, checked against onnxruntime end to end
    (the others are targeted tests: `compiler/tests/quant_ops.rs`, `tests/tests/soundness.rs`)."""
    rng = np.random.default_rng(0)
    # Max pooling with padding (padding never wins the maximum).
    xs = [rng.normal(0, 1.5, (1, 2, 6, 6)).astype(np.float32) for _ in range(8)]
    single_op("maxpool_pad", "MaxPool 3x3, stride 2, pads 1, on N(0, 1.5²) inputs",
              [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3],
                                strides=[2, 2], pads=[1, 1, 1, 1])],
              TensorProto.FLOAT, [1, 2, 6, 6], TensorProto.FLOAT, [1, 2, 3, 3], xs)
    # Integer division truncates toward zero, by 7 then by -2.
    xs = [rng.integers(-50, 50, (1, 6)).astype(np.int32) for _ in range(8)]
    single_op("int_div", "int32 Div by 7 then by -2, truncating toward zero",
              [helper.make_node("Div", ["x", "d"], ["q"], name="div"),
               helper.make_node("Div", ["q", "e"], ["y"], name="div_neg")],
              TensorProto.INT32, [1, 6], TensorProto.INT32, [1, 6], xs,
              consts=[(np.array([7], np.int32), "d"), (np.array([-2], np.int32), "e")])
    # A PyTorch-style shape subgraph: flatten through Shape/Gather/Unsqueeze/Concat/Reshape, an
    # index ramp through Size/Div/Range/Cast (batch-independent), a scale through Shape/ConstantOfShape and Expand.
    i64 = lambda name, v: (np.array(v, np.int64), name)
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero"], ["b"], name="batch", axis=0),
        helper.make_node("Unsqueeze", ["b", "axes0"], ["b1"], name="batch_1d"),
        helper.make_node("Concat", ["b1", "minus1"], ["target"], name="target", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"], name="flatten"),
        helper.make_node("Size", ["x"], ["total"], name="size"),
        helper.make_node("Div", ["total", "b"], ["n"], name="per_example"),
        helper.make_node("Range", ["zero", "n", "one"], ["ramp"], name="ramp"),
        helper.make_node("Cast", ["ramp"], ["rampf"], name="ramp_float", to=TensorProto.FLOAT),
        helper.make_node("Add", ["flat", "rampf"], ["shifted"], name="shift"),
        helper.make_node("Shape", ["flat"], ["fs"], name="flat_shape"),
        helper.make_node("ConstantOfShape", ["fs"], ["half"], name="halves",
                         value=numpy_helper.from_array(np.array([0.5], np.float32))),
        helper.make_node("Expand", ["three", "fs"], ["threes"], name="threes"),
        helper.make_node("Mul", ["shifted", "half"], ["scaled"], name="scale"),
        helper.make_node("Sub", ["scaled", "threes"], ["y"], name="offset"),
    ]
    xs = [rng.normal(0, 1.5, (1, 2, 3, 4)).astype(np.float32) for _ in range(8)]
    single_op("shape_ops", "Shape, Gather, Unsqueeze, Concat, Reshape, Size, Range, Cast, "
              "ConstantOfShape and Expand around a flatten", nodes,
              TensorProto.FLOAT, [1, 2, 3, 4], TensorProto.FLOAT, [1, 24], xs,
              consts=[i64("zero", 0), i64("one", 1), i64("axes0", [0]), i64("minus1", [-1]),
                      (np.array([3.0], np.float32), "three")])
    # Elementwise ops composed of clamps, linear forms and products, each applied to x, summed.
    unary = [("Gelu", {}), ("Gelu", {"approximate": "tanh"}),
             ("Neg", {}), ("Abs", {}), ("Sign", {}), ("LeakyRelu", {"alpha": 0.1}),
             ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("HardSwish", {}), ("Elu", {}),
             ("Celu", {}), ("Mish", {})]
    nodes, terms = [], []
    for op, attrs in unary:
        out = op.lower() + ("_" + attrs["approximate"] if "approximate" in attrs else "")
        nodes.append(helper.make_node(op, ["x"], [out], name=out, **attrs))
        terms.append(out)
    nodes += [
        helper.make_node("Max", ["x", "half"], ["max"], name="max"),
        helper.make_node("Min", ["x", "abs"], ["min"], name="min"),
        helper.make_node("Greater", ["x", "zero_f"], ["pos"], name="pos"),
        helper.make_node("Less", ["x", "minus_one"], ["low"], name="low"),
        helper.make_node("Not", ["low"], ["not_low"], name="not_low"),
        helper.make_node("And", ["pos", "not_low"], ["and"], name="and"),
        helper.make_node("Or", ["pos", "low"], ["or"], name="or"),
        helper.make_node("Xor", ["pos", "low"], ["xor"], name="xor"),
        helper.make_node("Where", ["or", "x", "neg"], ["where"], name="where"),
        helper.make_node("Where", ["mask", "x", "half"], ["masked"], name="masked"),
    ]
    terms += ["max", "min", "where", "masked"]
    for b in ["and", "or", "xor"]:
        nodes.append(helper.make_node("Cast", [b], [b + "_f"], name=b + "_f", to=TensorProto.FLOAT))
        terms.append(b + "_f")
    acc = terms[0]
    for i, t in enumerate(terms[1:]):
        out = "y" if i == len(terms) - 2 else f"acc{i}"
        nodes.append(helper.make_node("Add", [acc, t], [out], name=f"sum{i}"))
        acc = out
    xs = [rng.normal(0, 1.5, (1, 16)).astype(np.float32) for _ in range(8)]
    single_op("composed_ops", "Neg, Abs, Sign, LeakyRelu, HardSigmoid, HardSwish, Elu, Celu, "
              "Mish, Max, Min, Not, And, Or, Xor and Where (computed and constant conditions), each of x, "
              "summed (with Gelu, erf and tanh forms; opset 20)", nodes,
              TensorProto.FLOAT, [1, 16], TensorProto.FLOAT, [1, 16], xs,
              consts=[(np.array(0.5, np.float32), "half"), (np.array(0.0, np.float32), "zero_f"),
                      (np.array(-1.0, np.float32), "minus_one"),
                      (np.arange(16).reshape(1, 16) % 3 == 0, "mask")], opset=20)

    # ReduceMax / ReduceMin over one axis and over two (axes as inputs: opset 18).
    nodes = [
        helper.make_node("ReduceMax", ["x", "last"], ["hi"], name="row_max"),
        helper.make_node("ReduceMin", ["x", "last"], ["lo"], name="row_min"),
        helper.make_node("Sub", ["hi", "lo"], ["spread"], name="spread"),
        helper.make_node("ReduceMin", ["x", "both"], ["floor"], name="all_min"),
        helper.make_node("Add", ["spread", "floor"], ["sum"], name="shifted"),
        helper.make_node("ReduceMax", ["sum", "last"], ["y"], name="squeeze", keepdims=0),
    ]
    xs = [rng.normal(0, 1.5, (1, 3, 4)).astype(np.float32) for _ in range(8)]
    single_op("reduce_max_min", "ReduceMax and ReduceMin over the last axis and over two axes",
              nodes, TensorProto.FLOAT, [1, 3, 4], TensorProto.FLOAT, [1, 3], xs,
              consts=[(np.array([2], np.int64), "last"), (np.array([1, 2], np.int64), "both")],
              opset=18)

    # Pad in edge and reflect modes (pads as an input: opset 13), summed.
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["e"], name="pad_edge", mode="edge"),
        helper.make_node("Pad", ["x", "pads"], ["r"], name="pad_reflect", mode="reflect"),
        helper.make_node("Add", ["e", "r"], ["y"], name="sum_y"),
    ]
    xs = [rng.normal(0, 1.5, (1, 2, 3, 4)).astype(np.float32) for _ in range(8)]
    single_op("pad_modes", "Pad edge and reflect of [1, 2, 3, 4], summed", nodes,
              TensorProto.FLOAT, [1, 2, 3, 4], TensorProto.FLOAT, [1, 2, 6, 7], xs,
              consts=[(np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64), "pads")], opset=13)

    # MatMul with a constant left operand: W [3, 4] · x [1, 4, 5].
    w = rng.normal(0, 0.5, (3, 4)).astype(np.float32)
    xs = [rng.normal(0, 1.5, (1, 4, 5)).astype(np.float32) for _ in range(8)]
    single_op("const_left_matmul", "MatMul(W, x) with a constant W [3, 4] and x [1, 4, 5]",
              [helper.make_node("MatMul", ["w", "x"], ["y"], name="wx")],
              TensorProto.FLOAT, [1, 4, 5], TensorProto.FLOAT, [1, 3, 5], xs, consts=[(w, "w")])

    # PRelu with a per-channel slope [3, 1, 1].
    xs = [rng.normal(0, 1.5, (1, 3, 2, 2)).astype(np.float32) for _ in range(8)]
    single_op("prelu_channels", "PRelu of x [1, 3, 2, 2] with slopes 0.1, 0.25, -0.5 per channel",
              [helper.make_node("PRelu", ["x", "slope"], ["y"], name="prelu")],
              TensorProto.FLOAT, [1, 3, 2, 2], TensorProto.FLOAT, [1, 3, 2, 2], xs,
              consts=[(np.array([0.1, 0.25, -0.5], np.float32).reshape(3, 1, 1), "slope")])


if __name__ == "__main__":
    mlp_with("Softplus", "softplus_mlp")
    mlp_with("GreaterMask", "greater_mask_mlp")
    mlp_with("Relu", "argmax_mlp", head="ArgMax")
    mlp_with("TanhGelu", "tanh_gelu_mlp")
    regressions()
