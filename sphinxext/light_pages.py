"""Sphinx extension: keep the theme's icons without its megabyte of icon code.

pydata-sphinx-theme loads Font Awesome as a 1.5 MB script that draws every
icon it knows, and as a 115 kB web font that holds them all again. The book
uses about twenty icons. This extension

- drops the script from every page (the ``without_script`` filter, used by
  ``templates/layout.html``); the theme's stylesheet still draws each icon
  from the web font;
- when the build has finished, replaces the web font in the output with a
  subset holding only the icons the site's pages and scripts name.

Every control keeps its icon; a first visit downloads a few kilobytes of
font instead of about 650 kB (compressed) of icon code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fontTools import subset
from markupsafe import Markup
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

FONT = Path("_static/vendor/fontawesome/webfonts/fa-solid-900.woff2")
STYLESHEET = Path("_static/styles/pydata-sphinx-theme.css")
# ".fa-magnifying-glass,.fa-search{--fa:"\f002"}" in the theme's stylesheet.
_ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+,?)+)\{--fa:"\\([0-9a-f]+)"\}')
_ICON_NAME = re.compile(r"\bfa-[a-z0-9-]+")
# --pst-icon-info-circle:"\uf05a" (or the escape \f05a): icons the stylesheet
# draws by itself, such as those of admonitions.
_ICON_VARIABLE = re.compile(r'--pst-icon-[a-z-]+:"(\\[0-9a-f]+|[^"\\])"')


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
            if path.name != "fontawesome.js":
                names.update(_ICON_NAME.findall(path.read_text(encoding="utf-8")))
    return names


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
    source = subset.load_font(str(original), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(source)
    subset.save_font(source, str(font), options)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the template filter and the font subsetting."""

    def add_filter(app: Sphinx) -> None:
        if app.builder.format == "html":
            builder: Any = app.builder  # an HTML builder, which has templates
            builder.templates.environment.filters["without_script"] = without_script

    app.connect("builder-inited", add_filter)
    app.connect("build-finished", _subset_icon_font)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
