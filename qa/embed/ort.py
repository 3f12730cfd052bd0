"""ONNX Runtime embedding backend: the sentence-transformers model exported once to ONNX (fp32 or dynamic int8).

Why not sentence-transformers' own backend="onnx": it needs optimum-onnx, whose releases pin transformers < 4.58,
while sentence-transformers 6 needs transformers >= 5. So the export is done here with torch.onnx (once, from the
local model folder; no hub access), int8 with onnxruntime.quantization.quantize_dynamic, and inference needs only
onnxruntime + tokenizers (no torch at query time). Pooling and normalisation follow the model folder's
modules.json / 1_Pooling/config.json, so vectors match the torch backend (cosine > 0.99 for int8, see tests).

Exports live in a cache folder we own (site-packages may be read-only):
  $QA_CACHE_DIR or $XDG_CACHE_HOME/newsqa or ~/.cache/newsqa   /onnx/<model>-<weights hash>-<fp32|int8>/model.onnx
written to a temporary folder and renamed into place, so a crash or a concurrent export never leaves half a file.

int8 weights: 'u8' (uint8, the AVX2 recipe: without VNNI, u8 x s8 products saturate in vpmaddubsw) or 's8' (int8,
what ONNX Runtime's VNNI kernels take; 1.4x faster than u8 on AVX512-VNNI cores, measured when it came in: commit 1008d5b). A new
index takes 's8' where the CPU has VNNI; an index is always read with the weights it was built with (its
manifest records 's8'; indexes without the record are 'u8'), so vectors of two recipes are never mixed.

Threads: with N > 1 threads the session itself runs single-threaded and N batches run at once (data parallel),
so no intra-op thread pool waits at barriers for a core another process holds (the thread plan: docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np

from ..cache import cache_root
from ..errors import ModelError, missing

ONNX_FILE = "model.onnx"
OPSET = 17
RECIPE = 2  # bump when the export/fusion/quantisation steps change, so old exports are not reused
_export_lock = threading.Lock()
WEIGHTS = ("u8", "s8")  # int8 weight types (see the module docstring)


@cache
def has_vnni() -> bool:
    """Whether this CPU has AVX512-VNNI or AVX-VNNI (vpdpbusd: u8 x s8 dot products without saturation)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_vnni", "avx_vnni"})
    except OSError:
        pass
    return False


def default_weights() -> str:
    """The int8 weight type a new index gets on this CPU."""
    return "s8" if has_vnni() else "u8"


def export_dir(model_dir: Path, quantized: bool, weights: str = "u8") -> Path:
    """The cache folder of one export: named after the model and a hash of its weights, config and int8 recipe."""
    h = hashlib.sha1()
    for name in ("config.json", "modules.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        f = model_dir / name
        if f.is_file():
            st = f.stat()
            h.update(f"{name}:{st.st_size}:{int(st.st_mtime)}".encode())
    h.update(f"recipe{RECIPE}".encode())
    if quantized and weights != "u8":  # u8 exports keep the folder they had before 's8' existed
        h.update(f":{weights}".encode())
    variant = "int8" if quantized else "fp32"
    name = model_dir.parent.name if model_dir.name == "model" else model_dir.name  # packaged models sit in .../model
    return cache_root() / "onnx" / f"{name}-{h.hexdigest()[:10]}-{variant}"


def load_onnx(path: str | Path, quantized: bool = False, threads: int = 0, weights: str | None = None) -> OnnxEncoder:
    """An encoder with sentence-transformers' `encode` signature, exporting the model on first use.

    ``weights``: the int8 weight type ('u8' or 's8'; None = this CPU's default); ignored for fp32."""
    model_dir = Path(path)
    weights = weights or default_weights()
    if weights not in WEIGHTS:
        raise ModelError(f"int8 weights {weights!r} must be one of {', '.join(WEIGHTS)}")
    target = export_dir(model_dir, quantized, weights)
    if not (target / ONNX_FILE).is_file():
        with _export_lock:
            if not (target / ONNX_FILE).is_file():
                what = f" (int8, {weights} weights)" if quantized else ""
                print(f"exporting the embedding model to ONNX{what} once, into {target} ...", file=sys.stderr, flush=True)
                _export(model_dir, target, quantized, weights)
    return OnnxEncoder(model_dir, target / ONNX_FILE, threads=threads)


# -- export ------------------------------------------------------------------------------------------

def _export(model_dir: Path, target: Path, quantized: bool, weights: str = "u8") -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    except OSError as exc:
        raise ModelError(f"cannot create the ONNX cache folder {target.parent}: {exc}; "
                         f"set QA_CACHE_DIR to a writable folder") from None
    tmp.chmod(0o755)  # mkdtemp makes it private; the export is shared by every user of this cache
    try:
        if quantized:
            fp32 = export_dir(model_dir, quantized=False) / ONNX_FILE
            if not fp32.is_file():
                _export(model_dir, fp32.parent, quantized=False)
            _quantize(fp32, tmp / ONNX_FILE, weights)
        else:
            _export_fp32(model_dir, tmp / "raw.onnx")
            _fuse(model_dir, tmp / "raw.onnx", tmp / ONNX_FILE)
            (tmp / "raw.onnx").unlink()
        (tmp / "export.json").write_text(json.dumps({"model": str(model_dir), "quantized": quantized,
                                                     "weights": weights if quantized else None,
                                                     "opset": OPSET, "recipe": RECIPE}))
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / ONNX_FILE).is_file():  # not another process winning the race: a real failure
                raise
    except OSError as exc:
        raise ModelError(f"cannot write the ONNX export to {target}: {exc}; set QA_CACHE_DIR to a writable folder") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _export_fp32(model_dir: Path, out: Path) -> None:
    """torch.onnx export of the transformer (token embeddings); pooling stays in numpy."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError:
        raise missing("torch", "exporting the embedding model to ONNX") from None
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise to a user
    try:
        # eager attention: the SDPA path traces shape checks as constants, which would not hold for other shapes
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the embedding model from {model_dir} for ONNX export: {exc}") from None
    model.eval()

    class TokenEmbeddings(torch.nn.Module):
        """Keyword arguments by name: positional order of forward() differs between transformers versions."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                              return_dict=True).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long), torch.zeros(2, 8, dtype=torch.long))
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python-side shape checks are noise to a user
        # dynamo=False: the TorchScript exporter needs no onnxscript and handles BERT-style models well
        torch.onnx.export(TokenEmbeddings(model), dummy, str(out), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)


