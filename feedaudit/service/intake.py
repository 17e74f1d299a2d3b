"""Taking a submission in: a feed URL (JSON or a form field) or a feed file (a multipart upload or the
raw request body, plain or gzip), read as a stream under the upload cap, and the options checked,
before anything is queued. Used by the API and by the web page alike."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.types import Message

from feedaudit import profiles
from feedaudit.feeds.source import is_url
from feedaudit.section import describe_validation_error
from feedaudit.service.addresses import refusal
from feedaudit.service.models import MAX_BATCH, AuditRequest, BatchAuditRequest
from feedaudit.service.settings import ServiceSettings

RAW_TYPES = frozenset(
    {
        "application/xml",
        "text/xml",
        "application/gzip",
        "application/x-gzip",
        "application/octet-stream",
        "application/zip",
    }
)
JSON_LIMIT = 64 * 1024
BATCH_JSON_LIMIT = 16 * 1024**2  # MAX_BATCH items of long URLs and webhooks fit
MULTIPART_OVERHEAD = 64 * 1024
DRAIN_LIMIT = 64 * 1024**2  # what is read and dropped past the cap, so the client can read the 413
CHUNK = 256 * 1024
SHOP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class IntakeError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(slots=True)
class Submission:
    kind: str  # url, upload
    source: str  # the URL, or the stored upload's path
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    shop: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


def too_large(settings: ServiceSettings) -> IntakeError:
    return IntakeError(413, f"the upload is larger than the server's limit of {settings.max_upload_bytes:,} bytes")


def capped(request: Request, limit: int, error: IntakeError) -> Request:
    """The same request with a body that raises `error` once more than `limit` bytes arrived (after
    reading and dropping the rest, up to DRAIN_LIMIT, so the client gets to read the answer)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit + DRAIN_LIMIT:
        raise error
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                more = message.get("more_body", False)
                while more and received < limit + DRAIN_LIMIT:
                    extra = await request.receive()
                    received += len(extra.get("body", b""))
                    more = extra.get("more_body", False)
                raise error
        return message

    return Request(request.scope, receive)


async def read_submission(
    request: Request, settings: ServiceSettings, *, fields: dict[str, Any] | None = None
) -> Submission:
    """The submission in `request` (the upload, if any, already stored), or IntakeError."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json":
        body = await capped(request, JSON_LIMIT, IntakeError(413, "the JSON body is too large")).body()
        try:
            asked = AuditRequest.model_validate_json(body)
        except ValidationError as exc:
            raise IntakeError(422, describe_validation_error(exc)) from exc
        submission = _from_request(asked)
    elif media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        submission = await _from_form(request, settings)
    elif media in RAW_TYPES:
        query = request.query_params
        submission = Submission("upload", "", query.get("name") or "feed.xml", shop=query.get("shop"))
        submission.options = {
            "profile": query.get("profile") or None,
            "select": _codes(query.getlist("select")),
            "ignore": _codes(query.getlist("ignore")),
            "inventory": query.get("inventory") or None,
        }
        submission.webhook_url = query.get("webhook_url") or None
        submission.webhook_secret = query.get("webhook_secret") or None
        submission.source = str(
            await _store_stream(
                capped(request, settings.max_upload_bytes, too_large(settings)), settings, submission.id
            )
        )
    else:
        raise IntakeError(
            415,
            "send application/json with a feed URL, multipart/form-data with a file, "
            "or the feed itself as application/xml or application/gzip",
        )
    check(submission, settings)
    return submission


def _from_request(asked: AuditRequest) -> Submission:
    submission = Submission("url", asked.url, asked.url, shop=asked.shop)
    submission.options = {
        "profile": asked.profile,
        "select": asked.select,
        "ignore": asked.ignore,
        "inventory": asked.inventory,
    }
    submission.webhook_url, submission.webhook_secret = asked.webhook_url, asked.webhook_secret
    return submission


@dataclass(slots=True)
class BatchBody:
    """A batch as it arrived: its items, still unchecked, and in a multipart batch its files by name."""

    items: list[Any]
    files: dict[str, IO[bytes]] = field(default_factory=dict)
    form: FormData | None = None

    async def close(self) -> None:
        if self.form is not None:
            await self.form.close()


async def read_batch(request: Request, settings: ServiceSettings) -> BatchBody:
    """A batch submission: `{"audits": [...]}` as the JSON body, or as the multipart field `audits` with
    the files as `feed` parts (all of them under the upload cap together). IntakeError (the whole batch
    refused) for a body that is not that, empty, of more than MAX_BATCH items, or with two files of one
    name or a file no item names."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json":
        body = await capped(request, BATCH_JSON_LIMIT, IntakeError(413, "the JSON body is too large")).body()
        return BatchBody(_batch_items(body))
    if media != "multipart/form-data":
        raise IntakeError(
            415, 'send application/json, {"audits": [{"url": …}, …]}, or multipart/form-data with the files'
        )
    limited = capped(request, settings.max_upload_bytes + MULTIPART_OVERHEAD + BATCH_JSON_LIMIT, too_large(settings))
    form = await limited.form(max_files=MAX_BATCH, max_fields=1, max_part_size=BATCH_JSON_LIMIT)
    batch = BatchBody([], form=form)
    try:
        asked = form.get("audits")
        if not isinstance(asked, str):
            raise IntakeError(422, 'a multipart batch has a field "audits": {"audits": [...]} as JSON')
        batch.items = _batch_items(asked.encode("utf-8"))
        for upload in form.getlist("feed"):
            if not isinstance(upload, UploadFile):
                raise IntakeError(422, "feed: a file part")
            name = _file_name(upload.filename)
            if name in batch.files:
                raise IntakeError(422, f"feed: two files named {name!r}; file names are what items name")
            batch.files[name] = upload.file
        named = {item["file"] for item in batch.items if isinstance(item, dict) and isinstance(item.get("file"), str)}
        unnamed = sorted(set(batch.files) - named)
        if unnamed:
            raise IntakeError(422, f"feed: no item names the file {unnamed[0]!r}")
    except BaseException:
        await batch.close()
        raise
    return batch


