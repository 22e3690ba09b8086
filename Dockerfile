# CPU image. The same steps as `make install`: the project and its pinned dependencies from PyPI; the PP-OCR
# weights arrive inside the rapidocr==3.10.0 wheel, so the image needs no network when it starts.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DLOCR_HOST=0.0.0.0 DLOCR_PORT=8080

RUN useradd --create-home --uid 10001 dlocr
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY pipelines ./pipelines
COPY models ./models
COPY synthetic ./synthetic
# The sha256 check fails the build, not the first start, when the wheel's weights are not the validated ones.
RUN pip install --upgrade pip && pip install . \
    && python -c "from models.manifest import ALL_WEIGHTS; [w.verified_path() for w in ALL_WEIGHTS]"

# Numeric: Kubernetes' runAsNonRoot can only verify a numeric user, a name it refuses to start.
USER 10001
EXPOSE 8080
# Reads DLOCR_PORT so that `-e DLOCR_PORT=...` does not leave the check knocking on the wrong port.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['DLOCR_PORT'], timeout=2)"
# Binding 0.0.0.0 without DLOCR_AUTH_TOKENS refuses to start: pass the tokens with -e or a secret.
CMD ["dlocr", "serve"]
