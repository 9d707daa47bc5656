"""One error shape for every 4xx/5xx: `{"error": {"code", "message", "details"}}`.

Services raise `AppError` subclasses; the handlers installed by `install_error_handlers`
translate those, the chain's errors (503 `chain_unavailable`), FastAPI's validation errors and
Starlette's 404/405 into the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Invalid(AppError):
    status_code = 422
    code = "invalid"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: int,
        details: Any = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, details=details, code=code)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(AppError):
    status_code = 503
    code = "unavailable"


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


def error_json(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}
    return JSONResponse(status_code=status, content=body, headers=headers)


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return error_json(exc.status_code, exc.code, exc.message, exc.details, headers)


async def _chain_error(_request: Request, exc: Exception) -> JSONResponse:
    # A node that does not answer, or refuses a read: the service is fine, the chain is not.
    reason = str(getattr(exc, "reason", exc))
    first = reason.splitlines()[0] if reason else type(exc).__name__
    log.info("chain error: %s", reason)
    return error_json(503, "chain_unavailable", f"the chain cannot be read: {first}")


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    details = None if isinstance(exc.detail, str) else exc.detail
    return error_json(exc.status_code, code, message, details, dict(exc.headers or {}) or None)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    return error_json(422, "validation_error", f"{where}: {first['msg']}", details)


# The constraints that are the last line under concurrency, by a fragment of what PostgreSQL
# (constraint name) or SQLite (name, or table.column for a unique index) reports.
_CONSTRAINT_MESSAGES = (
    (("on_hand_nonnegative", "reserved_within_on_hand"), "not enough stock on hand"),
    (("reserved_nonnegative",), "cannot release more stock than is reserved"),
    (
        ("uq_chain_job_live_anchor", "chain_job.subject_id"),
        "this period already has an anchor job queued or sent",
    ),
    (
        ("uq_exchange_rate_base_quote_day", "exchange_rate.base"),
        "a rate for this currency pair and day is stored already",
    ),
    (
        ("uq_payment_recorded_by", "payment.recorded_by"),
        "this Idempotency-Key was already used for a payment",
    ),
)


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # Services check what they can first; this is the safety net for races.
    log.info("integrity error: %s", exc)
    reported = str(getattr(exc, "orig", exc))
    for fragments, message in _CONSTRAINT_MESSAGES:
        if any(fragment in reported for fragment in fragments):
            return error_json(409, "conflict", message)
    return error_json(409, "conflict", "the request conflicts with stored data")


async def _data_error(_request: Request, exc: Exception) -> JSONResponse:
    # E.g. an id beyond the column's range that validation did not bound.
    log.info("data error: %s", exc)
    return error_json(422, "invalid", "a value is out of range for the database")


async def _pool_timeout(_request: Request, exc: Exception) -> JSONResponse:
    # Every database connection stayed busy for the pool's whole timeout: the service is
    # overloaded, not broken; the client may retry (nothing was written).
    log.warning("no database connection within the pool timeout: %s", exc)
    return error_json(
        503,
        "overloaded",
        "the service is busy; try again in a few seconds",
        headers={"Retry-After": "5"},
    )


async def _unhandled(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_json(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    # Here, not at the top: `lineage --help` imports this module (through `core.limits`)
    # and must not pay for the chain's eth_* stack.
    from backend.chain.chain_types import ChainError

    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(ChainError, _chain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(PoolTimeout, _pool_timeout)
    app.add_exception_handler(Exception, _unhandled)


def _documented(*pairs: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse, "description": text} for status, text in pairs}


ERROR_RESPONSES = _documented(
    (401, "Missing or invalid credentials."),
    (403, "The caller's role or scope does not allow this."),
    (404, "Unknown id."),
    (409, "Conflicts with the current state (stock, status, uniqueness)."),
    (422, "Malformed input."),
)
# What any request can meet before its route runs (`backend.core.limits`); every route
# documents these (`backend.api.routes`).
REQUEST_LIMIT_RESPONSES = _documented(
    (
        400,
        "Malformed request: a JSON body nested deeper than the limit (`json_too_deep`), a bad "
        "Content-Length, a form that cannot be parsed.",
    ),
    (413, "The body is larger than this endpoint accepts (`payload_too_large`)."),
)
VALIDATION_RESPONSE = _documented((422, "Malformed input."))
CHAIN_RESPONSES = _documented(
    (503, "The chain or the contracts' deployment record cannot be read right now.")
)
