"""The display screen's live stream: the hub's change detection (including an event committed
out of order), one snapshot build per version for many screens, SSE framing, Last-Event-ID,
the ASGI (async iterator) and WSGI (generator) paths, screen.json, 404s, stopping, serving."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone

from onewindow.core.management.commands.serve import bind_args, web_command, web_env
from onewindow.hall import selectors, services, stream
from onewindow.hall.models import TicketEvent, TicketEventKind
from onewindow.hall.stream import Hub, Published, async_events, hub, sync_events


@pytest.fixture(autouse=True)
def _fresh_hub():
    """The process-wide hub starts empty and its thread (and DB connection) ends after."""
    hub.reset()
    yield
    hub.reset()


def call_one(hall, window="01", user=None):
    """A clerk at ``window`` (signed in on first use) takes the next ticket of category A."""
    user = user or hall.clerk
    if services.current_session(user) is None:
        services.window_sign_in(user=user, window=hall.windows[window])
    services.ticket_take(centre=hall.centre, category=hall.general)
    return services.ticket_call_next(user=user)


def event(hall, centre=None, **kw) -> TicketEvent:
    return TicketEvent.objects.create(
        centre=centre or hall.centre, kind=TicketEventKind.NOTICE, at=timezone.now(), **kw
    )


def run_async(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a coroutine function on a loop of its own thread: the browser tests' Playwright
    keeps an event loop in the main thread, where async_to_sync refuses to run."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(fn(*args, **kwargs))
        except BaseException as exc:  # re-raised in the test's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if "error" in result:
        raise result["error"]
    return result["value"]


def frames(chunks: list[bytes]) -> list[dict[str, str]]:
    """Parse SSE bytes into events (field -> value), as a browser's EventSource would."""
    out = []
    for block in b"".join(chunks).decode().split("\n\n"):
        if not block:
            continue
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        out.append(fields)
    return out


# --- the hub's change detection (polls run in the test's own transaction) ------------------


@pytest.mark.django_db
def test_first_poll_is_a_baseline_then_only_the_changed_centre_is_reported(hall):
    event(hall)
    h = Hub()
    assert h.poll_once() == set()
    assert h.poll_once() == set()  # nothing new, nothing reported
    call_one(hall)
    assert h.poll_once() == {hall.centre.pk}
    event(hall, centre=hall.other_centre)
    assert h.poll_once() == {hall.other_centre.pk}
    assert h.poll_once() == set()


@pytest.mark.django_db
def test_an_event_committed_after_a_higher_id_is_still_detected(hall):
    """Ids are taken at insert, rows appear at commit: a row with a lower id than the highest
    already seen appears late. The count above the floor catches it; the max alone would not."""
    base = event(hall).pk
    h = Hub()
    h.poll_once()
    event(hall, id=base + 50)  # committed first
    assert h.poll_once() == {hall.centre.pk}
    assert h.watermark == base + 50
    event(hall, id=base + 20)  # took its id earlier, committed later: max(id) is unchanged
    assert h.poll_once() == {hall.centre.pk}
    assert h.poll_once() == set()


@pytest.mark.django_db
def test_the_floor_moves_up_without_false_alarms_and_late_rows_inside_the_window_count(hall):
    base = event(hall).pk
    h = Hub()
    h.lookback = 10
    h.poll_once()
    for i in range(1, 31):
        event(hall, id=base + i * 3)
    assert h.poll_once() == {hall.centre.pk}
    for _ in range(3):  # the floor catches up with the watermark: no change is invented
        assert h.poll_once() == set()
    assert h.floor == base + 90 - 10
    event(hall, id=base + 85)  # late, but inside the look-back window
    assert h.poll_once() == {hall.centre.pk}


