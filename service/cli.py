"""The `dlocr` command: `dlocr serve` runs the API, `dlocr read IMAGE` reads one file and prints the API's JSON."""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import logging.config
import sys
from pathlib import Path

import uvicorn
from pydantic import ValidationError

from pipelines.errors import DlocrError
from pipelines.types import PAGES, ReadOptions
from service.app import load_reader
from service.errors import describe_validation_error, error_body
from service.logs import logging_config
from service.settings import Settings

logger = logging.getLogger("dlocr.cli")

EXIT_OK, EXIT_READ_FAILED, EXIT_USAGE = 0, 1, 2


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # another name could resolve to anything


def serve(settings: Settings) -> int:
    if not settings.auth_tokens:
        if not is_loopback(settings.host):
            print(
                f"dlocr: refusing to serve on {settings.host} without credentials: set DLOCR_AUTH_TOKENS "
                "(comma-separated) or bind to a loopback address such as 127.0.0.1",
                file=sys.stderr,
            )
            return EXIT_USAGE
        logger.warning("no credentials configured: serving on loopback only")
    # Always the import string: worker processes build their own app (and engine) from the same environment.
    uvicorn.run(
        "service.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=logging_config(settings.log_level),
        access_log=False,  # the app writes its own access line, with the request id
    )
    return EXIT_OK


def read(settings: Settings, image: Path, options: ReadOptions) -> int:
    try:
        data = image.read_bytes()
    except OSError as exc:
        print(f"dlocr: cannot read {image}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    reader = load_reader(settings)
    try:
        answer = {"result": reader.read(data, options).fields}
    except DlocrError as exc:
        print(json.dumps(error_body(exc), ensure_ascii=False))
        return EXIT_READ_FAILED
    print(json.dumps(answer, ensure_ascii=False))
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlocr", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the HTTP API (settings from DLOCR_* variables)")
    serve_cmd.add_argument("--host", help="bind address (DLOCR_HOST, default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, help="port (DLOCR_PORT, default 8080)")
    serve_cmd.add_argument("--workers", type=int, help="worker processes, one engine each (DLOCR_WORKERS)")

    read_cmd = commands.add_parser("read", help="read one image and print the API's JSON answer")
    read_cmd.add_argument("image", type=Path)
    read_cmd.add_argument("--side", choices=PAGES, default="front")
    read_cmd.add_argument("--issuing-authority", action="store_true", help="also return issuing_authority")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {name: getattr(args, name, None) for name in ("host", "port", "workers")}
    try:
        settings = Settings(**{name: value for name, value in overrides.items() if value is not None})
    except ValidationError as exc:
        print(f"dlocr: invalid configuration: {describe_validation_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    logging.config.dictConfig(logging_config(settings.log_level))
    if args.command == "serve":
        return serve(settings)
    return read(settings, args.image, ReadOptions(side=args.side, return_issuing_authority=args.issuing_authority))


if __name__ == "__main__":
    sys.exit(main())
