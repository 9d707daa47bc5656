"""Request limits applied before anything parses a body, and the interpreter's recursion limit.

`py_ecc` (imported through `eth_keys`) raises the recursion limit to 100,000 on import, and the
C JSON decoder trusts that limit: one request of 100,000 nested brackets overflowed the C stack
and killed the whole process. Two independent defences:

- `RequestLimits`, a pure ASGI middleware: a body-size cap per route class (answered 413 as
  soon as the declared or streamed size passes it) and a nesting-depth cap for JSON bodies
  (answered 400), checked by a linear scan of the bytes before FastAPI parses them;
- `restore_recursion_limit()`, called where the app is created and where the CLI starts, so
  nothing else in the process runs with a limit the C stack cannot honour.
"""

from __future__ import annotations

import contextlib
import email.message
import importlib
import operator
import re
from collections.abc import Iterable
from itertools import accumulate, count

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.errors import error_json
from backend.core.recursion import RECURSION_LIMIT, lower_recursion_limit

_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
# An opening bracket counts 2 and a closing one 0, so that depth after k brackets is the
# running sum minus k: `accumulate`, `map` and `max` then do the whole scan in C.
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


def restore_recursion_limit(limit: int = RECURSION_LIMIT) -> None:
    """Undo what heavy imports did to the recursion limit (never raising it).

    `py_ecc` is imported first, so its one-time bump cannot come back later from a lazy import.
    """
    with contextlib.suppress(ImportError):
        importlib.import_module("py_ecc")
    lower_recursion_limit(limit)


def json_depth(body: bytes) -> int:
    """The deepest bracket nesting of `body` outside JSON strings, in one linear pass.

    For malformed JSON this is an upper bound of how deep a parser recurses before it fails.
    An unterminated string runs to the end of the body (the optional closing quote keeps the
    scan linear instead of retrying from every later quote).
    """
    structure = _STRING.sub(b"", body).translate(_STEPS, delete=_NOT_BRACKETS)
    return max(0, max(map(operator.sub, accumulate(structure), count(1)), default=0))


def _parsed_as_json(headers: Headers) -> bool:
    """FastAPI's own rule: no content type, or application/json or application/*+json."""
    value = headers.get("content-type")
    if not value:
        return True
    message = email.message.Message()
    message["content-type"] = value
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class RequestLimits:
    """Caps each request body by route class and each JSON body's nesting, before parsing.

    `bulk_paths` (batch enrollment, uploads) and paths ending in one of `bulk_suffixes` (an
    upload under a resource's id) get `max_bulk_body_bytes`; every other route gets
    `max_body_bytes`. The body is read here (it is bounded by the cap) and handed on whole.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_bulk_body_bytes: int,
        max_json_depth: int,
        bulk_paths: Iterable[str] = (),
        bulk_suffixes: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_bulk_body_bytes = max_bulk_body_bytes
        self.max_json_depth = max_json_depth
        self.bulk_paths = frozenset(bulk_paths)
        self.bulk_suffixes = tuple(bulk_suffixes)

    def cap_for(self, path: str) -> int:
        bulk = path in self.bulk_paths or (
            bool(self.bulk_suffixes) and path.endswith(self.bulk_suffixes)
        )
        return self.max_bulk_body_bytes if bulk else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cap = self.cap_for(scope["path"])
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isascii() or not declared.isdigit():
                await _refuse(scope, receive, send, 400, "bad_request", "malformed Content-Length")
                return
            if int(declared) > cap:
                await _too_large(scope, receive, send, cap)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before the body was complete: nothing to serve.
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _too_large(scope, receive, send, cap)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if (
            body.count(b"[") + body.count(b"{") > self.max_json_depth
            and _parsed_as_json(headers)
            and json_depth(body) > self.max_json_depth
        ):
            await _refuse(
                scope,
                receive,
                send,
                400,
                "json_too_deep",
                f"the JSON body nests deeper than {self.max_json_depth} levels",
                {"max_depth": self.max_json_depth},
            )
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as before

        await self.app(scope, replay, send)


async def _too_large(scope: Scope, receive: Receive, send: Send, cap: int) -> None:
    await _refuse(
        scope,
        receive,
        send,
        413,
        "payload_too_large",
        f"the request body is larger than the {cap} bytes this endpoint accepts",
        {"max_bytes": cap},
        close=True,
    )


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    message: str,
    details: object = None,
    *,
    close: bool = False,
) -> None:
    # The rest of a refused body is never read: the connection cannot be reused after it.
    headers = {"Connection": "close"} if close else None
    response = error_json(status, code, message, details, headers)
    await response(scope, receive, send)
