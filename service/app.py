"""The FastAPI application: lifespan (engine), middleware (request id, access log), routes, error mapping."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import load_engine
from pipelines import LicenceReader
from service.errors import InternalError, error_body, install_error_handlers
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
    logger.info("engine ready", extra={"device": reader.engine.device, "seconds": round(time.perf_counter() - started, 2)})
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
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error", extra={"request_id": request_id})
            if response_started:
                raise
            error = InternalError()
            state["error_code"] = error.code
            await JSONResponse(error_body(error), status_code=error.http_status)(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "error_code": state.get("error_code"),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def create_app(settings: Settings, reader: LicenceReader | None = None) -> FastAPI:
    """The service; with `reader` None the engine is loaded (and warmed up) at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.limiter = anyio.CapacityLimiter(settings.max_concurrency)
        app.state.reader = reader if reader is not None else load_reader(settings)
        yield

    app = FastAPI(
        title="dlocr",
        summary="Chinese driving-licence OCR answering like Huawei Cloud OCR's driver-license API",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """uvicorn's factory (import string "service.app:app_from_env"): each worker process reads the environment."""
    return create_app(Settings())
