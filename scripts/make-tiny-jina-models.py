#!/usr/bin/python3
"""Builds tiny stand-ins for Jina's model families, for plinth's tests.

No Jina checkpoint can be downloaded where the tests run. Each folder written here has exactly the
real export's ONNX interface -- input and output names, element types and ranks -- and the same
tokenizer family (XLM-RoBERTa's: a Unigram model behind a Metaspace pre-tokenizer, "<s> A </s>"
and "<s> A </s></s> B </s>", <pad> = 1, <mask>), but weights so simple that a test can predict
every output by hand:

tiny-jina-v3        jina-embeddings-v3: input_ids, attention_mask int64 [batch, seq], task_id int64
                    scalar -> text_embeds float [batch, seq, 8]. Token t's state is
                    [v%3==0, v%3==1, v%3==2, task_id+1, c, 0, 0, 0] with v its id and c the share of
                    the sequence's attended tokens whose id is 0 mod 3: the one context-dependent
                    value, so late chunking (one pass per 8192-token window) is visible in c.
tiny-jina-reranker  jina-reranker-v2-base-multilingual: input_ids, attention_mask (no
                    token_type_ids) -> logits float [batch, 1] = (number of document tokens whose
                    word also occurs in the query) - 2, the document being what follows the first
                    </s>; specials never count. max_tokens 32 so windows show on short texts.
tiny-jina-colbert   jina-colbert-v2's shape: input_ids, attention_mask -> last_hidden_state float
                    [batch, seq, 6] with [v%3==0, v%3==1, v%3==2, mask_t, 1, 0]; the projection
                    to 4 dimensions lies beside it in projection.safetensors (its first five inputs
                    summed pairwise, see below). [QueryMarker] and [DocumentMarker] are added
                    tokens, as in jina-colbert-v2.
tiny-jina-clip      jina-clip-v2's onnx/model.onnx: input_ids int64 [batch, seq] (no attention
                    mask) and pixel_values float [batch, 3, 16, 16] -> text_embeddings,
                    image_embeddings, l2norm_text_embeddings, l2norm_image_embeddings float
                    [batch, 4]. A text's vector counts its colour words ([red, green, blue, 0]);
                    an image's is its per-channel mean of pixel_values plus a 0. Its
                    preprocessor_config.json is open_clip-style (size 16, bicubic, CLIP's mean and
                    std), as jina-clip's is (at 512).

Also writes image-fixtures/: solid-colour test images (PNG, JPEG, GIF, WebP) and a noisy PNG with
the pixel tensors Pillow and numpy produce for it under an HF-style and an open_clip-style config,
the golden values that plinth's own resize must reproduce.

Needs Debian's python3-onnx, python3-numpy and python3-pil (apt-get install -y python3-onnx
python3-pil); no PyPI.

Usage: scripts/make-tiny-jina-models.py [OUT_DIR]   (default: models/src/test/resources)
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WORDS = """
the a an is are of and to in on what how where who which does do
apple banana cherry fruit pie red yellow green blue sweet
city paris london berlin france england germany capital river bridge tower
cat dog animal pet sleeps barks music piano guitar song plays
""".split()
PUNCTUATION = list(",.?!;:")
SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]
MARKERS = ["[QueryMarker]", "[DocumentMarker]"]


def vocabulary():
    """XLM-R's layout: <s> <pad> </s> <unk>, the pieces, then <mask> and the added markers."""
    pieces = SPECIAL + ["\u2581"] + ["\u2581" + w for w in WORDS] + PUNCTUATION
    ids = {p: i for i, p in enumerate(pieces)}
    ids["<mask>"] = len(ids)
    for m in MARKERS:
        ids[m] = len(ids)
    return ids


def tokenizer(vocab):
    added = [t for t in SPECIAL + ["<mask>"] + MARKERS]
    unigram = [[p, 0.0 if p in SPECIAL else (-10.0 if p == "\u2581" else -1.0)]
               for p, i in sorted(vocab.items(), key=lambda kv: kv[1]) if p not in ["<mask>"] + MARKERS]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[t], "content": t, "single_word": False, "lstrip": t == "<mask>",
             "rstrip": False, "normalized": False, "special": True}
            for t in added
        ],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                          "split": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", vocab["</s>"]],
                           "cls": ["<s>", vocab["<s>"]], "trim_offsets": True,
                           "add_prefix_space": True},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                    "split": True},
        "model": {"type": "Unigram", "unk_id": vocab["<unk>"], "vocab": unigram,
                  "byte_fallback": False},
    }


