"""`dlocr serve` as an operator runs it: HTTPS with a self-signed certificate, credentials from DLOCR_AUTH_FILE,
the official SDK over TLS, and JSON logs (at debug level) that hold no image, name or ID number after many
requests full of them."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, SdkException
from huaweicloudsdkcore.http.http_config import HttpConfig

from service import cli
from servers import (
    PATH,
    SPECIMEN_B64,
    DlocrProcess,
    ImageServer,
    assert_specimen,
    dlocr_serve,
    recognise,
    sdk_client,
    specimen_truth,
)

AK, SK = "AKTLSTEST00000000001", "tls-secret-8e2b61c4d09f"
TOKEN = "tls-token-47a9c3"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA, made for this run and never kept."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dlocr test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def served(
    certificate: tuple[Path, Path], images: ImageServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DlocrProcess]:
    directory = tmp_path_factory.mktemp("serve")
    credentials = directory / "credentials.env"
    credentials.write_text(f"DLOCR_AUTH_AKSK={AK}:{SK}\nDLOCR_AUTH_TOKENS={TOKEN}\n", encoding="utf-8")
    cert_file, key_file = certificate
    env = {"DLOCR_AUTH_FILE": str(credentials), "DLOCR_URL_ALLOWED_HOSTS": "127.0.0.1", "DLOCR_LOG_LEVEL": "debug"}
    args = ["--ssl-certfile", str(cert_file), "--ssl-keyfile", str(key_file)]
    with dlocr_serve(args, env, directory / "stderr.log", scheme="https") as process:
        yield process


def test_the_sdk_reads_over_https_with_the_certificate_as_its_ca(
    served: DlocrProcess, certificate: tuple[Path, Path]
) -> None:
    config = HttpConfig.get_default_config()
    config.ssl_ca_cert = str(certificate[0])
    client = sdk_client(served.base, AK, SK, config)
    assert_specimen(recognise(client, image=SPECIMEN_B64, side="front", return_issuing_authority=True))


def test_without_the_ca_the_sdk_refuses_the_certificate(served: DlocrProcess) -> None:
    with pytest.raises(SdkException) as refused:
        recognise(sdk_client(served.base, AK, SK), image="QUJD")
    assert not isinstance(refused.value, ClientRequestException)  # refused by TLS, before any HTTP answer
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `dlocr serve` hands uvicorn, without serving; no credentials from this process's environment."""
    for name in ("DLOCR_AUTH_TOKENS", "DLOCR_AUTH_AKSK", "DLOCR_AUTH_FILE", "DLOCR_HOST"):
        monkeypatch.delenv(name, raising=False)
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: runs.append(kwargs))
    monkeypatch.setattr(cli.logging.config, "dictConfig", lambda config: None)
    return runs


def test_ssl_keyfile_needs_ssl_certfile(
    certificate: tuple[Path, Path], uvicorn_runs: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--ssl-keyfile", str(certificate[1])]) == cli.EXIT_USAGE
    assert "DLOCR_SSL_KEYFILE needs DLOCR_SSL_CERTFILE" in capsys.readouterr().err
    assert uvicorn_runs == []


def test_ak_sk_alone_are_credentials_enough_to_listen_beyond_loopback(
    certificate: tuple[Path, Path], uvicorn_runs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["serve", "--host", "0.0.0.0"]) == cli.EXIT_USAGE
    monkeypatch.setenv("DLOCR_AUTH_AKSK", f"{AK}:{SK}")
    cert_file, key_file = certificate
    tls = ["--ssl-certfile", str(cert_file), "--ssl-keyfile", str(key_file)]
    assert cli.main(["serve", "--host", "0.0.0.0", *tls]) == 0
    [run] = uvicorn_runs
    assert (run["host"], run["ssl_certfile"], run["ssl_keyfile"]) == ("0.0.0.0", cert_file, key_file)


# -- the logs --------------------------------------------------------------------------------------------------

TRUTH = specimen_truth()
NAME, NUMBER = TRUTH["name"], TRUTH["number"]
# Requests that carry the licence's name and number in every place a client can put them, and fail.
CARRYING_PII: list[tuple[dict[str, Any] | bytes, dict[str, str], int, str]] = [
    ({"image": SPECIMEN_B64, "side": "left", "name": NAME, "number": NUMBER}, {}, 400, "AIS.0101"),
    ({"image": f"{NUMBER}{NAME}"}, {}, 400, "AIS.0102"),
    (f'{{"image": "{NUMBER}", "name": "{NAME}"'.encode(), {}, 400, "ModelArts.4105"),
    ({"url": f"http://10.0.0.1/{NAME}/{NUMBER}.jpg?id={NUMBER}"}, {}, 400, "ModelArts.4601"),
    ({"url": f"{{images}}/missing/{NUMBER}?name={NAME}"}, {}, 400, "ModelArts.4603"),
    ({"image": SPECIMEN_B64}, {"X-Auth-Token": NUMBER}, 401, "APIG.0301"),
    ({"image": SPECIMEN_B64}, {"X-Auth-Token": TOKEN, "X-Project-Id": NUMBER}, 401, "APIG.0301"),
]


def post(
    http: httpx.Client, body: dict[str, Any] | bytes, headers: dict[str, str], images: ImageServer
) -> httpx.Response:
    headers = {"X-Auth-Token": TOKEN, "Content-Type": "application/json", **headers}
    if isinstance(body, bytes):
        return http.post(PATH, content=body, headers=headers)
    body = {key: value.format(images=images.base) if key == "url" else value for key, value in body.items()}
    return http.post(PATH, json=body, headers=headers)


def access_lines(served: DlocrProcess, expected: int) -> list[dict[str, object]]:
    """The access-log lines, once `expected` of them are written (each follows its answer by a moment)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in served.log_lines() if line.get("logger") == "dlocr.access"]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines


def test_no_image_name_or_id_number_reaches_the_logs(
    served: DlocrProcess, certificate: tuple[Path, Path], images: ImageServer
) -> None:
    already = len(access_lines(served, 0))
    statuses = []
    trusted = ssl.create_default_context(cafile=certificate[0])
    with httpx.Client(base_url=served.base, verify=trusted, timeout=60) as http:
        for body in ({"image": SPECIMEN_B64, "return_issuing_authority": True}, {"url": f"{images.base}/specimen.jpg"}):
            read = http.post(PATH, json=body, headers={"X-Auth-Token": TOKEN})
            assert read.json()["result"]["number"] == NUMBER and read.json()["result"]["name"] == NAME
            statuses.append((200, None))
        for _ in range(3):
            for body, headers, status, code in CARRYING_PII:
                response = post(http, body, headers, images)
                assert (response.status_code, response.json()["error_code"]) == (status, code), response.text
                statuses.append((status, code))

    lines = access_lines(served, already + len(statuses))
    assert [(line["status"], line["error_code"]) for line in lines[already:]] == statuses
    logged = served.log_file.read_text(encoding="utf-8")
    secrets = [SK, TOKEN, SPECIMEN_B64[:64], SPECIMEN_B64[-64:], NUMBER[:10], NUMBER[-8:]]
    read_fields = [value for value in TRUTH.values() if len(value) >= 2]
    for value in secrets + read_fields:
        assert value not in logged and json.dumps(value)[1:-1] not in logged, value
