# syntax=docker/dockerfile:1
# One image for every mlTrainer process: web (default CMD), Celery worker, Celery beat and the migrate job.

# --- builder: resolve and install the pinned runtime requirements into a venv we copy later ---
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /build
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt


# --- runtime: slim base, no compilers, unprivileged user ---
FROM python:3.11-slim AS runtime

# libgomp1: LightGBM's manylinux wheel links the system OpenMP runtime (the other ML wheels bundle their own).
# DL3008: an exact Debian version pin breaks the build whenever the base image moves to a new point release;
# the base tag already fixes the Debian release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 mltrainer \
    && useradd --system --uid 10001 --gid mltrainer --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin mltrainer

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DEBUG=0

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Code stays root-owned so the app user cannot rewrite it; only var/ (local SQLite fallback) and the
# Prometheus multiprocess directory are writable.
COPY . .

# SECRET_KEY exists for this one command only: settings refuse to load without a key when DEBUG is off.
# It is not a real key and is not written into any layer's environment.
# compileall: the code is read-only at run time and PYTHONDONTWRITEBYTECODE is set, so without its .pyc files every
# process would compile every module of the project again when it starts.
RUN SECRET_KEY=build-only-not-secret DEBUG=0 \
        python manage.py collectstatic --noinput \
    && python -m compileall -q accounts coach compliance market_data mltrainer_site models_catalog notifications \
        observability registry security trials \
    && mkdir -p /app/var /tmp/prometheus \
    && chown mltrainer:mltrainer /app/var /tmp/prometheus

USER 10001:10001

EXPOSE 8000

# Liveness of the web process. Host "localhost" so the check does not depend on the deployment's ALLOWED_HOSTS
# naming 127.0.0.1; worker and beat containers override this check (see docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': 'localhost', 'X-Forwarded-Proto': 'https'}); sys.exit(0 if urllib.request.urlopen(r, timeout=4).status == 200 else 1)"]

CMD ["python", "-m", "mltrainer_site.serve", "--host", "0.0.0.0", "--port", "8000"]
