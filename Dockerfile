# DSR Desk: a slim, non-root image. Build: docker build -t dsr-desk .
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --upgrade pip
COPY requirements.lock pyproject.toml README.md ./
COPY app ./app
COPY connectors ./connectors
COPY templates ./templates
# Runtime dependencies only, pinned to the locked versions (the lock also pins dev tools).
RUN /opt/venv/bin/pip install --no-cache-dir -c requirements.lock .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 dsr && mkdir -p /data && chown dsr:dsr /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER dsr
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    DSR_DATA_DIR=/data \
    DSR_DATABASE_URL=sqlite+aiosqlite:////data/dsr.db
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "dsr db upgrade && exec dsr serve --host 0.0.0.0 --port 8000"]
