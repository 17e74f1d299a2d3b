"""The JSON API under /api/v1: submit, status, list, report, delta, health; batches of audits."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from feedaudit._version import __version__
from feedaudit.report.json import finding_record
from feedaudit.report.safe import json_text
from feedaudit.service.intake import (
    BatchBody,
    IntakeError,
    Submission,
    batch_submission,
    read_batch,
    read_submission,
    store_file,
)
from feedaudit.service.models import (
    MAX_BATCH,
    AuditList,
    AuditRequest,
    AuditView,
    BatchAuditRequest,
    BatchItem,
    BatchSubmitted,
    BatchView,
    Delta,
    Health,
    ItemError,
    Problem,
    audit_view,
    batch_links,
    batch_view,
    delta_view,
)
from feedaudit.service.results import FORMATS, MEDIA_TYPES, file_name, render, unpack_findings
from feedaudit.service.settings import ServiceSettings
from feedaudit.service.store import (
    Audit,
    Batch,
    BatchQueueFullError,
    BatchTooManyActiveError,
    NewAudit,
    QueueFullError,
    Token,
    TooManyActiveError,
)

PREFIX = "/api/v1"
QUEUE_FULL_RETRY = 30
INLINE_REPORT_FINDINGS = 50  # reports of this many findings at most render in well under a millisecond
BUSY_RETRY = 5
INLINE_BATCH_AUDITS = 50  # a batch of this many audits at most is read and shown on the event loop
BATCH_PAGE = 100  # audits of a batch whose findings are read from the database at a time
STREAM_CHUNK = 256 * 1024  # the batch report is sent in pieces of about this many characters

router = APIRouter(prefix=PREFIX)
bearer = HTTPBearer(auto_error=False, description="An API token made with `feedaudit serve token create`.")


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def _service(request: Request) -> Any:
    return request.app.state.service


def authorize(service: Any, secret: str | None) -> Token:
    """The token behind `secret`, within its rate; ApiError 401 or 429 otherwise."""
    token: Token | None = service.store.token_for(secret) if secret else None
    if token is None:
        raise ApiError(401, "a valid API token is needed: Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"})
    wait = service.limiter.take(token.id, token.rate_per_minute)
    if wait:
        raise ApiError(
            429, f"rate limit: {token.rate_per_minute} requests a minute for this token", {"Retry-After": str(wait)}
        )
    return token


async def api_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Token:
    service = _service(request)
    token: Token = await service.read(authorize, service, credentials.credentials if credentials is not None else None)
    return token


TokenDep = Annotated[Token, Depends(api_token)]
AuditId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The audit's id.")]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid token."},
    429: {"model": Problem, "description": "Rate or concurrency limit of the token; see Retry-After."},
}

SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": AuditRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "feed": {"type": "string", "format": "binary", "description": "The feed file, plain or gzip."},
                        "url": {"type": "string", "description": "Or the feed's URL."},
                        "profile": {"type": "string"},
                        "select": {"type": "string", "description": "Comma-separated rule selectors."},
                        "ignore": {"type": "string", "description": "Comma-separated rule selectors."},
                        "inventory": {"type": "string"},
                        "webhook_url": {"type": "string"},
                        "webhook_secret": {"type": "string"},
                        "shop": {"type": "string", "description": "Admin tokens only."},
                    },
                }
            },
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
            "application/gzip": {"schema": {"type": "string", "format": "binary"}},
        },
        "description": (
            "A feed URL as JSON; a file as multipart/form-data (field `feed`); or the file itself as the "
            "body, with the options (`name`, `profile`, `select`, `ignore`, `inventory`, `webhook_url`, "
            "`webhook_secret`, `shop`) in the query string."
        ),
    },
    "parameters": [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in ("name", "profile", "select", "ignore", "inventory", "webhook_url", "webhook_secret", "shop")
    ],
}


@router.get("/health", response_model=Health, tags=["service"])
async def health(request: Request) -> Health:
    """Whether the service answers, and how many audits wait in the queue."""
    store = _service(request).store
    return Health(status="ok", version=__version__, queued=await _service(request).read(store.queued_count))


async def queue_submission(service: Any, submission: Submission, token: Token) -> Audit:
    """Queue a checked submission for `token`; the limits decide 429 or 503."""
    if not token.admin and submission.shop not in (None, token.shop):
        raise ApiError(403, "a shop's token submits for its own shop only")
    new = _new_audit(submission, token)
    settings = service.settings
    try:
        audit: Audit = await asyncio.to_thread(
            service.store.submit, new, max_active=token.max_active, queue_limit=settings.queue_limit
        )
    except QueueFullError:
        _drop_upload(submission)
        raise ApiError(
            503,
            f"the queue is full ({settings.queue_limit} audits); try again later",
            {"Retry-After": str(QUEUE_FULL_RETRY)},
        ) from None
    except TooManyActiveError:
        _drop_upload(submission)
        raise ApiError(
            429,
            f"this token already has {token.max_active} audits queued or running; wait for one to finish",
            {"Retry-After": str(BUSY_RETRY)},
        ) from None
    service.queued()
    return audit


def _drop_upload(submission: Submission) -> None:
    if submission.kind == "upload":
        from pathlib import Path as FilePath  # noqa: PLC0415

        FilePath(submission.source).unlink(missing_ok=True)


@router.post(
    "/audits",
    status_code=202,
    response_model=AuditView,
    tags=["audits"],
    openapi_extra=SUBMIT_BODY,
    responses={
        **ERRORS,
        413: {"model": Problem, "description": "The upload is larger than the server's limit."},
        415: {"model": Problem, "description": "Unsupported content type."},
        422: {"model": Problem, "description": "A bad option, or a URL the address guard refuses."},
        503: {"model": Problem, "description": "The queue is full; see Retry-After."},
    },
)
async def submit(request: Request, response: Response, token: TokenDep) -> AuditView:
    """Queue an audit of a feed URL or an uploaded feed file."""
    service = _service(request)
    try:
        submission = await read_submission(request, service.settings)
    except IntakeError as exc:
        raise ApiError(exc.status, exc.detail) from None
    audit = await queue_submission(service, submission, token)
    response.headers["Location"] = f"{PREFIX}/audits/{audit.id}"
    return audit_view(audit)


@router.get("/audits", response_model=AuditList, tags=["audits"], responses=ERRORS)
def list_audits(
    request: Request,
    token: TokenDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
    shop: Annotated[str | None, Query(description="Admin tokens: only this shop's audits.")] = None,
) -> AuditList:
    """The most recent audits of the token's shop (an admin token: of every shop), newest first."""
    scope = shop if token.admin else token.shop
    audits = _service(request).store.list(scope, limit=limit, status=status)
    return AuditList(audits=[audit_view(audit) for audit in audits])