@pytest.mark.django_db
def test_many_waiting_screens_share_one_snapshot_build_per_version(hall, monkeypatch):
    centre_id = hall.centre.pk
    h = Hub()
    monkeypatch.setattr(h, "_ensure_thread", lambda: None)  # the test drives the hub
    h.poll_once()
    first = h.refresh(centre_id)
    assert first is not None and h.builds == 1
    screens = 50

    async def scenario() -> list[Any]:
        subs = [h.subscribe(centre_id, asynchronous=True) for _ in range(screens)]
        waiting = [asyncio.create_task(h.await_change(s, first.generation, 5)) for s in subs]
        await asyncio.sleep(0)

        def change_and_tick() -> None:
            call_one(hall)
            h._tick([centre_id], time.monotonic())

        await sync_to_async(change_and_tick)()
        got = await asyncio.gather(*waiting)
        for s in subs:
            h.unsubscribe(s)
        return got

    got = async_to_sync(scenario)()
    assert h.builds == 2  # one more build for the change, not one per screen
    assert all(isinstance(g, Published) for g in got)
    assert len({id(g) for g in got}) == 1  # the very same prepared bytes for all
    assert got[0].version == selectors.last_event_id(centre_id) > first.version
    assert json.loads(got[0].body)["calls"][0]["number"] == "A001"


@pytest.mark.django_db
def test_a_change_that_leaves_the_screen_as_it_was_pushes_nothing(hall):
    h = Hub()
    h.poll_once()
    first = h.refresh(hall.centre.pk)
    TicketEvent.objects.filter(pk=event(hall).pk).update(kind=TicketEventKind.NOTICE)
    again = h.refresh(hall.centre.pk)  # the version moved: the screen shows it, so it is new
    assert again is not None and again.generation != first.generation
    assert h.refresh(hall.centre.pk) is again  # same content: same generation, no push


# --- SSE framing (the generator, driven by the test) ------------------------------------------


@pytest.mark.django_db
def test_stream_frames_snapshot_then_ping_then_the_next_snapshot(hall, monkeypatch):
    h = Hub()
    monkeypatch.setattr(h, "_ensure_thread", lambda: None)  # the test drives the hub
    h.poll_once()
    first = h.refresh(hall.centre.pk)
    assert first is not None
    gen = sync_events(h, hall.centre.pk, first, "", heartbeat=0.05, lifetime=30)
    assert next(gen) == f"retry: {stream.RETRY_MS}\n\n".encode()
    snap = frames([next(gen)])[0]
    assert snap["id"] == first.tag and snap["event"] == "snapshot"
    assert json.loads(snap["data"]) == json.loads(first.body)
    assert json.loads(snap["data"])["version"] == selectors.last_event_id(hall.centre.pk)
    ping = frames([next(gen)])[0]
    assert ping == {"event": "ping", "data": first.tag}  # no id: Last-Event-ID stays
    call_one(hall)
    h._tick([hall.centre.pk], time.monotonic())
    chunk = next(gen)
    while chunk.startswith(b"event: ping"):
        chunk = next(gen)
    nxt = frames([chunk])[0]
    data = json.loads(nxt["data"])
    assert nxt["id"] != first.tag and nxt["id"].startswith(f"{data['version']}.")
    assert data["calls"][0]["number"] == "A001" and data["calls"][0]["window"] == "01"
    assert chunk.count(b"\n") == 4  # id, event, one data line (JSON escapes newlines), blank
    gen.close()
    assert h.stats()["subscribers"] == 0


@pytest.mark.django_db
def test_last_event_id_naming_the_current_snapshot_skips_it(hall, monkeypatch):
    h = Hub()
    monkeypatch.setattr(h, "_ensure_thread", lambda: None)
    h.poll_once()
    first = h.refresh(hall.centre.pk)
    gen = sync_events(h, hall.centre.pk, first, first.tag, heartbeat=0.01, lifetime=30)
    next(gen)  # retry
    assert frames([next(gen)])[0]["event"] == "ping"
    gen.close()
    stale = sync_events(h, hall.centre.pk, first, "3.deadbeef", heartbeat=0.01, lifetime=30)
    next(stale)
    assert frames([next(stale)])[0]["id"] == first.tag
    stale.close()


@pytest.mark.django_db
def test_a_stream_ends_after_its_lifetime_and_when_the_centre_is_closed(hall, monkeypatch):
    h = Hub()
    monkeypatch.setattr(h, "_ensure_thread", lambda: None)
    h.poll_once()
    first = h.refresh(hall.centre.pk)
    started = time.monotonic()
    assert len(list(sync_events(h, hall.centre.pk, first, "", heartbeat=1,
                                lifetime=0.2))) == 2  # retry, snapshot, then the end
    assert time.monotonic() - started < 1.5
    gen = sync_events(h, hall.centre.pk, first, first.tag, heartbeat=0.01, lifetime=30)
    next(gen)
    hall.centre.is_active = False
    hall.centre.save()
    assert h.refresh(hall.centre.pk) is None
    assert list(gen) == []


