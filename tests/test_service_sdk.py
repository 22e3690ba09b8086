"""Drop-in: the official SDK (huaweicloudsdkocr, unchanged, AK/SK) and the README's snippets against a live server
on 127.0.0.1, and what a raw socket can do to it (a body too large, a body too slow)."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from pydantic import SecretStr

from pipelines import LicenceReader
from service.app import create_app
from service.settings import Settings
from servers import (
    PATH,
    REPO,
    SPECIMEN_B64,
    SPECIMEN_BYTES,
    ImageServer,
    assert_specimen,
    png_bytes,
    recognise,
    sdk_client,
    serving_in_thread,
    specimen_truth,
    specimen_without_values,
)

AK, SK = "AKSDKTEST00000000001", "sdk-secret-5d0c9e1a7b3f"
BODY_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def live(settings: Settings, reader: LicenceReader) -> Iterator[str]:
    """The service over the session's engine, served by uvicorn on a free loopback port."""
    served = settings.model_copy(
        update={"auth_aksk": {AK: SecretStr(SK)}, "url_allowed_hosts": ["127.0.0.1"], "body_timeout": BODY_TIMEOUT}
    )
    with serving_in_thread(create_app(served, reader)) as base:
        yield base


def test_the_sdk_reads_the_specimen_with_ak_sk(live: str) -> None:
    response = recognise(sdk_client(live, AK, SK), image=SPECIMEN_B64, side="front", return_issuing_authority=True)
    assert_specimen(response)


def test_a_wrong_sk_is_the_sdks_401(live: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dlocr.access"):
        with pytest.raises(ClientRequestException) as refused:
            recognise(sdk_client(live, AK, SK + "0"), image=SPECIMEN_B64)
        error = refused.value
        assert (error.status_code, error.error_code) == (401, "APIG.0301")
        assert error.error_msg == "Incorrect IAM authentication information: bad signature."
        # The server's access line follows its answer by a moment.
        deadline = time.monotonic() + 5
        while not (lines := [r for r in caplog.records if getattr(r, "request_id", None) == error.request_id]):
            assert time.monotonic() < deadline, "no access-log line with the SDK's request_id"
            time.sleep(0.01)
    [access] = lines
    assert (access.name, access.status, access.error_code) == ("dlocr.access", 401, "APIG.0301")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


SDK_ERRORS = {
    "AIS.0101 invalid side": ({"image": SPECIMEN_B64, "side": "left"}, "AIS.0101"),
    "AIS.0102 not base64": ({"image": "not base64!!"}, "AIS.0102"),
    "AIS.0103 40x40 px": ({"image": b64(png_bytes(40, 40))}, "AIS.0103"),
    "AIS.0104 a licence with its values painted over": ({"image": b64(specimen_without_values())}, "AIS.0104"),
    "AIS.0105 a blank page": ({"image": b64(png_bytes(300, 400))}, "AIS.0105"),
    "ModelArts.4601 a private address": ({"url": "http://10.0.0.1/licence.jpg"}, "ModelArts.4601"),
    "ModelArts.4603 a 404": ({"url": "{images}/missing"}, "ModelArts.4603"),
}


@pytest.mark.parametrize(("body", "code"), SDK_ERRORS.values(), ids=SDK_ERRORS.keys())
def test_the_sdk_parses_every_error(live: str, images: ImageServer, body: dict[str, str], code: str) -> None:
    body = {name: value.format(images=images.base) for name, value in body.items()}
    with pytest.raises(ClientRequestException) as refused:
        recognise(sdk_client(live, AK, SK), **body)
    error = refused.value
    assert (error.status_code, error.error_code) == (400, code)
    assert error.error_msg and "Traceback" not in error.error_msg
    assert re.fullmatch(r"[0-9a-f]{32}", error.request_id)


# -- the README's snippets, as written (only the port is this test's) ------------------------------------------


def readme_block(language: str, marker: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    [block] = [block for block in blocks if marker in block]
    return block


@pytest.fixture(scope="module")
def token(settings: Settings) -> str:
    return settings.auth_tokens[0].get_secret_value()


def run_readme_block(command: list[str], block: str, live: str, token: str, tmp_path: Path) -> str:
    (tmp_path / "licence.jpg").write_bytes(SPECIMEN_BYTES)
    env = {**os.environ, "TOKEN": token, "CLOUD_SDK_AK": AK, "CLOUD_SDK_SK": SK}
    done = subprocess.run(
        [*command, block.replace("http://127.0.0.1:8080", live)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_readme_curl_snippet_works(live: str, token: str, tmp_path: Path) -> None:
    out = run_readme_block(["bash", "-c"], readme_block("sh", "/ocr/driver-license"), live, token, tmp_path)
    result = json.loads(out)["result"]
    assert {name: result[name] for name in specimen_truth()} == specimen_truth()
    assert result["type"] == "normal" and result["warnings"] == ["issued_under_age"]


def test_the_readme_sdk_snippet_works(live: str, token: str, tmp_path: Path) -> None:
    block = readme_block("python", "huaweicloudsdkocr")
    out = run_readme_block([sys.executable, "-c"], block, live, token, tmp_path)
    result = json.loads(out)
    # The SDK's DriverLicenseResult knows `type` (Huawei returns it for electronic licences) and drops our other keys.
    assert result == {**specimen_truth(), "type": "normal"}


# -- limits, seen from a raw socket ----------------------------------------------------------------------------


def raw_exchange(live: str, head: str, body: bytes = b"", wait: float = 0.0) -> tuple[int, dict[str, str]]:
    """Send `head` (and the start of a body), then read the answer: the status and the JSON error."""
    host, port = live.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head.encode() + body)
        time.sleep(wait)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


def request_head(content_length: int, token: str) -> str:
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Auth-Token: {token}\r\nContent-Length: {content_length}\r\n\r\n"
    )


def test_a_body_over_12_mb_is_refused_before_it_is_sent(live: str, token: str) -> None:
    # Nothing of the 13 MB is sent: the answer comes from the announced length alone.
    status, error = raw_exchange(live, request_head(13 * 1024 * 1024, token))
    assert (status, error["error_code"]) == (413, "APIG.0201")


def test_a_client_too_slow_to_send_its_body_times_out(live: str, token: str) -> None:
    started = time.monotonic()
    status, error = raw_exchange(live, request_head(1000, token), b'{"image": "', wait=BODY_TIMEOUT + 0.5)
    assert (status, error) == (408, {"error_code": "APIG.0201", "error_msg": "Request timeout."})
    assert time.monotonic() - started < BODY_TIMEOUT + 5


def test_the_sdk_parses_both_pages_of_a_double_side_answer(live: str) -> None:
    demo = REPO.parent / "shared" / "samples" / "huawei-demo-front-back.png"
    truth = json.loads((demo.parent / "labels.json").read_text(encoding="utf-8"))["samples"][0]["ground_truth"]
    image = base64.b64encode(demo.read_bytes()).decode()
    response = recognise(sdk_client(live, AK, SK), image=image, side="double_side")
    assert response.result.front.number == truth["front"]["number"]
    assert response.result.front.valid_to == truth["front"]["valid_to"]
    assert response.result.back.number == truth["back"]["number"]
    assert response.result.back.file_number == truth["back"]["file_number"]
