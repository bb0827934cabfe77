"""Settings from the environment (prefix `DIGEST_`), built by `get_settings()`, never at import.

One Settings class for the whole service, in sections by concern. Every field
has a default that works offline on one machine (extractive backend, SQLite
under `data_dir`); the scale-out settings are empty unless set.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.backends.embedders import LOCAL_MODEL
from service.pipeline.cluster import DEFAULT_THRESHOLD


class Settings(BaseSettings):
    """Every knob of the service; each has a default that works offline."""

    model_config = SettingsConfigDict(env_prefix="DIGEST_", env_file=".env", extra="ignore")

    # --- pipeline -------------------------------------------------------------------
    backend: str = Field(
        default="extractive", description="'extractive' or any litellm model string."
    )
    embedding_model: str = Field(default=LOCAL_MODEL, description="Embedder for clustering.")
    embedding_api_base: str | None = None
    embedding_api_key: str | None = None
    cluster_threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    max_words: int = Field(default=120, ge=20, le=1000)
    concurrency: int = Field(
        default=4, ge=1, le=64, description="Clusters summarized at once (LLM backends)."
    )
    data_dir: Path = Field(
        default=Path("data"), description="Where the embedded default keeps its files."
    )

    # --- llm (issue 3) ----------------------------------------------------------------
    api_base: str | None = Field(default=None, description="api_base for the LLM backend.")
    api_key: str | None = Field(default=None, description="API key for the LLM backend.")
    fallback_models: list[str] = Field(
        default_factory=list, description="Ordered litellm models to try when the main fails."
    )
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_cache: str = Field(default="disk", description="'disk', 'redis' or 'none'.")
    redis_url: str | None = Field(default=None, description="Shared cache / rate limits.")

    # --- http api and jobs (issue 4) ---------------------------------------------------

    # --- web ingestion (issue 6) --------------------------------------------------------

    # --- slack bot (issue 5) ------------------------------------------------------------

    # --- scale-out (issue 7) ------------------------------------------------------------


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
