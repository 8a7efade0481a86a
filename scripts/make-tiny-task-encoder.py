#!/usr/bin/python3
"""Builds the tiny task-adapter encoder that plinth's tests embed with.

jina-embeddings-v3's ONNX export selects its LoRA task adapter with a scalar int64 input, task_id,
beside input_ids and attention_mask, and returns token embeddings that plinth pools itself. No such
model can be downloaded where the tests run, so this writes one with the same interface whose
output a test can predict by hand:

    text_embeds[b, s] = [v % 3 == 0, v % 3 == 1, v % 3 == 2, task_id + 1]   (v = input_ids[b, s])

So after mean pooling, dimension 3 is task_id + 1 and the first three count the token ids by
residue: the task changes exactly one coordinate, by a known amount.

The tokenizer is the tiny WordPiece one of make-tiny-cross-encoder.py. plinth-model.json maps the
Jina task names to jina-v3's ids (retrieval.query 0, retrieval.passage 1, separation 2,
classification 3, text-matching 4), with mean pooling, 4 dimensions and Matryoshka cuts.

Needs Debian's python3-onnx and python3-numpy (apt-get install -y python3-onnx); no PyPI.

Usage: scripts/make-tiny-task-encoder.py [OUT_DIR]
       (default: models/src/test/resources/tiny-task-encoder)
"""
import importlib.util
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("tiny_cross_encoder", os.path.join(HERE, "make-tiny-cross-encoder.py"))
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

TASKS = {"retrieval.query": 0, "retrieval.passage": 1, "separation": 2, "classification": 3, "text-matching": 4}
WINDOW = 64


def graph(vocab_size):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    task = helper.make_tensor_value_info("task_id", TensorProto.INT64, [])
    embeds = helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch", "sequence", 4])

    table = np.zeros((vocab_size, 3), dtype=np.float32)
    table[np.arange(vocab_size), np.arange(vocab_size) % 3] = 1.0
    constants = [
        numpy_helper.from_array(table, "residues"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "one"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one_dim"),
    ]
    nodes = [
        # the residue one-hot of each token: [b, s, 3]
        helper.make_node("Gather", ["residues", "input_ids"], ["residue"], axis=0),
        # the task coordinate, task_id + 1, broadcast to [b, s, 1]
        helper.make_node("Add", ["task_id", "one"], ["task_plus_one"]),
        helper.make_node("Cast", ["task_plus_one"], ["task_value"], to=TensorProto.FLOAT),
        helper.make_node("Shape", ["input_ids"], ["batch_sequence"]),
        helper.make_node("Concat", ["batch_sequence", "one_dim"], ["column_shape"], axis=0),
        helper.make_node("Expand", ["task_value", "column_shape"], ["task_column"]),
        helper.make_node("Concat", ["residue", "task_column"], ["text_embeds"], axis=-1),
    ]
    g = helper.make_graph(nodes, "tiny-task-encoder", [ids, mask, task], [embeds], initializer=constants)
    model = helper.make_model(g, producer_name="plinth make-tiny-task-encoder.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    root = os.path.dirname(HERE)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        root, "models", "src", "test", "resources", "tiny-task-encoder")
    os.makedirs(out, exist_ok=True)
    vocab = tiny.vocabulary()
    onnx.save(graph(len(vocab)), os.path.join(out, "model.onnx"))
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tiny.tokenizer(vocab), f, indent=1)
        f.write("\n")
    config = {"name": "tiny-task-encoder", "kind": "encoder", "pooling": "mean", "normalize": True,
              "max_tokens": WINDOW, "dimensions": 4, "matryoshka": True,
              "tasks": {name: {"id": i} for name, i in TASKS.items()},
              "task_input": "task_id", "default_task": "text-matching", "output": "text_embeds"}
    with open(os.path.join(out, "plinth-model.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(vocab)} tokens, 4 dimensions, task input task_id")


if __name__ == "__main__":
    main()
