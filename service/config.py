"""Settings from the environment (prefix `DIGEST_`), built by `get_settings()`, never at import."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.backends.embedders import LOCAL_MODEL
from service.pipeline.cluster import DEFAULT_THRESHOLD


class Settings(BaseSettings):
    """Every knob of the service; each has a default that works offline."""

    model_config = SettingsConfigDict(env_prefix="DIGEST_", env_file=".env", extra="ignore")

    backend: str = Field(
        default="extractive", description="'extractive' or any litellm model string."
    )
    embedding_model: str = Field(default=LOCAL_MODEL, description="Embedder for clustering.")
    embedding_api_base: str | None = None
    embedding_api_key: str | None = None
    cluster_threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    max_words: int = Field(default=120, ge=20, le=1000)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
