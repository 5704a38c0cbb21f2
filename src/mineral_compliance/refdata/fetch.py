"""Download a reference list, explicitly, into an on-disk cache.

Nothing in the library fetches on import or behind the caller's back: this is the one function
that touches the network, and only when called. It uses ``requests`` (a session may be passed
in), a timeout, retries with back-off on connection errors and 5xx answers, and a size cap
enforced while streaming. Each URL's body is cached beside a small JSON record of its ETag and
Last-Modified headers and sha256; the next call asks the server whether it changed
(``If-None-Match`` / ``If-Modified-Since``) and a 304 answer reuses the cached bytes once
they match the recorded sha256. TLS certificates are always verified (requests' default,
never turned off here); a body shorter than its declared length is an error, not a list.
No reference list is a web page: an answer declared as HTML, or whose body is an HTML
document (a sign-in page, a captive portal, an error page served with 200), is refused, and a
caller may name the content types it accepts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..errors import ReferenceDataError

__all__ = ["FetchedFile", "fetch"]

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
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


def fetch(url: str, cache_dir: str | Path, *, session: requests.Session | None = None,
          timeout: float = 30.0, max_bytes: int = DEFAULT_MAX_BYTES,
          retries: int = 3, accept: Collection[str] | None = None) -> FetchedFile:
    """Download ``url`` into ``cache_dir`` (or confirm the cached copy is current).

    ``accept``: the media types the caller can load (``"text/csv"``...); an answer of another
    declared type is refused. HTML is refused whatever ``accept`` says."""
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    body, meta_path = cache / f"{key}.body", cache / f"{key}.json"
    meta: dict[str, str | None] = {}
    if body.is_file() and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            meta = {}
    headers = {"Accept": ", ".join(accept) if accept else "*/*"}
    if meta.get("etag"):
        headers["If-None-Match"] = str(meta["etag"])
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = str(meta["last_modified"])
    http = session or _session(retries)
    try:
        with http.get(url, headers=headers, timeout=timeout, stream=True) as response:
            if response.status_code == 304 and body.is_file():
                data = body.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                if meta.get("sha256") and digest != meta.get("sha256"):
                    raise ReferenceDataError(
                        f"the cached copy of {url} no longer matches the sha256 recorded "
                        "when it was downloaded", path=body,
                        hint="delete the cache entry to download the list again")
                return FetchedFile(url, body, digest, meta.get("etag"),
                                   meta.get("last_modified"), str(meta.get("fetched_at")),
                                   True, meta.get("content_type"))
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
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > max_bytes:
                    raise ReferenceDataError(f"{url} is over the {max_bytes} byte limit")
                chunks.append(chunk)
            etag = response.headers.get("ETag")
            last_modified = response.headers.get("Last-Modified")
    except requests.RequestException as exc:
        raise ReferenceDataError(f"{url} could not be fetched ({type(exc).__name__}: {exc})",
                                 hint="check the network, or pass a local file") from exc
    data = b"".join(chunks)
    if data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_WEB_PAGE_STARTS):
        raise ReferenceDataError(f"{url} answered with a web page, not a list",
                                 hint="the address may need a sign-in, or may have moved; "
                                 "download the list by hand and pass the file")
    fetched_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    partial = body.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(body)
    digest = hashlib.sha256(data).hexdigest()
    meta_path.write_text(json.dumps({"url": url, "etag": etag, "last_modified": last_modified,
                                     "fetched_at": fetched_at, "sha256": digest,
                                     "content_type": content_type}),
                         encoding="utf-8")
    return FetchedFile(url, body, digest, etag, last_modified, fetched_at, False, content_type)


def _check_type(url: str, content_type: str | None, accept: Collection[str] | None) -> None:
    if content_type in _WEB_PAGE_TYPES:
        raise ReferenceDataError(f"{url} answered with a web page ({content_type}), not a list",
                                 hint="the address may need a sign-in, or may have moved; "
                                 "download the list by hand and pass the file")
    if accept and content_type and content_type not in {a.lower() for a in accept}:
        raise ReferenceDataError(f"{url} answered {content_type}; expected "
                                 f"{' or '.join(accept)}")
