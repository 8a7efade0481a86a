#!/usr/bin/python3
"""Builds the tiny cross-encoder that plinth's tests rerank with.

No real cross-encoder can be downloaded where the tests run, so this writes a model folder whose
score a test can predict by hand, yet which has exactly the interface of a BERT-style reranker
(bge-reranker, ms-marco-MiniLM): inputs input_ids, attention_mask and token_type_ids, all int64
[batch, sequence]; output logits, float32 [batch, 1].

The graph scores a (query, document) pair by word overlap:

    logit = (number of document tokens whose id also occurs in the query) - 2

where query tokens are those with token_type_id 0 and document tokens those with 1, both under the
attention mask, and the special tokens ([CLS], [SEP], ...) never count. So sigmoid(logit) is 0.12
for no overlap, 0.5 for two matching document tokens, 0.88 for four. Padding cannot change it.

Beside model.onnx it writes a WordPiece tokenizer.json over a few dozen lowercase words (an
unknown word becomes [UNK], which never counts) with BERT's pair template
"[CLS] A [SEP] B [SEP]", and plinth-model.json with kind cross-encoder and a 32-token window so
that tests can exercise long-document windows with short texts.

Needs Debian's python3-onnx and python3-numpy (apt-get install -y python3-onnx); no PyPI.

Usage: scripts/make-tiny-cross-encoder.py [OUT_DIR]
       (default: models/src/test/resources/tiny-cross-encoder)
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = """
the a an is are of and to in on what how where who which does do
apple banana cherry fruit pie red yellow green sweet
city paris london berlin france england germany capital river bridge tower
cat dog animal pet sleeps barks
music piano guitar song plays
##s ##ing ##ed
""".split()
OFFSET = -2.0
WINDOW = 32


def vocabulary():
    vocab = {}
    for token in SPECIAL + WORDS:
        vocab[token] = len(vocab)
    return vocab


def graph(vocab_size, special_ids):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    types = helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "sequence"])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1])

    weights = np.ones(vocab_size, dtype=np.float32)
    weights[special_ids] = 0.0
    constants = [
        numpy_helper.from_array(np.arange(vocab_size, dtype=np.int64), "vocab_ids"),
        numpy_helper.from_array(weights, "counted"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "sequence_axis"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(OFFSET, dtype=np.float32), "offset"),
    ]
    nodes = [
        # one_hot[b, s, v] = (input_ids[b, s] == v)
        helper.make_node("Unsqueeze", ["input_ids", "last_axis"], ["ids3"]),
        helper.make_node("Equal", ["ids3", "vocab_ids"], ["hit"]),
        helper.make_node("Cast", ["hit"], ["one_hot"], to=TensorProto.FLOAT),
        # query positions: mask * (1 - type); document positions: mask * type
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["token_type_ids"], ["typef"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["one", "typef"], ["not_type"]),
        helper.make_node("Mul", ["maskf", "not_type"], ["in_query"]),
        helper.make_node("Mul", ["maskf", "typef"], ["in_document"]),
        helper.make_node("Unsqueeze", ["in_query", "last_axis"], ["in_query3"]),
        helper.make_node("Unsqueeze", ["in_document", "last_axis"], ["in_document3"]),
        # per-vocabulary counts [b, v]
        helper.make_node("Mul", ["one_hot", "in_query3"], ["query_hits"]),
        helper.make_node("ReduceSum", ["query_hits", "sequence_axis"], ["query_counts"], keepdims=0),
        helper.make_node("Min", ["query_counts", "one"], ["in_query_vocab"]),
        helper.make_node("Mul", ["one_hot", "in_document3"], ["document_hits"]),
        helper.make_node("ReduceSum", ["document_hits", "sequence_axis"], ["document_counts"], keepdims=0),
        # overlap[b, 1] = sum_v counted[v] * present_in_query[b, v] * count_in_document[b, v]
        helper.make_node("Mul", ["in_query_vocab", "document_counts"], ["shared"]),
        helper.make_node("Mul", ["shared", "counted"], ["shared_counted"]),
        helper.make_node("ReduceSum", ["shared_counted", "last_axis"], ["overlap"], keepdims=1),
        helper.make_node("Add", ["overlap", "offset"], ["logits"]),
    ]
    g = helper.make_graph(nodes, "tiny-cross-encoder", [ids, mask, types], [logits], initializer=constants)
    model = helper.make_model(g, producer_name="plinth make-tiny-cross-encoder.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tokenizer(vocab):
    special = lambda t: {"SpecialToken": {"id": t, "type_id": 0}}
    special_b = lambda t: {"SpecialToken": {"id": t, "type_id": 1}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for t in SPECIAL
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}}, special("[SEP]")],
            "pair": [special("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}}, special("[SEP]"),
                     {"Sequence": {"id": "B", "type_id": 1}}, special_b("[SEP]")],
            "special_tokens": {
                t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        root, "models", "src", "test", "resources", "tiny-cross-encoder")
    os.makedirs(out, exist_ok=True)
    vocab = vocabulary()
    onnx.save(graph(len(vocab), [vocab[t] for t in SPECIAL]), os.path.join(out, "model.onnx"))
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer(vocab), f, indent=1)
        f.write("\n")
    config = {"name": "tiny-cross-encoder", "kind": "cross-encoder", "max_tokens": WINDOW,
              "output": "logits"}
    with open(os.path.join(out, "plinth-model.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(vocab)} tokens, window {WINDOW}, logit = overlap {OFFSET:+}")


if __name__ == "__main__":
    main()
