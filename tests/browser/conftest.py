"""A real Chromium reading the built site, served on 127.0.0.1 under a path prefix."""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.built_site import ROOT, SITE, site_languages

SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Serving the book below a prefix, as a project site is served, shows that
# no link assumes it sits at the root of its host.
PREFIX = "/autograd-guide"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site below PREFIX, compressed as a web host serves it."""

    def translate_path(self, path: str) -> str:
        if not path.startswith(PREFIX + "/"):
            return str(SITE / "__outside_the_prefix__")
        return super().translate_path(path[len(PREFIX) :])

    def send_head(self) -> io.BytesIO | object | None:  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if not path.exists() and self.path.startswith(PREFIX + "/"):
            # As GitHub Pages does: the site's own 404 page, whatever the depth.
            body = (SITE / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)
        if not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve() -> Iterator[str]:
    """Serve the built site on 127.0.0.1 while the block runs; give its address."""
    handler = functools.partial(_SiteHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    if not site_languages():
        pytest.fail(f"{SITE} is not built; run `nox -s docs` first")
    with serve() as url:
        yield url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing; `apt-get install chromium fonts-noto-cjk` installs it")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


def site_pages(language: str) -> list[str]:
    """Every page of one language, as paths below the language's folder."""
    root = SITE / language
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.html")
        if not path.relative_to(root).parts[0].startswith("_")
    )
