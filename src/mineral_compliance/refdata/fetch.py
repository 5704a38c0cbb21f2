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
an overall deadline bounds the whole body, so a server that sends a byte at a time cannot
hold the caller for ever. A cache folder that cannot be used, or a cache record that cannot
be trusted (not JSON, no sha256, its body missing or changed), is a typed error naming it.
No reference list is a web page: an answer declared as HTML, or whose body is an HTML
document (a sign-in page, a captive portal, an error page served with 200), is refused, and a
caller may name the content types it accepts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .. import _io
from ..errors import ReferenceDataError

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_MAX_BYTES", "FetchedFile", "fetch", "redirect_refused"]

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_DEADLINE = 600.0
"""Seconds for one whole download (a 100 MB list at about 170 KB/s)."""
_MAX_RECORD_BYTES = 64 * 1024
_WEB_PAGE_TYPES = ("text/html", "application/xhtml+xml")
_WEB_PAGE_STARTS = (b"<!doctype html", b"<html")


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


def _session(retries: int) -> requests.Session:
    session = requests.Session()
    retry = Retry(total=retries, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504),
                  allowed_methods=("GET",), raise_on_status=False)
    adapter = HTTPAdapter(max_retries=retry)
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


def _refuse_downgrade(response: requests.Response, *args: object, **kwargs: object
                      ) -> requests.Response:
    """A ``requests`` response hook, run on every answer of a redirect chain before the next
    request is made."""
    if response.is_redirect:
        target = urljoin(response.url, response.headers.get("Location", ""))
        why = redirect_refused(response.url, target)
        if why is not None:
            response.close()
            raise ReferenceDataError(why, hint="download the list by hand and pass the file")
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

    def damaged(why: str) -> ReferenceDataError:
        return ReferenceDataError(
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


def _body(response: requests.Response, url: str, max_bytes: int, started: float,
          deadline: float) -> bytes:
    """The body, read as it arrives (each read returns what one network read brought) so
    that the overall deadline is checked between reads, and capped at ``max_bytes``."""
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    chunks: list[bytes] = []
    size = 0
    pieces = (iter(lambda: read1(65536, decode_content=True), b"") if callable(read1)
              else response.iter_content(chunk_size=65536))
    for chunk in pieces:
        size += len(chunk)
        if size > max_bytes:
            raise ReferenceDataError(f"{url} is over the {max_bytes:,} byte limit")
        chunks.append(chunk)
        if time.monotonic() - started > deadline:
            raise ReferenceDataError(
                f"{url} took longer than the {deadline:g} s allowed for a download "
                f"({size:,} bytes arrived)", hint="try again later, or download the list by "
                "hand and pass the file")
    return b"".join(chunks)


def fetch(url: str, cache_dir: str | Path, *, session: requests.Session | None = None,
          timeout: float = 30.0, max_bytes: int = DEFAULT_MAX_BYTES,
          retries: int = 3, accept: Collection[str] | None = None,
          deadline: float = DEFAULT_DEADLINE) -> FetchedFile:
    """Download ``url`` into ``cache_dir`` (or confirm the cached copy is current).

    ``timeout``: seconds to connect and for each read; ``deadline``: seconds for the whole
    download, however slowly the server sends. ``accept``: the media types the caller can
    load (``"text/csv"``...); an answer of another declared type is refused. HTML is refused
    whatever ``accept`` says. Redirects are followed except from https to http."""
    started = time.monotonic()
    cache = Path(cache_dir)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReferenceDataError(f"the cache folder cannot be used ({exc.strerror or exc})",
                                 path=cache, hint="pass a writable folder as the cache"
                                 ) from exc
    if not cache.is_dir():
        raise ReferenceDataError("the cache folder is not a folder", path=cache,
                                 hint="pass a writable folder as the cache")
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    body, meta_path = cache / f"{key}.body", cache / f"{key}.json"
    meta = _record(meta_path, body, url)
    headers = {"Accept": ", ".join(accept) if accept else "*/*"}
    if meta.get("etag"):
        headers["If-None-Match"] = str(meta["etag"])
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = str(meta["last_modified"])
    http = session or _session(retries)
    try:
        with http.get(url, headers=headers, timeout=timeout, stream=True,
                      hooks={"response": [_refuse_downgrade]}) as response:
            if response.status_code == 304 and meta:
                return _cached(url, body, meta, max_bytes)
            if response.status_code != 200:
                raise ReferenceDataError(f"{url} answered HTTP {response.status_code}",
                                         hint="check the address, or try again later")
            declared_type = (response.headers.get("Content-Type") or "").split(";")[0]
            content_type = declared_type.strip().lower() or None
            _check_type(url, content_type, accept)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ReferenceDataError(f"{url} is {declared} bytes, over the {max_bytes} "
                                         "byte limit")
            data = _body(response, url, max_bytes, started, deadline)
            etag = response.headers.get("ETag")
            last_modified = response.headers.get("Last-Modified")
    except requests.RequestException as exc:
        raise ReferenceDataError(f"{url} could not be fetched ({type(exc).__name__}: {exc})",
                                 hint="check the network, or pass a local file") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:  # raised by the raw reads
        raise ReferenceDataError(f"{url} could not be fetched ({type(exc).__name__}: {exc})",
                                 hint="check the network, or pass a local file") from exc
    if data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_WEB_PAGE_STARTS):
        raise ReferenceDataError(f"{url} answered with a web page, not a list",
                                 hint="the address may need a sign-in, or may have moved; "
                                 "download the list by hand and pass the file")
    fetched_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    digest = hashlib.sha256(data).hexdigest()
    record = json.dumps({"url": url, "etag": etag, "last_modified": last_modified,
                         "fetched_at": fetched_at, "sha256": digest,
                         "content_type": content_type})
    try:
        # the record goes first and comes back last: an interrupted write leaves a body
        # without a record, which the next call downloads again
        meta_path.unlink(missing_ok=True)
        partial, partial_meta = body.with_suffix(".part"), meta_path.with_suffix(".part-json")
        partial.write_bytes(data)
        partial.replace(body)
        partial_meta.write_text(record, encoding="utf-8")
        partial_meta.replace(meta_path)
    except OSError as exc:
        raise ReferenceDataError(f"the download of {url} cannot be stored in the cache "
                                 f"({exc.strerror or exc})", path=cache,
                                 hint="pass a writable folder as the cache") from exc
    return FetchedFile(url, body, digest, etag, last_modified, fetched_at, False, content_type)


