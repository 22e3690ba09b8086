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


class FakeReader:
    """Stands in for LicenceReader in tests about HTTP rather than recognition; records what reached it."""

    fields = {"number": "150402199902223122", "name": "谢乐桃", "sex": "女", "class": "C1"}

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, ReadOptions]] = []
        self.fail_with: Exception | None = None

    def read(self, data: bytes, options: ReadOptions) -> LicenceReading:
        self.calls.append((data, options))
        if self.fail_with is not None:
            raise self.fail_with
        return LicenceReading(page=options.side or "front", fields=dict(self.fields))

    def warm_up(self) -> None:
        pass


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(auth_tokens=[AUTH_TOKEN])


@pytest.fixture(scope="session")
def client(settings: Settings, reader: LicenceReader) -> Iterator[TestClient]:
    """The service over the session's real engine."""
    with TestClient(create_app(settings, reader), headers={"X-Auth-Token": AUTH_TOKEN}) as real_client:
        yield real_client


@pytest.fixture
def fake_reader() -> FakeReader:
    return FakeReader()


@pytest.fixture
def fake_client(settings: Settings, fake_reader: FakeReader) -> Iterator[TestClient]:
    with TestClient(create_app(settings, fake_reader), headers={"X-Auth-Token": AUTH_TOKEN}) as http_client:
        yield http_client
