"""Sphinx extension and script: make ``_build/html`` a site that can be hosted as it is.

The site's address comes from one setting, the environment variable
``AUTOGRAD_GUIDE_BASE_URL`` (on Read the Docs, ``READTHEDOCS_CANONICAL_URL``
is used when the first is not set). As a Sphinx extension, this module gives
every page its canonical URL, ``<link rel="alternate" hreflang>`` links to
the same page in each language, and Open Graph metadata with the page's own
title and description; it also makes a rebuild write the same files as a cold
build (two Sphinx and myst-nb behaviours below would not). Run as a script
after both languages are built (``python sphinxext/publishing.py _build/html``),
it writes the site-level files: a root page that sends readers to their
language, a 404 page, a sitemap with the alternates, ``robots.txt`` and
``.nojekyll``.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import sys
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from book_languages import hreflang
from docutils import nodes
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util.typing import ExtensionMetadata

DEFAULT_BASE_URL = "https://autograd-guide.github.io/"
CONF = Path(__file__).resolve().parent.parent / "conf.py"
TEMPLATES = Path(__file__).parent / "templates" / "site"
# Pages every Sphinx site has, which are not content to index or share.
UTILITY_PAGES = frozenset({"genindex", "search", "py-modindex"})
DESCRIPTION_LENGTH = 200


def base_url() -> str:
    """Return the address of the site's root, ending with a slash."""
    url = (
        os.environ.get("AUTOGRAD_GUIDE_BASE_URL")
        or os.environ.get("READTHEDOCS_CANONICAL_URL")
        or DEFAULT_BASE_URL
    )
    scheme, host = urlsplit(url)[:2]
    if scheme not in ("http", "https") or not host:
        raise ValueError(
            f"AUTOGRAD_GUIDE_BASE_URL must be an absolute http(s) URL, got {url!r}; "
            f"set it to the address the site is served from, such as {DEFAULT_BASE_URL}"
        )
    return url if url.endswith("/") else url + "/"


def page_url(language: str, pagename: str) -> str:
    """Return the absolute URL of a page in one language."""
    return f"{base_url()}{language}/{pagename}.html"


def description(doctree: nodes.document | None) -> str:
    """Return the first paragraph of a page's text, shortened for a link preview."""
    if doctree is None:
        return ""
    for paragraph in doctree.findall(nodes.paragraph):
        if paragraph.next_node(nodes.literal_block) is not None:
            continue
        text = " ".join(paragraph.astext().split())
        if text:
            if len(text) <= DESCRIPTION_LENGTH:
                return text
            return text[: DESCRIPTION_LENGTH - 1].rstrip() + "…"
    return ""


def _set_base_url(app: Sphinx, config: Config) -> None:
    # Sphinx writes <link rel="canonical"> from html_baseurl.
    config.html_baseurl = f"{base_url()}{config.language}/"


def _add_metadata(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    language: str = app.config.language
    languages: dict[str, str] = app.config.language_names
    settings: dict[str, dict[str, Any]] = app.config.language_settings
    tags = [
        f'<link rel="alternate" hreflang="{hreflang(other)}" href="{page_url(other, pagename)}">'
        for other in languages
    ]
    tags.append(f'<link rel="alternate" hreflang="x-default" href="{base_url()}">')
    title = context.get("title") or ""
    summary = description(doctree)
    properties = {
        "og:type": "website" if pagename == "index" else "article",
        "og:site_name": app.config.html_title,
        "og:title": _plain(title) if title else app.config.html_title,
        "og:url": page_url(language, pagename),
        "og:locale": app.config.open_graph_locale,
    }
    if summary:
        properties["og:description"] = summary
        tags.append(f'<meta name="description" content="{escape(summary)}">')
    for name, value in properties.items():
        tags.append(f'<meta property="{name}" content="{escape(_plain(value))}">')
    for other in languages:
        if other != language:
            locale = settings[other]["open_graph_locale"]
            tags.append(f'<meta property="og:locale:alternate" content="{locale}">')
    context["metatags"] = context.get("metatags", "") + "\n".join(tags) + "\n"


def _plain(html: str) -> str:
    """Return the text of a title that may hold markup (Sphinx titles are HTML)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def languages_and_titles(conf: Path = CONF) -> tuple[dict[str, str], dict[str, str]]:
    """Return the book's languages with their names, and its title in each, from ``conf``."""
    namespace = runpy.run_path(str(conf))
    settings: dict[str, dict[str, Any]] = namespace["language_settings"]
    names: dict[str, str] = namespace["language_names"]
    return names, {language: settings[language]["html_title"] for language in names}


def write_site_files(site: Path) -> list[Path]:
    """Write the root page, the 404 page, the sitemap, robots.txt and .nojekyll into ``site``."""
    languages, titles = languages_and_titles()
    for language in languages:
        if not (site / language / "index.html").is_file():
            raise ValueError(f"{site / language} is not built; build both languages first")
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    pages = sorted(
        path.relative_to(site / "en").with_suffix("").as_posix()
        for path in (site / "en").rglob("*.html")
        if not path.relative_to(site / "en").parts[0].startswith("_")
        and path.stem not in UTILITY_PAGES
    )
    context = {
        "base_url": base_url(),
        "base_path": urlsplit(base_url()).path,
        "languages": languages,
        "titles": titles,
        "pages": pages,
        "hreflang": hreflang,
        "page_url": page_url,
    }
    written = []
    for name in ("index.html", "404.html", "sitemap.xml", "robots.txt"):
        target = site / name
        target.write_text(environment.get_template(name).render(context), encoding="utf-8")
        written.append(target)
    # GitHub Pages would otherwise hide the folders whose names start with _.
    (site / ".nojekyll").write_text("", encoding="utf-8")
    written.append(site / ".nojekyll")
    return written


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


def setup(app: Sphinx) -> ExtensionMetadata:
    """Give every page its canonical URL, language alternates and Open Graph metadata."""
    app.add_config_value("open_graph_locale", "en_US", "html", types=[str])
    app.connect("config-inited", _set_base_url)
    app.connect("builder-inited", _copy_notebook_stylesheet_first)
    app.connect("env-updated", _restore_index_entries)
    app.connect("build-finished", _save_index_entries)
    app.connect("html-page-context", _add_metadata)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python sphinxext/publishing.py <the built site, such as _build/html>")
    for path in write_site_files(Path(sys.argv[1])):
        print(f"wrote {path}")
