"""Download a reference list, explicitly, into an on-disk cache.

Nothing in the library fetches on import or behind the caller's back: this is the one function
that touches the network, and only when called. It uses ``requests`` (a session may be passed
in), a timeout, retries with back-off on connection errors and 5xx answers, and a size cap
enforced while streaming. Each URL's body is cached beside a small JSON record of its ETag and
Last-Modified headers and sha256; the next call asks the server whether it changed
(``If-None-Match`` / ``If-Modified-Since``) and a 304 answer reuses the cached bytes once
they match the recorded sha256. TLS certificates are always verified (requests' default,
never turned off here), and a redirect from https to plain http is refused; a body shorter
than its declared length is an error, not a list. Besides the timeout of each network read,
an overall deadline bounds the whole download (connecting, the headers, every retry and the
body), so a server that sends a byte or a header line at a time cannot hold the caller for
ever: when it passes, the connection is shut down and the download is a typed error. The
server is asked not to compress the body; a gzip or deflate body sent all the same is
inflated here, with the size cap applied both to the bytes that arrive and to what they
inflate to (another encoding is refused). A redirect's own body is never read. A cache
folder that cannot be used, or a cache record that cannot be trusted (not JSON, no sha256,
its body missing or changed), is a typed error naming it.
No reference list is a web page: an answer declared as HTML, or whose body is an HTML
document (a sign-in page, a captive portal, an error page served with 200), is refused, and a
caller may name the content types it accepts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from .. import _io
from .._io.run import active_run, write_atomic
from ..errors import FetchError, MineralComplianceError

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_MAX_BYTES", "FetchedFile", "fetch", "redirect_refused"]

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_DEADLINE = 600.0
"""Seconds for one whole download (a 100 MB list at about 170 KB/s)."""
_MAX_RECORD_BYTES = 64 * 1024
_WEB_PAGE_TYPES = ("text/html", "application/xhtml+xml")
_WEB_PAGE_STARTS = (b"<!doctype html", b"<html")
_CHUNK = 65536


@dataclass(frozen=True)
class FetchedFile:
    url: str
    path: Path
    """The cached body; pass it to a loader (``load_status_list``, ``load_cahra``)."""
    sha256: str
    etag: str | None
    last_modified: str | None
    fetched_at: str
    from_cache: bool
    """True when the server answered 304 Not Modified."""
    content_type: str | None = None


class _Watchdog:
    """The deadline of one download. When it passes, every connection the download opened
    is shut down, so that a read blocked on the headers or the body returns at once, and no
    further connection (a retry) is opened."""

    def __init__(self, seconds: float, *, started: float) -> None:
        self.seconds = seconds
        """The whole deadline, counted from ``started`` (a ``time.monotonic()``)."""
        self._ends = started + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False
        self._timer = threading.Timer(max(self.remaining(), 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._timer.cancel()
        with self._lock:
            watched, self._sockets = self._sockets, []
        for sock in watched:
            sock.close()

    def remaining(self) -> float:
        return self._ends - time.monotonic()

    def passed(self) -> bool:
        return self.fired or self.remaining() <= 0

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes. A second descriptor of the same
        socket is kept (a TLS wrapper takes over the first), and closed at the end."""
        try:
            twin = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except (OSError, ValueError):
            return
        with self._lock:
            self._sockets.append(twin)
            fired = self.fired
        if fired:
            _shut(twin)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            watched = list(self._sockets)
        for sock in watched:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other end
        sock.shutdown(socket.SHUT_RDWR)


def _too_slow(url: str, deadline: float, arrived: int | None = None) -> FetchError:
    so_far = f" ({arrived:,} bytes arrived)" if arrived else ""
    return FetchError(f"{url} did not finish within {deadline:g} s, the time allowed "
                              f"for a download{so_far}",
                              hint="try again later, or download the list by hand and pass "
                                   "the file")


def _open_watched(conn: HTTPConnection, watchdog: _Watchdog,
                  opener: Callable[[], socket.socket]) -> socket.socket:
    """Open the connection's socket within the deadline, and watch it."""
    left = watchdog.remaining()
    if watchdog.passed():
        # not an OSError: urllib3 would retry one, this ends the download
        raise FetchError(f"the deadline of {watchdog.seconds:g} s has passed")
    if not isinstance(conn.timeout, (int, float)) or conn.timeout > left:
        conn.timeout = left  # the connect timeout, no longer than the time left
    sock = opener()
    watchdog.watch(sock)
    return sock


