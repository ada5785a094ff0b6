"""Sphinx extension: a rebuild writes the same files as a cold build.

Three behaviours of Sphinx and myst-nb would make a rebuild that rewrites only
some pages publish files that differ from a cold build's: the notebook
stylesheet's link, the search index's entries, and the pages' links to the
project's own static files. Each handler below says how.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util.typing import ExtensionMetadata


def _copy_notebook_stylesheet_first(app: Sphinx) -> None:
    # Sphinx appends a checksum (?v=...) to a stylesheet's link only when the
    # file is already in the output folder. myst-nb copies its stylesheet
    # after the pages are written, so a cold build links it without one and a
    # later rebuild with one. Copying it first makes every build the same.
    from myst_nb.sphinx_ext import add_global_html_resources

    if app.builder.format != "html":
        return
    Path(app.outdir, "_static").mkdir(parents=True, exist_ok=True)
    add_global_html_resources(app, None)


# Sphinx collects the search index's entries from index directives while it
# writes the pages, after it has saved its environment, so a rebuild that
# rewrites only some pages publishes a search index without the others'
# entries (Sphinx issue 12599). They are kept in this file between builds.
INDEX_ENTRIES_FILE = "search_index_entries.json"


def _restore_index_entries(app: Sphinx, env: BuildEnvironment) -> None:
    path = Path(app.doctreedir, INDEX_ENTRIES_FILE)
    if app.builder.format != "html" or not path.is_file():
        return
    entries: dict[str, list[tuple[str, str, str]]] = env._search_index_index_entries
    for docname in set(entries) - env.found_docs:
        del entries[docname]
    saved = json.loads(path.read_text(encoding="utf-8"))
    for docname, rows in saved.items():
        if docname in env.found_docs and docname not in entries:
            entries[docname] = [tuple(row) for row in rows]


def _save_index_entries(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    entries = app.env._search_index_index_entries
    Path(app.doctreedir, INDEX_ENTRIES_FILE).write_text(
        json.dumps(entries, sort_keys=True, ensure_ascii=False), encoding="utf-8"
    )


def files_digest(confdir: Path, folders: list[str]) -> str:
    """Return a digest of the names and contents of the files in ``folders``.

    Relative folders are read from ``confdir``, as Sphinx reads
    ``html_static_path``.
    """
    digest = hashlib.sha256()
    for folder in folders:
        root = confdir / folder
        for path in sorted(root.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _digest_static_files(app: Sphinx, config: Config) -> None:
    # A page links each stylesheet with its checksum (?v=...), and the merged
    # stylesheet is named by those links (light_pages.py); but an edited
    # stylesheet is not a reason for Sphinx to write a page again, so the
    # pages would keep linking the old one. A digest of the static files,
    # as a config value that asks for the HTML to be written again, is.
    config.static_files_digest = files_digest(Path(app.confdir), config.html_static_path)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Make rebuilds write the stylesheets' links and the search index as cold builds do."""
    app.add_config_value("static_files_digest", "", "html", types=[str])
    app.connect("config-inited", _digest_static_files)
    app.connect("builder-inited", _copy_notebook_stylesheet_first)
    app.connect("env-updated", _restore_index_entries)
    app.connect("build-finished", _save_index_entries)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
