# syntax=docker/dockerfile:1
# Vigie in a container (see the README's "Run in a container"):
#   docker build -t vigie .
#   docker run -v "$PWD/vigie.toml:/etc/vigie/config.toml:ro" -v vigie-data:/var/lib/vigie vigie
# Stage 1 builds the wheels of Vigie and of its dependencies; stage 2 installs
# them, without a compiler or a network, in a slim runtime run by a non-root user.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="Vigie" \
      org.opencontainers.image.description="News-alert bot for teams on Discord and Slack" \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIGIE_CONFIG=/etc/vigie/config.toml
RUN groupadd --system --gid 10001 vigie \
    && useradd --system --uid 10001 --gid vigie --home-dir /var/lib/vigie --create-home \
       --shell /usr/sbin/nologin vigie \
    && mkdir -p /etc/vigie
# The wheels are bind-mounted from the build stage: no layer keeps them.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels /wheels/vigie_bot-*.whl

# Numeric, so that runtimes can check it is not root (Kubernetes runAsNonRoot).
USER 10001:10001
# A relative SQLite URL (sqlite:///vigie.db) lands on the volume.
WORKDIR /var/lib/vigie
VOLUME ["/var/lib/vigie"]
# [metrics] port in the configuration (with address = "0.0.0.0"): /healthz and /metrics.
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["vigie", "healthcheck"]
ENTRYPOINT ["vigie"]
CMD ["--log-format", "json", "run"]
