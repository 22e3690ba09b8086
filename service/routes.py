"""The HTTP surface of the API itself: the driver-license endpoint (probes and pages: service/operator.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from pipelines.types import DoubleReading, LicenceReading, ReadOptions
from service.auth import require_credentials
from service.errors import error_responses
from service.payload import parse_request
from service.recognition import recognize
from service.schemas import DriverLicenseResponse, request_body_openapi

router = APIRouter()


@router.post(
    "/v2/{project_id}/ocr/driver-license",
    summary="Recognise a driving licence (驾驶证识别)",
    dependencies=[Depends(require_credentials)],
    responses={200: {"model": DriverLicenseResponse, "description": "Recognised fields"}, **error_responses()},
    openapi_extra=request_body_openapi(),
)
async def driver_license(
    request: Request,
    project_id: Annotated[str, Path(description="Huawei project id; accepted and ignored")],
) -> JSONResponse:
    data, options = await parse_request(request, request.app.state.settings)
    reading = await recognize(request, data, options)
    return JSONResponse({"result": result_of(reading, options)})


def result_of(reading: LicenceReading | DoubleReading, options: ReadOptions) -> dict[str, Any]:
    """The `result` object; for double_side the SDK's shape: the front page's fields in front, the back's in back."""
    if isinstance(reading, DoubleReading):
        return {"front": result_of(reading.front, options), "back": result_of(reading.back, options)}
    result: dict[str, Any] = dict(reading.fields)
    result.update(type=reading.kind, side=reading.page, confidence=reading.confidence, warnings=list(reading.warnings))
    if options.return_text_location:
        result["text_location"] = reading.locations
    return result