async def _find(request: Request, audit_id: str, token: Token, wait: float) -> Audit:
    audit: Audit | None = await _service(request).wait_for(audit_id, token, wait)
    if audit is None:
        raise ApiError(404, "no such audit")
    return audit


Wait = Annotated[float, Query(ge=0, le=60, description="Seconds to wait for the audit to finish first.")]


@router.get(
    "/audits/{audit_id}", response_model=AuditView, tags=["audits"], responses={**ERRORS, 404: {"model": Problem}}
)
async def get_audit(request: Request, audit_id: AuditId, token: TokenDep, wait: Wait = 0) -> AuditView:
    """An audit's status and progress."""
    return audit_view(await _find(request, audit_id, token, wait))


def finished(audit: Audit) -> None:
    if audit.status == "failed":
        raise ApiError(409, f"the audit failed: {audit.error}")
    if audit.status != "done":
        raise ApiError(409, f"the audit is {audit.status}; its report is ready when it is done", {"Retry-After": "1"})


@router.get(
    "/audits/{audit_id}/report/{output_format}",
    tags=["audits"],
    responses={
        **ERRORS,
        404: {"model": Problem},
        409: {"model": Problem, "description": "The audit has not finished, or failed."},
        200: {
            "description": "The report, as `feedaudit check --output-format FORMAT` writes it.",
            "content": {media.split(";")[0]: {} for media in MEDIA_TYPES.values()},
        },
    },
)
async def get_report(
    request: Request,
    audit_id: AuditId,
    output_format: Annotated[str, Path(pattern="^(" + "|".join(FORMATS) + ")$", description="An output format.")],
    token: TokenDep,
    wait: Wait = 0,
    download: Annotated[bool, Query(description="Send it as an attachment with a file name.")] = False,
) -> Response:
    """The report of a finished audit in any output format."""
    audit = await _find(request, audit_id, token, wait)
    return await report_response(request, audit, output_format, download=download)


