"""The HTTP API: `create_app(settings)` -> FastAPI app (see app.py for what starts when).

app.py        the factory and its lifespan
routes/       digests (jobs, SSE), health (healthz, readyz), metrics
intake.py     DigestRequest -> JobRequest, or a 4xx naming the bad part
problems.py   RFC 9457 problem details for every error
middleware.py request ids, access logs, metrics; body size and UTF-8 guard
security.py   API keys (configured as SHA-256 digests)
"""

from service.api.app import create_app

__all__ = ["create_app"]
