from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from models import EngineOptions, load_engine
from pipelines import LicenceReader
from pipelines.types import LicenceReading, ReadOptions
from service.app import create_app
from service.settings import Settings


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