@pytest.mark.django_db
def test_async_stream_waits_without_a_thread_and_ends_when_the_server_stops(hall, monkeypatch):
    h = Hub()
    monkeypatch.setattr(h, "_ensure_thread", lambda: None)
    h.poll_once()
    first = h.refresh(hall.centre.pk)

    async def scenario() -> list[bytes]:
        got = []
        agen = async_events(h, hall.centre.pk, first, "", heartbeat=30, lifetime=60)
        got.append(await agen.__anext__())
        got.append(await agen.__anext__())
        nxt = asyncio.ensure_future(agen.__anext__())
        await asyncio.sleep(0.05)
        assert not nxt.done()  # waiting: no heartbeat due, nothing new
        h.close_streams()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(nxt, 2)
        return got

    got = async_to_sync(scenario)()
    assert frames(got)[1]["id"] == first.tag
    assert h.stats()["subscribers"] == 0


def test_a_stop_signal_ends_the_streams_then_reaches_the_servers_handler():
    seen: list[int] = []
    original = signal.getsignal(signal.SIGTERM)

    def server_handler(signum, frame):
        seen.append(signum)

    signal.signal(signal.SIGTERM, server_handler)
    try:
        stream._end_streams_on_stop_signal()  # what the lifespan's startup does
        stream._end_streams_on_stop_signal()  # chained once only
        assert hub._closing is False
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)  # as the kernel would
        assert hub._closing is True and seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, original)


