"""The HTTP surface: the driver-license endpoint and a health probe."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from pipelines.types import LicenceReading, ReadOptions
from service.auth import require_token
from service.payload import parse_request
from service.schemas import DriverLicenseResponse, ErrorBody, HealthBody, request_body_openapi

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "AIS.0101 invalid parameter, AIS.0102 unsupported image, "
          "AIS.0103 image size, AIS.0104 poor quality, AIS.0105 recognition failed"},
    401: {"model": ErrorBody, "description": "APIG.0301 missing or unknown X-Auth-Token"},
    413: {"model": ErrorBody, "description": "APIG.0201 request body over the size limit"},
    500: {"model": ErrorBody, "description": "AIS.0500 internal error"},
    # Declaring a default also keeps FastAPI from documenting a 422 this API never sends.
    "default": {"model": ErrorBody, "description": "Any other error, in the same shape"},
}


@router.post(
    "/v2/{project_id}/ocr/driver-license",
    summary="Recognise a driving licence (驾驶证识别)",
    dependencies=[Depends(require_token)],
    responses={200: {"model": DriverLicenseResponse, "description": "Recognised fields"}, **_ERRORS},
    openapi_extra=request_body_openapi(),
)
async def driver_license(
    request: Request,
    project_id: Annotated[str, Path(description="Huawei project id; accepted and ignored")],
) -> JSONResponse:
    data, options = await parse_request(request, request.app.state.settings)
    reader = request.app.state.reader
    reading = await anyio.to_thread.run_sync(reader.read, data, options, limiter=request.app.state.limiter)
    return JSONResponse({"result": result_of(reading, options)})


def result_of(reading: LicenceReading, options: ReadOptions) -> dict[str, Any]:
    result: dict[str, Any] = dict(reading.fields)
    if options.return_text_location:
        result["text_location"] = reading.locations
    return result


@router.get(
    "/health",
    summary="Readiness: 200 once the engine is loaded and warmed up",
    responses={200: {"model": HealthBody}, 503: {"model": HealthBody}},
)
async def health(request: Request) -> JSONResponse:
    if getattr(request.app.state, "reader", None) is None:
        return JSONResponse({"status": "loading"}, status_code=503)
    return JSONResponse({"status": "ok"})