def save(model, path):
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def opset():
    return [helper.make_opsetid("", 13)]


def residues(vocab_size):
    table = np.zeros((vocab_size, 3), dtype=np.float32)
    table[np.arange(vocab_size), np.arange(vocab_size) % 3] = 1.0
    return table


# ---- jina-embeddings-v3 ----

def v3_graph(vocab_size, width=8):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"])
    task = helper.make_tensor_value_info("task_id", TensorProto.INT64, [])
    out = helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch_size", "sequence_length", width])
    consts = [
        numpy_helper.from_array(residues(vocab_size), "residues"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "one"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one_dim"),
        numpy_helper.from_array(np.array([3], dtype=np.int64), "three_dims"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "seq_axis"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero_start"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one_end"),
    ]
    nodes = [
        helper.make_node("Gather", ["residues", "input_ids"], ["residue"], axis=0),          # [b,s,3]
        helper.make_node("Shape", ["input_ids"], ["bs"]),
        helper.make_node("Concat", ["bs", "one_dim"], ["col_shape"], axis=0),               # [b,s,1]
        helper.make_node("Add", ["task_id", "one"], ["task1"]),
        helper.make_node("Cast", ["task1"], ["task_f"], to=TensorProto.FLOAT),
        helper.make_node("Expand", ["task_f", "col_shape"], ["task_col"]),
        # c = sum(mask * residue0) / sum(mask), per sequence, broadcast to every token
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),      # [b,s]
        helper.make_node("Slice", ["residue", "zero_start", "one_end", "last_axis"], ["r0"]),  # [b,s,1]
        helper.make_node("Squeeze", ["r0", "last_axis"], ["r0s"]),                            # [b,s]
        helper.make_node("Mul", ["r0s", "mask_f"], ["r0m"]),
        helper.make_node("ReduceSum", ["r0m", "seq_axis"], ["r0sum"], keepdims=1),           # [b,1]
        helper.make_node("ReduceSum", ["mask_f", "seq_axis"], ["msum"], keepdims=1),
        helper.make_node("Div", ["r0sum", "msum"], ["ctx"]),                                 # [b,1]
        helper.make_node("Unsqueeze", ["ctx", "last_axis"], ["ctx3"]),                        # [b,1,1]
        helper.make_node("Expand", ["ctx3", "col_shape"], ["ctx_col"]),
        helper.make_node("Concat", ["bs", "three_dims"], ["zero_shape"], axis=0),
        helper.make_node("ConstantOfShape", ["zero_shape"], ["zeros"],
                         value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("Concat", ["residue", "task_col", "ctx_col", "zeros"], ["text_embeds"], axis=-1),
    ]
    g = helper.make_graph(nodes, "tiny-jina-v3", [ids, mask, task], [out], initializer=consts)
    return helper.make_model(g, producer_name="plinth make-tiny-jina-models.py", opset_imports=opset())


# ---- jina-reranker-v2 ----

def reranker_graph(vocab_size, special_ids, sep_id):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", 1])
    counted = np.ones(vocab_size, dtype=np.float32)
    counted[special_ids] = 0.0
    consts = [
        numpy_helper.from_array(np.arange(vocab_size, dtype=np.int64), "vocab_ids"),
        numpy_helper.from_array(counted, "counted"),
        numpy_helper.from_array(np.array(sep_id, dtype=np.int64), "sep"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "seq_axis"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half"),
        numpy_helper.from_array(np.array(-2.0, dtype=np.float32), "offset"),
    ]
    nodes = [
        helper.make_node("Unsqueeze", ["input_ids", "last_axis"], ["ids3"]),
        helper.make_node("Equal", ["ids3", "vocab_ids"], ["hit"]),
        helper.make_node("Cast", ["hit"], ["one_hot"], to=TensorProto.FLOAT),                 # [b,s,v]
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        # after[b,s] = number of </s> strictly before s: 0 in the query, >= 1 in the document
        helper.make_node("Equal", ["input_ids", "sep"], ["is_sep"]),
        helper.make_node("Cast", ["is_sep"], ["sep_f"], to=TensorProto.FLOAT),
        helper.make_node("CumSum", ["sep_f", "axis1"], ["seps"], exclusive=1),
        helper.make_node("Greater", ["seps", "half"], ["in_doc_b"]),
        helper.make_node("Cast", ["in_doc_b"], ["in_doc"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["one", "in_doc"], ["in_query"]),
        helper.make_node("Mul", ["in_query", "mask_f"], ["q"]),
        helper.make_node("Mul", ["in_doc", "mask_f"], ["d"]),
        helper.make_node("Unsqueeze", ["q", "last_axis"], ["q3"]),
        helper.make_node("Unsqueeze", ["d", "last_axis"], ["d3"]),
        helper.make_node("Mul", ["one_hot", "q3"], ["qh"]),
        helper.make_node("ReduceSum", ["qh", "seq_axis"], ["qc"], keepdims=0),
        helper.make_node("Min", ["qc", "one"], ["q_present"]),
        helper.make_node("Mul", ["one_hot", "d3"], ["dh"]),
        helper.make_node("ReduceSum", ["dh", "seq_axis"], ["dc"], keepdims=0),
        helper.make_node("Mul", ["q_present", "dc"], ["shared"]),
        helper.make_node("Mul", ["shared", "counted"], ["shared_counted"]),
        helper.make_node("ReduceSum", ["shared_counted", "last_axis"], ["overlap"], keepdims=1),
        helper.make_node("Add", ["overlap", "offset"], ["logits"]),
    ]
    g = helper.make_graph(nodes, "tiny-jina-reranker", [ids, mask], [logits], initializer=consts)
    return helper.make_model(g, producer_name="plinth make-tiny-jina-models.py", opset_imports=opset())


# ---- jina-colbert-v2 ----

def colbert_graph(vocab_size):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"])
    out = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch_size", "sequence_length", 6])
    consts = [
        numpy_helper.from_array(residues(vocab_size), "residues"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one_dim"),
    ]
    nodes = [
        helper.make_node("Gather", ["residues", "input_ids"], ["residue"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "last_axis"], ["mask_col"]),
        helper.make_node("Shape", ["input_ids"], ["bs"]),
        helper.make_node("Concat", ["bs", "one_dim"], ["col_shape"], axis=0),
        helper.make_node("ConstantOfShape", ["col_shape"], ["ones"],
                         value=helper.make_tensor("o", TensorProto.FLOAT, [1], [1.0])),
        helper.make_node("ConstantOfShape", ["col_shape"], ["zeros"],
                         value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("Concat", ["residue", "mask_col", "ones", "zeros"], ["last_hidden_state"], axis=-1),
    ]
    g = helper.make_graph(nodes, "tiny-jina-colbert", [ids, mask], [out], initializer=consts)
    return helper.make_model(g, producer_name="plinth make-tiny-jina-models.py", opset_imports=opset())


# The projection [4, 6]: out = [r0 + e, r1 + e, r2 + e, m] (e = the constant 1 column, r* the
# residues, m the attention-mask column), so every vector is nonzero and the mask shows.
PROJECTION = np.array([
    [1, 0, 0, 0, 1, 0],
    [0, 1, 0, 0, 1, 0],
    [0, 0, 1, 0, 1, 0],
    [0, 0, 0, 1, 0, 0],
], dtype=np.float32)


def safetensors(path, name, array):
    header = {name: {"dtype": "F32", "shape": list(array.shape), "data_offsets": [0, array.nbytes]}}
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        f.write(array.astype("<f4").tobytes())


# ---- jina-clip-v2 ----

CLIP_SIZE = 16
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def clip_graph(vocab):
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"])
    pixels = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch_size_image", 3, CLIP_SIZE, CLIP_SIZE])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [b, 4]) for n, b in [
        ("text_embeddings", "batch_size"), ("image_embeddings", "batch_size_image"),
        ("l2norm_text_embeddings", "batch_size"), ("l2norm_image_embeddings", "batch_size_image")]]
    colours = np.zeros((len(vocab), 4), dtype=np.float32)
    for i, word in enumerate(["red", "green", "blue"]):
        colours[vocab["\u2581" + word], i] = 1.0
    consts = [
        numpy_helper.from_array(colours, "colours"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "seq_axis"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one_dim"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "zero_dim"),
        numpy_helper.from_array(np.array([1e-12], dtype=np.float32), "eps"),
    ]
    nodes = [
        helper.make_node("Gather", ["colours", "input_ids"], ["word_colours"], axis=0),     # [b,s,4]
        helper.make_node("ReduceSum", ["word_colours", "seq_axis"], ["text_embeddings"], keepdims=0),
        helper.make_node("ReduceMean", ["pixel_values"], ["channel_means"], axes=[2, 3], keepdims=0),  # [b,3]
        helper.make_node("Shape", ["channel_means"], ["cm_shape"]),
        helper.make_node("Slice", ["cm_shape", "zero_dim", "one_dim"], ["b_only"]),
        helper.make_node("Concat", ["b_only", "one_dim"], ["col_shape"], axis=0),
        helper.make_node("ConstantOfShape", ["col_shape"], ["zeros"],
                         value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("Concat", ["channel_means", "zeros"], ["image_embeddings"], axis=-1),
    ]
    for side in ["text", "image"]:
        x = side + "_embeddings"
        nodes += [
            helper.make_node("ReduceL2", [x], [side + "_norm"], axes=[-1], keepdims=1),
            helper.make_node("Max", [side + "_norm", "eps"], [side + "_safe"]),
            helper.make_node("Div", [x, side + "_safe"], ["l2norm_" + x]),
        ]
    g = helper.make_graph(nodes, "tiny-jina-clip", [ids, pixels], outs, initializer=consts)
    return helper.make_model(g, producer_name="plinth make-tiny-jina-models.py", opset_imports=opset())


# ---- images ----

def images(out):
    from PIL import Image
    os.makedirs(out, exist_ok=True)
    colours = {"red": (255, 0, 0), "green": (0, 160, 0), "blue": (0, 0, 255)}
    for name, rgb in colours.items():
        Image.new("RGB", (40, 24), rgb).save(os.path.join(out, name + ".png"))
    Image.new("RGB", (40, 24), colours["red"]).save(os.path.join(out, "red.jpg"), quality=95)
    Image.new("RGB", (40, 24), colours["green"]).convert("P", palette=Image.ADAPTIVE).save(os.path.join(out, "green.gif"))
    Image.new("RGB", (40, 24), colours["blue"]).save(os.path.join(out, "blue.webp"), lossless=True)

    # A noisy image whose resize every tap of the kernel shapes: the golden for plinth's resize.
    rng = np.random.default_rng(7)
    noisy = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    Image.fromarray(noisy, "RGB").save(os.path.join(out, "noisy.png"))
    golden = {}
    hf = {"do_resize": True, "size": {"shortest_edge": 20}, "resample": 3, "do_center_crop": True,
          "crop_size": {"height": 17, "width": 17}, "do_rescale": True,
          "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": CLIP_MEAN,
          "image_std": CLIP_STD}
    open_clip = {"size": 21, "resize_mode": "shortest", "interpolation": "bicubic",
                 "mean": CLIP_MEAN, "std": CLIP_STD}
    for name, config in [("hf", hf), ("open_clip", open_clip)]:
        golden[name] = {"config": config, "pixels": reference(noisy, config).round(6).tolist()}
    with open(os.path.join(out, "noisy-golden.json"), "w") as f:
        json.dump(golden, f)


def reference(array, config):
    """What HF's CLIPImageProcessor and open_clip's transforms produce, via Pillow and numpy."""
    from PIL import Image
    img = Image.fromarray(array, "RGB")
    h, w = array.shape[:2]
    if "shortest_edge" in config.get("size", {}) if isinstance(config.get("size"), dict) else False:
        s = config["size"]["shortest_edge"]
        crop_h, crop_w = config["crop_size"]["height"], config["crop_size"]["width"]
        mean, std, scale = config["image_mean"], config["image_std"], config["rescale_factor"]
        floor_crop = True
    else:
        s = config["size"]
        crop_h = crop_w = s
        mean, std, scale = config["mean"], config["std"], 1 / 255
        floor_crop = False
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = s, int(s * long / short)
    nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
    resized = np.asarray(img.resize((nw, nh), resample=Image.BICUBIC))
    if floor_crop:
        top, left = (nh - crop_h) // 2, (nw - crop_w) // 2
    else:
        top, left = int(round((nh - crop_h) / 2.0)), int(round((nw - crop_w) / 2.0))
    crop = resized[top:top + crop_h, left:left + crop_w].astype(np.float64) * scale
    crop = crop.astype(np.float32)
    crop = (crop - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)
    return crop.transpose(2, 0, 1)


# ---- folders ----

def write(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, content in files.items():
        path = os.path.join(folder, name)
        if isinstance(content, onnx.ModelProto):
            save(content, path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(content, f, indent=1, ensure_ascii=False)
                f.write("\n")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "models", "src", "test", "resources")
    vocab = vocabulary()
    tok = tokenizer(vocab)
    specials = [vocab[t] for t in SPECIAL + ["<mask>"] + MARKERS]
    tasks = {"retrieval.query": 0, "retrieval.passage": 1, "separation": 2, "classification": 3,
             "text-matching": 4}

    write(os.path.join(out, "tiny-jina-v3"), {
        "model.onnx": v3_graph(len(vocab)),
        "tokenizer.json": tok,
        "plinth-model.json": {
            "name": "tiny-jina-v3", "kind": "encoder", "pooling": "mean", "normalize": True,
            "max_tokens": 8192, "dimensions": 8, "matryoshka": True,
            "tasks": {n: {"id": i} for n, i in tasks.items()}, "task_input": "task_id",
            "default_task": "text-matching", "output": "text_embeds"}})
    write(os.path.join(out, "tiny-jina-reranker"), {
        "model.onnx": reranker_graph(len(vocab), specials, vocab["</s>"]),
        "tokenizer.json": tok,
        "plinth-model.json": {"name": "tiny-jina-reranker", "kind": "cross-encoder",
                              "max_tokens": 32, "output": "logits"}})
    colbert = os.path.join(out, "tiny-jina-colbert")
    write(colbert, {
        "model.onnx": colbert_graph(len(vocab)),
        "tokenizer.json": tok,
        "plinth-model.json": {
            "name": "tiny-jina-colbert", "kind": "colbert", "max_tokens": 64, "dimensions": 4,
            "output": "last_hidden_state",
            "colbert": {"query_marker": "[QueryMarker]", "document_marker": "[DocumentMarker]",
                        "query_tokens": 8, "attend_to_expansion": False,
                        "projection": "projection.safetensors"}}})
    safetensors(os.path.join(colbert, "projection.safetensors"), "linear.weight", PROJECTION)
    write(os.path.join(out, "tiny-jina-clip"), {
        "model.onnx": clip_graph(vocab),
        "tokenizer.json": tok,
        "preprocessor_config.json": {"size": CLIP_SIZE, "resize_mode": "shortest",
                                     "interpolation": "bicubic", "mean": CLIP_MEAN,
                                     "std": CLIP_STD, "fill_color": 0},
        "plinth-model.json": {
            "name": "tiny-jina-clip", "kind": "clip", "pooling": "none", "normalize": True,
            "max_tokens": 64, "dimensions": 4, "matryoshka": True,
            "output": "text_embeddings",
            "vision": {"input": "pixel_values", "output": "image_embeddings"}}})
    images(os.path.join(out, "image-fixtures"))
    print(f"wrote tiny-jina-v3, tiny-jina-reranker, tiny-jina-colbert, tiny-jina-clip and "
          f"image-fixtures under {out} ({len(vocab)} tokens)")


if __name__ == "__main__":
    main()