def test_the_asgi_application_answers_the_lifespan_protocol():
    from onewindow.asgi import application

    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[dict[str, Any]] = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    run_async(application, {"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete",
                                         "lifespan.shutdown.complete"]
    assert hub._closing is True  # shutting down ends the streams


# --- the views, served by the real hub thread (it needs committed rows) ---------------------


def urls(centre_id: int) -> dict[str, str]:
    return {n: reverse(f"hall:{n}", args=[centre_id])
            for n in ("screen", "screen_stream", "screen_json")}


@pytest.mark.django_db(transaction=True)
def test_the_screen_page_is_public_and_wires_stream_and_fallback(hall):
    call_one(hall)
    u = urls(hall.centre.pk)
    assert u["screen"] == f"/hall/{hall.centre.pk}/screen/"
    response = Client().get(u["screen"])
    assert response.status_code == 200
    html = response.content.decode()
    assert hall.centre.name in html
    assert f'data-stream-url="{u["screen_stream"]}"' in html
    assert f'data-json-url="{u["screen_json"]}"' in html
    assert 'id="screen-data" type="application/json"' in html
    assert "<script>" not in html  # CSP: no inline script, only the JSON data block
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "data-voice" not in html
    assert 'data-voice="1"' in Client().get(u["screen"] + "?voice=1").content.decode()
    assert "13905391001" not in html  # no personal data of applicants


@pytest.mark.django_db(transaction=True)
def test_unknown_or_inactive_centres_are_404_everywhere(hall):
    hall.other_centre.is_active = False
    hall.other_centre.save()
    client = Client()
    for centre_id in (hall.other_centre.pk, 999999):
        for url in urls(centre_id).values():
            assert client.get(url).status_code == 404, url
    assert client.post(urls(hall.centre.pk)["screen_json"]).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_screen_json_is_the_snapshot_with_an_etag(hall):
    call_one(hall)
    url = urls(hall.centre.pk)["screen_json"]
    client = Client()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data == json.loads(json.dumps(selectors.display_snapshot(hall.centre)))
    etag = response["ETag"]
    assert etag == f'"{data["version"]}.{etag.split(".")[1]}'
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    call_one(hall, window="02", user=hall.clerk2)
    deadline = time.monotonic() + 5
    while (r := client.get(url, headers={"If-None-Match": etag})).status_code == 304:
        assert time.monotonic() < deadline, "the change never reached screen.json"
        time.sleep(0.05)
    assert json.loads(r.content)["version"] > data["version"]


@pytest.mark.django_db(transaction=True)
def test_wsgi_stream_is_a_generator_of_events(hall):
    call_one(hall)
    response = Client().get(urls(hall.centre.pk)["screen_stream"])
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache"
    assert not hasattr(response.streaming_content, "__aiter__")
    it = iter(response.streaming_content)
    first = frames([next(it), next(it)])
    assert first[0] == {"retry": str(stream.RETRY_MS)}
    assert json.loads(first[1]["data"])["calls"][0]["number"] == "A001"
    assert hub.stats()["subscribers"] == 1
    call_one(hall, window="02", user=hall.clerk2)
    started = time.monotonic()
    got: list[bytes] = []
    while latest_call(got) != "A002":  # the sign-in and the ticket taken may come first
        got.append(next(it))
        assert time.monotonic() - started < 2
    response.close()
    assert hub.stats()["subscribers"] == 0


@pytest.mark.django_db(transaction=True)
def test_asgi_stream_is_an_async_iterator_that_pushes_each_change(hall):
    call_one(hall)
    services.window_sign_in(user=hall.clerk2, window=hall.windows["02"])
    url = urls(hall.centre.pk)["screen_stream"]

    async def scenario() -> tuple[list[dict[str, str]], float]:
        response = await AsyncClient().get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/event-stream")
        content = response.streaming_content
        assert hasattr(content, "__aiter__")
        it = aiter(content)
        got = [await anext(it), await anext(it)]
        await sync_to_async(call_one, thread_sensitive=False)(hall, "02", hall.clerk2)
        started = time.monotonic()
        while latest_call(got) != "A002":  # the ticket taken may come first, then the call
            got.append(await asyncio.wait_for(anext(it), 5))
        elapsed = time.monotonic() - started
        await content.aclose()
        return frames(got), elapsed

    events, elapsed = run_async(scenario)
    assert events[0] == {"retry": str(stream.RETRY_MS)}
    first, second = json.loads(events[1]["data"]), json.loads(events[-1]["data"])
    assert first["calls"][0]["number"] == "A001" and second["calls"][0]["number"] == "A002"
    assert second["version"] > first["version"]
    assert elapsed < 1.0  # polled every 0.2 s
    deadline = time.monotonic() + 2
    while hub.stats()["subscribers"]:
        assert time.monotonic() < deadline, "the closed stream was not unsubscribed"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_asgi_stream_honours_last_event_id(hall, monkeypatch):
    monkeypatch.setattr(stream, "HEARTBEAT_SECONDS", 0.1)
    url = urls(hall.centre.pk)["screen_stream"]
    tag = json.loads(Client().get(urls(hall.centre.pk)["screen_json"]).content)["version"]
    etag = Client().get(urls(hall.centre.pk)["screen_json"])["ETag"].strip('"')
    assert etag.startswith(f"{tag}.")

    async def first_two(headers: dict[str, str]) -> list[dict[str, str]]:
        response = await AsyncClient().get(url, headers=headers)
        it = aiter(response.streaming_content)
        got = [await anext(it), await asyncio.wait_for(anext(it), 5)]
        await response.streaming_content.aclose()
        return frames(got)

    same = run_async(first_two, {"Last-Event-ID": etag})
    assert same[1] == {"event": "ping", "data": etag}
    other = run_async(first_two, {"Last-Event-ID": "1.00000000"})
    assert other[1]["id"] == etag and other[1]["event"] == "snapshot"


# --- serving ------------------------------------------------------------------------------


def test_serve_binds_like_gunicorn_did_and_runs_the_asgi_application():
    assert bind_args("127.0.0.1:8765") == ["--host", "127.0.0.1", "--port", "8765"]
    assert bind_args("0.0.0.0:80") == ["--host", "0.0.0.0", "--port", "80"]
    assert bind_args("[::1]:9000") == ["--host", "::1", "--port", "9000"]
    assert bind_args("unix:/run/ow.sock") == ["--uds", "/run/ow.sock"]
    cmd = web_command("python", "127.0.0.1:8000", 3)
    assert cmd[:4] == ["python", "-m", "uvicorn", "onewindow.asgi:application"]
    assert cmd[cmd.index("--workers") + 1] == "3"
    assert "--timeout-graceful-shutdown" in cmd and cmd[cmd.index("--lifespan") + 1] == "on"
    assert web_env()["ONEWINDOW_DB_CONN_MAX_AGE"] == "0"  # no connection outlives its thread


# --- the stream straight on ASGI (onewindow.asgi), no Django middleware ----------------------


def stream_scope(path: str, host: str = "testserver", **extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "root_path": "",
            "query_string": b"", "headers": [(b"host", host.encode()), *extra.get("headers", [])]}


def test_only_the_urlconfs_stream_route_is_served_straight():
    assert stream.stream_centre_id(stream_scope("/hall/12/stream/")) == 12
    assert stream.stream_centre_id(stream_scope("/hall/12/screen/")) is None
    assert stream.stream_centre_id(stream_scope("/nothing/stream/")) is None
    assert stream.stream_centre_id({"type": "websocket", "path": "/hall/1/stream/"}) is None


def latest_call(chunks: list[bytes]) -> str:
    snapshots = [e for e in frames(chunks) if e.get("event") == "snapshot"]
    calls = json.loads(snapshots[-1]["data"])["calls"] if snapshots else []
    return calls[0]["number"] if calls else ""


async def call_asgi(scope: dict[str, Any], until: Any, after_start: Any = None,
                    timeout: float = 5) -> tuple[list[dict[str, Any]], bool]:
    """Run the ASGI application until ``until(sent)`` holds (or it ends), then disconnect."""
    from onewindow.asgi import application

    sent: list[dict[str, Any]] = []
    enough, disconnect = asyncio.Event(), asyncio.Event()

    async def receive():
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if len(sent) == 3 and after_start is not None:
            await after_start()
        if until(sent):
            enough.set()

    app = asyncio.ensure_future(application(scope, receive, send))
    waiter = asyncio.ensure_future(enough.wait())
    await asyncio.wait([app, waiter], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    disconnect.set()
    await asyncio.wait_for(app, 2)  # a disconnect ends the stream
    return sent, enough.is_set()


def bodies(sent: list[dict[str, Any]]) -> list[bytes]:
    return [m.get("body", b"") for m in sent[1:]]


@pytest.mark.django_db(transaction=True)
def test_asgi_application_streams_without_the_middleware_chain_and_stops_on_disconnect(hall):
    call_one(hall)
    services.window_sign_in(user=hall.clerk2, window=hall.windows["02"])
    url = urls(hall.centre.pk)["screen_stream"]

    async def change():
        await sync_to_async(call_one, thread_sensitive=False)(hall, "02", hall.clerk2)

    sent, complete = run_async(call_asgi, stream_scope(url), until=lambda s: len(s) >= 3)
    assert complete
    start = sent[0]
    assert start["status"] == 200
    assert (b"content-type", b"text/event-stream; charset=utf-8") in start["headers"]
    events = frames(bodies(sent))
    assert events[0] == {"retry": str(stream.RETRY_MS)}
    assert json.loads(events[1]["data"])["calls"][0]["number"] == "A001"
    assert hub.stats()["subscribers"] == 0

    started = time.monotonic()
    sent, complete = run_async(call_asgi,
        stream_scope(url), until=lambda s: latest_call(bodies(s)) == "A002", after_start=change)
    assert complete and time.monotonic() - started < 2
    assert hub.stats()["subscribers"] == 0


@pytest.mark.django_db(transaction=True)
def test_asgi_stream_refuses_unknown_centres_and_foreign_hosts(hall):
    two = lambda s: len(s) >= 2  # noqa: E731
    sent, _ = run_async(call_asgi, stream_scope("/hall/999999/stream/"), until=two)
    assert sent[0]["status"] == 404
    assert "不存在" in sent[1]["body"].decode()
    url = urls(hall.centre.pk)["screen_stream"]
    sent, _ = run_async(call_asgi, stream_scope(url, host="evil.example"), until=two)
    assert sent[0]["status"] == 400
    other = stream_scope(url, headers=[(b"last-event-id", b"1.00000000")])
    sent, _ = run_async(call_asgi, other, until=lambda s: len(s) >= 3)
    assert frames([sent[2]["body"]])[0]["event"] == "snapshot"
