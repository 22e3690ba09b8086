"""The FastAPI application: lifespan (engine), middleware (request id, access log), routes, error mapping."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import load_engine
from pipelines import LicenceReader
from service.errors import InternalError, error_body, install_error_handlers
from service.memory import limit_malloc_arenas
from service.metrics import IN_FLIGHT, observe_request, record_engine, worker_exiting
from service.operator import install_operator_pages
from service.routes import router
from service.settings import Settings

logger = logging.getLogger("dlocr.app")
access_log = logging.getLogger("dlocr.access")

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def load_reader(settings: Settings) -> LicenceReader:
    """Load the engine once for this process and warm it up, so the first request is not the slow one."""
    started = time.perf_counter()
    reader = LicenceReader(load_engine(settings.engine_options()))
    reader.warm_up()
    seconds = time.perf_counter() - started
    record_engine(reader.engine, seconds)
    logger.info("engine ready", extra={"device": reader.engine.device, "seconds": round(seconds, 2)})
    return reader


class RequestContextMiddleware:
    """X-Request-Id on every response, one access-log line per request, and the last-resort 500.

    A plain ASGI middleware rather than an `Exception` handler: Starlette runs those outside all middleware,
    where the 500 would get neither the request id nor the access-log line.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = Headers(scope=scope).get("x-request-id", "")
        request_id = sent if _SANE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        root_path = scope.get("root_path", "")
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                MutableHeaders(scope=message).append("X-Request-Id", request_id)
            await send(message)

        try:
            with IN_FLIGHT.track_inprogress():
                await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", extra={"request_id": request_id})
            if response_started:
                raise
            error = InternalError()
            state["error_code"] = error.code
            await JSONResponse(error_body(error), status_code=error.http_status)(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope, root_path)
            observe_request(route, status, state.get("error_code"), seconds)
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "error_code": state.get("error_code"),
                    "duration_ms": round(seconds * 1000, 1),
                    **recognition_details(state),
                },
            )


def route_template(scope: Scope, root_path: str) -> str:
    """The matched route's template, not the path: a path holds whatever project id the caller sent."""
    route = scope.get("route")
    if route is not None:
        return str(route.path)
    # A Mount (the static files) sets no route; it adds its prefix to root_path instead.
    mounted = scope.get("root_path", "")[len(root_path):]
    return f"{mounted}/{{path}}" if mounted else "unmatched"


def recognition_details(state: dict[str, Any]) -> dict[str, Any]:
    """What the access log says about a recognition: sizes and timings, never the image or what was read."""
    details: dict[str, Any] = {}
    if "image_bytes" in state:
        details["image_bytes"] = state["image_bytes"]
    if "timings" in state:
        details["timings_ms"] = {stage: round(seconds * 1000, 1) for stage, seconds in state["timings"].items()}
    return details


def create_app(settings: Settings, reader: LicenceReader | None = None) -> FastAPI:
    """The service; with `reader` None the engine is loaded (and warmed up) at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_malloc_arenas(settings.malloc_arena_max)
        app.state.reader = reader if reader is not None else load_reader(settings)
        app.state.limiter = anyio.CapacityLimiter(settings.recognitions_in_flight(app.state.reader.engine.device))
        yield
        worker_exiting()

    app = FastAPI(
        title="dlocr",
        summary="Chinese driving-licence OCR answering like Huawei Cloud OCR's driver-license API",
        lifespan=lifespan,
        # Served by install_operator_pages from local files: FastAPI's own pages load from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(router)
    install_operator_pages(app)
    return app


def app_from_env() -> FastAPI:
    """uvicorn's factory (import string "service.app:app_from_env"): each worker process reads the environment."""
    return create_app(Settings())
