# veille — image de production (Python slim, utilisateur non root, données dans /data).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VEILLE_CONFIG=/app/feeds.yaml \
    VEILLE_DATABASE_URL=sqlite:////data/veille.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY veille ./veille
RUN pip install . && useradd --system --uid 10001 --home-dir /data veille \
    && mkdir -p /data && chown veille /data
COPY feeds.yaml ./

USER veille
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["veille", "serve", "--host", "0.0.0.0", "--port", "8000"]