async def report_response(request: Request, audit: Audit, output_format: str, *, download: bool) -> Response:
    finished(audit)
    summary = audit.summary
    assert summary is not None
    service = _service(request)

    def report() -> str:
        return render(output_format, summary, unpack_findings(service.store.findings_blob(audit.id)))

    if summary.get("findings", INLINE_REPORT_FINDINGS + 1) <= INLINE_REPORT_FINDINGS:
        text = await service.read(report)  # a short report: rendered in less time than a hand-off takes
    else:
        text = await asyncio.to_thread(report)  # off the event loop, in one hand-off
    headers = {}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{file_name(audit.id, output_format)}"'
    return Response(text, media_type=MEDIA_TYPES[output_format], headers=headers)


@router.get(
    "/audits/{audit_id}/delta",
    response_model=Delta,
    tags=["audits"],
    responses={**ERRORS, 404: {"model": Problem}, 409: {"model": Problem}},
)
async def get_delta(request: Request, audit_id: AuditId, token: TokenDep, wait: Wait = 0) -> Delta:
    """New and resolved findings against the shop's previous audit of the same feed."""
    audit = await _find(request, audit_id, token, wait)
    finished(audit)
    if audit.delta is None:
        raise ApiError(409, "this audit was recorded without its delta (the shop's history was unavailable)")
    blob = await asyncio.to_thread(_service(request).store.findings_blob, audit.id)
    return delta_view(audit, blob)


# -- batches ------------------------------------------------------------------------------------

BatchId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The batch's id.")]

_BATCH_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["audits"],
    "properties": {
        "audits": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_BATCH,
            "items": BatchAuditRequest.model_json_schema(),
            "description": (
                f"At most {MAX_BATCH} feeds, each as `POST /api/v1/audits` takes a feed URL as JSON (`shop` names "
                "the shop of each, with an admin token), or `file` instead of `url` in a multipart batch."
            ),
        }
    },
}
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _BATCH_SCHEMA},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["audits"],
                    "properties": {
                        "audits": {
                            "type": "string",
                            "description": 'The batch as JSON, `{"audits": [...]}`; an item names its file by `file`.',
                        },
                        "feed": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "The files (plain, gzip or zip), each with its own file name.",
                        },
                    },
                }
            },
        },
        "description": (
            "Feeds to audit, each its own audit: feed URLs as JSON; or, with files, multipart/form-data with the "
            "batch as the field `audits` and the files as `feed` parts (all of them under the upload cap)."
        ),
    }
}


def _refused(index: int, item: Any, status: int, detail: str) -> dict[str, Any]:
    shop = item.get("shop") if isinstance(item, dict) else None
    return {
        "index": index,
        "shop": shop if isinstance(shop, str) else None,
        "error": {"status": status, "detail": detail},
    }


