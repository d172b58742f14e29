"""The hall's display screens, live (大厅显示屏实时推送): one hub per process, SSE views.

How a screen learns that its centre changed
-------------------------------------------
Every change of the hall appends a :class:`~onewindow.hall.models.TicketEvent`. One thread per
process (the hub) polls the log every ``POLL_SECONDS`` with a single cheap statement::

    SELECT centre_id, MAX(id), COUNT(*), SUM(CASE WHEN id > <next floor> …)
      FROM hall_ticketevent WHERE id > <floor> GROUP BY centre_id

and compares, per centre, the number of rows above the floor with the last poll's. Counting
(not only the maximum id) catches an event whose id was taken before another's but committed
after it (ids are handed out at insert, rows become visible at commit): a row that appears
late inside the look-back window (``LOOKBACK_IDS`` ids under the highest seen) still raises the
count. A safety refresh rebuilds every watched centre each ``REFRESH_SECONDS`` anyway (a change
older than the window, a notice edited in the admin, the day changing at midnight).

For a centre that changed and that a screen watches, the hub thread builds the snapshot
(:func:`onewindow.hall.selectors.display_snapshot`) once, and only pushes it when its content
differs from the last one (a digest). Every screen of that centre receives the same prepared
bytes: screens never query the database; the whole process uses one connection for them.

The stream
----------
``text/event-stream``: a ``retry:`` hint, the current snapshot at once (unless the client's
``Last-Event-ID`` already names it), a new snapshot on every change, a heartbeat every
``HEARTBEAT_SECONDS`` (a ``ping`` event, not a comment: the page sees it and can tell a
half-open connection from a quiet hall), and the end after ``STREAM_SECONDS`` (with jitter)
so that clients reconnect cleanly and spread over the workers. Served by ASGI (``onewindow
serve``), the body is an async iterator that holds no thread; under WSGI (the test server,
``runserver``) it is a plain generator (Django's WSGI handler would otherwise consume an async
iterator to its end).

``screen.json`` is the same snapshot for the polling fallback, with an ETag.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import queue
import random
import signal
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

from django.core.handlers.asgi import ASGIRequest
from django.db import connection, connections
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onewindow.hall.models import TicketEvent
from onewindow.regions.models import ServiceCentre

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2
LOOKBACK_IDS = 2000
REFRESH_SECONDS = 30.0
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 600.0
STREAM_JITTER_SECONDS = 60.0
RETRY_MS = 2000
WATCH_SECONDS = 30.0  # a centre asked for by screen.json or the page stays watched this long
IDLE_STOP_SECONDS = 60.0  # the hub thread ends (and closes its connection) when nobody watches

T = TypeVar("T")


@dataclass(frozen=True)
class Published:
    """One snapshot of a centre, prepared once and shared by all its screens."""

    generation: int
    version: int
    tag: str  # "<last event id>.<digest>": the SSE id and the ETag
    body: bytes  # the JSON
    frame: bytes  # the SSE event


@dataclass
class _Watch:
    subscribers: int = 0
    watch_until: float = 0.0
    published: Published | None = None
    dirty: bool = True
    gone: bool = False
    refreshed_at: float = 0.0
    waiters: set[Subscription] = field(default_factory=set)


@dataclass(eq=False)
class Subscription:
    centre_id: int
    loop: asyncio.AbstractEventLoop | None = None
    event: asyncio.Event | None = None


def _prepare(snapshot: dict[str, Any], generation: int) -> Published:
    body = json.dumps(snapshot, ensure_ascii=False, separators=(",", ":")).encode()
    digest = hashlib.blake2s(body, digest_size=4).hexdigest()
    version = int(snapshot.get("version") or 0)
    tag = f"{version}.{digest}"
    frame = b"id: " + tag.encode() + b"\nevent: snapshot\ndata: " + body + b"\n\n"
    return Published(generation=generation, version=version, tag=tag, body=body, frame=frame)


def _default_build(centre_id: int) -> dict[str, Any] | None:
    from onewindow.hall.selectors import display_snapshot

    centre = ServiceCentre.objects.filter(pk=centre_id, is_active=True).first()
    return None if centre is None else display_snapshot(centre)


class Hub:
    """Per-process watcher of the hall's log; see the module's docstring."""

    def __init__(self, build: Callable[[int], dict[str, Any] | None] | None = None) -> None:
        self.build_snapshot = build or _default_build
        self.poll_seconds = POLL_SECONDS
        self.refresh_seconds = REFRESH_SECONDS
        self.lookback = LOOKBACK_IDS
        self.idle_stop_seconds = IDLE_STOP_SECONDS
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._watches: dict[int, _Watch] = {}
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closing = False  # the server is stopping: every stream ends
        # The poll's state: the floor under which rows are no longer looked at, the highest id
        # seen, and per centre the number of rows above the floor at the last poll.
        self.floor: int | None = None
        self.watermark = 0
        self._counts: dict[int, int] = {}
        self._generation = 0
        self._pragma_done: Any = None
        self.builds = 0  # snapshots built (tests and the bench read it)
        self.polls = 0

    # --- the hub thread ---------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="hall-screen-hub",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        next_poll = 0.0
        idle_since: float | None = None
        try:
            while not self._stopping:
                now = time.monotonic()
                try:
                    self._prepare_connection()
                except Exception as exc:
                    self._db_failed(exc)
                if now >= next_poll:
                    next_poll = now + self.poll_seconds
                    watched = self._expire(now)
                    if watched:
                        idle_since = None
                        self._tick(watched, now)
                    else:
                        idle_since = idle_since or now
                        if now - idle_since > self.idle_stop_seconds and self._jobs.empty():
                            with self._lock:
                                if self._jobs.empty():
                                    self._thread = None
                                    return
                try:
                    job = self._jobs.get(timeout=max(0.0, next_poll - time.monotonic()))
                except queue.Empty:
                    continue
                if job is None:
                    continue
                fn, future = job
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn())
                    except BaseException as exc:  # handed to the waiting caller
                        self._db_failed(exc)
                        future.set_exception(exc)
        finally:
            connections.close_all()
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
            if self._stopping:
                self._fail_pending()

    def _prepare_connection(self) -> None:
        """SQLite's shared-cache mode (the test suite's in-memory database) locks whole tables
        and fails a writer at once, busy timeout or not, while the hub reads: the hub reads
        without table locks there. On a normal SQLite file (WAL) and on PostgreSQL this changes
        nothing."""
        if connection.vendor != "sqlite":
            return
        connection.ensure_connection()
        raw = connection.connection
        if raw is not None and self._pragma_done is not raw:
            raw.execute("PRAGMA read_uncommitted = 1")
            self._pragma_done = raw

    def _fail_pending(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None and job[1].set_running_or_notify_cancel():
                job[1].set_exception(RuntimeError("hub stopped"))

    def _db_failed(self, exc: BaseException) -> None:
        logger.warning("hall screen hub: %s", exc)
        try:
            connection.close()
        except Exception:  # noqa: S110 - the connection is broken anyway; reopened next time
            pass

    def _tick(self, watched: list[int], now: float) -> None:
        try:
            changed = self.poll_once()
        except Exception as exc:
            self._db_failed(exc)
            return
        with self._lock:
            for cid in changed:
                if cid in self._watches:
                    self._watches[cid].dirty = True
        for cid in watched:
            w = self._watches.get(cid)
            if w is None:
                continue
            if w.dirty or now - w.refreshed_at >= self.refresh_seconds:
                try:
                    self.refresh(cid)
                except Exception as exc:
                    self._db_failed(exc)

    def _expire(self, now: float) -> list[int]:
        """Forget centres nobody watches any more (their snapshots would go stale)."""
        with self._lock:
            for cid in [c for c, w in self._watches.items()
                        if w.subscribers <= 0 and w.watch_until < now]:
                del self._watches[cid]
            return list(self._watches)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the thread (tests; a process exit needs nothing: the thread is a daemon)."""
        with self._lock:
            thread = self._thread
            self._stopping = True
        self._jobs.put(None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._lock:
            self._stopping = False
            self._thread = None

    def reset(self) -> None:
        """Shut down and forget everything (between tests)."""
        self.shutdown()
        with self._lock:
            for w in self._watches.values():
                w.gone = True
            self._changed.notify_all()
            self._wake_all_locked()
            self._watches.clear()
            self._counts.clear()
            self._closing = False
            self.floor, self.watermark, self.builds, self.polls = None, 0, 0, 0

    # --- polling and building (called in the hub thread; tests call them directly) ----------

    def poll_once(self) -> set[int]:
        """One look at the log: the centres whose rows above the floor changed since the last
        look. The first look only sets the baseline."""
        table = TicketEvent._meta.db_table  # our own constant, not input
        self.polls += 1
        with connection.cursor() as cur:
            if self.floor is None:
                cur.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
                row = cur.fetchone()
                top = int(row[0] or 0) if row else 0
                floor = max(0, top - self.lookback)
                cur.execute(
                    f"SELECT centre_id, COUNT(*) FROM {table} WHERE id > %s "  # noqa: S608
                    "GROUP BY centre_id", [floor],
                )
                self._counts = {int(c): int(n) for c, n in cur.fetchall()}
                self.floor, self.watermark = floor, top
                return set()
            floor = self.floor
            next_floor = max(floor, self.watermark - self.lookback)
            cur.execute(
                f"SELECT centre_id, MAX(id), COUNT(*), "  # noqa: S608
                f"SUM(CASE WHEN id > %s THEN 1 ELSE 0 END) FROM {table} "
                "WHERE id > %s GROUP BY centre_id",
                [next_floor, floor],
            )
            rows = cur.fetchall()
        seen: dict[int, int] = {}
        next_counts: dict[int, int] = {}
        top = self.watermark
        for centre_id, max_id, count, above in rows:
            seen[int(centre_id)] = int(count)
            next_counts[int(centre_id)] = int(above or 0)
            top = max(top, int(max_id))
        changed = {c for c in seen.keys() | self._counts.keys()
                   if seen.get(c, 0) != self._counts.get(c, 0)}
        self._counts = {c: n for c, n in next_counts.items() if n}
        self.floor, self.watermark = next_floor, top
        return changed

    def refresh(self, centre_id: int) -> Published | None:
        """Build the centre's snapshot and publish it if its content changed."""
        with self._lock:
            w = self._watches.setdefault(centre_id, _Watch())
            w.dirty = False
            w.refreshed_at = time.monotonic()
        try:
            snapshot = self.build_snapshot(centre_id)
        except BaseException:
            with self._lock:
                w.dirty = True
            raise
        self.builds += 1
        with self._lock:
            if snapshot is None:
                w.gone = True
                w.published = None
                self._notify_locked(w)
                return None
            w.gone = False
            current = w.published
            probe = _prepare(snapshot, 0)
            if current is not None and current.tag == probe.tag:
                return current
            self._generation += 1
            w.published = Published(self._generation, probe.version, probe.tag, probe.body,
                                     probe.frame)
            self._notify_locked(w)
            return w.published

    def _notify_locked(self, w: _Watch) -> None:
        self._changed.notify_all()
        for sub in list(w.waiters):
            self._wake(sub)

    def _wake_all_locked(self) -> None:
        for w in self._watches.values():
            for sub in list(w.waiters):
                self._wake(sub)

    @staticmethod
    def _wake(sub: Subscription) -> None:
        if sub.loop is None or sub.event is None:
            return
        try:
            sub.loop.call_soon_threadsafe(sub.event.set)
        except RuntimeError:  # its loop is closed: the stream is gone
            pass

    # --- what the views use -----------------------------------------------------------------

    def _submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        self._ensure_thread()  # after the put: a thread ending for idleness leaves no job behind
        return future

    def _fresh(self, centre_id: int, watch_seconds: float) -> tuple[bool, Published | None]:
        """(known, published): the cached snapshot when the centre is watched and current."""
        with self._lock:
            w = self._watches.get(centre_id)
            if watch_seconds:
                w = w or self._watches.setdefault(centre_id, _Watch())
                w.watch_until = max(w.watch_until, time.monotonic() + watch_seconds)
            if w is not None and w.gone:
                return True, None
            if w is not None and w.published is not None and not w.dirty:
                return True, w.published
            return False, None

    def _current_job(self, centre_id: int) -> Callable[[], Published | None]:
        def job() -> Published | None:
            if self.floor is None:
                self.poll_once()  # the baseline first: later changes are then all caught
            known, published = self._fresh(centre_id, 0)
            return published if known else self.refresh(centre_id)

        return job

    def current(self, centre_id: int, *, watch_seconds: float = WATCH_SECONDS,
                timeout: float = 30.0) -> Published | None:
        """The centre's snapshot (None: no such active centre), built by the hub thread."""
        known, published = self._fresh(centre_id, watch_seconds)
        if known:
            self._ensure_thread()
            return published
        return self._submit(self._current_job(centre_id)).result(timeout)

    async def acurrent(self, centre_id: int, *,
                       watch_seconds: float = WATCH_SECONDS) -> Published | None:
        known, published = self._fresh(centre_id, watch_seconds)
        if known:
            self._ensure_thread()
            return published
        return await asyncio.wrap_future(self._submit(self._current_job(centre_id)))

    def subscribe(self, centre_id: int, *, asynchronous: bool) -> Subscription:
        sub = Subscription(centre_id)
        if asynchronous:
            sub.loop = asyncio.get_running_loop()
            sub.event = asyncio.Event()
        with self._lock:
            w = self._watches.setdefault(centre_id, _Watch())
            w.subscribers += 1
            w.waiters.add(sub)
        self._ensure_thread()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            w = self._watches.get(sub.centre_id)
            if w is not None and sub in w.waiters:
                w.waiters.discard(sub)
                w.subscribers -= 1

    def _after_locked(self, sub: Subscription, generation: int) -> Published | bool | None:
        """The newer snapshot, False when the centre is gone, None when nothing new."""
        w = self._watches.get(sub.centre_id)
        if w is None or w.gone or self._closing:
            return False
        if w.published is not None and w.published.generation != generation:
            return w.published
        return None

    def wait(self, sub: Subscription, generation: int, timeout: float) -> Published | bool | None:
        """Block (a WSGI thread) until the centre has a newer snapshot than ``generation``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self._after_locked(sub, generation)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    return found
                self._changed.wait(remaining)

    async def await_change(self, sub: Subscription, generation: int,
                           timeout: float) -> Published | bool | None:
        """Wait (no thread held) until the centre has a newer snapshot than ``generation``."""
        assert sub.event is not None
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                sub.event.clear()
                found = self._after_locked(sub, generation)
            remaining = deadline - time.monotonic()
            if found is not None or remaining <= 0:
                return found
            try:
                await asyncio.wait_for(sub.event.wait(), remaining)
            except TimeoutError:
                pass

    def close_streams(self) -> None:
        """End every open stream now (the server is stopping; clients reconnect elsewhere or
        after the restart). Safe from a signal handler: it only sets a flag and wakes."""
        self._closing = True
        self._jobs.put(None)
        with self._lock:
            self._changed.notify_all()
            self._wake_all_locked()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "centres": len(self._watches),
                "subscribers": sum(w.subscribers for w in self._watches.values()),
                "builds": self.builds, "polls": self.polls, "watermark": self.watermark,
                "thread": bool(self._thread and self._thread.is_alive()),
            }


hub = Hub()


# --- the stream straight on ASGI -------------------------------------------------------------


def stream_centre_id(scope: dict[str, Any]) -> int | None:
    """The centre of a stream request (resolved by the URLconf), or None for anything else."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    if scope.get("type") != "http" or not path.endswith("/stream/"):
        return None
    if root and path.startswith(root):
        path = path[len(root):]
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name != "hall:screen_stream":
        return None
    return int(match.kwargs["centre_id"])


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def asgi_stream(scope: dict[str, Any], centre_id: int,
                      receive: Callable[[], Awaitable[dict[str, Any]]],
                      send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """The stream served without Django's middleware chain.

    Django runs sync middleware in a thread of the request's own, kept until the response
    ends: through the chain, every open stream would pin an (idle) thread. Here nothing does:
    the host is checked as Django would, the snapshot comes from the hub, and the events are
    written as the hub publishes them. Only GET streams of the URLconf's ``hall:screen_stream``
    come here (see :mod:`onewindow.asgi`); everything else goes through Django."""
    from django.conf import settings
    from django.http.request import split_domain_port, validate_host

    async def plain(status: int, text: str) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
        await send({"type": "http.response.body", "body": text.encode()})

    domain, _port = split_domain_port(_header(scope, b"host"))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed):
        await plain(400, "Bad Request")
        return
    if scope.get("method") not in ("GET", "HEAD"):
        await plain(405, "Method Not Allowed")
        return
    published = await hub.acurrent(centre_id)
    if published is None:
        await plain(404, _("该服务中心不存在或已停用。"))
        return
    last = _header(scope, b"last-event-id").strip()[:40]
    if not last:
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        last = (query.get("last") or [""])[0].strip()[:40]
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no"),
        (b"x-content-type-options", b"nosniff"),
    ]})
    if scope.get("method") == "HEAD":
        await send({"type": "http.response.body", "body": b""})
        return

    async def pump() -> None:
        events = async_events(hub, centre_id, published, last,
                              heartbeat=HEARTBEAT_SECONDS, lifetime=_lifetime())
        try:
            async for chunk in events:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await events.aclose()

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    tasks = [asyncio.ensure_future(pump()), asyncio.ensure_future(until_disconnect())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# --- the server's lifespan ------------------------------------------------------------------


def _end_streams_on_stop_signal() -> None:
    """Chain the ASGI server's SIGTERM/SIGINT handlers so that open streams end at once: the
    server then waits only for ordinary requests, not for screens that never hang up."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous) or getattr(previous, "_hall_chained", False):
            continue

        def handler(signum: int, frame: Any, previous: Callable[..., Any] = previous) -> None:
            hub.close_streams()
            previous(signum, frame)

        handler._hall_chained = True  # type: ignore[attr-defined]
        signal.signal(sig, handler)


async def lifespan(receive: Callable[[], Awaitable[dict[str, Any]]],
                   send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """The ASGI lifespan protocol (Django's handler refuses it); see :mod:`onewindow.asgi`."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _end_streams_on_stop_signal()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            hub.close_streams()
            await send({"type": "lifespan.shutdown.complete"})
            return


# --- the views ------------------------------------------------------------------------------


def _ping(tag: str) -> bytes:
    """The heartbeat: an event (not a comment) so that the page can tell a silent, half-open
    connection from a quiet hall, and can check it holds the current snapshot."""
    return b"event: ping\ndata: " + tag.encode() + b"\n\n"


def _client_tag(request: HttpRequest) -> str:
    return (request.headers.get("Last-Event-ID") or request.GET.get("last") or "").strip()[:40]


def _lifetime() -> float:
    return STREAM_SECONDS + random.uniform(0, STREAM_JITTER_SECONDS)  # noqa: S311 - spreading


def sync_events(h: Hub, centre_id: int, first: Published, last_tag: str, *,
                heartbeat: float, lifetime: float) -> Iterator[bytes]:
    """The stream as a generator: it blocks a thread (WSGI serves one per request)."""
    sub = h.subscribe(centre_id, asynchronous=False)
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        if first.tag != last_tag:
            yield first.frame
        generation, tag = first.generation, first.tag
        deadline = time.monotonic() + lifetime
        while (remaining := deadline - time.monotonic()) > 0:
            found = h.wait(sub, generation, min(heartbeat, remaining))
            if found is False:
                break
            if isinstance(found, Published):
                generation, tag = found.generation, found.tag
                yield found.frame
            elif time.monotonic() < deadline:
                yield _ping(tag)
    finally:
        h.unsubscribe(sub)


async def async_events(h: Hub, centre_id: int, first: Published, last_tag: str, *,
                       heartbeat: float, lifetime: float) -> AsyncGenerator[bytes, None]:
    """The stream as an async iterator: waiting holds no thread (ASGI)."""
    sub = h.subscribe(centre_id, asynchronous=True)
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        if first.tag != last_tag:
            yield first.frame
        generation, tag = first.generation, first.tag
        deadline = time.monotonic() + lifetime
        while (remaining := deadline - time.monotonic()) > 0:
            found = await h.await_change(sub, generation, min(heartbeat, remaining))
            if found is False:
                break
            if isinstance(found, Published):
                generation, tag = found.generation, found.tag
                yield found.frame
            elif time.monotonic() < deadline:
                yield _ping(tag)
    finally:
        h.unsubscribe(sub)


def _not_found() -> Http404:
    return Http404(_("该服务中心不存在或已停用。"))


@require_GET
def screen(request: HttpRequest, centre_id: int) -> HttpResponse:
    """The full-screen page of a hall's display screen (public: it shows no personal data)."""
    published = hub.current(centre_id)
    if published is None:
        raise _not_found()
    snapshot = json.loads(published.body)
    response = render(request, "hall/screen.html", {
        "centre": snapshot["centre"], "snapshot": snapshot, "tag": published.tag,
        "voice": request.GET.get("voice") == "1",
    })
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def screen_json(request: HttpRequest, centre_id: int) -> HttpResponse:
    """The snapshot for the polling fallback; ``If-None-Match`` answers 304 when unchanged."""
    published = hub.current(centre_id)
    if published is None:
        raise _not_found()
    etag = f'"{published.tag}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(published.body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
async def screen_stream(request: HttpRequest, centre_id: int) -> StreamingHttpResponse:
    """Server-sent events of the centre's snapshots (see the module's docstring)."""
    published = await hub.acurrent(centre_id)
    if published is None:
        raise _not_found()
    last, lifetime = _client_tag(request), _lifetime()
    content: Iterator[bytes] | AsyncIterator[bytes] = (
        async_events(hub, centre_id, published, last, heartbeat=HEARTBEAT_SECONDS,
                     lifetime=lifetime)
        if isinstance(request, ASGIRequest)
        else sync_events(hub, centre_id, published, last, heartbeat=HEARTBEAT_SECONDS,
                         lifetime=lifetime)
    )
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
