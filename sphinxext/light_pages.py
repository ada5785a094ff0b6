"""Sphinx extension: pages that paint at once, with every control of the theme.

pydata-sphinx-theme loads Font Awesome as a 1.5 MB script that draws every
icon it knows, and as a 115 kB web font that holds them all again; the book
uses about twenty icons. Its pages also wait, before they paint anything, for
eight stylesheets (one of them importing a ninth) and a dozen scripts,
among them the search index and search code, which only the search page
uses. This extension, with ``templates/layout.html``,

- drops the icon script from every page (the ``without_script`` filter); the
  theme's stylesheet still draws each icon from the web font, which the page
  preloads;
- when the build has finished, replaces the web font in the output with a
  subset holding only the icons the site's pages and scripts name;
- merges the stylesheets, in their order and with their ``@import`` and
  ``url()`` references resolved, into one file without comments
  (``merged_stylesheets``), so that the first paint waits for one request;
- defers every script of the page head, keeping their order: files get
  ``defer``, inline scripts become deferred ``data:`` scripts
  (``deferred_scripts``), so they run, as before, before the document's
  ``DOMContentLoaded`` and in the same sequence, but after the first paint;
- loads the search scripts and index on the search page only, deferred
  there too (``templates/search.html``);
- resolves the reader's colour theme in the head (``resolved_theme``), so
  that the theme's script finds it set and the page is styled once.

The index and search pages, which have no text of their own to describe,
get a description naming the book. The theme's inline script that applies
the reader's light or dark mode stays where it is and runs first, so that a
page never flashes in the wrong mode. Every page still works from
``file://``: nothing is fetched by script.
"""

from __future__ import annotations

import base64
import hashlib
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from fontTools import subset
from markupsafe import Markup
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

FONT = Path("_static/vendor/fontawesome/webfonts/fa-solid-900.woff2")
STYLESHEET = Path("_static/styles/pydata-sphinx-theme.css")
# ".fa-magnifying-glass,.fa-search{--fa:"\f002"}" in the theme's stylesheet.
_ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+,?)+)\{--fa:"\\([0-9a-f]+)"\}')
_ICON_NAME = re.compile(r"\bfa-[a-z0-9-]+")
# --pst-icon-info-circle:"\uf05a" (or the escape \f05a): icons the stylesheet
# draws by itself, such as those of admonitions.
_ICON_VARIABLE = re.compile(r'--pst-icon-[a-z-]+:"(\\[0-9a-f]+|[^"\\])"')


MERGED = "_static/styles/book-merged-{digest}.css"
_STYLESHEET_LINK = re.compile(
    r'<link\b(?=[^>]*\brel="stylesheet")[^>]*\bhref="(?P<href>[^"]+)"[^>]*/?>\s*'
)
_SCRIPT = re.compile(r"<script(?P<attributes>[^>]*)>(?P<body>.*?)</script>", re.DOTALL)
_IMPORT = re.compile(r'@import\s+(?:url\()?["\']?(?P<target>[^"\')]+)["\']?\)?\s*;')
_URL = re.compile(r"url\(\s*(?P<quote>[\"']?)(?P<target>[^)\"']+)(?P=quote)\s*\)")
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def merged_stylesheets(html: str, lists: Path) -> Markup:
    """Replace the stylesheet links of ``html`` by one link to their merged stylesheet.

    The stylesheets are all below ``_static/``, which gives the page's path
    to the site root. The link takes the place of the first one. The merged
    file is named by a digest of the links (each with its version), so it
    changes whenever any of the merged files does. The list of its sources
    is kept in the folder ``lists`` (beside the doctrees, which outlive a
    build) for :func:`write_merged_stylesheets`: pages may be written in
    parallel processes, and an incremental build may write none.
    """
    html = str(html)
    links = [match.group("href") for match in _STYLESHEET_LINK.finditer(html)]
    if not links:
        return Markup(html)
    root = links[0][: links[0].index("_static/")]
    hrefs = [href[href.index("_static/") :] for href in links]
    digest = hashlib.sha256("\n".join(hrefs).encode()).hexdigest()[:12]
    sources = lists / f"{digest}.sources"
    if not sources.is_file():
        lists.mkdir(parents=True, exist_ok=True)
        temporary = sources.with_suffix(f".{os.getpid()}")
        temporary.write_text("\n".join(hrefs) + "\n", encoding="utf-8")
        temporary.replace(sources)
    first = _STYLESHEET_LINK.search(html)
    assert first is not None
    rest = _STYLESHEET_LINK.sub("", html[first.end() :])
    link = f'<link rel="stylesheet" href="{root}{MERGED.format(digest=digest)}" />\n'
    return Markup(html[: first.start()] + link + rest)