def _queue_batch(service: Any, body: BatchBody, token: Token) -> tuple[Batch, list[dict[str, Any]], list[NewAudit]]:
    """Check every item (the refused ones answered with their reason) and queue the others, all or none
    (in a thread: the address guard resolves host names, files are copied, and the queue is written)."""
    settings: ServiceSettings = service.settings
    refusals: dict[tuple[str, ...], str | None] = {}
    accepted: list[tuple[int, NewAudit]] = []
    refused: list[dict[str, Any]] = []
    stored: list[Submission] = []
    try:
        for index, item in enumerate(body.items):
            try:
                submission = batch_submission(item, settings, refusals, body.files)
                if not token.admin and submission.shop not in (None, token.shop):
                    raise IntakeError(403, "a shop's token submits for its own shop only")
                if submission.kind == "upload":
                    submission.source = str(store_file(body.files[submission.name], settings, submission.id))
                    stored.append(submission)
            except IntakeError as exc:
                refused.append(_refused(index, item, exc.status, exc.detail))
                continue
            accepted.append((index, _new_audit(submission, token)))
        new_audits = [new for _index, new in accepted]
        batch = service.store.submit_batch(
            new_audits,
            batch_id=uuid.uuid4().hex,
            shop=token.shop,
            token_id=token.id,
            admin=token.admin,
            size=len(body.items),
            refused=refused,
            max_active=token.max_active,
            queue_limit=settings.queue_limit,
        )
    except BaseException:
        for submission in stored:
            _drop_upload(submission)
        raise
    answers: list[dict[str, Any]] = [
        {"index": index, "id": new.id, "shop": new.shop, "error": None} for index, new in accepted
    ]
    answers = sorted(answers + refused, key=lambda answer: int(answer["index"]))
    return batch, answers, new_audits


def _new_audit(submission: Submission, token: Token) -> NewAudit:
    """The audit to queue for a checked submission: an admin's for the shop it names, a shop token's for its shop."""
    shop = (submission.shop or token.shop) if token.admin else token.shop
    return NewAudit(
        shop,
        token.id,
        submission.kind,
        submission.source,
        submission.name,
        submission.options,
        submission.webhook_url,
        submission.webhook_secret,
        id=submission.id,
    )


@router.post(
    "/batches",
    status_code=202,
    response_model=BatchSubmitted,
    tags=["batches"],
    openapi_extra=BATCH_BODY,
    responses={
        401: ERRORS[401],
        413: {"model": Problem, "description": "The body is too large (the files: past the upload cap)."},
        415: {"model": Problem, "description": "Neither application/json nor multipart/form-data."},
        422: {"model": Problem, "description": f"Not a list of 1 to {MAX_BATCH} audits: nothing was queued."},
        429: {
            "model": Problem,
            "description": "Rate limit, or more audits than the token may still have queued or running: nothing "
            "was queued; see Retry-After.",
        },
        503: {
            "model": Problem,
            "description": "The queue has no room for every audit of the batch: nothing was queued; see Retry-After.",
        },
    },
)
async def submit_batch(request: Request, response: Response, token: TokenDep) -> BatchSubmitted:
    """Queue many audits in one request (feed URLs, or files in a multipart batch): each item is an audit
    of its own (its own id, status, report, delta and webhook), for the token's shop or, with an admin
    token, for the shop it names. An item that is refused (a URL the address guard refuses, a bad
    option, another shop's with a shop's token) is answered with its reason and the others are queued;
    the batch is queued whole or not at all when the queue or the token's concurrency has no room for
    all of it."""
    service = _service(request)
    try:
        body = await read_batch(request, service.settings)
    except IntakeError as exc:
        raise ApiError(exc.status, exc.detail) from None
    settings = service.settings
    try:
        batch, answers, new_audits = await asyncio.to_thread(_queue_batch, service, body, token)
    except BatchQueueFullError as exc:
        raise ApiError(
            503,
            f"the queue has room for {exc.room} more audits (of {settings.queue_limit}) and the batch has "
            f"{exc.asked}: nothing was queued; try again later or send a smaller batch",
            {"Retry-After": str(QUEUE_FULL_RETRY)},
        ) from None
    except BatchTooManyActiveError as exc:
        raise ApiError(
            429,
            f"this token may have {exc.room} more audits queued or running (of {token.max_active}) and the batch "
            f"has {exc.asked}: nothing was queued",
            {"Retry-After": str(BUSY_RETRY)},
        ) from None
    finally:
        await body.close()
    if new_audits:
        service.queued()
    response.headers["Location"] = f"{PREFIX}/batches/{batch.id}"
    return BatchSubmitted(
        id=batch.id,
        submitted_at=batch.submitted_at.replace(tzinfo=UTC),
        accepted=len(new_audits),
        refused=len(answers) - len(new_audits),
        items=[
            BatchItem(
                index=answer["index"],
                id=answer.get("id"),
                shop=answer["shop"],
                error=None if answer["error"] is None else ItemError(**answer["error"]),
            )
            for answer in answers
        ],
        links=batch_links(batch.id),
    )


