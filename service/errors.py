"""The one place where failures become Huawei's error JSON: {"error_code": ..., "error_msg": ...}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipelines.errors import (
    DlocrError,
    ImageSizeError,
    InvalidParameter,
    PoorQuality,
    RecognitionFailed,
    UnsupportedImage,
)
from service.schemas import ErrorBody


class AuthenticationFailed(DlocrError):
    code = "APIG.0301"
    message = "Incorrect IAM authentication information."
    http_status = 401


class RouteNotFound(DlocrError):
    code = "APIG.0101"
    message = "The API does not exist or has not been published in the environment."
    http_status = 404


class Overloaded(DlocrError):
    # Huawei's answer when a service's concurrency quota is exhausted.
    code = "ModelArts.4401"
    message = "The number of concurrent requests exceeds the limit: retry later."
    http_status = 503


class RequestTooLarge(DlocrError):
    # What Huawei's gateway answers for bodies over its 12 MB limit, before OCR sees them.
    code = "APIG.0201"
    message = "Request entity too large."
    http_status = 413


class RequestTimeout(DlocrError):
    # The gateway's answer to a client that does not finish sending its body in time.
    code = "APIG.0201"
    message = "Request timeout."
    http_status = 408


class MalformedJson(DlocrError):
    # Huawei's platform answers a body that is not JSON at all before OCR sees it; AIS.0101 is for JSON that
    # parses but does not fit the API.
    code = "ModelArts.4105"
    message = "The JSON format of the input data is incorrect."


class UrlNotAllowed(DlocrError):
    code = "ModelArts.4601"
    message = "The URL is invalid."


class UrlFetchFailed(DlocrError):
    code = "ModelArts.4603"
    message = "Obtaining the file from the URL failed."


class InternalError(DlocrError):
    code = "AIS.0500"
    message = "Internal server error."
    http_status = 500


def error_body(error: DlocrError) -> dict[str, str]:
    return {"error_code": error.code, "error_msg": error.message}


def error_response(request: Request, error: DlocrError, status_code: int | None = None) -> JSONResponse:
    # The access log reads the code from the request state, so it never has to look at a body.
    request.state.error_code = error.code
    return JSONResponse(error_body(error), status_code=status_code or error.http_status)


# A real answer for every error of the driver-license endpoint, for /docs; tests/test_service_docs.py provokes
# each one and compares.
ERROR_EXAMPLES: tuple[tuple[str, DlocrError], ...] = (
    (
        "invalid parameter",
        InvalidParameter("The input parameter is invalid: side: Input should be 'front', 'back', 'double_side' or ''"),
    ),
    ("not an image", UnsupportedImage("The image format is not supported: use JPEG, PNG, BMP or TIFF.")),
    (
        "image too small or too large",
        ImageSizeError(
            "The image size does not meet the requirements: 50x40 px, the shortest side must be at least 100 px "
            "and the longest at most 8000 px."
        ),
    ),
    (
        "licence found, fields unreadable",
        PoorQuality("The image quality is too poor: the licence was found but its fields could not be read."),
    ),
    ("no licence", RecognitionFailed("Recognition failed: no driving licence was found in the image.")),
    (
        "the other page",
        RecognitionFailed(
            "Recognition failed: the back page (副页) was asked for but the image shows the front page (主页)."
        ),
    ),
    ("body not JSON", MalformedJson()),
    (
        "URL not allowed",
        UrlNotAllowed(
            "The URL is invalid: its host is a loopback, private, link-local, multicast or reserved address."
        ),
    ),
    ("URL download failed", UrlFetchFailed("Obtaining the file from the URL failed: the connection failed.")),
    ("no token", AuthenticationFailed("Incorrect IAM authentication information: x-auth-token not found.")),
    ("body too slow", RequestTimeout()),
    ("body too large", RequestTooLarge()),
    ("a bug", InternalError()),
)


def error_responses() -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for every error status of the driver-license endpoint, with ERROR_EXAMPLES."""
    responses: dict[int | str, dict[str, Any]] = {}
    for summary, error in ERROR_EXAMPLES:
        entry = responses.setdefault(
            error.http_status,
            {"model": ErrorBody, "description": "", "content": {"application/json": {"examples": {}}}},
        )
        entry["description"] = "; ".join(filter(None, (entry["description"], f"{error.code} {summary}")))
        examples = entry["content"]["application/json"]["examples"]
        examples[f"{error.code} {summary}"] = {"summary": f"{error.code} {summary}", "value": error_body(error)}
    # Declaring a default also keeps FastAPI from documenting a 422 this API never sends.
    responses["default"] = {"model": ErrorBody, "description": "Any other error, in the same shape"}
    return responses


def describe_validation_error(exc: ValidationError | RequestValidationError) -> str:
    """Name the offending fields without echoing their values: an image can be 10 MB of base64."""
    errors = exc.errors(include_input=False) if isinstance(exc, ValidationError) else exc.errors()
    problems = []
    for err in errors:
        where = ".".join(str(part) for part in err["loc"] if part != "body")
        problems.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(problems)


def invalid_parameter(exc: ValidationError | RequestValidationError) -> InvalidParameter:
    return InvalidParameter(f"The input parameter is invalid: {describe_validation_error(exc)}")


async def _dlocr_error(request: Request, exc: DlocrError) -> JSONResponse:
    return error_response(request, exc)


async def _request_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # FastAPI would answer 422 in its own shape; Huawei's clients only understand AIS.0101.
    return error_response(request, invalid_parameter(exc))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code in (404, 405):
        # Huawei's gateway routes on method and path together, so a wrong method is a 404 as well.
        return error_response(request, RouteNotFound("The API does not exist." if exc.status_code == 405 else None))
    # Not raised by this service today; whoever adds one still answers in Huawei's shape.
    error = InvalidParameter(str(exc.detail)) if exc.status_code < 500 else InternalError()
    return error_response(request, error, exc.status_code)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DlocrError, _dlocr_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
