"""Fetch one web address politely and safely: the bytes of a page or feed, or one line saying why not.

Every request: http(s) only; a clear User-Agent; robots.txt honoured (fetch.robots); at most one request per
fetch.pace_s to a host; connect/read timeouts and an overall deadline (4x fetch.timeout_s: a server dripping
bytes cannot hold an ingest); at most fetch.max_mb, decompressed (gzip is asked for and undone here); at most
fetch.max_redirects redirects, each hop checked again; addresses on private, loopback and link-local networks
refused unless fetch.allow_private. Conditional requests (ETag / Last-Modified) come back as `not_modified`.
Standard library only: http.client gives the control over sizes and hops that the above needs.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from ..config import FetchSettings
from ..errors import InputError


class FetchError(InputError):
    """A URL that could not be fetched; the message names what to do."""


def is_url(text: str) -> bool:
    """Whether a command-line item is a web address rather than a path."""
    return isinstance(text, str) and text.strip().lower().startswith(("http://", "https://"))


@dataclass
class Response:
    """What one GET gave: the final URL after redirects, and the body (empty when not modified)."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """GETs with the limits above; one per ingest run (it remembers robots.txt files and when a host was last asked)."""

    def __init__(self, settings: FetchSettings) -> None:
        self.s = settings
        self._robots: dict[str, RobotFileParser | None] = {}
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, url: str, *, etag: str = "", last_modified: str = "") -> Response:
        """The response to GET ``url`` (redirects followed); raises `FetchError` naming the URL's problem."""
        url = url.strip()
        if self.s.robots and not self._allowed(url):
            raise FetchError(f"{_host(url)}'s robots.txt does not allow fetching it: set fetch.robots = false only "
                             "where you may fetch it regardless")
        return self._get(url, etag, last_modified, for_robots=False)

    def _get(self, url: str, etag: str, last_modified: str, for_robots: bool) -> Response:
        deadline = time.monotonic() + 4 * self.s.timeout_s
        for _ in range(self.s.max_redirects + 1):
            parts = self._check(url)
            self._pace(parts.hostname or "")
            headers = {"User-Agent": self.s.user_agent, "Accept-Encoding": "gzip",
                       "Accept": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
                                 "application/xml;q=0.9,*/*;q=0.8"}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            status, reply, body = self._request(parts, headers, deadline)
            if status in (301, 302, 303, 307, 308) and reply.get("location"):
                url = urljoin(url, reply["location"])
                continue
            resp = Response(url, status, body, reply.get("content-type", ""), reply.get("etag", ""),
                            reply.get("last-modified", ""), reply)
            if status == 304 or 200 <= status < 300 or for_robots:
                return resp
            raise FetchError(_status_error(status))
        raise FetchError(f"more than {self.s.max_redirects} redirects (fetch.max_redirects): open it in a browser "
                         "and index the address it ends at")

    def _check(self, url: str):  # noqa: ANN202 - a SplitResult
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("not an http(s) address: give a URL starting with http:// or https://")
        if not self.s.allow_private:
            try:
                infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
            except (socket.gaierror, UnicodeError) as exc:
                raise FetchError(f"cannot resolve host {parts.hostname} ({exc}): check the address and the "
                                 "network") from None
            for info in infos:
                ip = ipaddress.ip_address(info[4][0].split("%")[0])
                if not ip.is_global:
                    raise FetchError(f"{parts.hostname} is on a private, loopback or link-local network ({ip}): "
                                     "refused; set fetch.allow_private = true to fetch such addresses")
        return parts

    def _pace(self, host: str) -> None:
        with self._lock:
            wait = self._last.get(host, -1e9) + self.s.pace_s - time.monotonic()
            self._last[host] = time.monotonic() + max(0.0, wait)
        if wait > 0:
            time.sleep(wait)

    def _request(self, parts, headers: dict[str, str], deadline: float) -> tuple[int, dict[str, str], bytes]:  # noqa: ANN001
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        kw = {"context": ssl.create_default_context()} if parts.scheme == "https" else {}
        conn = cls(parts.hostname, parts.port, timeout=self.s.timeout_s, **kw)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            reply = {k.lower(): v for k, v in resp.getheaders()}
            if resp.status in (301, 302, 303, 307, 308, 304) or resp.status >= 400:
                return resp.status, reply, b""
            length = reply.get("content-length", "")
            if length.isdigit() and int(length) > self.s.max_mb * 1_000_000:
                raise FetchError(self._too_big())
            return resp.status, reply, self._read(resp, reply.get("content-encoding", "").lower() == "gzip", deadline)
        except TimeoutError:
            raise FetchError(f"no answer within {self.s.timeout_s:g} s (fetch.timeout_s): try again later, or raise "
                             "fetch.timeout_s") from None
        except ssl.SSLError as exc:
            raise FetchError(f"TLS error ({exc.reason or exc}): check the address (https:// for http://?)") from None
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, FetchError):
                raise
            raise FetchError(f"cannot connect ({type(exc).__name__}: {exc}): check the address and the network, "
                             "then try again") from None
        finally:
            conn.close()

    def _read(self, resp: http.client.HTTPResponse, gzipped: bool, deadline: float) -> bytes:
        cap = int(self.s.max_mb * 1_000_000)
        z = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        out = bytearray()
        while True:
            if time.monotonic() > deadline:
                raise FetchError(f"still sending after {4 * self.s.timeout_s:g} s (4x fetch.timeout_s): try again "
                                 "later, or raise fetch.timeout_s")
            block = resp.read1(1 << 16)
            if not block:
                break
            if z is not None:
                try:
                    block = z.decompress(block, cap + 1 - len(out))
                except zlib.error:
                    raise FetchError("the server sent broken gzip data: try again later") from None
            out += block
            if len(out) > cap:
                raise FetchError(self._too_big())
        return bytes(out)

    def _too_big(self) -> str:
        return f"over {self.s.max_mb:g} MB (fetch.max_mb): raise fetch.max_mb to index it"

    # -- robots.txt -------------------------------------------------------------------------------
    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            self._robots[root] = self._load_robots(root)
        parser = self._robots[root]
        return parser is None or parser.can_fetch(self.s.user_agent, url)

    def _load_robots(self, root: str) -> RobotFileParser | None:
        """The site's robots.txt; None (all allowed) when it has none or it cannot be read now."""
        try:
            resp = self._get(root + "/robots.txt", "", "", for_robots=True)
        except FetchError:
            return None  # an unreachable robots.txt: the page's own fetch says what is wrong
        parser = RobotFileParser()
        if resp.status in (401, 403):
            parser.disallow_all = True
        elif 200 <= resp.status < 300:
            parser.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        else:
            return None
        return parser


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _status_error(status: int) -> str:
    name = http.client.responses.get(status, "")
    what = f"HTTP {status}{' ' + name if name else ''}"
    if status in (401, 403):
        return f"{what}: the site refuses it (a login or paywall?); save the page from a browser and index the file"
    if status in (404, 410):
        return f"{what}: no page at this address; check the URL"
    if status == 429:
        return f"{what}: the site asks to slow down; raise fetch.pace_s and try again later"
    if status >= 500:
        return f"{what}: the site has a problem; try again later (qa update retries)"
    return f"{what}: check the URL"