def _cached(url: str, body: Path, meta: dict[str, str | None], max_bytes: int) -> FetchedFile:
    """The cached copy, after the server said it has not changed: its bytes must still be
    the ones recorded."""
    try:
        data = _io.read_capped(body, max_bytes)
    except _io.FileRefusedError as exc:
        raise ReferenceDataError(f"the cached copy of {url} cannot be read ({exc.reason})",
                                 path=body, hint="delete the cache entry to download the "
                                 "list again") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta.get("sha256"):
        raise ReferenceDataError(
            f"the cached copy of {url} no longer matches the sha256 recorded "
            "when it was downloaded", path=body,
            hint="delete the cache entry to download the list again")
    return FetchedFile(url, body, digest, meta.get("etag"), meta.get("last_modified"),
                       str(meta.get("fetched_at")), True, meta.get("content_type"))


def _check_type(url: str, content_type: str | None, accept: Collection[str] | None) -> None:
    if content_type in _WEB_PAGE_TYPES:
        raise ReferenceDataError(f"{url} answered with a web page ({content_type}), not a list",
                                 hint="the address may need a sign-in, or may have moved; "
                                 "download the list by hand and pass the file")
    if accept and content_type and content_type not in {a.lower() for a in accept}:
        raise ReferenceDataError(f"{url} answered {content_type}; expected "
                                 f"{' or '.join(accept)}")
