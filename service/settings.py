"""The one configuration object, read from DLOCR_* environment variables."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import Field, FilePath, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models import EngineOptions
from models.backend import available_cpus
from models.shapes import GPU_BATCH_ROWS, ShapePolicy

# Cards in flight per CPU of a worker whose engine reads on a GPU. 8 workers on an H200 with 16 host cores
# (throughput.py, photo tier, 48 clients, one call): 48.9 and 52.3 cards/s with 2 cards in flight each, 52.8 and
# 58.2 with 3, 56.1 and 57.7 with 4, for the same host CPU and host memory, and 76 GB of the GPU's memory at the
# peak against 65 GB.
GPU_CARDS_PER_CPU = 2


# What DLOCR_AUTH_FILE may hold: the credential variables, nothing else, so the file means one thing.
_CREDENTIAL_VARIABLES = {
    "DLOCR_AUTH_TOKENS": "auth_tokens",
    "DLOCR_AUTH_AKSK": "auth_aksk",
    "DLOCR_AUTH_PROJECT_IDS": "auth_project_ids",
}


def read_credentials_file(path: Path) -> dict[str, str]:
    """NAME=VALUE lines (dotenv syntax) of the credential variables, as field names. Errors never quote a value."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read DLOCR_AUTH_FILE {path}: {exc.strerror}") from None
    values: dict[str, str] = {}
    for name, value in dotenv_values(stream=io.StringIO(text)).items():
        if name not in _CREDENTIAL_VARIABLES or value is None:
            raise ValueError(f"DLOCR_AUTH_FILE may only set {', '.join(_CREDENTIAL_VARIABLES)} (as NAME=VALUE)")
        values[_CREDENTIAL_VARIABLES[name]] = value
    return values


class Settings(BaseSettings):
    # hide_input_in_errors: a malformed DLOCR_AUTH_AKSK must not reach a traceback with its secrets.
    model_config = SettingsConfigDict(env_prefix="DLOCR_", frozen=True, hide_input_in_errors=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1)
    # NoDecode: the environment holds "a,b", not the JSON list pydantic-settings would expect.
    auth_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Accepted X-Auth-Token values; empty = no authentication (loopback only).",
    )
    # NoDecode as above: "AK:SK,AK2:SK2".
    auth_aksk: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict, description="Accepted AK/SK pairs for SDK-HMAC-SHA256 signatures (the official SDK)."
    )
    auth_project_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Project ids the API answers for; empty = any."
    )
    auth_file: Path | None = Field(
        default=None,
        description="A file of DLOCR_AUTH_TOKENS=, DLOCR_AUTH_AKSK=, DLOCR_AUTH_PROJECT_IDS= lines, read at start; "
        "a variable also set in the environment keeps the environment's value.",
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    backend: Literal["auto", "onnxruntime", "openvino"] = Field(
        default="auto",
        description="Inference runtime. auto: on the CPU the detector on OpenVINO at the card's size and everything "
        "else on ONNX Runtime, the faster of each measured (about 150 MB more per worker); on a GPU ONNX Runtime. "
        "onnxruntime (least memory) or openvino (CPU only): every network on it.",
    )
    intra_op_threads: int = Field(
        default=0,
        ge=0,
        description="Threads per inference (both runtimes) and for OpenCV; 0 = their default with one worker, 1 with "
        "several.",
    )
    # Measured with 8 clients on 2 cores: 1.75-1.79 cards/s against 1.60-1.75 without, and 75 MB less resident,
    # since two recognitions no longer hold their buffers at once. A lone request waits for nothing.
    batch_recognition: bool = Field(
        default=True,
        description="Recognise the text lines of concurrent requests in shared batches (models/batching.py).",
    )
    # NoDecode as above: "8,32".
    gpu_batch_rows: Annotated[tuple[int, ...], NoDecode] = Field(
        default=GPU_BATCH_ROWS,
        description="On a GPU, the rows a batch of text lines is padded to, ascending (models/shapes.py): each "
        "size is one more shape planned at start and a little GPU memory; fewer rows, less padding computed.",
    )
    malloc_arena_max: int = Field(
        default=2,
        ge=0,
        description="glibc malloc arenas per worker (service/memory.py); 0 = glibc's default of 8 per core.",
    )
    # ONNX Runtime already spreads one recognition over the cores, so more in flight than cores only adds
    # memory (a decoded 8000 px photo is ~190 MB) and latency.
    max_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Recognitions in flight per worker; unset: the CPUs shared among workers, twice that on a GPU.",
    )
    # Past this many requests waiting for a slot, the next one is told at once (503 ModelArts.4401) rather than
    # left hanging until the client times out.
    max_queue: int = Field(default=16, ge=0, description="Requests that may wait for a recognition slot.")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    max_base64_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    max_body_bytes: int = Field(default=12 * 1024 * 1024, ge=1)
    body_timeout: float = Field(default=60.0, gt=0, description="Seconds a client may take to send its body.")
    url_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Hosts a `url` may name even when they resolve to a non-public address."
    )
    url_connect_timeout: float = Field(default=5.0, gt=0)
    url_timeout: float = Field(default=15.0, gt=0, description="The whole download of a `url`, redirects included.")
    ssl_certfile: FilePath | None = None
    ssl_keyfile: FilePath | None = None

    @model_validator(mode="before")
    @classmethod
    def _credentials_from_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("auth_file"):
            return {**read_credentials_file(Path(data["auth_file"])), **data}
        return data

    # pydantic then makes gpu_batch_rows' items integers, refusing any that is not one.
    @field_validator("auth_tokens", "auth_project_ids", "url_allowed_hosts", "gpu_batch_rows", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("gpu_batch_rows")
    @classmethod
    def _ascending(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return ShapePolicy(fixed=True, batch_sizes=value).batch_sizes

    @field_validator("auth_aksk", mode="before")
    @classmethod
    def _split_key_pairs(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        pairs: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            access_key, _, secret = (part.strip() for part in item.partition(":"))
            if not access_key or not secret:
                raise ValueError("expected AK:SK pairs separated by commas")
            if access_key in pairs:
                raise ValueError(f"access key {access_key} is given twice")
            pairs[access_key] = secret
        return pairs

    @model_validator(mode="after")
    def _key_needs_certificate(self) -> Settings:
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            raise ValueError("DLOCR_SSL_KEYFILE needs DLOCR_SSL_CERTFILE")
        return self

    @property
    def has_credentials(self) -> bool:
        return bool(self.auth_tokens or self.auth_aksk)

    # Several workers each read their share of the CPUs' cards on one thread apiece. On 2 cores, two workers
    # reading one card each on one thread did 2.0-2.2 cards/s; on the single-worker defaults they did 1.5
    # (docs/deploy.md): their threads and cards were twice what the cores could run. On a GPU a card spends part
    # of its time waiting for the GPU, which another card's steps on the host fill (docs/benchmarks.md#on-a-gpu).
    def recognitions_in_flight(self, device: str = "cpu") -> int:
        """Per worker, for an engine reading on `device` (OcrEngine.device)."""
        share = max(1, available_cpus() // self.workers)
        return self.max_concurrency or share * (GPU_CARDS_PER_CPU if device == "cuda" else 1)

    def engine_options(self) -> EngineOptions:
        return EngineOptions(
            device=self.device,
            intra_op_threads=self.intra_op_threads or (1 if self.workers > 1 else 0),
            backend=self.backend,
            batch_recognition=self.batch_recognition,
            batch_rows=self.gpu_batch_rows,
        )
