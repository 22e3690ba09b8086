"""The one place where failures become Huawei's error JSON: {"error_code": ..., "error_msg": ...}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipelines.errors import DlocrError, InvalidParameter


class AuthenticationFailed(DlocrError):
    code = "APIG.0301"
    message = "Incorrect IAM authentication information."
    http_status = 401


class RouteNotFound(DlocrError):
    code = "APIG.0101"
    message = "The API does not exist or has not been published in the environment."
    http_status = 404


class RequestTooLarge(DlocrError):
    # What Huawei's gateway answers for bodies over its 12 MB limit, before OCR sees them.
    code = "APIG.0201"
    message = "Request entity too large."
    http_status = 413


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
