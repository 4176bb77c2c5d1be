# syntax=docker/dockerfile:1
# Autocompeter: build a wheel in one stage, run it slim and unprivileged in the next.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY core ./core
COPY embedded ./embedded
COPY indexer ./indexer
COPY scaled ./scaled
COPY static ./static
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres,elasticsearch,opensearch]'

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 autocompeter
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /data
RUN chown 10001 /data
USER 10001
# The widget comes inside the wheel (share/autocompeter/static).
ENV HOST=0.0.0.0 PORT=8000 DATABASE_URL=sqlite:////data/autocompeter.db
EXPOSE 8000
# /readyz checks the database and the search engine (each within 1 s); a 503
# makes urlopen raise, so the container shows as unhealthy while either is away.
HEALTHCHECK --interval=30s --timeout=3s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]
CMD ["autocompeter", "serve"]
