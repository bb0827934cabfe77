"""Settings from the environment (prefix `DIGEST_`), built by `get_settings()`, never at import.

One Settings class for the whole service, in sections by concern. Every field
has a default that works offline on one machine (extractive backend, SQLite
under `data_dir`); the scale-out settings are empty unless set.
"""

from __future__ import annotations

import json
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.backends.embedders import LOCAL_MODEL
from service.errors import ConfigError
from service.pipeline.cluster import DEFAULT_THRESHOLD

_PROMPT_LABEL = re.compile(r"^(?:summarize\.)?v?(\d+)(?:#\w*)?$", re.IGNORECASE)


_OLD_DEFAULT = Path("data")  # before 2026-11-25: relative to the working directory


def default_data_dir() -> Path:
    """The user's data folder (XDG), not the working directory: a CLI run from anywhere had
    left a `data/` folder behind, and two runs in two folders kept two page caches. A
    `./data` holding a job store of the old default is still used, with a warning (its jobs
    and paid LLM answers would otherwise be lost). A relative XDG_DATA_HOME is ignored, as
    the XDG specification says."""
    if (_OLD_DEFAULT / "jobs.db").is_file():
        _warn_old_default()
        return _OLD_DEFAULT
    home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(home) if home and Path(home).is_absolute() else Path.home() / ".local" / "share"
    return base / "digest-service"


@lru_cache(maxsize=1)
def _warn_old_default() -> None:
    logging.getLogger("service").warning(
        "using ./data, the data folder's default before 2026-11-25 (it holds a job store); "
        "the default is now ~/.local/share/digest-service: set DIGEST_DATA_DIR=./data to "
        "keep this one without this warning, or move it there"
    )


