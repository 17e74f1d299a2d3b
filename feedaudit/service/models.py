"""The API's documents (pydantic models: the OpenAPI schema is generated from them) and how an audit
row becomes one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from feedaudit.report.json import FindingModel, finding_record
from feedaudit.service.results import FORMATS, unpack_findings
from feedaudit.service.store import Audit, Batch

API = "/api/v1"


class AuditRequest(BaseModel):
    """A feed URL to audit (`application/json`); files are sent as multipart or as the request body."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="The feed's http(s) URL.", max_length=4096)
    profile: str | None = Field(default=None, description="Marketplace profile (default: from the feed's dialect).")
    select: list[str] | None = Field(default=None, description="Rules to run: codes, prefixes or ALL.")
    ignore: list[str] | None = Field(default=None, description="Rules to skip: codes, prefixes or ALL.")
    inventory: str | None = Field(default=None, description="Name of an inventory configured on the server.")
    webhook_url: str | None = Field(default=None, description="POSTed to when the audit ends.", max_length=4096)
    webhook_secret: str | None = Field(
        default=None, min_length=16, max_length=256, description="Key of the webhook's HMAC-SHA256 signature."
    )
    shop: str | None = Field(default=None, description="Admin tokens only: the shop the audit is for.")


MAX_BATCH = 1000  # audits in one batch; a larger batch is refused whole (422)


class BatchAuditRequest(AuditRequest):
    """One audit of a batch: a feed URL, or in a multipart batch the file name of one of its `feed` parts."""

    url: str | None = Field(default=None, description="The feed's http(s) URL (or `file`).", max_length=4096)  # type: ignore[assignment]
    file: str | None = Field(
        default=None,
        description="Multipart batches: the file name of the request's `feed` part to audit (or `url`).",
        max_length=255,
    )

    @model_validator(mode="after")
    def _url_or_file(self) -> BatchAuditRequest:
        if (self.url is None) == (self.file is None):
            raise ValueError("give either url or file")
        return self


class BatchRequest(BaseModel):
    """Feeds to audit, each its own audit: `application/json`, or in `multipart/form-data` as the field
    `audits` with the files as `feed` parts."""

    model_config = ConfigDict(extra="forbid")

    audits: list[BatchAuditRequest] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"At most {MAX_BATCH}, each as `POST /api/v1/audits` takes it; `shop` for admin tokens.",
    )


class ItemError(BaseModel):
    status: int = Field(description="The status a submission of this item alone would have had: 403 or 422.")
    detail: str


class BatchItem(BaseModel):
    """One item of a batch, at its index in the request: its audit, or why it was refused."""

    index: int
    id: str | None = Field(description="The item's audit, when it was queued.")
    shop: str | None
    error: ItemError | None


class BatchSubmitted(BaseModel):
    """What a batch submission answers: an item per item asked for, in order."""

    id: str
    submitted_at: datetime
    accepted: int
    refused: int
    items: list[BatchItem]
    links: dict[str, str]


class BatchView(BaseModel):
    """A batch: its audits in the order asked for, with their status, and the items refused."""

    id: str
    shop: str = Field(description="The shop of the token that submitted the batch.")
    submitted_at: datetime
    size: int = Field(description="Items asked for, accepted or refused.")
    counts: dict[str, int] = Field(description="Audits of the batch by status: queued, running, done, failed.")
    finished: bool = Field(description="Whether every audit of the batch is done or failed.")
    audits: list[AuditView]
    refused: list[BatchItem]
    links: dict[str, str]


class AuditOptions(BaseModel):
    profile: str | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    inventory: str | None = None


class Progress(BaseModel):
    bytes_read: int
    bytes_total: int | None
    fraction: float | None = Field(description="Share of the feed read, when its size is known.")


class AuditSummary(BaseModel):
    dialect: str | None
    offers: int
    findings: int
    by_severity: dict[str, int]
    by_code: dict[str, int]
    elapsed_seconds: float


