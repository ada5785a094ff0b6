"""Sphinx extension: a page that warned is read again by the next build.

Sphinx saves what it has read even when warnings fail the build, and the next
build reads only the pages that changed since. A page whose warning failed the
build would pass the next one unchanged, its warning never shown again. This
extension notes every page a warning points to (in
``<doctree dir>/pages-with-warnings.json``) and marks those pages outdated at
the start of the next build: their warnings come back until the cause is
fixed, and every other page keeps its saved state.

A warning that names no page but comes while pages are being read (a page's
code may warn without saying where) is charged to all the pages read in that
build. Warnings from the other phases that name no page (configuration, theme,
static files) come from work that is done again by every build anyway.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.logging import NAMESPACE, get_node_location, is_suppressed_warning
from sphinx.util.typing import ExtensionMetadata

RECORD = "pages-with-warnings.json"


class WarnedPages(logging.Handler):
    """Collect the names of the pages that warnings point to."""

    def __init__(self, app: Sphinx) -> None:
        super().__init__(level=logging.WARNING)
        self.app = app
        self.docnames: set[str] = set()
        # The pages being read, while they are.
        self.reading: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        """Note the page a counted warning points to."""
        suppressed = self.app.config.suppress_warnings
        if is_suppressed_warning(
            getattr(record, "type", ""), getattr(record, "subtype", ""), suppressed
        ):
            return
        docname = self.docname(getattr(record, "location", None))
        if docname is not None:
            self.docnames.add(docname)
        else:
            self.docnames |= self.reading

    def docname(self, location: object) -> str | None:
        """Return the page a warning's location names, if it names one of the book's pages.

        Sphinx's own handler may already have turned the location into
        ``path:line``; before that it is a page name, a ``(page, line)`` pair
        or a node.
        """
        env = self.app.env
        if isinstance(location, tuple):
            location = location[0]
        elif isinstance(location, nodes.Node):
            location = get_node_location(location)
        if not isinstance(location, str) or not location:
            return None
        candidates = [location, location.rpartition(":")[0]]
        for candidate in candidates:
            if candidate in env.found_docs:
                return candidate
            docname = env.path2doc(candidate) if candidate else None
            if docname in env.found_docs:
                return docname
        return None


def _record(app: Sphinx) -> Path:
    return Path(app.doctreedir, RECORD)


def _read_record(app: Sphinx) -> set[str]:
    try:
        return set(json.loads(_record(app).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return set()


class _Build:
    """The extension's event handlers, around the one log handler of a build."""

    def __init__(self, app: Sphinx) -> None:
        self.handler = WarnedPages(app)

    def start(self, app: Sphinx) -> None:
        logging.getLogger(NAMESPACE).addHandler(self.handler)

    def warned_last_time(
        self,
        app: Sphinx,
        env: BuildEnvironment,
        added: set[str],
        changed: set[str],
        removed: set[str],
    ) -> Iterable[str]:
        return _read_record(app) & env.found_docs

    def reading(self, app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
        self.handler.reading = set(docnames)

    def read(self, app: Sphinx, env: BuildEnvironment) -> list[str]:
        self.handler.reading = set()
        return []

    def finish(self, app: Sphinx, exception: Exception | None) -> None:
        logging.getLogger(NAMESPACE).removeHandler(self.handler)
        warned = set(self.handler.docnames)
        if exception is not None:
            # The pages that warned last time may not have been read again.
            warned |= _read_record(app)
        record = _record(app)
        if warned:
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps(sorted(warned), indent=0) + "\n", encoding="utf-8")
        else:
            record.unlink(missing_ok=True)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Record the pages that warn, and read them again in the next build."""
    build = _Build(app)
    app.connect("builder-inited", build.start)
    app.connect("env-get-outdated", build.warned_last_time)
    app.connect("env-before-read-docs", build.reading)
    # Before the handlers of other extensions, which may warn about pages
    # that were not read in this build.
    app.connect("env-updated", build.read, priority=100)
    app.connect("build-finished", build.finish)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
