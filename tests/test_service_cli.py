"""`dlocr serve` refuses to expose an open service; `dlocr read` prints exactly what the API would answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pipelines.errors import PoorQuality
from pipelines.types import ReadOptions
from service import cli
from service.app import app_from_env
from service.settings import Settings

if TYPE_CHECKING:
    from conftest import RecordingReader

REPO = Path(__file__).resolve().parents[1]
SPECIMEN = Path(__file__).resolve().parents[2] / "shared" / "samples" / "specimen-front.jpg"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, keep_logging_config: None) -> None:
    """No credentials unless a test sets them; main() configures logging, which is put back afterwards."""
    monkeypatch.delenv("DLOCR_AUTH_TOKENS", raising=False)
    monkeypatch.delenv("DLOCR_HOST", raising=False)


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    # serve() hands the worker count to the workers through the environment: restored after each test.
    monkeypatch.setenv("DLOCR_WORKERS", "1")
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_serve_refuses_a_public_address_without_credentials(
    host: str, uvicorn_calls: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--host", host]) == 2
    error = capsys.readouterr().err
    assert "refusing to serve" in error and "DLOCR_AUTH_TOKENS" in error
    assert uvicorn_calls == []


def test_serve_refusal_exit_code_from_the_command_line() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DLOCR_")}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0" in done.stderr


def test_serve_a_public_address_with_credentials(
    monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("DLOCR_AUTH_TOKENS", "secret-1")
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "3"]) == 0
    [(args, kwargs)] = uvicorn_calls
    assert args == ("service.app:app_from_env",)
    assert kwargs["factory"] is True
    assert (kwargs["host"], kwargs["port"], kwargs["workers"]) == ("0.0.0.0", 9000, 3)
    assert kwargs["access_log"] is False
    # The workers build their settings from the environment: they must know there are 3 of them.
    assert Settings().workers == 3


def test_serve_on_loopback_without_credentials_warns(
    uvicorn_calls: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve"]) == 0
    assert uvicorn_calls[0][1]["host"] == "127.0.0.1"
    assert "no credentials configured: serving on loopback only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("LOCALHOST", True), ("0.0.0.0", False), ("::", False), ("10.0.0.1", False), ("", False), ("my-host", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert cli.is_loopback(host) is loopback


def test_invalid_configuration_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DLOCR_DEVICE", "tpu")
    assert cli.main(["serve"]) == 2
    assert "invalid configuration" in capsys.readouterr().err
    assert uvicorn_calls == []


def test_app_factory_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLOCR_AUTH_TOKENS", "t1,t2")
    monkeypatch.setenv("DLOCR_MAX_CONCURRENCY", "3")
    settings = app_from_env().state.settings
    assert len(settings.auth_tokens) == 2 and settings.max_concurrency == 3


@pytest.fixture
def cli_reader(monkeypatch: pytest.MonkeyPatch, recording_reader: RecordingReader) -> RecordingReader:
    """`dlocr read` over the session's real engine (through a RecordingReader) instead of loading it again."""
    monkeypatch.setattr(cli, "load_reader", lambda settings: recording_reader)
    return recording_reader


def test_read_prints_the_api_answer(cli_reader: RecordingReader, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["read", str(SPECIMEN), "--side", "front", "--issuing-authority"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == {"result": cli_reader.last_result}
    result = json.loads(out)["result"]
    assert (result["number"], result["name"]) == ("150402199902223122", "谢乐桃")
    assert result["issuing_authority"] == "河北省秦皇岛市公安局交通警察支队"
    assert "谢乐桃" in out  # not \u-escaped
    assert cli_reader.calls == [(SPECIMEN.read_bytes(), ReadOptions(side="front", return_issuing_authority=True))]


def test_read_defaults_to_the_front_page(cli_reader: RecordingReader, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["read", str(SPECIMEN)]) == 0
    assert cli_reader.calls == [(SPECIMEN.read_bytes(), ReadOptions(side="front", return_issuing_authority=False))]
    result = json.loads(capsys.readouterr().out)["result"]
    assert result["number"] == "150402199902223122"
    assert "issuing_authority" not in result


def test_read_side_reaches_the_reader(cli_reader: RecordingReader, capsys: pytest.CaptureFixture[str]) -> None:
    # The specimen shows only the front page: the real reader refuses to call it the back page.
    assert cli.main(["read", str(SPECIMEN), "--side", "back"]) == 1
    assert cli_reader.calls == [(SPECIMEN.read_bytes(), ReadOptions(side="back", return_issuing_authority=False))]
    error = json.loads(capsys.readouterr().out)
    assert error["error_code"] == "AIS.0105"
    assert "back page" in error["error_msg"]


def test_read_failure_prints_the_error_json(
    cli_reader: RecordingReader, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_reader.fail_with = PoorQuality()
    assert cli.main(["read", str(SPECIMEN)]) == 1
    assert json.loads(capsys.readouterr().out) == {"error_code": "AIS.0104", "error_msg": PoorQuality.message}
    assert len(cli_reader.calls) == 1 and cli_reader.returned == []


def test_read_missing_file_is_a_usage_error(
    cli_reader: RecordingReader, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["read", str(tmp_path / "missing.jpg")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert cli_reader.calls == []


def test_read_specimen_with_the_real_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["read", str(SPECIMEN), "--issuing-authority"]) == 0
    result = json.loads(capsys.readouterr().out)["result"]
    assert result["number"] == "150402199902223122"
    assert "issuing_authority" in result
