#!/usr/bin/env python3
"""Per-channel int8 QDQ variant of models/digits_cnn, for the per-axis DequantizeLinear path.

    /tmp/venv/bin/pip install onnx==1.22.0 onnxruntime numpy
    /tmp/venv/bin/python compiler/tests/data/gen_per_channel.py

onnxruntime's quantize_static (QDQ, QInt8, per_channel=True, MinMax) calibrated on every 9th image
of models/digits_cnn/test_set.json (a structural test: the accuracy figure is not a held-out
measurement). Writes per_channel/model.onnx and per_channel/reference.json with onnxruntime's
argmax for all 450 images and its full outputs for the first 20.

The reference runs onnxruntime with graph optimizations disabled, i.e. the Q/DQ semantics of the
ONNX specification (identical to onnx.reference on this model). With optimizations on, onnxruntime
fuses the graph into integer kernels that round differently (logits differ by up to 7 output steps
on some images), which is onnxruntime's implementation choice, not the model's meaning.
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "..", "models", "digits_cnn")
OUT = os.path.join(HERE, "per_channel")


class Reader(CalibrationDataReader):
    def __init__(self, x):
        self.it = iter([{"input": x[i:i + 1]} for i in range(0, len(x), 9)])

    def get_next(self):
        return next(self.it, None)


def main():
    ts = json.load(open(os.path.join(SRC, "test_set.json")))
    x = np.array([e["input"] for e in ts["examples"]], np.float32).reshape(-1, 1, 8, 8)
    os.makedirs(OUT, exist_ok=True)
    pre, out = os.path.join(OUT, "pre.onnx"), os.path.join(OUT, "model.onnx")
    quant_pre_process(os.path.join(SRC, "model.onnx"), pre, skip_symbolic_shape=True)
    quantize_static(pre, out, Reader(x), quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8, per_channel=True, calibrate_method=CalibrationMethod.MinMax)
    os.remove(pre)
    m = onnx.load(out)
    used = {n.domain or "" for n in m.graph.node} | {""}
    keep = [o for o in m.opset_import if (o.domain or "") in used]
    del m.opset_import[:]
    m.opset_import.extend(keep)
    onnx.save(m, out)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(out, so, providers=["CPUExecutionProvider"])
    y = np.concatenate([sess.run(None, {"input": x[i:i + 1]})[0] for i in range(len(x))])
    json.dump({"argmax": y.argmax(1).tolist(), "outputs_first_20": y[:20].tolist()},
              open(os.path.join(OUT, "reference.json"), "w"))
    labels = np.array([e["label"] for e in ts["examples"]])
    print("onnxruntime accuracy", (y.argmax(1) == labels).mean())


if __name__ == "__main__":
    main()
