from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models import EngineOptions, load_engine
from pipelines import LicenceReader
from pipelines.types import LicenceReading, ReadOptions
from service.app import create_app
from service.settings import Settings
from servers import ImageServer, image_server


def _address_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        try:  # the forms getaddrinfo reads as numbers too: "2130706433", "127.1", "0x7f.1"
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None


@pytest.fixture(scope="session", autouse=True)
def _nothing_leaves_this_machine() -> Iterator[None]:
    """Tests talk to this machine only. Resolving a host name (other than localhost) would send a DNS query out,
    and connecting anywhere but loopback would send the rest; both are refused here, in this process, before
    anything is sent. Address literals still resolve, so that what the tests see is the service refusing them.
    """
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def resolve_locally(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in (None, "localhost") and _address_literal(name) is None:
            raise socket.gaierror(socket.EAI_NONAME, "the tests resolve no host names")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect_locally(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            literal = _address_literal(str(address[0]))
            if literal is None or not literal.is_loopback:
                raise ConnectionRefusedError("the tests connect to loopback addresses only")
        real_connect(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", resolve_locally)
        patch.setattr(socket.socket, "connect", connect_locally)
        yield


@pytest.fixture(scope="session")
def images() -> Iterator[ImageServer]:
    """An HTTP server of images (and of failures) on 127.0.0.1, for the `url` input."""
    with image_server() as server:
        yield server


@pytest.fixture(scope="session")
def engine():
    return load_engine(EngineOptions(device="cpu"))


@pytest.fixture(scope="session")
def reader(engine) -> LicenceReader:
    return LicenceReader(engine)


# -- service/ ----------------------------------------------------------------------------------------------------

AUTH_TOKEN = "test-token-3b9f0c"


class RecordingReader:
    """The session's real LicenceReader, recording what reached it; `fail_with` injects a failure instead."""

    def __init__(self, real: LicenceReader) -> None:
        self.real = real
        self.engine = real.engine
        self.calls: list[tuple[bytes, ReadOptions]] = []
        self.returned: list[LicenceReading] = []
        self.fail_with: Exception | None = None

    def read(self, data: bytes, options: ReadOptions) -> LicenceReading:
        self.calls.append((data, options))
        if self.fail_with is not None:
            raise self.fail_with
        reading = self.real.read(data, options)
        self.returned.append(reading)
        return reading

    def warm_up(self) -> None:
        self.real.warm_up()

    @property
    def last_result(self) -> dict[str, Any]:
        """The `result` the API owes for the last reading: Huawei's fields, then our extra keys."""
        reading = self.returned[-1]
        return {
            **reading.fields,
            "type": "normal",
            "side": reading.page,
            "confidence": reading.confidence,
            "warnings": list(reading.warnings),
        }


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(auth_tokens=[AUTH_TOKEN])


@pytest.fixture(scope="session")
def client(settings: Settings, reader: LicenceReader) -> Iterator[TestClient]:
    """The service over the session's real engine."""
    with TestClient(create_app(settings, reader), headers={"X-Auth-Token": AUTH_TOKEN}) as real_client:
        yield real_client


@pytest.fixture
def recording_reader(reader: LicenceReader) -> RecordingReader:
    return RecordingReader(reader)


@pytest.fixture
def recording_client(settings: Settings, recording_reader: RecordingReader) -> Iterator[TestClient]:
    """The service over the real engine, through a RecordingReader."""
    with TestClient(create_app(settings, recording_reader), headers={"X-Auth-Token": AUTH_TOKEN}) as http_client:
        yield http_client


@pytest.fixture
def keep_logging_config() -> Iterator[None]:
    """The CLI's main() configures logging for the process; put it back for the tests that follow."""
    loggers = [logging.getLogger(name) for name in ("dlocr", "uvicorn")]
    saved = [(logger.handlers[:], logger.propagate, logger.level) for logger in loggers]
    yield
    for logger, (handlers, propagate, level) in zip(loggers, saved):
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(level)
