"""The `dlocr` command: `dlocr serve` runs the API, `dlocr read IMAGE` reads one file and prints the API's JSON,
`dlocr read FILES_OR_DIRS --out results.jsonl` reads many into JSON lines."""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import logging.config
import os
import sys
from pathlib import Path

import uvicorn
from pydantic import ValidationError

from pipelines.errors import DlocrError
from pipelines.types import PAGES, ReadOptions
from service import batch
from service.app import load_reader
from service.errors import describe_validation_error, error_body
from service.logs import logging_config
from service.metrics import shared_between_workers
from service.routes import result_of
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
    if not settings.has_credentials:
        if not is_loopback(settings.host):
            print(
                f"dlocr: refusing to serve on {settings.host} without credentials: set DLOCR_AUTH_TOKENS, "
                "DLOCR_AUTH_AKSK or DLOCR_AUTH_FILE, or bind to a loopback address such as 127.0.0.1",
                file=sys.stderr,
            )
            return EXIT_USAGE
        logger.warning("no credentials configured: serving on loopback only")
    # Always the import string: worker processes build their own app (and engine) from the same environment,
    # which must then carry a --workers given on the command line: each worker sizes its share of the CPUs by it.
    os.environ["DLOCR_WORKERS"] = str(settings.workers)
    with shared_between_workers(settings.workers):
        uvicorn.run(
            "service.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_config=logging_config(settings.log_level),
            access_log=False,  # the app writes its own access line, with the request id
            ssl_certfile=settings.ssl_certfile,
            ssl_keyfile=settings.ssl_keyfile,
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
        answer = {"result": result_of(reader.read(data, options), options)}
    except DlocrError as exc:
        print(json.dumps(error_body(exc), ensure_ascii=False))
        return EXIT_READ_FAILED
    print(json.dumps(answer, ensure_ascii=False))
    return EXIT_OK


def read_many(settings: Settings, paths: list[Path], out: Path, options: ReadOptions, workers: int | None) -> int:
    """Every image in `paths` not yet in `out`, one JSON line each; a summary on stdout. 1 if any was not read."""
    try:
        files = batch.find_images(paths)
        done = batch.files_done(out)
    except (OSError, ValueError) as exc:
        print(f"dlocr: {exc}", file=sys.stderr)
        return EXIT_USAGE
    todo = [path for path in files if str(path) not in done]
    # The engine is loaded only when there is something to read: resuming a finished run costs nothing.
    reader = load_reader(settings) if todo else None
    summary = batch.Summary()
    if reader is not None:
        in_flight = workers or settings.recognitions_in_flight(reader.engine.device)
        summary = batch.run(reader, todo, out, options, in_flight, sys.stderr.isatty())
    summary.skipped = len(files) - len(todo)
    print(summary.report())
    return EXIT_OK if summary.all_ok else EXIT_READ_FAILED


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlocr", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the HTTP API (settings from DLOCR_* variables)")
    serve_cmd.add_argument("--host", help="bind address (DLOCR_HOST, default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, help="port (DLOCR_PORT, default 8080)")
    serve_cmd.add_argument("--workers", type=int, help="worker processes, one engine each (DLOCR_WORKERS)")
    serve_cmd.add_argument("--ssl-certfile", type=Path, help="serve HTTPS with this PEM certificate (DLOCR_SSL_*)")
    serve_cmd.add_argument("--ssl-keyfile", type=Path, help="its private key, if not in the certificate file")

    read_cmd = commands.add_parser(
        "read", help="read one image and print the API's JSON answer, or many into a JSON-lines file (--out)"
    )
    read_cmd.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR")
    read_cmd.add_argument("--side", choices=(*PAGES, "auto"), default="front", help="auto: whichever page is shown")
    read_cmd.add_argument("--issuing-authority", action="store_true", help="also return issuing_authority")
    read_cmd.add_argument("--out", type=Path, help="append one JSON line per file; files already in it are skipped")
    read_cmd.add_argument(
        "--workers", dest="read_workers", type=_positive, help="files read at once with --out (DLOCR_MAX_CONCURRENCY)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {
        name: getattr(args, name, None) for name in ("host", "port", "workers", "ssl_certfile", "ssl_keyfile")
    }
    try:
        settings = Settings(**{name: value for name, value in overrides.items() if value is not None})
    except ValidationError as exc:
        print(f"dlocr: invalid configuration: {describe_validation_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    logging.config.dictConfig(logging_config(settings.log_level))
    if args.command == "serve":
        return serve(settings)
    side = None if args.side == "auto" else args.side
    options = ReadOptions(side=side, return_issuing_authority=args.issuing_authority)
    if args.out is not None:
        return read_many(settings, args.paths, args.out, options, args.read_workers)
    if len(args.paths) > 1 or args.paths[0].is_dir():
        print("dlocr: several files or a directory need --out results.jsonl", file=sys.stderr)
        return EXIT_USAGE
    return read(settings, args.paths[0], options)


if __name__ == "__main__":
    sys.exit(main())