def write_merged_stylesheets(outdir: Path, lists: Path) -> None:
    """Write the merged stylesheet of each list of sources in ``lists`` into ``outdir``.

    The rules of icons that no page or script names are left out, as their
    glyphs are left out of the icon font, and so are the rules that need a
    class no page has and no script names. A merged stylesheet is written
    again only when its sources or the site's classes have changed.
    """
    icons = used_icons(outdir)
    names = site_class_names(outdir)
    for sources in sorted(lists.glob("*.sources")):
        paths = sources.read_text(encoding="utf-8").split()
        target = outdir / MERGED.format(digest=sources.stem)
        merged = merge_stylesheets(outdir, paths)
        key = hashlib.sha256(
            "\n".join([merged, *sorted(icons), *sorted(names)]).encode()
        ).hexdigest()
        stamp = sources.with_suffix(".written")
        if target.is_file() and stamp.is_file() and stamp.read_text(encoding="ascii") == key:
            continue
        css = without_unused_rules(without_unused_icons(merged, icons), names)
        target.write_text(css, encoding="utf-8")
        stamp.write_text(key, encoding="ascii")


_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_FUNCTIONAL = re.compile(r":[a-z-]+\(")
_TOKEN = re.compile(r"-?[_a-zA-Z][\w-]*")
_CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')


def site_class_names(outdir: Path) -> set[str]:
    """Return every class name the site's pages use and every word its scripts contain.

    A script may add a class to a page (bootstrap's ``show``, the theme's
    ``bd-search-active``): any word in a script counts as a class in use,
    and a word that ends with a hyphen as the start of classes in use
    (bootstrap's ``bs-${name}-auto`` gives ``bs-tooltip-auto``).
    """
    names: set[str] = set()
    for path in outdir.glob("**/*.html"):
        for value in _CLASS_ATTRIBUTE.findall(path.read_text(encoding="utf-8")):
            names.update(value.split())
    for path in outdir.glob("_static/**/*.js"):
        if path.name != "fontawesome.js" and path.is_file():
            names.update(_TOKEN.findall(path.read_text(encoding="utf-8")))
    return names


def _selector_may_match(selector: str, names: set[str], prefixes: tuple[str, ...]) -> bool:
    # Classes inside :not(), :is(), :where(), :has() ... are not required; in
    # :not() their absence is what matches.
    required = selector
    while (match := _FUNCTIONAL.search(required)) is not None:
        depth, end = 1, match.end()
        while end < len(required) and depth:
            depth += {"(": 1, ")": -1}.get(required[end], 0)
            end += 1
        required = required[: match.start()] + required[end:]
    return all(name in names or name.startswith(prefixes) for name in _CLASS.findall(required))


def without_unused_rules(css: str, names: set[str]) -> str:
    """Return ``css`` without the style rules that need a class in none of ``names``.

    A rule is kept if any of its selectors could match: all the classes it
    requires are in ``names``. Rules inside ``@media``, ``@supports`` and
    ``@layer`` blocks are filtered alike; other at-rules are kept whole, and
    blocks left empty are dropped.
    """
    import tinycss2  # only the HTML build needs it

    prefixes = tuple(name for name in names if name.endswith("-") and len(name) > 2)

    def filtered(nodes: list[Any]) -> str:
        kept: list[str] = []
        for node in nodes:
            if node.type == "qualified-rule":
                selectors = tinycss2.serialize(node.prelude).split(",")
                if any(_selector_may_match(selector, names, prefixes) for selector in selectors):
                    kept.append(node.serialize())
            elif (
                node.type == "at-rule"
                and node.content is not None
                and (node.lower_at_keyword in ("media", "supports", "layer", "container"))
            ):
                inner = filtered(tinycss2.parse_rule_list(node.content))
                if inner.strip():
                    prelude = tinycss2.serialize(node.prelude)
                    kept.append(f"@{node.at_keyword}{prelude}{{{inner}}}")
            elif node.type in ("at-rule", "qualified-rule"):
                kept.append(node.serialize())
        return "\n".join(kept)

    return filtered(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def without_unused_icons(css: str, icons: set[str]) -> str:
    """Return ``css`` without the Font Awesome rules of icons not in ``icons``."""

    def kept(match: re.Match[str]) -> str:
        selectors = [name for name in match.group(1).split(",") if name.lstrip(".") in icons]
        return f'{",".join(selectors)}{{--fa:"\\{match.group(2)}"}}' if selectors else ""

    return _ICON_RULE.sub(kept, css)


def _site_path(href: str, root: str) -> str:
    """Return ``href`` (with its query) relative to the site root, from a page at ``root``."""
    path, _, query = href.partition("?")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(root + "x"), path))
    return joined + ("?" + query if query else "")


