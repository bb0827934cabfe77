"""API keys: the caller sends a key; the server knows only SHA-256 digests of the keys.

Keys go in `X-API-Key: <key>` or `Authorization: Bearer <key>`. The caller is
identified by a short id derived from the digest, so jobs (and Idempotency-Keys)
belong to the key that made them. Open access (`DIGEST_ALLOW_OPEN_ACCESS=true`)
must be switched on explicitly; then every caller is the client 'open'.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from service.api.problems import UnauthorizedError
from service.config import Settings
from service.errors import ConfigError

OPEN_CLIENT = "open"
log = logging.getLogger("service.api")


def hash_key(key: str) -> str:
    """The digest to put in DIGEST_API_KEY_HASHES for `key`."""
    return hashlib.sha256(key.encode()).hexdigest()


def require_auth_configured(settings: Settings) -> None:
    """Refuse to start with neither keys nor an explicit choice of open access."""
    if not settings.api_key_hashes and not settings.open_access:
        raise ConfigError(
            "no API keys are configured",
            hint=(
                "set DIGEST_API_KEY_HASHES to the SHA-256 hex digests of your keys, "
                "or DIGEST_ALLOW_OPEN_ACCESS=true for local use"
            ),
        )


def warn_if_keys_are_optional(settings: Settings) -> None:
    """Keys and open access together let a caller without a key in (keys then only tell
    callers apart): said at startup, since a key configured looks like a key required."""
    if settings.api_key_hashes and settings.open_access:
        log.warning(
            "API keys are configured but DIGEST_ALLOW_OPEN_ACCESS=true lets requests without "
            "a key in (as the client 'open'); set DIGEST_ALLOW_OPEN_ACCESS=false to require one"
        )


def identify(settings: Settings, api_key: str | None, bearer: str | None) -> str:
    """The client id for the key given; raise UnauthorizedError when it is missing or wrong."""
    key = api_key or bearer
    if settings.open_access and not settings.api_key_hashes:
        return OPEN_CLIENT
    if not key:
        if settings.open_access:
            return OPEN_CLIENT
        raise UnauthorizedError(
            "an API key is required", hint="send it as 'X-API-Key: <key>' or a Bearer token"
        )
    digest = hash_key(key)
    # compare against every configured digest, in constant time per comparison
    matched = [h for h in settings.api_key_hashes if hmac.compare_digest(h, digest)]
    if not matched:
        raise UnauthorizedError("the API key is not valid", hint="check the key you were given")
    return f"key:{digest[:16]}"
