# DSR Desk: a slim, non-root image. Build: docker build -t dsr-desk .
#
# Production by default (DSR_ENV=production). Set at least, e.g. in an env file:
#   DSR_SECRET_KEY   a random value of 32+ characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')
#   DSR_BASE_URL     the public https:// address (it is in every emailed link)
#   DSR_SMTP_HOST    (and DSR_SMTP_PORT, _USERNAME, _PASSWORD, _SECURITY): outbound mail
#   DSR_DATABASE_URL postgresql+asyncpg://… (the default, SQLite in /data, suits one container)
# and mount a config folder at /config holding privacy.yaml, connectors.yaml and any dataset
# files it names (relative paths resolve there). Without them the container exits with one
# line naming what is missing. DSR_ENV=dev runs the demo-style dev outbox: never expose it.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --upgrade pip
COPY requirements.lock pyproject.toml README.md ./
COPY app ./app
COPY connectors ./connectors
COPY templates ./templates
# Runtime dependencies only, pinned to the locked versions (the lock also pins dev tools);
# bytecode compiled once here rather than by every container start.
RUN /opt/venv/bin/pip install --no-cache-dir -c requirements.lock . \
    && /opt/venv/bin/python -m compileall -q /opt/venv/lib

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 dsr && mkdir -p /data /config && chown dsr:dsr /data
COPY --from=build /opt/venv /opt/venv
# The config folder is the working directory: relative paths in connectors.yaml (dataset
# files, SQLite stores) and an optional .env are found there.
WORKDIR /config
USER dsr
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    DSR_ENV=production \
    DSR_DATA_DIR=/data \
    DSR_DATABASE_URL=sqlite+aiosqlite:////data/dsr.db \
    DSR_PRIVACY_FILE=/config/privacy.yaml \
    DSR_CONNECTORS_FILE=/config/connectors.yaml
VOLUME ["/data"]
EXPOSE 8000
# The web process's check; a `dsr worker` container checks its heartbeat instead
# (docker-compose.yml: `dsr worker --check`).
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"]
CMD ["sh", "-c", "dsr db upgrade && exec dsr serve --host 0.0.0.0 --port 8000"]