def merge_stylesheets(outdir: Path, paths: list[str]) -> str:
    """Return the stylesheets at ``paths`` (relative to ``outdir``) as one, for :data:`MERGED`.

    ``@import`` rules are replaced by the imported file; ``url()``
    references are rewritten to stay correct from the merged file's folder;
    comments and blank lines are dropped.
    """
    target = posixpath.dirname(MERGED)  # the same folder, whatever the digest
    parts = [_stylesheet(outdir, path.partition("?")[0], target, set()) for path in paths]
    return "\n".join(parts) + "\n"


def _stylesheet(outdir: Path, path: str, target: str, seen: set[str]) -> str:
    if path in seen:
        return ""
    seen.add(path)
    css = _COMMENT.sub("", (outdir / path).read_text(encoding="utf-8"))
    folder = posixpath.dirname(path)

    def imported(match: re.Match[str]) -> str:
        return _stylesheet(
            outdir, posixpath.normpath(posixpath.join(folder, match.group("target"))), target, seen
        )

    def rebased(match: re.Match[str]) -> str:
        reference = match.group("target")
        if re.match(r"^(data:|[a-z]+://|/|#)", reference):
            return match.group(0)
        resolved = posixpath.normpath(posixpath.join(folder, reference))
        return f'url("{posixpath.relpath(resolved, target)}")'

    css = _URL.sub(rebased, _IMPORT.sub(imported, css))
    return "\n".join(line.strip() for line in css.splitlines() if line.strip())


# Scripts written for the head see document.readyState "loading" and wait
# for DOMContentLoaded; deferred, they would see "interactive" and run at
# once what they meant to run later, before the settings that follow them
# (the theme's inline scripts set the values its files read). So while the
# deferred scripts run, readyState reads "loading", as in the head.
READY_STATE_SHIM = (
    'Object.defineProperty(document, "readyState", {get: () => "loading", configurable: true});'
    'document.addEventListener("DOMContentLoaded", () => { delete document.readyState; });'
)


def _data_script(body: str, attributes: str = "") -> str:
    encoded = base64.b64encode(body.encode()).decode()
    return f'<script defer src="data:text/javascript;base64,{encoded}"{attributes}></script>'


def deferred_scripts(html: str) -> Markup:
    """Return ``html`` with every script deferred, in the same order.

    A script file gets ``defer``; an inline script becomes a ``data:`` URL
    with ``defer``, since the inline scripts of the head use what the files
    before them define. Module and ``async`` scripts are left alone. The
    scripts are preceded by :data:`READY_STATE_SHIM`.
    """

    def deferred(match: re.Match[str]) -> str:
        attributes, body = match.group("attributes"), match.group("body")
        if re.search(r"\b(defer|async)\b|type=\"module\"", attributes):
            return match.group(0)
        if "src=" in attributes:
            return f"<script defer{attributes}></script>"
        return _data_script(body, attributes)

    scripts = _SCRIPT.sub(deferred, str(html))
    shim = _data_script(READY_STATE_SHIM)
    if "<script" not in scripts or shim in scripts:
        return Markup(scripts)
    return Markup(shim + "\n" + scripts)


# The theme's head script sets data-theme to the theme stored by an earlier
# visit, or to its default mode ("auto") on a first one, which none of the
# stylesheet's light or dark rules match; on DOMContentLoaded its script
# sets the light or dark theme the mode resolves to. So a first visitor, or
# a reader whose system changed scheme since the theme was stored, was shown
# the page in colours that were not its theme's until the scripts ran; and
# a page that had painted by then was styled again whole, in one task
# (about 0.1 s for a long page on this 2-core machine). The head resolves the mode itself, as
# the theme's script does (a mode other than light or dark follows the
# system's colour scheme), so the script sets the value already there.
_THEME_LINE = re.compile(
    r'document\.documentElement\.dataset\.theme = localStorage\.getItem\("theme"\) \|\| "[a-z]+";'
)
RESOLVED_THEME = (
    "document.documentElement.dataset.theme ="
    ' ["light", "dark"].includes(document.documentElement.dataset.mode)'
    " ? document.documentElement.dataset.mode"
    ' : matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";'
)


