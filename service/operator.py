"""What the people running the service look at: probes, metrics, the playground page and the API docs.

Every page and asset is served from files installed with the project, so all of it works without internet.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST

from service.metrics import exposition
from service.schemas import HealthBody, ReadyBody

STATIC = Path(__file__).with_name("static")
# The page may talk to this service only: no CDN, no font host, no analytics, by construction.
_PLAYGROUND_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness: 200 while the process answers", response_model=HealthBody)
async def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get(
    "/ready",
    summary="Readiness: 200 once the models are loaded and warmed up, 503 before",
    responses={200: {"model": ReadyBody}, 503: {"model": ReadyBody}},
)
async def ready(request: Request) -> JSONResponse:
    if getattr(request.app.state, "reader", None) is None:
        return JSONResponse({"status": "loading"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Every dlocr_* metric"}},
)
async def metrics() -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get("/", include_in_schema=False)
async def playground() -> FileResponse:
    return FileResponse(STATIC / "playground.html", headers={"Content-Security-Policy": _PLAYGROUND_POLICY})


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title="dlocr API",
        swagger_js_url=f"{root}/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{root}/static/swagger-ui/favicon-32x32.png",
        # Swagger UI would otherwise fetch a validity badge from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


def install_operator_pages(app: FastAPI) -> None:
    app.include_router(router)
    # Swagger UI's assets come from the swagger-ui-bundle-v2 wheel, installed like any other dependency.
    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
