"""Sphinx extension: every page's canonical URL, language alternates and Open Graph metadata.

Each page gets ``<link rel="canonical">`` (from ``html_baseurl``),
``<link rel="alternate" hreflang>`` links to the same page in each language of
``language_names`` and to the site's root, and Open Graph metadata with the
page's own title and description. The address is the site's
(``site_address.py``).
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

from book_languages import hreflang
from docutils import nodes
from site_address import base_url, page_url
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.typing import ExtensionMetadata

DESCRIPTION_LENGTH = 200


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


def setup(app: Sphinx) -> ExtensionMetadata:
    """Give every page its canonical URL, language alternates and Open Graph metadata."""
    app.add_config_value("open_graph_locale", "en_US", "html", types=[str])
    app.connect("config-inited", _set_base_url)
    app.connect("html-page-context", _add_metadata)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
