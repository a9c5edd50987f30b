# The API with the web app, the scheduler and the migration: trawler without a browser.
#   docker build -t trawler .
# Bases pinned to a release; pin them by digest as well where images are mirrored.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# Node.js (Debian's 18) bundles the web app in this stage only: the final one copies the venv
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/trawler
COPY pyproject.toml README.md deploy/constraints.txt /src/
# the npm packages first: a layer that only a changed lock file rebuilds
COPY web/package.json web/package-lock.json /src/web/
WORKDIR /src/web
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY web /src/web
COPY trawler /src/trawler
COPY api /src/api
COPY worker /src/worker
COPY engine /src/engine
COPY browser_pool /src/browser_pool
COPY proxies /src/proxies
COPY store /src/store
COPY migrations /src/migrations
# the bundle into /src/api/webapp/dist, which pip installs as the api package's data
RUN node build.mjs
RUN /opt/trawler/bin/pip install --constraint /src/constraints.txt /src

FROM ${PYTHON_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin trawler \
    && install -d -o trawler -g trawler /var/lib/trawler /var/lib/trawler/artifacts
COPY --from=build /opt/trawler /opt/trawler
ENV PATH=/opt/trawler/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TRAWLER_ARTIFACTS__PATH=/var/lib/trawler/artifacts \
    TRAWLER_SECRET_KEY_FILE=/var/lib/trawler/trawler.secret \
    TRAWLER_LOG_FORMAT=json
USER trawler
WORKDIR /var/lib/trawler
EXPOSE 8080
ENTRYPOINT ["tini", "--"]
CMD ["trawler", "api", "--host", "0.0.0.0", "--port", "8080"]
