# The bot alone: Python 3.11 slim, the package installed (no sources, tests or benchmarks kept), run as a user
# without privileges. Built and run by compose.yaml; `docker build -t recertbot .` on its own works too.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY faq ./faq
RUN pip install . \
    && rm -rf /src \
    && useradd --system --uid 10001 --user-group --no-create-home recertbot \
    && mkdir -m 0700 /data && chown recertbot:recertbot /data

USER recertbot
WORKDIR /data
# DATA_DIR: the SQLite file (when DATABASE_URL is not set) and the generated hashing key (when STORE_HASH_KEY is not).
ENV DATA_DIR=/data WEBHOOK_LISTEN=0.0.0.0 WEBHOOK_PORT=8443
EXPOSE 8443

# Ready = knowledge base loaded and store answering (bot/telegram/webhook.py); the image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['WEBHOOK_PORT']}/readyz\", timeout=2)"]

# SIGTERM drains: new updates get 503, those taken are answered, the store's queue is written (at most 25 s).
STOPSIGNAL SIGTERM
CMD ["recertbot", "run"]
