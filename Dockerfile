# veille — image de production (Python slim, utilisateur non root, données dans /data).
# The base is an exact release (Python 3.11.15 on Debian 12, as the machines that run the
# tests); the Python packages come from the lock files, each checked against its hash.
FROM python:3.11.15-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VEILLE_CONFIG=/app/feeds.yaml \
    VEILLE_DATABASE_URL=sqlite:////data/veille.db

WORKDIR /app
# The locked packages first: this layer is rebuilt only when a lock file changes.
COPY requirements/build.txt requirements/runtime.txt ./requirements/
RUN pip install --require-hashes -r requirements/build.txt -r requirements/runtime.txt
COPY pyproject.toml README.md LICENSE ./
COPY veille ./veille
RUN pip install --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --home-dir /data veille \
    && mkdir -p /data && chown veille /data
COPY feeds.yaml ./

USER veille
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["veille", "serve", "--host", "0.0.0.0", "--port", "8000"]
