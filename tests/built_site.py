"""The built site's languages, read from the site itself.

The browser's and the take-away tests' environments have no Sphinx to read
``conf.py`` with; the site's root page links one folder per language, in
``conf.py``'s order, the language the pages are written in first.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"


def site_languages(site: Path = SITE) -> tuple[str, ...]:
    """Return the languages of the site built in ``site``, or none before it is built."""
    root_page = site / "index.html"
    if not root_page.is_file():
        return ()
    body = root_page.read_text(encoding="utf-8").split("<body>", 1)[-1]
    return tuple(re.findall(r'<li><a href="([^"/]+)/index\.html"', body))


# The language the pages are written in, then the translation; empty strings
# before the site is built, when the tests that need it say to build it.
ENGLISH, CHINESE = site_languages() or ("", "")
