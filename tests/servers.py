"""Servers the tests start on 127.0.0.1: the service itself (in this process, or `dlocr serve`) and a small
HTTP server of images for the `url` input; and the official SDK's client, pointed at them. Nothing here talks
to another machine."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import uvicorn
from fastapi import FastAPI
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkocr.v1 import DriverLicenseRequestBody, OcrClient, RecognizeDriverLicenseRequest
from huaweicloudsdkocr.v1.model import RecognizeDriverLicenseResponse

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
SPECIMEN_BYTES = (SAMPLES / "specimen-front.jpg").read_bytes()
SPECIMEN_B64 = base64.b64encode(SPECIMEN_BYTES).decode()
PROJECT_ID = "0123456789abcdef"
PATH = f"/v2/{PROJECT_ID}/ocr/driver-license"


def specimen_truth() -> dict[str, str]:
    labels = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))
    [sample] = [s for s in labels["samples"] if s["file"] == "specimen-front.jpg"]
    truth: dict[str, str] = sample["ground_truth"]["front"]
    return truth


def specimen_without_values() -> bytes:
    """The specimen with every printed value painted over in the card's green: a licence, with nothing to read."""
    card = cv2.imread(str(SAMPLES / "specimen-front.jpg"))
    # Value boxes (x0, y0, x1, y1) on the 1091x712 photo: 证号, 姓名, 性别, 国籍, 住址, the three dates and 准驾车型.
    for x0, y0, x1, y1 in [(444, 124, 860, 184), (176, 200, 500, 256), (600, 200, 660, 256), (790, 200, 880, 256),
                           (190, 260, 720, 316), (450, 384, 740, 444), (510, 456, 740, 512), (450, 516, 750, 584),
                           (250, 590, 780, 650)]:
        card[y0:y1, x0:x1] = (200, 225, 205)
    return bytes(cv2.imencode(".jpg", card)[1])


def png_bytes(height: int, width: int, value: int = 255) -> bytes:
    return bytes(cv2.imencode(".png", np.full((height, width, 3), value, np.uint8))[1])


def sdk_client(base: str, ak: str, sk: str, config: HttpConfig | None = None) -> OcrClient:
    """The official SDK's client as its users build it, with only the endpoint pointed here."""
    builder = OcrClient.new_builder().with_credentials(BasicCredentials(ak, sk, PROJECT_ID)).with_endpoints([base])
    if config is not None:
        builder = builder.with_http_config(config)
    return builder.build()


def recognise(client: OcrClient, **body: object) -> RecognizeDriverLicenseResponse:
    return client.recognize_driver_license(RecognizeDriverLicenseRequest(body=DriverLicenseRequestBody(**body)))


def assert_specimen(response: RecognizeDriverLicenseResponse) -> None:
    """Every labelled field of the specimen, parsed by the SDK into its DriverLicenseResult."""
    result = response.result.to_dict()
    result["class"] = result.pop("_class")
    assert {name: result[name] for name in specimen_truth()} == specimen_truth()
    assert len(response.x_request_id) == 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving_in_thread(app: FastAPI) -> Iterator[str]:
    """uvicorn with `app` on a free loopback port, in a thread of this process; yields the base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


@dataclass
class DlocrProcess:
    base: str
    process: subprocess.Popen[bytes]
    log_file: Path

    def log_lines(self) -> list[dict[str, object]]:
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@contextmanager
def dlocr_serve(args: list[str], env: dict[str, str], log_file: Path, scheme: str = "http") -> Iterator[DlocrProcess]:
    """`dlocr serve` as a user runs it, stderr (the JSON log) to `log_file`; stopped with SIGTERM afterwards."""
    port = free_port()
    clean = {name: value for name, value in os.environ.items() if not name.startswith("DLOCR_")}
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), *args],
            cwd=REPO, env={**clean, "DLOCR_DEVICE": "cpu", **env}, stdout=subprocess.DEVNULL, stderr=log,
        )
    served = DlocrProcess(f"{scheme}://127.0.0.1:{port}", process, log_file)
    try:
        deadline = time.monotonic() + 120
        while not any(line.get("message") == "Application startup complete." for line in served.log_lines()):
            assert process.poll() is None, f"dlocr serve exited: {log_file.read_text(encoding='utf-8')[-2000:]}"
            assert time.monotonic() < deadline, "dlocr serve did not start"
            time.sleep(0.2)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


@dataclass
class ImageServer:
    """Paths and what they answer; `requests` records every path asked for, to prove what was never fetched."""

    base: str
    requests: list[str] = field(default_factory=list)


def _image_handler(record: list[str]) -> type[BaseHTTPRequestHandler]:
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {
        "/specimen.jpg": (200, {"Content-Type": "image/jpeg"}, SPECIMEN_BYTES),
        "/tiny.png": (200, {"Content-Type": "image/png"}, png_bytes(40, 40)),
        "/page.html": (200, {"Content-Type": "text/html"}, b"<html><body>not an image</body></html>"),
        "/empty": (200, {"Content-Type": "image/jpeg"}, b""),
        "/gzip": (200, {"Content-Type": "image/jpeg", "Content-Encoding": "gzip"}, b"\x1f\x8b" + bytes(100)),
        "/missing": (404, {"Content-Type": "text/plain"}, b"not found"),
        "/redirect": (302, {"Location": "/specimen.jpg"}, b""),
        # /hop-N is N redirects away from /tiny.png.
        "/hop-1": (301, {"Location": "/tiny.png"}, b""),
        "/hop-2": (303, {"Location": "/hop-1"}, b""),
        "/hop-3": (308, {"Location": "/hop-2"}, b""),
        "/hop-4": (302, {"Location": "/hop-3"}, b""),
        "/to-private": (302, {"Location": "http://10.0.0.1/specimen.jpg"}, b""),
        "/to-metadata": (307, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/to-loopback-name": (302, {"Location": "http://localhost/specimen.jpg"}, b""),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            record.append(self.path)
            path = self.path.split("?")[0]
            if path == "/slow":
                time.sleep(3)  # past the url timeout the tests configure
            if path in ("/huge", "/huge-unannounced"):
                self._send_huge(announce=path == "/huge")
                return
            status, headers, body = routes.get(path, (404, {}, b""))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _send_huge(self, announce: bool) -> None:
            """11 MiB, with or without Content-Length: the cap must hold either way."""
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            if announce:
                self.send_header("Content-Length", str(11 * 1024 * 1024))
            self.end_headers()
            try:
                for _ in range(11):
                    self.wfile.write(bytes(1024 * 1024))
            except OSError:
                pass  # the service hung up once it had seen enough: that is the point

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
            pass

    return Handler


@contextmanager
def image_server() -> Iterator[ImageServer]:
    record: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _image_handler(record))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield ImageServer(f"http://127.0.0.1:{server.server_address[1]}", record)
    finally:
        server.shutdown()
        server.server_close()