def _session(retries: int, watchdog: _Watchdog) -> requests.Session:
    class Watched(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _open_watched(self, watchdog, super()._new_conn)

    class WatchedTls(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _open_watched(self, watchdog, super()._new_conn)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Watched

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = WatchedTls

    pools: dict[str, type[HTTPConnectionPool]] = {"http": Pool, "https": TlsPool}

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.ProxyManager:
            manager: urllib3.ProxyManager = super().proxy_manager_for(proxy, **proxy_kwargs)
            if isinstance(manager, urllib3.ProxyManager):  # not a SOCKS one, which has its own
                manager.pool_classes_by_scheme = pools
            return manager

    session = requests.Session()
    # a Retry-After header is not obeyed: it could ask for a wait longer than the deadline
    retry = Retry(total=retries, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504),
                  allowed_methods=("GET",), raise_on_status=False,
                  respect_retry_after_header=False)
    adapter = Adapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def redirect_refused(source: str, target: str) -> str | None:
    """Why a redirect from ``source`` to ``target`` is not followed, or None when it may be:
    only to http or https, and never from https to anything else (a downgrade would let
    whoever sits on the network path answer in the server's name)."""
    to_scheme = urlsplit(target).scheme.lower()
    if to_scheme not in ("http", "https"):
        return f"a redirect to a {to_scheme or 'relative'} address ({target[:200]}) is refused"
    if urlsplit(source).scheme.lower() == "https" and to_scheme != "https":
        return (f"{source[:200]} redirects to {target[:200]}, from https to unencrypted "
                f"{to_scheme}: refused")
    return None


def _refuse_downgrade(response: requests.Response, *args: object,  # noqa: ARG001
                      **kwargs: object) -> requests.Response:  # noqa: ARG001 (hook signature)
    """A ``requests`` response hook, run on every answer of a redirect chain before the next
    request is made."""
    if response.is_redirect:
        # the body of a redirect is not read (it could be endless or a decompression bomb):
        # it counts as read, and the connection is closed rather than drained for reuse
        response._content = b""
        response.close()
        target = urljoin(response.url, response.headers.get("Location", ""))
        why = redirect_refused(response.url, target)
        if why is not None:
            raise FetchError(why, hint="download the list by hand and pass the file")
    return response


_RECORD_FIELDS = ("url", "etag", "last_modified", "fetched_at", "sha256", "content_type")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _record(meta_path: Path, body: Path, url: str) -> dict[str, str | None]:
    """The cache record of ``url``: empty when there is none (or only a body, left by an
    interrupted download); a record that cannot be trusted raises."""
    try:
        present = meta_path.exists() or meta_path.is_symlink()
    except OSError:
        present = True
    if not present:
        return {}

    def damaged(why: str) -> FetchError:
        return FetchError(
            f"the cache record of {url} is damaged ({why})", path=meta_path,
            hint=f"delete {meta_path.name} and {body.name} from the cache folder to download "
                 "the list again")

    try:
        raw = _io.read_capped(meta_path, _MAX_RECORD_BYTES)
        doc = json.loads(raw)
    except _io.FileRefusedError as exc:
        raise damaged(exc.reason) from exc
    except RecursionError as exc:
        raise damaged("nested too deeply") from exc
    except ValueError as exc:
        raise damaged(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise damaged("not a JSON object")
    meta: dict[str, str | None] = {}
    for name in _RECORD_FIELDS:
        value = doc.get(name)
        if value is not None and not isinstance(value, str):
            raise damaged(f"{name} is not text")
        meta[name] = value
    if not _SHA256.fullmatch(meta["sha256"] or ""):
        raise damaged("no sha256 of the body")
    try:
        _io.regular_file(body)
    except _io.FileRefusedError as exc:
        raise damaged(f"the body {body.name}: {exc.reason}") from exc
    return meta


class _Inflater:
    """A gzip or deflate body inflated a network read at a time, never to more than the
    room left under the size cap (a few kilobytes can inflate to gigabytes)."""

    def __init__(self, encoding: str) -> None:
        self.gzip = encoding == "gzip"
        self._wbits = 16 + zlib.MAX_WBITS if self.gzip else zlib.MAX_WBITS
        self._stream = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """What ``data`` inflates to, at most ``room + 1`` bytes (one more than the room
        says the cap is passed)."""
        out = b""
        while data and len(out) <= room:
            if self._stream.eof:
                if not self.gzip:
                    raise zlib.error("data after the end of the deflate stream")
                self._stream = zlib.decompressobj(self._wbits)  # a further gzip member
            try:
                piece = self._stream.decompress(data, room + 1 - len(out))
            except zlib.error:
                if self._started or self.gzip:
                    raise
                # "deflate" is meant to be zlib-wrapped, but some servers send it raw
                self._wbits = -zlib.MAX_WBITS
                self._stream = zlib.decompressobj(self._wbits)
                piece = self._stream.decompress(data, room + 1 - len(out))
            self._started = True
            out += piece
            data = self._stream.unconsumed_tail or self._stream.unused_data
        return out

    def complete(self) -> bool:
        return self._started and self._stream.eof


def _reader(raw: object) -> Callable[[], bytes]:
    """Reads of the body as it arrived (compressed, if it was): each returns what about one
    network read brought, b"" at its end."""
    if isinstance(raw, urllib3.HTTPResponse):
        if hasattr(raw, "read1"):
            return lambda: raw.read1(_CHUNK, decode_content=False)
        return lambda: raw.read(_CHUNK, decode_content=False)  # urllib3 1.26
    read = getattr(raw, "read", None)
    if not callable(read):
        raise FetchError("the answer has no body that can be read")
    return lambda: bytes(read(_CHUNK) or b"")


def _inflater(url: str, response: requests.Response) -> _Inflater | None:
    encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater("deflate" if encoding == "deflate" else "gzip")
    raise FetchError(f"{url} answered in the content encoding {encoding[:40]}, which "
                             "is not read (it was asked for the list uncompressed)",
                             hint="download the list by hand and pass the file")


def _body(response: requests.Response, url: str, max_bytes: int,
          watchdog: _Watchdog) -> bytes:
    """The body, read as it arrives so that the deadline is checked between reads, and
    capped at ``max_bytes``: both the bytes that arrive and, when the body is compressed,
    the bytes they inflate to."""
    read = _reader(response.raw)
    inflater = _inflater(url, response)
    chunks: list[bytes] = []
    arrived = size = 0

    def over() -> FetchError:
        return FetchError(f"{url} is over the {max_bytes:,} byte limit")

    while True:
        chunk = read()
        if watchdog.passed():
            raise _too_slow(url, watchdog.seconds, arrived + len(chunk))
        if not chunk:
            break
        arrived += len(chunk)
        if arrived > max_bytes:
            raise over()
        if inflater is not None:
            try:
                chunk = inflater.feed(chunk, max_bytes - size)
            except zlib.error as exc:
                kind = "gzip" if inflater.gzip else "deflate"
                raise FetchError(f"{url} sent a damaged {kind} body ({exc})") from exc
        size += len(chunk)
        if size > max_bytes:
            raise over()
        chunks.append(chunk)
    if inflater is not None and not inflater.complete():
        raise FetchError(f"{url} ends before its compressed data does (the download "
                                 "was cut short)", hint="try again later")
    return b"".join(chunks)


def _watch_response(response: requests.Response, watchdog: _Watchdog) -> None:
    """Watch the socket of an answer from a session the caller passed (a session made here
    watches its sockets from the moment they are opened)."""
    raw = response.raw
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        watchdog.watch(sock)


def fetch(url: str, cache_dir: str | Path, *, session: requests.Session | None = None,
          timeout: float = 30.0, max_bytes: int = DEFAULT_MAX_BYTES,
          retries: int = 3, accept: Collection[str] | None = None,
          deadline: float = DEFAULT_DEADLINE) -> FetchedFile:
    """Download ``url`` into ``cache_dir`` (or confirm the cached copy is current).

    ``timeout``: seconds to connect and for each read; ``deadline``: seconds for the whole
    download, however slowly the server sends. ``accept``: the media types the caller can
    load (``"text/csv"``...); an answer of another declared type is refused. HTML is refused
    whatever ``accept`` says. Redirects are followed except from https to http.

    With a ``session`` of the caller's, the deadline is enforced from the moment the answer
    arrives (its connections are the session's own); with none, from the first connection."""
    started = time.monotonic()
    cache = Path(cache_dir)
    run = active_run()
    if run is not None and run.covers(cache):
        # the run would hold the download back until it ends, and count it among its outputs
        raise FetchError("the cache folder lies inside the output folder being "
                                 "written", path=cache,
                                 hint="keep the cache outside the output folder")
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"the cache folder cannot be used ({exc.strerror or exc})",
                                 path=cache, hint="pass a writable folder as the cache"
                                 ) from exc
    if not cache.is_dir():
        raise FetchError("the cache folder is not a folder", path=cache,
                                 hint="pass a writable folder as the cache")
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    body, meta_path = cache / f"{key}.body", cache / f"{key}.json"
    meta = _record(meta_path, body, url)
    headers = {"Accept": ", ".join(accept) if accept else "*/*", "Accept-Encoding": "identity"}
    if meta.get("etag"):
        headers["If-None-Match"] = str(meta["etag"])
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = str(meta["last_modified"])
    watchdog = _Watchdog(deadline, started=started)
    http = session or _session(retries, watchdog)
    try:
        with watchdog:
            got = _download(http, url, headers, timeout, max_bytes, accept, meta, body,
                            watchdog, watched=session is None)
    finally:
        if session is None:
            http.close()
    if isinstance(got, FetchedFile):
        return got
    data, etag, last_modified, content_type = got
    if data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_WEB_PAGE_STARTS):
        raise FetchError(f"{url} answered with a web page, not a list",
                                 hint="the address may need a sign-in, or may have moved; "
                                 "download the list by hand and pass the file")
    fetched_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    digest = hashlib.sha256(data).hexdigest()
    record = json.dumps({"url": url, "etag": etag, "last_modified": last_modified,
                         "fetched_at": fetched_at, "sha256": digest,
                         "content_type": content_type})
    try:
        # the record goes first and comes back last: an interrupted write leaves a body
        # without a record, which the next call downloads again. Each file is written to a
        # temporary file of its own and renamed, so two fetches of one address at once
        # never write into the same file.
        meta_path.unlink(missing_ok=True)
        write_atomic(body, data)
        write_atomic(meta_path, record)
    except (OSError, MineralComplianceError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else exc.message
        raise FetchError(f"the download of {url} cannot be stored in the cache "
                                 f"({why or exc})", path=cache,
                                 hint="pass a writable folder as the cache") from exc
    return FetchedFile(url, body, digest, etag, last_modified, fetched_at, False, content_type)


_Download = tuple[bytes, str | None, str | None, str | None]


def _download(http: requests.Session, url: str, headers: dict[str, str], timeout: float,
              max_bytes: int, accept: Collection[str] | None, meta: dict[str, str | None],
              body: Path, watchdog: _Watchdog, *, watched: bool) -> FetchedFile | _Download:
    """The body and headers of the answer, or the cached copy when the server says it has
    not changed; every failure, and the deadline passing, is a typed error."""
    try:
        with http.get(url, headers=headers, timeout=timeout, stream=True,
                      hooks={"response": [_refuse_downgrade]}) as response:
            if not watched:
                _watch_response(response, watchdog)
            outcome: FetchedFile | _Download
            if response.status_code == 304 and meta:
                outcome = _cached(url, body, meta, max_bytes)
            else:
                if response.status_code != 200:
                    raise FetchError(f"{url} answered HTTP {response.status_code}",
                                             hint="check the address, or try again later")
                declared_type = (response.headers.get("Content-Type") or "").split(";")[0]
                content_type = declared_type.strip().lower() or None
                _check_type(url, content_type, accept)
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(f"{url} is {declared} bytes, over the "
                                             f"{max_bytes} byte limit")
                data = _body(response, url, max_bytes, watchdog)
                outcome = (data, response.headers.get("ETag"),
                           response.headers.get("Last-Modified"), content_type)
    except FetchError as exc:
        if watchdog.fired and "did not finish within" not in exc.message:
            raise _too_slow(url, watchdog.seconds) from exc  # cut off, whatever it then said
        raise
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # OSError and urllib3's errors are raised by the raw reads
        if watchdog.fired:
            raise _too_slow(url, watchdog.seconds) from exc
        raise FetchError(f"{url} could not be fetched ({type(exc).__name__}: {exc})",
                                 hint="check the network, or pass a local file") from exc
    if watchdog.fired:  # shut down mid-answer: what arrived may look complete, it is not
        raise _too_slow(url, watchdog.seconds)
    return outcome


def _cached(url: str, body: Path, meta: dict[str, str | None], max_bytes: int) -> FetchedFile:
    """The cached copy, after the server said it has not changed: its bytes must still be
    the ones recorded."""
    try:
        data = _io.read_capped(body, max_bytes)
    except _io.FileRefusedError as exc:
        raise FetchError(f"the cached copy of {url} cannot be read ({exc.reason})",
                                 path=body, hint="delete the cache entry to download the "
                                 "list again") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta.get("sha256"):
        raise FetchError(
            f"the cached copy of {url} no longer matches the sha256 recorded "
            "when it was downloaded", path=body,
            hint="delete the cache entry to download the list again")
    return FetchedFile(url, body, digest, meta.get("etag"), meta.get("last_modified"),
                       str(meta.get("fetched_at")), True, meta.get("content_type"))


def _check_type(url: str, content_type: str | None, accept: Collection[str] | None) -> None:
    if content_type in _WEB_PAGE_TYPES:
        raise FetchError(f"{url} answered with a web page ({content_type}), not a list",
                                 hint="the address may need a sign-in, or may have moved; "
                                 "download the list by hand and pass the file")
    if accept and content_type and content_type not in {a.lower() for a in accept}:
        raise FetchError(f"{url} answered {content_type}; expected "
                                 f"{' or '.join(accept)}")
