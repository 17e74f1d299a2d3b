"""The ASGI application: the API and the web page on one FastAPI app, with the runner started and
stopped with it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request

from feedaudit._version import __version__
from feedaudit.service.limits import RateLimiter
from feedaudit.service.runner import Runner
from feedaudit.service.settings import ServiceSettings
from feedaudit.service.store import Audit, Batch, JobStore, Token

API_DESCRIPTION = """Audit product feeds over HTTP. Every call but `/health` needs `Authorization: Bearer TOKEN`
(tokens are made with `feedaudit serve token create`). A shop's token sees only that shop's audits;
an admin token sees all of them. Submit a feed (a URL as JSON, a file as multipart or as the body),
poll its status, then fetch the report in any output format or the delta against the shop's previous
audit of the same feed."""

T = TypeVar("T")

# How often a waiting request reads its audit again. Audits this process runs wake their waiters when
# they finish; only audits finished by another process (a second instance on the same database, or the
# runner of a serve-only app) are seen by reading again.
RECHECK_LOCAL = 1.0
RECHECK_REMOTE = 0.25


class Completions:
    """Wakes the requests waiting for an audit (`?wait=`) when the runner, in its own threads, finishes it."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def watch(self, audit_id: str) -> asyncio.Future[None]:
        """A future done once the audit finishes here (on the event loop; `forget` it after)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(audit_id, set()).add(waiter)
        return waiter

    def forget(self, audit_id: str, waiter: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(audit_id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._waiters[audit_id]

    def finished(self, audit_id: str) -> None:
        """From any thread: the audit is done or failed, and the database says so.

        The event loop is woken only when a request waits for this audit. A request that starts to wait
        after this check registered after the result was committed, so its own read finds it finished."""
        loop = self._loop
        if audit_id in self._waiters and loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
                loop.call_soon_threadsafe(self._wake, audit_id)

    def _wake(self, audit_id: str) -> None:
        for waiter in self._waiters.pop(audit_id, ()):
            if not waiter.done():
                waiter.set_result(None)


@dataclass(slots=True)
class Service:
    """What the request handlers share."""

    settings: ServiceSettings
    store: JobStore
    runner: Runner | None
    limiter: RateLimiter
    completions: Completions = field(default_factory=Completions)

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)`, a read of the service database: called right here when the database is a
        local SQLite file (a read there takes less than handing it to a thread, and in WAL mode it does not
        waits for a writer), else in a thread, so that the event loop never waits for a database server."""
        if self.store.inline_reads:
            return function(*args)
        return await asyncio.to_thread(function, *args)

    def visible(self, audit_id: str, token: Token) -> Audit | None:
        """The audit if this token may see it (a shop's token: its own shop's audits only)."""
        return self.store.get(audit_id, None if token.admin else token.shop)

    async def wait_for(self, audit_id: str, token: Token, seconds: float) -> Audit | None:
        """The audit, once finished or after `seconds` (at most 60), whichever comes first.

        The waiter is registered before the audit is read, so a finish in between is not missed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(seconds, 0.0), 60.0)
        recheck = RECHECK_LOCAL if self.runner is not None else RECHECK_REMOTE
        while True:
            waiter = self.completions.watch(audit_id)
            try:
                audit = await self.read(self.visible, audit_id, token)
                left = deadline - loop.time()
                if audit is None or audit.status in ("done", "failed") or left <= 0:
                    return audit
                await asyncio.wait({waiter}, timeout=min(left, recheck))
            finally:
                self.completions.forget(audit_id, waiter)

    def visible_batch(self, batch_id: str, token: Token) -> Batch | None:
        """The batch if this token may see it (a shop's token: the batches its shop's tokens submitted)."""
        return self.store.batch(batch_id, None if token.admin else token.shop)

    async def wait_for_batch(self, batch_id: str, token: Token, seconds: float) -> Batch | None:
        """The batch, once all its audits finished or after `seconds` (at most 60), whichever comes first.

        Audits run in the order of the batch, so it waits for the last one not finished (and reads the
        statuses again when that one finishes, or every recheck interval)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(seconds, 0.0), 60.0)
        recheck = RECHECK_LOCAL if self.runner is not None else RECHECK_REMOTE
        batch = await self.read(self.visible_batch, batch_id, token)
        if batch is None:
            return None
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return batch
            statuses = await self.read(self.store.batch_statuses, batch_id)
            active = [audit_id for audit_id, status in statuses if status not in ("done", "failed")]
            if not active:
                return batch
            last = active[-1]
            waiter = self.completions.watch(last)
            try:
                # read again once watched: it may have finished in between, and would wake nobody
                audit = await self.read(self.store.get, last)
                if audit is not None and audit.status not in ("done", "failed"):
                    await asyncio.wait({waiter}, timeout=min(left, recheck))
            finally:
                self.completions.forget(last, waiter)

    def queued(self) -> None:
        if self.runner is not None:
            self.runner.wake.set()


def create_app(settings: ServiceSettings, *, run_audits: bool = True) -> FastAPI:
    """The service; with `run_audits` False it only serves (another process runs the queue)."""
    from feedaudit.service import api, pages  # noqa: PLC0415 - the routes need the app's types

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.uploads_dir.mkdir(exist_ok=True)
    store = JobStore.open(settings.database_url)
    completions = Completions()
    runner = Runner(settings, store, on_finished=completions.finished) if run_audits else None
    service = Service(settings, store, runner, RateLimiter(), completions)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        completions.bind(asyncio.get_running_loop())
        if runner is not None:
            await asyncio.to_thread(runner.start)
        try:
            yield
        finally:
            if runner is not None:
                await asyncio.to_thread(runner.stop)
            store.close()

    app = FastAPI(
        title="feedaudit",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url=f"{api.PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(api.ApiError)
    async def _api_error(_request: Request, exc: api.ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)

    return app


def openapi_document(settings: ServiceSettings | None = None) -> dict[str, object]:
    """The OpenAPI document the service serves (built without opening a database)."""
    from fastapi.openapi.utils import get_openapi  # noqa: PLC0415

    from feedaudit.service import api  # noqa: PLC0415

    return get_openapi(
        title="feedaudit",
        version=__version__,
        description=API_DESCRIPTION,
        routes=api.router.routes,
    )
