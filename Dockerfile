# syntax=docker/dockerfile:1
# Two stages so that the runtime image carries the installed venv and nothing
# of the build (source tree, wheel, pip caches).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . .
# The same script CI runs outside Docker, so these steps are tested on every run: what
# running needs from requirements/runtime.txt (pinned, hashes checked), then the wheel.
RUN bash docker/build-image-steps.sh /opt/venv

# Same base image as the build stage: the venv's interpreter symlinks point at
# /usr/local/bin/python3.11, which must exist at the same path here.
FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 commonfund \
    && useradd --system --uid 10001 --gid commonfund --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin commonfund \
    && mkdir /data \
    && chown commonfund:commonfund /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COMMONFUND_DATABASE_URL=sqlite:////data/commonfund.sqlite3
# Declared after the chown, so a new volume starts owned by the service user.
VOLUME /data
WORKDIR /data
USER commonfund
EXPOSE 8000
# python's urllib, because the slim image has neither curl nor wget;
# urlopen raises on a non-2xx answer or no answer, so the check fails then.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# `serve` refuses a database with pending migrations; --migrate applies them first
# (under the migration lock), so a new /data volume works with a plain `docker run`.
ENTRYPOINT ["commonfund"]
CMD ["serve", "--migrate", "--host", "0.0.0.0", "--port", "8000"]
