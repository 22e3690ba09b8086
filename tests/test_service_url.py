"""The `url` input: what is fetched, what is refused before any connection is made (SSRF), how failures answer.

Every URL here is on 127.0.0.1 (an image server the tests start) or an address literal the service must refuse
before connecting; the session's guard in conftest.py resolves no host names.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.fetch import is_public_address
from service.payload import url_policy
from service.settings import Settings
from servers import PATH, SPECIMEN_BYTES, ImageServer, free_port, specimen_truth

if TYPE_CHECKING:
    from conftest import RecordingReader

NOT_PUBLIC = {
    "loopback": "127.0.0.1",
    "loopback, elsewhere in 127/8": "127.1.2.3",
    "private 10/8": "10.0.0.1",
    "private 172.16/12": "172.16.5.4",
    "private 192.168/16": "192.168.1.1",
    "link-local (cloud metadata)": "169.254.169.254",
    "shared address space (CGNAT)": "100.64.0.1",
    "unspecified": "0.0.0.0",
    "multicast": "224.0.0.251",
    "reserved": "240.0.0.1",
    "broadcast": "255.255.255.255",
    "documentation": "192.0.2.1",
    "IPv6 loopback": "::1",
    "IPv6 unspecified": "::",
    "IPv6 link-local": "fe80::1",
    "IPv6 unique local": "fd12:3456::1",
    "IPv6 multicast, link scope": "ff02::1",
    "IPv6 multicast, global scope": "ff0e::1",
    "IPv6 documentation": "2001:db8::1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-mapped private": "::ffff:10.0.0.1",
    "6to4 of a private address": "2002:a00:1::1",
    "NAT64 of the metadata address": "64:ff9b::a9fe:a9fe",
}


@pytest.mark.parametrize("address", NOT_PUBLIC.values(), ids=NOT_PUBLIC.keys())
def test_non_public_addresses_are_recognised(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_allowed_hosts_are_compared_without_case_or_brackets() -> None:
    settings = Settings(url_allowed_hosts="Images.Internal, [::1] ,127.0.0.1")
    assert url_policy(settings).allowed_hosts == {"images.internal", "::1", "127.0.0.1"}


def assert_error(response: httpx.Response, code: str, reason: str) -> None:
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error_code", "error_msg"}
    assert response.json()["error_code"] == code
    assert reason in response.json()["error_msg"]


# -- without an allow-list: everything not public is refused before a connection is made -----------------------

NOT_PUBLIC_HOST = "its host is a loopback, private, link-local, multicast or reserved address"
NOT_HTTP = "only http and https URLs are accepted"
REFUSED = {
    "127.0.0.1": ("http://127.0.0.1:{port}/specimen.jpg", NOT_PUBLIC_HOST),
    "localhost": ("http://localhost:{port}/specimen.jpg", NOT_PUBLIC_HOST),
    "decimal 127.0.0.1": ("http://2130706433:{port}/specimen.jpg", NOT_PUBLIC_HOST),
    "10.x": ("http://10.0.0.1/specimen.jpg", NOT_PUBLIC_HOST),
    "cloud metadata": ("http://169.254.169.254/latest/meta-data/", NOT_PUBLIC_HOST),
    "[::1]": ("http://[::1]:{port}/specimen.jpg", NOT_PUBLIC_HOST),
    "IPv4-mapped loopback": ("http://[::ffff:127.0.0.1]:{port}/specimen.jpg", NOT_PUBLIC_HOST),
    "0.0.0.0": ("http://0.0.0.0:{port}/specimen.jpg", NOT_PUBLIC_HOST),
    "https to 192.168.x": ("https://192.168.0.1/specimen.jpg", NOT_PUBLIC_HOST),
    "file": ("file:///etc/passwd", NOT_HTTP),
    "ftp": ("ftp://127.0.0.1:{port}/specimen.jpg", NOT_HTTP),
    "gopher": ("gopher://127.0.0.1:{port}/_GET", NOT_HTTP),
    "no scheme": ("//127.0.0.1:{port}/specimen.jpg", NOT_HTTP),
    "not a URL": ("licence.jpg", NOT_HTTP),
    "empty": ("", NOT_HTTP),
    "no host": ("http:///specimen.jpg", "it names no host"),
}


@pytest.mark.parametrize(("url", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_urls_not_allowed_are_modelarts_4601_before_any_connection(
    recording_client: TestClient, recording_reader: RecordingReader, images: ImageServer, url: str, reason: str
) -> None:
    asked_before = len(images.requests)
    response = recording_client.post(PATH, json={"url": url.format(port=images.base.rsplit(":", 1)[1])})
    assert response.json() == {"error_code": "ModelArts.4601", "error_msg": f"The URL is invalid: {reason}."}
    assert response.status_code == 400
    assert len(images.requests) == asked_before  # the image server on 127.0.0.1 was never asked
    assert recording_reader.calls == []


# -- with 127.0.0.1 allow-listed: the image server is reachable, and everything else still is not ---------------


@pytest.fixture
def allowed(settings: Settings, recording_reader: RecordingReader) -> Iterator[TestClient]:
    local = settings.model_copy(update={"url_allowed_hosts": ["127.0.0.1"], "url_timeout": 1.0})
    token = settings.auth_tokens[0].get_secret_value()
    with TestClient(create_app(local, recording_reader), headers={"X-Auth-Token": token}) as http:
        yield http


def test_image_behind_a_redirect_is_read(
    allowed: TestClient, recording_reader: RecordingReader, images: ImageServer
) -> None:
    response = allowed.post(PATH, json={"url": f"{images.base}/redirect", "side": "front"})
    assert response.status_code == 200, response.text
    assert response.json() == {"result": recording_reader.last_result}
    assert response.json()["result"]["number"] == specimen_truth()["number"]
    assert [data for data, _ in recording_reader.calls] == [SPECIMEN_BYTES]
    assert images.requests[-2:] == ["/redirect", "/specimen.jpg"]


def test_three_redirects_are_followed(
    allowed: TestClient, recording_reader: RecordingReader, images: ImageServer
) -> None:
    # The file at the end is a 40x40 PNG: fetched, then refused by the same image checks as base64.
    assert_error(allowed.post(PATH, json={"url": f"{images.base}/hop-3"}), "AIS.0103", "")
    assert images.requests[-4:] == ["/hop-3", "/hop-2", "/hop-1", "/tiny.png"]


def test_a_fourth_redirect_is_not_followed(
    allowed: TestClient, recording_reader: RecordingReader, images: ImageServer
) -> None:
    assert_error(allowed.post(PATH, json={"url": f"{images.base}/hop-4"}), "ModelArts.4603", "more than 3 redirects")
    assert "/tiny.png" not in images.requests[-4:]
    assert recording_reader.calls == []


REDIRECTS_REFUSED = {
    "to 10.x": "/to-private",
    "to the metadata address": "/to-metadata",
    "to file://": "/to-file",
    "to localhost, which the allow-list does not name": "/to-loopback-name",
}


@pytest.mark.parametrize("path", REDIRECTS_REFUSED.values(), ids=REDIRECTS_REFUSED.keys())
def test_redirects_are_checked_like_the_url(
    allowed: TestClient, recording_reader: RecordingReader, images: ImageServer, path: str
) -> None:
    assert_error(allowed.post(PATH, json={"url": images.base + path}), "ModelArts.4601", "The URL is invalid")
    assert images.requests[-1] == path  # the first hop only
    assert recording_reader.calls == []


FETCH_FAILURES = {
    "404": ("/missing", "the server answered HTTP 404"),
    "larger than 10 MB, announced": ("/huge", "larger than 10485760 bytes"),
    "larger than 10 MB, not announced": ("/huge-unannounced", "larger than 10485760 bytes"),
    "empty": ("/empty", "the answer is empty"),
    "compressed": ("/gzip", "compressed answers are not accepted"),
}


@pytest.mark.parametrize(("path", "reason"), FETCH_FAILURES.values(), ids=FETCH_FAILURES.keys())
def test_failed_downloads_are_modelarts_4603(
    allowed: TestClient, recording_reader: RecordingReader, images: ImageServer, path: str, reason: str
) -> None:
    assert_error(allowed.post(PATH, json={"url": images.base + path}), "ModelArts.4603", reason)
    assert recording_reader.calls == []


def test_a_slow_server_times_out(allowed: TestClient, recording_reader: RecordingReader, images: ImageServer) -> None:
    started = time.monotonic()
    assert_error(allowed.post(PATH, json={"url": f"{images.base}/slow"}), "ModelArts.4603", "timed out")
    assert time.monotonic() - started < 2.5  # DLOCR_URL_TIMEOUT=1 here; the server takes 3 s
    assert recording_reader.calls == []


def test_a_closed_port_is_modelarts_4603(allowed: TestClient) -> None:
    url = f"http://127.0.0.1:{free_port()}/specimen.jpg"
    assert_error(allowed.post(PATH, json={"url": url}), "ModelArts.4603", "the connection failed")


@pytest.mark.parametrize(
    ("path", "code"), [("/page.html", "AIS.0102"), ("/tiny.png", "AIS.0103")], ids=["not an image", "40x40 px"]
)
def test_downloaded_files_get_the_image_checks(
    allowed: TestClient, recording_reader: RecordingReader, images: ImageServer, path: str, code: str
) -> None:
    assert_error(allowed.post(PATH, json={"url": images.base + path}), code, "")
    assert len(recording_reader.calls) == 1 and recording_reader.returned == []