def _batch_items(body: bytes) -> list[Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntakeError(422, f"the body is not JSON: {exc}") from exc
    if not isinstance(document, dict) or set(document) != {"audits"} or not isinstance(document["audits"], list):
        raise IntakeError(422, 'the body is {"audits": [...]}: a list of audits, each as POST /api/v1/audits takes it')
    items: list[Any] = document["audits"]
    if not items:
        raise IntakeError(422, "audits: the batch is empty")
    if len(items) > MAX_BATCH:
        raise IntakeError(422, f"audits: at most {MAX_BATCH} in a batch, not {len(items)}; send several batches")
    return items


def batch_submission(
    item: Any, settings: ServiceSettings, refusals: dict[tuple[str, ...], str | None], files: dict[str, IO[bytes]]
) -> Submission:
    """One item of a batch as a checked submission (a file's not yet stored: `store_file`), or IntakeError
    (422) for that item alone. `refusals` keeps the address guard's answer per host within the batch (many
    feeds of a batch share a host)."""
    try:
        asked = BatchAuditRequest.model_validate(item)
    except ValidationError as exc:
        raise IntakeError(422, describe_validation_error(exc)) from exc
    options = {"profile": asked.profile, "select": asked.select, "ignore": asked.ignore, "inventory": asked.inventory}
    if asked.file is not None:
        if asked.file not in files:
            raise IntakeError(422, f"file: no file {asked.file!r} in this request (send it as a part named feed)")
        submission = Submission("upload", "", asked.file, options, shop=asked.shop)
    else:
        assert asked.url is not None
        submission = Submission("url", asked.url, asked.url, options, shop=asked.shop)
    submission.webhook_url, submission.webhook_secret = asked.webhook_url, asked.webhook_secret
    check(submission, settings, refusals)
    return submission


def store_file(data: IO[bytes], settings: ServiceSettings, audit_id: str) -> Path:
    """A batch's file, copied to the uploads directory for one audit (the same file may serve several);
    IntakeError (422) when it is empty."""
    target = _upload_path(settings, audit_id)
    data.seek(0)
    with _upload_file(target) as out:
        shutil.copyfileobj(data, out, CHUNK)
        if out.tell() == 0:
            raise IntakeError(422, "file: the file is empty")
    return target


async def _from_form(request: Request, settings: ServiceSettings) -> Submission:
    limited = capped(request, settings.max_upload_bytes + MULTIPART_OVERHEAD, too_large(settings))
    form = await limited.form(max_files=1, max_fields=20)
    try:
        upload = form.get("feed")
        url = str(form.get("url") or "").strip()
        options = {
            "profile": str(form.get("profile") or "").strip() or None,
            "select": _codes([str(v) for v in form.getlist("select")]),
            "ignore": _codes([str(v) for v in form.getlist("ignore")]),
            "inventory": str(form.get("inventory") or "").strip() or None,
        }
        webhook_url = str(form.get("webhook_url") or "").strip() or None
        webhook_secret = str(form.get("webhook_secret") or "").strip() or None
        shop = str(form.get("shop") or "").strip() or None
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            if url:
                raise IntakeError(422, "give either a feed URL or a file, not both")
            submission = Submission(
                "upload", "", _file_name(upload.filename), options, webhook_url, webhook_secret, shop
            )
            submission.source = str(await _store_upload(upload, settings, submission.id))
        elif url:
            submission = Submission("url", url, url, options, webhook_url, webhook_secret, shop)
        else:
            raise IntakeError(422, "give a feed URL or choose a feed file")
    finally:
        await form.close()
    return submission


def check(
    submission: Submission, settings: ServiceSettings, refusals: dict[tuple[str, ...], str | None] | None = None
) -> None:
    """Refuse what would only fail later: bad URLs and addresses, unknown profiles and inventories."""
    options = submission.options
    if submission.kind == "url":
        if not is_url(submission.source):
            raise IntakeError(422, "url: only http:// and https:// feed URLs can be fetched")
        refused = _refusal(submission.source, settings, refusals)
        if refused is not None:
            raise IntakeError(422, f"url: {refused}")
    profile = options.get("profile")
    if profile is not None and profile not in profiles.names():
        raise IntakeError(422, f"profile: unknown profile {profile!r} (one of: {', '.join(profiles.names())})")
    inventory = options.get("inventory")
    if inventory is not None and inventory not in settings.inventories:
        known = ", ".join(sorted(settings.inventories)) or "none is configured"
        raise IntakeError(422, f"inventory: no inventory {inventory!r} on this server ({known})")
    if (submission.webhook_url is None) != (submission.webhook_secret is None):
        raise IntakeError(422, "webhook_url and webhook_secret go together")
    if submission.webhook_url is not None:
        if not is_url(submission.webhook_url):
            raise IntakeError(422, "webhook_url: only http:// and https:// URLs")
        refused = _refusal(submission.webhook_url, settings, refusals)
        if refused is not None:
            raise IntakeError(422, f"webhook_url: {refused}")
        if len(submission.webhook_secret or "") < 16:
            raise IntakeError(422, "webhook_secret: at least 16 characters")
    if submission.shop is not None and not SHOP_NAME.match(submission.shop):
        raise IntakeError(422, "shop: letters, digits, '.', '_' and '-', at most 64")


def _refusal(url: str, settings: ServiceSettings, known: dict[tuple[str, ...], str | None] | None) -> str | None:
    """The address guard's answer for `url`, once per scheme, host and port in `known`."""
    if known is None:
        return refusal(url, settings.allow_private)
    try:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", str(parts.port))
    except ValueError:
        return refusal(url, settings.allow_private)
    if key not in known:
        known[key] = refusal(url, settings.allow_private)
    return known[key]


def _codes(values: list[str]) -> list[str] | None:
    codes = [part.strip().upper() for value in values for part in value.split(",") if part.strip()]
    return codes or None


def _file_name(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    return base[:200] or "feed.xml"


def _upload_path(settings: ServiceSettings, audit_id: str) -> Path:
    directory = settings.uploads_dir
    if not directory.is_dir():  # made when the service starts; again if removed meanwhile
        directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{audit_id}.feed"


async def _store_stream(request: Request, settings: ServiceSettings, audit_id: str) -> Path:
    """Write the raw request body to the uploads directory (under the cap, which `request` enforces)."""
    target = _upload_path(settings, audit_id)
    with _upload_file(target) as out:
        async for chunk in request.stream():
            out.write(chunk)
        if out.tell() == 0:
            raise IntakeError(422, "the request body is empty: send the feed file")
    return target


async def _store_upload(upload: UploadFile, settings: ServiceSettings, audit_id: str) -> Path:
    target = _upload_path(settings, audit_id)
    size = 0
    with _upload_file(target) as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > settings.max_upload_bytes:
                raise too_large(settings)
            out.write(chunk)
        if size == 0:
            raise IntakeError(422, "the uploaded file is empty")
    return target


@contextlib.contextmanager
def _upload_file(target: Path) -> Iterator[IO[bytes]]:
    """A file written in the uploads directory that appears at `target` only when the block ends without
    an error (a temporary name until then, removed on an error), so no audit sees half a feed."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