def _fuse(model_dir: Path, raw: Path, out: Path) -> None:
    """Fuse BERT's attention, GELU and layer norms into single ONNX Runtime ops (lossless; int8 then covers them)."""
    config = json.loads((model_dir / "config.json").read_text())
    if config.get("model_type") != "bert":
        shutil.copyfile(raw, out)  # other architectures: ONNX Runtime's session-level optimisations only
        return
    from onnxruntime.transformers.optimizer import optimize_model

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        model = optimize_model(str(raw), model_type="bert", num_heads=int(config["num_attention_heads"]),
                               hidden_size=int(config["hidden_size"]), opt_level=1, use_gpu=False)
        model.save_model_to_file(str(out))
    finally:
        root.setLevel(level)


def _quantize(fp32: Path, out: Path, weights: str = "u8") -> None:
    """Dynamic int8, per channel: weights uint8 ('u8', the AVX2 recipe) or int8 ('s8', for VNNI), activations
    quantised per batch."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise missing("onnxruntime", "int8 embedding (embedding.backend = 'onnx-int8')") from None
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint on the root logger
    try:
        # DefaultTensorType: shape inference cannot type the outputs of the fused (com.microsoft) ops
        weight_type = QuantType.QInt8 if weights == "s8" else QuantType.QUInt8
        quantize_dynamic(str(fp32), str(out), weight_type=weight_type, per_channel=True,
                         extra_options={"DefaultTensorType": 1})  # 1 = TensorProto.FLOAT
    finally:
        root.setLevel(level)


# -- inference ---------------------------------------------------------------------------------------

class OnnxEncoder:
    """Tokenise (tokenizers), run the ONNX graph (onnxruntime), pool and normalise (numpy)."""

    def __init__(self, model_dir: Path, onnx_file: Path, threads: int = 0, parallel: str = "batches") -> None:
        """``threads``: 0 = every core. ``parallel``: 'batches' = that many batches at once on a single-threaded
        session (the default), 'ops' = one batch at a time on ONNX Runtime's intra-op thread pool."""
        try:
            import onnxruntime as ort
        except ImportError:
            raise missing("onnxruntime", "the ONNX embedding backend") from None
        from .tokenizer import load_tokenizer

        self.model_dir = Path(model_dir)
        self.onnx_file = Path(onnx_file)
        self.workers = max(1, threads or os.cpu_count() or 1)
        self.parallel = parallel if self.workers > 1 else "ops"
        self._pool: ThreadPoolExecutor | None = None
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # data parallel: each batch on one thread, no intra-op pool (its barriers stall when another process holds
        # a core: measured in docs/performance.md); `run` is thread-safe on one session
        opts.intra_op_num_threads = 1 if self.parallel == "batches" else self.workers
        # idle worker threads sleep instead of spinning: between embedding calls they would otherwise keep a core
        # busy that llama.cpp needs (the thread plan: docs/performance.md)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for bad files
            raise ModelError(f"cannot load ONNX model {onnx_file}: {exc}; delete that folder to export it again") from None
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = load_tokenizer(self.model_dir)
        self.pooling, self.normalize = _pooling(self.model_dir)
        config = json.loads((self.model_dir / "config.json").read_text())
        self.dim = int(config["hidden_size"])
        self.max_seq_length = _max_seq_length(self.model_dir)
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        self._truncation = 0

    def get_embedding_dimension(self) -> int:
        return self.dim

    get_sentence_embedding_dimension = get_embedding_dimension  # the name before sentence-transformers 6

    def encode(self, sentences: Sequence[str], batch_size: int = 32, normalize_embeddings: bool = False,
               convert_to_numpy: bool = True, show_progress_bar: bool = False, **_: object) -> np.ndarray:
        """Embeddings of ``sentences`` in their order; batches are formed from texts of similar length."""
        texts = [sentences] if isinstance(sentences, str) else list(sentences)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        limit = max(2, int(self.max_seq_length))  # embed.py may lower max_seq_length after loading
        if limit != self._truncation:
            self.tokenizer.enable_truncation(max_length=limit)
            self._truncation = limit
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
        # length-sorted batches: padding to the longest text of a batch wastes little when lengths are alike
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        size = max(1, batch_size)
        if self.parallel == "batches" and len(texts) < size * self.workers:
            size = max(1, -(-len(texts) // self.workers))  # fewer texts than workers x batch: one batch per worker
        batches = [order[b : b + size] for b in range(0, len(order), size)]

        def run(rows: list[int]) -> None:
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]
            out[rows] = self._pooled(hidden, mask)

        if self.parallel == "batches" and len(batches) > 1:
            list(self._workers().map(run, batches))  # list(): re-raises a worker's exception here
        else:
            for rows in batches:
                run(rows)
        if normalize_embeddings or self.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.maximum(norms, 1e-12)
        return out

    def _workers(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with _export_lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="qa-embed")
        return self._pool

    def _pooled(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.pooling == "cls":
            return hidden[:, 0]
        m = mask[:, :, None].astype(np.float32)
        return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)


def _pooling(model_dir: Path) -> tuple[str, bool]:
    """('mean' | 'cls', normalise?) from the model folder's sentence-transformers modules."""
    modules_file = model_dir / "modules.json"
    if not modules_file.is_file():
        return "mean", False
    modules = json.loads(modules_file.read_text())
    pooling, normalize = "mean", False
    for m in modules:
        kind = m.get("type", "")
        if kind.endswith("Pooling"):
            cfg_file = model_dir / m.get("path", "") / "config.json"
            cfg = json.loads(cfg_file.read_text()) if cfg_file.is_file() else {}
            if isinstance(cfg.get("pooling_mode"), str):  # sentence-transformers >= 6: {"pooling_mode": "mean"}
                modes = [cfg["pooling_mode"]]
            else:  # older folders: one boolean per mode
                modes = [k.removeprefix("pooling_mode_") for k, v in cfg.items() if k.startswith("pooling_mode_") and v]
            modes = ["mean" if m == "mean_tokens" else "cls" if m == "cls_token" else m for m in modes]
            if modes not in ([], ["mean"], ["cls"]):
                raise ModelError(f"{cfg_file}: pooling {modes} is not supported by the ONNX backend; "
                                 f"use embedding.backend = 'torch'")
            pooling = modes[0] if modes else "mean"
        elif kind.endswith("Normalize"):
            normalize = True
        elif not kind.endswith("Transformer"):
            raise ModelError(f"{modules_file}: module {kind} is not supported by the ONNX backend; use embedding.backend = 'torch'")
    return pooling, normalize


def _max_seq_length(model_dir: Path) -> int:
    """The model's word-piece limit: sentence_bert_config.json, else the tokenizer's (newer folders), else positions."""
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
        f = model_dir / name
        value = json.loads(f.read_text()).get(key) if f.is_file() else None
        if isinstance(value, int) and 0 < value < 1_000_000:  # tokenizers write 1e30 for "no limit"
            return value
    return int(json.loads((model_dir / "config.json").read_text()).get("max_position_embeddings", 512))