class Settings(BaseSettings):
    """Every knob of the service; each has a default that works offline."""

    model_config = SettingsConfigDict(env_prefix="DIGEST_", env_file=".env", extra="ignore")

    # --- pipeline -------------------------------------------------------------------
    backend: str = Field(
        default="extractive", description="'extractive' or any litellm model string."
    )
    embedding_model: str = Field(default=LOCAL_MODEL, description="Embedder for clustering.")
    model_dir: Path | None = Field(
        default=None,
        description="Where the local model's ONNX export is kept; default ~/.cache/digest-service.",
    )
    embedding_threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Texts the local model encodes at once, one core each; default: the cores "
        "this process may use, capped by a container's CPU quota.",
    )
    embedding_api_base: str | None = None
    embedding_api_key: str | None = None
    cluster_threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0, allow_inf_nan=False)
    max_words: int = Field(default=120, ge=20, le=1000)
    concurrency: int = Field(
        default=4, ge=1, le=64, description="Clusters summarized at once (LLM backends)."
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the embedded default keeps its files (job store, caches); default "
        "$XDG_DATA_HOME/digest-service, else ~/.local/share/digest-service.",
    )

    # --- llm (issue 3) ----------------------------------------------------------------
    api_base: str | None = Field(default=None, description="api_base for the LLM backend.")
    api_key: str | None = Field(default=None, description="API key for the LLM backend.")
    fallback_models: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Ordered litellm models to try when the main fails (comma-separated or JSON).",
    )
    api_backends: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Models an API client may ask for in options.backend besides 'extractive', "
        "DIGEST_BACKEND and its fallbacks (comma-separated; '*' for any litellm model: the "
        "server then calls whatever a client names, with its own credentials).",
    )
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_cache: Literal["auto", "disk", "redis", "none"] = Field(
        default="auto", description="LLM answer cache; 'auto' = redis when redis_url, else disk."
    )
    redis_url: str | None = Field(default=None, description="Shared cache / rate limits.")
    llm_context_tokens: int | None = Field(
        default=None, ge=1024, description="Override the model's context window (tokens)."
    )
    llm_max_output_tokens: int = Field(default=1024, ge=128, le=32768)
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    llm_rpm: int | None = Field(
        default=None, ge=1, description="Requests per window per model, shared via redis_url."
    )
    llm_tpm: int | None = Field(
        default=None, ge=1, description="Tokens (prompt + max answer) per window per model."
    )
    llm_rate_window_s: int = Field(
        default=60, ge=1, le=3600, description="The window llm_rpm/llm_tpm count over."
    )
    llm_rate_max_wait_s: float = Field(
        default=120.0, ge=0, description="Longest wait for room in the rate limit, then fall back."
    )
    llm_prompt_version: int | None = Field(
        default=None, ge=1, description="Pin prompts/summarize.v<N>; default: the newest."
    )
    prompts_dir: Path | None = Field(default=None, description="Folder of prompt templates.")

    @field_validator("llm_prompt_version", mode="before")
    @classmethod
    def _prompt_number(cls, value: object) -> object:
        """Accept "3", "v3", "summarize.v3" or "summarize.v3#<hash>" (the label every LLM
        digest shows) as 3; anything else is refused as not a number."""
        if isinstance(value, str) and (label := _PROMPT_LABEL.match(value.strip())):
            return label.group(1)
        return value

    @field_validator("fallback_models", "api_backends", mode="before")
    @classmethod
    def _split_fallbacks(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string (`openai/gpt-4o-mini,ollama/llama3`)."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        if isinstance(value, list):
            return [str(item).strip() for item in value if str(item).strip()]
        return value

    # --- http api and jobs (issue 4) ---------------------------------------------------
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DIGEST_DATABASE_URL", "DATABASE_URL"),
        description="Job store; default: SQLite file 'jobs.db' under data_dir.",
    )
    api_key_hashes: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="SHA-256 hex digests of the accepted API keys (comma-separated or JSON).",
    )
    allow_open_access: bool | Literal["auto"] = Field(
        default=False,
        description="Serve /v1 without API keys; for local use only. 'auto' (what `make serve` "
        "sets): open only while no keys are configured, wherever they are (.env included).",
    )
    max_articles: int = Field(default=500, ge=1, description="Articles plus URLs per request.")
    max_article_bytes: int = Field(default=200_000, ge=100, description="UTF-8 bytes per text.")
    max_body_bytes: int = Field(default=16_000_000, ge=1_000, description="Request body bytes.")
    wait_timeout_s: float = Field(default=30.0, gt=0, le=600, description="Longest ?wait=true.")
    job_workers: int = Field(default=2, ge=1, le=64, description="Digest jobs run at once.")
    job_lease_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a running job's lease lasts unrenewed before it counts as orphaned.",
    )
    job_max_attempts: int = Field(default=2, ge=1, le=10, description="Runs before giving up.")
    max_queued_jobs: int = Field(default=1000, ge=1, description="Queue length before 503.")
    max_queued_jobs_per_client: int = Field(
        default=100,
        ge=1,
        description="Jobs one API key may have queued before its POST answers 429; one key "
        "must not fill the queue for every other (not applied to open access, where every "
        "caller is one client).",
    )

    @field_validator("allow_open_access", mode="before")
    @classmethod
    def _open_access_word(cls, value: object) -> object:
        """'AUTO', ' auto ' as 'auto'; an empty value as the default (closed)."""
        if isinstance(value, str):
            value = value.strip().lower()
            return value or False
        return value

    @property
    def open_access(self) -> bool:
        """Whether /v1 lets a caller without a key in: asked for, or 'auto' with no keys."""
        if self.allow_open_access == "auto":
            return not self.api_key_hashes
        return bool(self.allow_open_access)

    @field_validator("api_key_hashes", mode="before")
    @classmethod
    def _split_hashes(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string; digests are compared lower-case."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        if isinstance(value, list):
            items = (str(item).strip().lower().removeprefix("sha256:") for item in value)
            hashes = [item for item in items if item]
            if any(len(item) != 64 or item.strip("0123456789abcdef") for item in hashes):
                raise ValueError("give SHA-256 hex digests of the keys, never the keys themselves")
            return hashes
        return value

    # --- web ingestion (issue 6) --------------------------------------------------------
    web_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts, IPs or CIDRs fetched despite the SSRF rules (comma-separated or JSON).",
    )
    web_connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    web_read_timeout_s: float = Field(default=15.0, gt=0, le=300)
    web_total_timeout_s: float = Field(
        default=30.0, gt=0, le=600, description="Whole fetch of one URL, redirects included."
    )
    web_run_timeout_s: float = Field(
        default=300.0,
        gt=0,
        le=3600,
        description="All fetches of one run; what is not fetched by then is reported.",
    )
    web_max_bytes: int = Field(default=5_000_000, ge=1_000, description="Largest page or feed.")
    web_max_redirects: int = Field(default=5, ge=0, le=20)
    web_concurrency: int = Field(default=8, ge=1, le=64, description="Fetches at once.")
    web_user_agent: str = Field(default="digest-service/0.1 (news summarizer; fetches on request)")
    web_cache_ttl_s: int = Field(default=3600, ge=0, description="Page cache lifetime; 0 = off.")
    web_max_feed_entries: int = Field(default=50, ge=1, le=1000, description="Entries per feed.")

    @field_validator("web_allowlist", mode="before")
    @classmethod
    def _split_allowlist(cls, value: object) -> object:
        """Accept a JSON list or a comma-separated string (`127.0.0.1,intranet.example`)."""
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        if isinstance(value, list):
            return [str(item).strip().lower() for item in value if str(item).strip()]
        return value

    # --- slack bot (issue 5) ------------------------------------------------------------
    slack_bot_token: str | None = Field(
        default=None, description="Bot token (xoxb-...); with the signing secret, enables Slack."
    )
    slack_signing_secret: str | None = Field(
        default=None, description="Verifies that HTTP requests to /slack/events come from Slack."
    )
    slack_app_token: str | None = Field(
        default=None, description="App-level token (xapp-...) for Socket Mode."
    )
    slack_api_base_url: str | None = Field(
        default=None, description="Slack Web API base URL; only tests point it elsewhere."
    )
    slack_ephemeral: bool = Field(
        default=False, description="/digest answers only the caller unless --public is given."
    )
    slack_workers: int = Field(default=2, ge=1, le=16, description="Slack digests run at once.")
    slack_max_inputs: int = Field(
        default=30, ge=1, le=200, description="Links plus text blocks one Slack request may hold."
    )

    # --- scale-out (issue 7) ------------------------------------------------------------
    broker_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DIGEST_BROKER_URL", "BROKER_URL"),
        description="Celery broker (redis://...); set, jobs run on Celery workers.",
    )
    celery_queue: str = Field(default="digest", description="Queue the workers consume.")
    broker_visibility_timeout_s: int = Field(
        default=3600, ge=1, description="Seconds before an unacknowledged task is redelivered."
    )
    job_deadline_s: float = Field(
        default=1800.0,
        gt=0,
        description="A job not done this long after it starts fails; with Celery, a queued "
        "job fails this long after it was queued if no worker ran or finished any job since.",
    )
    worker_metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port a Celery worker serves /metrics on (Prometheus); unset, none.",
    )
    worker_metrics_host: str = Field(
        default="0.0.0.0", description="Address the worker's metrics server listens on."
    )
    worker_components: str | None = Field(
        default=None,
        description="module:function giving (embedder, summarizer) to workers; tests only.",
    )


# settings whose value a startup error must not print (an operator may paste a raw key
# where its hash belongs)
_SECRETS = frozenset(
    {"api_key", "api_key_hashes", "embedding_api_key", "slack_bot_token", "slack_app_token",
     "slack_signing_secret", "redis_url", "database_url", "broker_url"}
)  # fmt: skip


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once; a bad value is a ConfigError
    naming the variable, not a validation traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc) from None


def settings_error(exc: ValidationError) -> ConfigError:
    """'invalid setting DIGEST_MAX_WORDS='5': Input should be greater than or equal to 20'."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        name = field.upper() if field.upper().startswith("DIGEST_") else f"DIGEST_{field.upper()}"
        shown = isinstance(error.get("input"), str | int | float) and field not in _SECRETS
        value = f"={error['input']!r}" if shown else ""  # a pasted key must not reach the log
        problems.append(f"{name}{value}: {error['msg']}")
    return ConfigError(
        "invalid setting " + "; ".join(problems),
        hint="fix or unset it in the environment or the .env file (the README's "
        "Configuration table says what each setting does)",
    )