def resolved_theme(html: str) -> Markup:
    """Return ``html`` with the theme's head script setting the resolved theme.

    The head script must set ``data-theme`` from the stored theme once, as
    pydata-sphinx-theme 0.20 writes it; otherwise ``ValueError`` says the
    theme has changed and this filter needs to follow it.
    """
    resolved, count = _THEME_LINE.subn(RESOLVED_THEME, str(html))
    if count != 1:
        raise ValueError(
            f"expected the theme's head script to set data-theme once, found {count}:"
            " update light_pages.resolved_theme for this version of pydata-sphinx-theme"
        )
    return Markup(resolved)


def without_script(html: str, name: str) -> Markup:
    """Return ``html`` without the ``<script>`` elements whose ``src`` contains ``name``."""
    pattern = rf'<script[^>]*\bsrc="[^"]*{re.escape(name)}[^"]*"[^>]*>\s*</script>\s*'
    return Markup(re.sub(pattern, "", str(html)))


def icon_codepoints(stylesheet: str) -> dict[str, int]:
    """Map each Font Awesome class in ``stylesheet`` to the codepoint of its glyph."""
    codepoints: dict[str, int] = {}
    for selectors, code in _ICON_RULE.findall(stylesheet):
        for selector in selectors.split(","):
            codepoints[selector.lstrip(".")] = int(code, 16)
    return codepoints


def stylesheet_codepoints(stylesheet: str) -> set[int]:
    """Return the codepoints of the icons the theme's stylesheet names in variables."""
    return {
        int(value[1:], 16) if value.startswith("\\") else ord(value)
        for value in _ICON_VARIABLE.findall(stylesheet)
    }


def used_icons(outdir: Path) -> set[str]:
    """Return every ``fa-*`` name in the site's pages and scripts."""
    names: set[str] = set()
    for pattern in ("**/*.html", "_static/**/*.js"):
        for path in outdir.glob(pattern):
            if path.name != "fontawesome.js" and path.is_file():
                names.update(_ICON_NAME.findall(path.read_text(encoding="utf-8")))
    return names


def _lists(app: Sphinx) -> Path:
    return Path(app.doctreedir, "merged-stylesheets")


def _write_merged_stylesheets(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        write_merged_stylesheets(Path(app.outdir), _lists(app))


def _subset_icon_font(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    font = outdir / FONT
    stylesheet = outdir / STYLESHEET
    if not font.is_file() or not stylesheet.is_file():
        logger.warning("the theme's icon font or stylesheet moved; update sphinxext/light_pages.py")
        return
    css = stylesheet.read_text(encoding="utf-8")
    codepoints = icon_codepoints(css)
    wanted = sorted(
        {codepoints[name] for name in used_icons(outdir) if name in codepoints}
        | stylesheet_codepoints(css)
    )
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    options.name_IDs = []
    options.notdef_outline = True
    # The font in the output may already be a subset from an earlier build;
    # always start from the theme's full font.
    builder: Any = app.builder  # an HTML builder, which has a theme
    theme_dirs = builder.theme.get_theme_dirs()
    original = next(
        path
        for path in (Path(directory, "static", *FONT.parts[1:]) for directory in theme_dirs)
        if path.is_file()
    )
    # A build that leaves the icons as they were finds the subset in place.
    stamp = Path(app.doctreedir, "icon-font-subset")
    wanted_key = hashlib.sha256(repr(wanted).encode() + original.read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text(encoding="ascii") == _font_key(wanted_key, font):
        return
    source = subset.load_font(str(original), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(source)
    subset.save_font(source, str(font), options)
    stamp.write_text(_font_key(wanted_key, font), encoding="ascii")


def _font_key(wanted_key: str, font: Path) -> str:
    return f"{wanted_key} {hashlib.sha256(font.read_bytes()).hexdigest()}"


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the template filter and the font subsetting."""

    def add_filter(app: Sphinx) -> None:
        if app.builder.format == "html":
            builder: Any = app.builder  # an HTML builder, which has templates
            filters = builder.templates.environment.filters
            filters["without_script"] = without_script
            lists = _lists(app)
            filters["merged_stylesheets"] = lambda html: merged_stylesheets(html, lists)
            filters["deferred_scripts"] = deferred_scripts
            filters["resolved_theme"] = resolved_theme

    app.connect("builder-inited", add_filter)
    app.connect("build-finished", _subset_icon_font)
    # After the themes' own handlers (priority 500): pydata-sphinx-theme
    # writes the light and dark rules into pygments.css then.
    app.connect("build-finished", _write_merged_stylesheets, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
