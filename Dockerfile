# The console's image: one replica per container (compose.yaml runs three behind HAProxy).
#
# CI does not build this image: no image registry is reachable from the project's CI machines,
# so neither the base image nor haproxy:2.6 can be pulled there. The same steps are tested
# without Docker instead: tests/test_deploy_files.py checks this file, builds the package from
# the files the builder stage copies and checks deploy/haproxy.cfg with `haproxy -c`;
# tests/e2e/test_team.py runs deploy/start-console (this image's CMD) three times behind
# HAProxy with deploy/haproxy.cfg, as compose.yaml does.
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: the package and its dependencies, installed into a venv at /opt/venv ---------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Only what `pip install .` reads: pyproject.toml, the readme it names and the three packages.
COPY pyproject.toml README.md ./
COPY components/ components/
COPY envoy_api/ envoy_api/
COPY envoy_sandbox/ envoy_sandbox/
# The runtime dependencies only (no [dev] extras). pip's build environment (setuptools, wheel)
# and anything else a build needs stay in this stage.
RUN /opt/venv/bin/pip install --no-cache-dir .

# --- runtime: the venv and the files the app runs from, as a non-root user -----------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin console
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# `streamlit run app.py` runs from /app: app.py, the page scripts in views/, the packages
# (imported from here, the script's folder, before the venv's copies), the page icon and
# Streamlit's settings. The secrets file is mounted at run time, never built in.
COPY app.py ./
COPY views/ views/
COPY components/ components/
COPY envoy_api/ envoy_api/
COPY envoy_sandbox/ envoy_sandbox/
COPY assets/ assets/
COPY .streamlit/config.toml .streamlit/config.toml
COPY --chmod=0755 deploy/start-console deploy/start-console
# The default SQLite store and the embedded sandbox write into data/: the one writable folder.
RUN mkdir data && chown console:console data
USER console

EXPOSE 8501
# The same URL the proxy checks. urllib, since the slim image has no curl; a non-2xx answer
# or no answer raises, so the command fails.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
# The replica's one start command (port 8501 unless PORT says otherwise).
CMD ["deploy/start-console"]
