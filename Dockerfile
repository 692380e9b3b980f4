# The merchant server and the worker: one image, two commands.
#
#   docker build -t paydesk .
#   docker run --env-file paydesk.env -p 8000:8000 paydesk                 # server
#   docker run --env-file paydesk.env --no-healthcheck paydesk paydesk worker  # a worker (no HTTP)
#   docker run --env-file paydesk.env paydesk paydesk db upgrade           # migrations, once
#
# Configuration is PAYDESK_* environment variables only (see docs/deploy.md).
# Pin the base image by digest too when you build for real (docker buildx imagetools inspect).

FROM python:3.11.11-slim-bookworm AS build
WORKDIR /build
COPY pyproject.toml README.md requirements.lock ./
COPY src ./src
# requirements.lock pins every dependency of every extra (and of the dev tools): as a
# constraints file it fixes the versions without installing the dev tools.
RUN python -m venv /opt/paydesk \
 && /opt/paydesk/bin/pip install --no-cache-dir --disable-pip-version-check \
      -c requirements.lock '.[all]'

FROM python:3.11.11-slim-bookworm
ENV PATH=/opt/paydesk/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /opt/paydesk /opt/paydesk
# A home for ./var (the SQLite default, for a trial); production sets PAYDESK_DATABASE_URL.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /srv/paydesk paydesk
WORKDIR /srv/paydesk
USER paydesk
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["paydesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
