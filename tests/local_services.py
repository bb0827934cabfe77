"""The machine's local Redis, as the tests that need it for real reach it (and skip without)."""

from __future__ import annotations

import pytest
import redis

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_up(url: str = REDIS_URL) -> bool:
    """Whether Redis answers a PING at `url` within a second."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


needs_redis = pytest.mark.skipif(
    not redis_up(), reason="Redis is not reachable at 127.0.0.1:6379 (scripts/start-services.sh)"
)
