"""The one configuration object, read from DLOCR_* environment variables."""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models import EngineOptions


def _available_cpus() -> int:
    # Affinity, not os.cpu_count(): a container limited to a few cores must not size itself by the host.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DLOCR_", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1)
    # NoDecode: the environment holds "a,b", not the JSON list pydantic-settings would expect.
    auth_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Accepted X-Auth-Token values; empty = no authentication (loopback only).",
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    intra_op_threads: int = Field(default=0, ge=0, description="onnxruntime intra-op threads; 0 = its default.")
    # ONNX Runtime already spreads one recognition over the cores, so more in flight than cores only adds
    # memory (a decoded 8000 px photo is ~190 MB) and latency.
    max_concurrency: int = Field(default_factory=_available_cpus, ge=1)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    max_base64_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    max_body_bytes: int = Field(default=12 * 1024 * 1024, ge=1)

    @field_validator("auth_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return [token.strip() for token in value.split(",") if token.strip()]
        return value

    def engine_options(self) -> EngineOptions:
        return EngineOptions(device=self.device, intra_op_threads=self.intra_op_threads)