class AuditView(BaseModel):
    """An audit's status, and where its report is once it is done."""

    id: str
    shop: str
    status: Literal["queued", "running", "done", "failed"]
    kind: Literal["url", "upload"]
    feed: str = Field(description="The feed's URL or uploaded file name, as the findings name it.")
    options: AuditOptions
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: Progress
    summary: AuditSummary | None
    error: str | None
    links: dict[str, str]


class AuditList(BaseModel):
    audits: list[AuditView]


class Delta(BaseModel):
    """What changed against the shop's previous audit of the same feed (same URL or file name)."""

    id: str
    new: list[FindingModel]
    resolved: list[FindingModel]
    still_open: int
    carried_over: int = Field(description="Earlier findings kept open because the feed was not read to the end.")


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    queued: int


class Problem(BaseModel):
    detail: str


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def audit_view(audit: Audit) -> AuditView:
    base = f"{API}/audits/{audit.id}"
    links = {"self": base, "page": f"/audits/{audit.id}"}
    summary = None
    if audit.status == "done" and audit.summary is not None:
        feed = audit.summary["feed"]
        summary = AuditSummary(
            dialect=feed["dialect"],
            offers=feed["offers"],
            findings=audit.summary["findings"],
            by_severity=audit.summary["by_severity"],
            by_code=feed["by_code"],
            elapsed_seconds=audit.summary["elapsed_seconds"],
        )
        links |= {"delta": f"{base}/delta"} | {f"report_{fmt}": f"{base}/report/{fmt}" for fmt in FORMATS}
    total = audit.bytes_total
    read = audit.bytes_read
    if audit.status == "done" and summary is not None:
        read = audit.summary["feed"]["bytes_read"] if audit.summary else read
        total = total if total is not None else read
    fraction = None
    if audit.status == "done":
        fraction = 1.0
    elif total:
        fraction = round(min(read / total, 1.0), 4)
    return AuditView(
        id=audit.id,
        shop=audit.shop,
        status=audit.status,  # type: ignore[arg-type]
        kind=audit.kind,  # type: ignore[arg-type]
        feed=audit.name,
        options=AuditOptions(**audit.options),
        submitted_at=_utc(audit.submitted_at),  # type: ignore[arg-type]
        started_at=_utc(audit.started_at),
        finished_at=_utc(audit.finished_at),
        progress=Progress(bytes_read=read, bytes_total=total, fraction=fraction),
        summary=summary,
        error=audit.error,
        links=links,
    )


def batch_links(batch_id: str) -> dict[str, str]:
    base = f"{API}/batches/{batch_id}"
    return {"self": base, "report_jsonl": f"{base}/report/jsonl"}


def batch_view(batch: Batch, audits: list[Audit]) -> BatchView:
    views = [audit_view(audit) for audit in audits]
    counts = dict.fromkeys(("queued", "running", "done", "failed"), 0)
    for audit in audits:
        counts[audit.status] += 1
    return BatchView(
        id=batch.id,
        shop=batch.shop,
        submitted_at=_utc(batch.submitted_at),  # type: ignore[arg-type]
        size=batch.size,
        counts=counts,
        finished=counts["queued"] == counts["running"] == 0,
        audits=views,
        refused=[
            BatchItem(index=item["index"], id=None, shop=item.get("shop"), error=ItemError(**item["error"]))
            for item in batch.refused
        ],
        links=batch_links(batch.id),
    )


def delta_view(audit: Audit, blob: bytes | None) -> Delta:
    stored: dict[str, Any] = audit.delta or {}
    new_prints = set(stored.get("new", []))
    new = [FindingModel(**finding_record(f)) for f in unpack_findings(blob) if f.fingerprint in new_prints]
    return Delta(
        id=audit.id,
        new=new,
        resolved=[FindingModel(**row) for row in stored.get("resolved", [])],
        still_open=int(stored.get("still_open", 0)),
        carried_over=int(stored.get("carried_over", 0)),
    )