async def _find_batch(request: Request, batch_id: str, token: Token, wait: float) -> Batch:
    batch: Batch | None = await _service(request).wait_for_batch(batch_id, token, wait)
    if batch is None:
        raise ApiError(404, "no such batch")
    return batch


@router.get(
    "/batches/{batch_id}", response_model=BatchView, tags=["batches"], responses={**ERRORS, 404: {"model": Problem}}
)
async def get_batch(request: Request, batch_id: BatchId, token: TokenDep, wait: Wait = 0) -> BatchView:
    """A batch: the status of each of its audits, in the order asked for (`wait`: until all finished)."""
    batch = await _find_batch(request, batch_id, token, wait)
    service = _service(request)

    def view() -> BatchView:
        return batch_view(batch, service.store.batch_audits(batch.id))

    if len(batch.audit_ids) <= INLINE_BATCH_AUDITS:
        result: BatchView = await service.read(view)
        return result
    return await asyncio.to_thread(view)  # a long one off the event loop, in one hand-off


@router.get(
    "/batches/{batch_id}/report/jsonl",
    tags=["batches"],
    responses={
        **ERRORS,
        404: {"model": Problem},
        409: {"model": Problem, "description": "Some audits of the batch are queued or running."},
        200: {
            "description": (
                "The findings of every audit of the batch that is done, in the order of the batch, one a line as "
                "`feedaudit check --output-format jsonl` writes them, each with `audit` (its id) and `shop` first."
            ),
            "content": {"application/x-ndjson": {}},
        },
    },
)
async def get_batch_report(request: Request, batch_id: BatchId, token: TokenDep, wait: Wait = 0) -> Response:
    """The findings of a finished batch, as JSON Lines (audits that failed have none: see the batch)."""
    batch = await _find_batch(request, batch_id, token, wait)
    service = _service(request)
    statuses = await service.read(service.store.batch_statuses, batch.id)
    active = sum(1 for _id, status in statuses if status not in ("done", "failed"))
    if active:
        raise ApiError(409, f"{active} audits of the batch are queued or running", {"Retry-After": "1"})
    return StreamingResponse(_batch_lines(service, batch), media_type=MEDIA_TYPES["jsonl"])


def _batch_lines(service: Any, batch: Batch) -> Iterator[str]:
    """The batch's findings as JSON Lines, read BATCH_PAGE audits at a time, sent in pieces of about
    STREAM_CHUNK characters (each piece is one hand-off to a thread)."""
    piece: list[str] = []
    size = 0
    for start in range(0, len(batch.audit_ids), BATCH_PAGE):
        for audit_id, shop, blob in service.store.batch_findings(batch.id, start, start + BATCH_PAGE):
            for finding in unpack_findings(blob):
                record = {"audit": audit_id, "shop": shop, **finding_record(finding)}
                line = json_text(json.dumps(record, ensure_ascii=False, separators=(",", ":"))) + "\n"
                piece.append(line)
                size += len(line)
        if size >= STREAM_CHUNK:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)
