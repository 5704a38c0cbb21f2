"""Explicit downloads against a real HTTP server on loopback: cache, 304, size cap, errors."""

from __future__ import annotations

import gzip
import io
import json
import os
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests
from requests.adapters import HTTPAdapter

from mineral_compliance.errors import FetchError, ReferenceDataError
from mineral_compliance.refdata.fetch import fetch, redirect_refused

BODY = b"Smelter ID,Standard Smelter Name,Status\nCID000202,Example,Conformant\n"


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[tuple[str, str | None]]] = []

    encodings: ClassVar[list[str | None]] = []

    def _for_a_while(self, piece: bytes, pause: float, seconds: float = 6.0) -> None:
        """Send ``piece`` every ``pause`` seconds for ``seconds`` (or until the client hangs
        up), so that a client that does not stop by itself still ends the test."""
        until = time.monotonic() + seconds
        try:
            while time.monotonic() < until:
                self.wfile.write(piece)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass

    def do_GET(self) -> None:
        self.hits.append((self.path, self.headers.get("If-None-Match")))
        self.encodings.append(self.headers.get("Accept-Encoding"))
        if self.path == "/slow-headers":  # one header line at a time, never the blank line
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._for_a_while(b"X-Slow: a\r\n", 0.2)
            return
        if self.path in ("/empty-blocks", "/redirect-forever"):
            redirect = self.path == "/redirect-forever"
            self.send_response(302 if redirect else 200)
            if redirect:
                self.send_header("Location", "/list.csv")
            else:
                self.send_header("Content-Encoding", "deflate")
            self.end_headers()
            self.wfile.write(b"\x78\x01")  # a zlib stream, then stored blocks of nothing
            self._for_a_while(b"\x00\x00\x00\xff\xff" * 2000, 0.01)
            return
        if self.path in ("/gzip", "/bomb", "/brotli", "/cut-gzip"):
            body = {"/gzip": gzip.compress(BODY), "/bomb": zlib.compress(b"x" * 5_000_000),
                    "/brotli": BODY, "/cut-gzip": gzip.compress(BODY)[:-12]}[self.path]
            self.send_response(200)
            self.send_header("Content-Encoding", {"/gzip": "gzip", "/bomb": "deflate",
                                                  "/brotli": "br", "/cut-gzip": "gzip"
                                                  }[self.path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/broken":
            self.send_response(500)
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.5)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(BODY)
            return
        if self.path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY) * 2))
            self.end_headers()
            self.wfile.write(BODY)  # half of what was promised, then the connection closes
            return
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/list.csv")
            self.end_headers()
            return
        if self.path in ("/page", "/sneaky", "/typed"):
            body = BODY if self.path == "/typed" else (
                b"\n<!DOCTYPE html><html><body>Please sign in</body></html>")
            self.send_response(200)
            self.send_header("Content-Type", {"/page": "text/html; charset=utf-8",
                                              "/sneaky": "application/octet-stream",
                                              "/typed": "text/csv; charset=utf-8"}[self.path])
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/drip":  # a byte at a time, each well within the read timeout
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:  # the client hung up
                pass
            return
        if self.path == "/huge":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 5000)
            return
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", '"v1"')
        self.send_header("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.hits = []
    _Handler.encodings = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_then_not_modified_reuses_the_cache(server: str, tmp_path: Path) -> None:
    first = fetch(f"{server}/list.csv", tmp_path)
    assert (first.from_cache, first.etag, first.path.read_bytes()) == (False, '"v1"', BODY)
    second = fetch(f"{server}/list.csv", tmp_path)
    assert second.from_cache and second.sha256 == first.sha256
    assert _Handler.hits == [("/list.csv", None), ("/list.csv", '"v1"')]


def test_size_cap_and_server_errors_are_typed(server: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="byte limit"):
        fetch(f"{server}/huge", tmp_path, max_bytes=1000)
    with pytest.raises(ReferenceDataError, match="HTTP 500"):
        fetch(f"{server}/broken", tmp_path, retries=1)
    assert sum(1 for path, _ in _Handler.hits if path == "/broken") == 2  # retried once
    with pytest.raises(ReferenceDataError, match="could not be fetched"):
        fetch("http://127.0.0.1:9/nothing", tmp_path, timeout=2, retries=0)
    assert not list(tmp_path.glob("*.body"))  # nothing half-written was cached


def test_cahra_list_fetched_from_an_api_shaped_response(tmp_path: Path) -> None:
    import functools
    import json
    from http.server import SimpleHTTPRequestHandler

    from mineral_compliance.refdata import fetch_cahra

    site = tmp_path / "site"
    site.mkdir()
    (site / "cahras").write_text(json.dumps({"data": [
        {"countryName": "Burundi", "iso2": "BI", "regions": None, "wholeCountry": True}]}),
        encoding="utf-8")
    (site / "other").write_text(json.dumps({"unexpected": 1}), encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        cahra = fetch_cahra(tmp_path / "cache", url=f"{base}/cahras")
        assert cahra.countries() == {"BI"} and cahra.snapshot.rows == 1
        with pytest.raises(ReferenceDataError, match="CAHRA"):
            fetch_cahra(tmp_path / "cache", url=f"{base}/other")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_misbehaving_server_gives_typed_errors(server: str, tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="could not be fetched"):
        fetch(f"{server}/slow", tmp_path, timeout=0.5, retries=0)
    with pytest.raises(ReferenceDataError, match="could not be fetched"):
        fetch(f"{server}/truncated", tmp_path, retries=0)
    moved = fetch(f"{server}/moved", tmp_path)  # a redirect within the server is followed
    assert moved.path.read_bytes() == BODY
    assert not list(tmp_path.glob("*.part"))


def test_web_pages_and_unexpected_content_types_are_refused(server: str,
                                                            tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match=r"web page \(text/html\)"):
        fetch(f"{server}/page", tmp_path)
    with pytest.raises(ReferenceDataError, match="web page, not a list"):
        fetch(f"{server}/sneaky", tmp_path)  # declared as binary, but an HTML document
    got = fetch(f"{server}/typed", tmp_path, accept=("text/csv",))
    assert got.content_type == "text/csv" and got.path.read_bytes() == BODY
    with pytest.raises(ReferenceDataError, match="answered text/csv; expected application/json"):
        fetch(f"{server}/typed", tmp_path / "other", accept=("application/json",))
    # only the accepted answer was cached
    assert [p.name for p in tmp_path.rglob("*.body")] == [got.path.name]


def test_a_tampered_cache_is_refused(server: str, tmp_path: Path) -> None:
    first = fetch(f"{server}/list.csv", tmp_path)
    first.path.write_bytes(b"Smelter ID,Status\nCID999999,Conformant\n")  # edited by hand
    with pytest.raises(ReferenceDataError, match="no longer matches the sha256"):
        fetch(f"{server}/list.csv", tmp_path)


def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ReferenceDataError, match=r"did not finish within 1 s"):
        fetch(f"{server}/drip", tmp_path, timeout=2, deadline=1, retries=0)
    assert time.monotonic() - started < 4
    assert not list(tmp_path.glob("*.body"))


def test_the_redirect_policy() -> None:
    assert redirect_refused("https://example.org/a", "https://mirror.example.org/a") is None
    assert redirect_refused("http://example.org/a", "https://example.org/a") is None
    assert redirect_refused("http://example.org/a", "http://example.org/b") is None
    assert "from https to unencrypted http" in (
        redirect_refused("https://example.org/a", "http://example.org/a") or "")
    assert "file address" in (redirect_refused("http://example.org/a", "file:///etc/passwd")
                              or "")


class _TlsRedirect(HTTPAdapter):
    """Stands in for an https server that redirects to ``target``: no TLS is needed to test
    what the client does with the answer."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object
             ) -> requests.Response:
        response = requests.Response()
        response.status_code = 302
        response.headers["Location"] = self.target
        response.url = request.url or ""
        response.request = request
        response.raw = io.BytesIO(b"")
        return response


def test_a_redirect_from_https_to_http_is_not_followed(server: str, tmp_path: Path) -> None:
    session = requests.Session()
    session.mount("https://", _TlsRedirect(f"{server}/list.csv"))
    with pytest.raises(ReferenceDataError, match="from https to unencrypted http"):
        fetch("https://lists.example.org/list.csv", tmp_path, session=session)
    assert _Handler.hits == []  # the plain-http address was never asked
    session.mount("https://", _TlsRedirect("https://lists.example.org/moved.csv"))
    with pytest.raises(ReferenceDataError, match="could not be fetched"):
        fetch("https://lists.example.org/list.csv", tmp_path, session=session)  # loops: allowed


def test_an_unusable_cache_folder_is_a_typed_error(server: str, tmp_path: Path) -> None:
    taken = tmp_path / "cache"
    taken.write_text("not a folder", encoding="utf-8")
    for folder in (taken, taken / "below"):
        with pytest.raises(ReferenceDataError, match="cache folder cannot be used") as info:
            fetch(f"{server}/list.csv", folder)
        assert info.value.path == str(folder)
    assert _Handler.hits == []  # refused before anything was downloaded


@pytest.mark.parametrize(("damage", "why"), [
    ("not json", "not JSON"), ("[]", "not a JSON object"), ('{"sha256": 5}', "sha256 is not text"),
    ('{"etag": "x"}', "no sha256"), ("body", "the body"),
])
def test_a_damaged_cache_record_is_a_typed_error(server: str, tmp_path: Path, damage: str,
                                                 why: str) -> None:
    first = fetch(f"{server}/list.csv", tmp_path)
    record = first.path.with_suffix(".json")
    if damage == "body":
        first.path.unlink()
        first.path.mkdir()  # what was the body is now a folder
    else:
        record.write_text(damage, encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=f"cache record .* is damaged .*{why}") as info:
        fetch(f"{server}/list.csv", tmp_path)
    assert info.value.path == str(record) and info.value.hint and "delete" in info.value.hint


def test_an_interrupted_download_is_downloaded_again(server: str, tmp_path: Path) -> None:
    first = fetch(f"{server}/list.csv", tmp_path)
    first.path.with_suffix(".json").unlink()  # the body is there, its record is not
    again = fetch(f"{server}/list.csv", tmp_path)
    assert not again.from_cache and again.path.read_bytes() == BODY
    assert json.loads(again.path.with_suffix(".json").read_text(encoding="utf-8"))[
        "sha256"] == again.sha256


# -- the deadline and the size cap hold whatever the server sends ------------------------------


def test_headers_sent_a_line_at_a_time_are_cut_off_at_the_deadline(server: str,
                                                                   tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ReferenceDataError, match=r"did not finish within 1 s"):
        fetch(f"{server}/slow-headers", tmp_path, timeout=5, deadline=1, retries=0)
    assert time.monotonic() - started < 3
    assert not list(tmp_path.glob("*.body"))


def test_the_deadline_covers_every_retry(server: str, tmp_path: Path) -> None:
    started = time.monotonic()  # /slow answers after 1.5 s: each try times out at 0.6 s
    with pytest.raises(ReferenceDataError, match=r"did not finish within 1 s"):
        fetch(f"{server}/slow", tmp_path, timeout=0.6, deadline=1, retries=5)
    assert time.monotonic() - started < 2.5


def test_compressed_data_that_decodes_to_nothing_is_cut_off(server: str,
                                                            tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ReferenceDataError, match=r"did not finish within 1 s"):
        fetch(f"{server}/empty-blocks", tmp_path, timeout=5, deadline=1, retries=0)
    assert time.monotonic() - started < 3
    started = time.monotonic()  # the bytes that arrive count, not only those they decode to
    with pytest.raises(ReferenceDataError, match="over the 1,000 byte limit"):
        fetch(f"{server}/empty-blocks", tmp_path, timeout=5, deadline=30, max_bytes=1000,
              retries=0)
    assert time.monotonic() - started < 3
    assert not list(tmp_path.glob("*.body"))


def test_a_redirect_body_is_not_read(server: str, tmp_path: Path) -> None:
    started = time.monotonic()  # the redirect's own body would go on for 6 s
    got = fetch(f"{server}/redirect-forever", tmp_path, timeout=5, deadline=30, retries=0)
    assert got.path.read_bytes() == BODY and time.monotonic() - started < 3


def test_content_encodings_are_asked_against_and_decoded_within_the_cap(
        server: str, tmp_path: Path) -> None:
    assert fetch(f"{server}/gzip", tmp_path).path.read_bytes() == BODY  # sent all the same
    assert set(_Handler.encodings) == {"identity"}
    with pytest.raises(ReferenceDataError, match="over the 100,000 byte limit"):
        fetch(f"{server}/bomb", tmp_path, max_bytes=100_000)  # 5 MB in 5 KB
    with pytest.raises(ReferenceDataError, match=r"content encoding br"):
        fetch(f"{server}/brotli", tmp_path)
    with pytest.raises(ReferenceDataError, match="ends before its compressed data"):
        fetch(f"{server}/cut-gzip", tmp_path)
    assert [p.name for p in tmp_path.glob("*.body")] == [
        fetch(f"{server}/gzip", tmp_path).path.name]


def test_two_fetches_of_one_address_do_not_collide(server: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A second fetch of the same address runs to its end between the first one's write of
    the body and its rename into place."""
    replace = os.replace
    other: list[object] = []

    def interleaved(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if not other and str(dst).endswith(".body"):
            def second() -> None:
                try:
                    other.append(fetch(f"{server}/list.csv", tmp_path))
                except ReferenceDataError as exc:
                    other.append(exc)
            other.append("started")
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(10)
        replace(src, dst)

    monkeypatch.setattr(os, "replace", interleaved)
    first = fetch(f"{server}/list.csv", tmp_path)
    monkeypatch.undo()
    assert len(other) == 2 and not isinstance(other[1], ReferenceDataError), other
    assert first.path.read_bytes() == BODY
    record = json.loads(first.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["sha256"] == first.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [first.path.name, first.path.with_suffix(".json").name])  # no temporary file left


def test_a_cache_inside_the_output_being_written_is_refused(server: str,
                                                            tmp_path: Path) -> None:
    from mineral_compliance._io.run import output_run

    with output_run(tmp_path / "out", name="test"), pytest.raises(
            ReferenceDataError, match="inside the output folder"):
        fetch(f"{server}/list.csv", tmp_path / "out" / "cache")
    assert not (tmp_path / "out" / "cache").exists()
    with output_run(tmp_path / "out", name="test"):  # a cache elsewhere is written at once
        got = fetch(f"{server}/list.csv", tmp_path / "cache")
        assert got.path.read_bytes() == BODY
