"""Write the site's own files around the languages' builds.

``python sphinxext/site_files.py _build/html``, run after every language is
built (``nox -s docs`` does), writes a root page that sends readers to their
language, a 404 page, a sitemap with the language alternates, ``robots.txt``
and ``.nojekyll``. The languages and
their titles are read from ``conf.py`` as Sphinx reads it.
``python sphinxext/site_files.py --languages`` prints the languages, in the
order they are built.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from book_languages import hreflang
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from site_address import UTILITY_PAGES, base_url, page_url
from sphinx.config import Config

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).parent / "templates" / "site"


def book_config(confdir: Path = ROOT) -> Config:
    """Return the book's configuration, read from ``confdir/conf.py`` as Sphinx reads it."""
    config = Config.read(confdir)
    # Registered by the book_languages extension in a build.
    config.add("language_names", {}, "html", frozenset({dict}))
    config.add("language_settings", {}, "html", frozenset({dict}))
    return config


def languages_and_titles(confdir: Path = ROOT) -> tuple[dict[str, str], dict[str, str]]:
    """Return the book's languages with their names, and its title in each, from its ``conf.py``.

    The languages come in the order ``language_names`` gives them, which is
    the order they are built in.
    """
    config = book_config(confdir)
    settings: dict[str, dict[str, Any]] = config.language_settings
    names: dict[str, str] = config.language_names
    return names, {language: settings[language]["html_title"] for language in names}


def write_site_files(site: Path, confdir: Path = ROOT) -> list[Path]:
    """Write the root page, the 404 page, the sitemap, robots.txt and .nojekyll into ``site``."""
    config = book_config(confdir)
    languages, titles = languages_and_titles(confdir)
    source: str = config.language  # the language the pages are written in
    for language in languages:
        if not (site / language / "index.html").is_file():
            raise ValueError(f"{site / language} is not built; build every language first")
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    pages = sorted(
        path.relative_to(site / source).with_suffix("").as_posix()
        for path in (site / source).rglob("*.html")
        if not path.relative_to(site / source).parts[0].startswith("_")
        and path.stem not in UTILITY_PAGES
    )
    context = {
        "base_url": base_url(),
        "base_path": urlsplit(base_url()).path,
        "source": source,
        "languages": languages,
        "titles": titles,
        "settings": config.language_settings,
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


USAGE = "usage: python sphinxext/site_files.py <the built site, such as _build/html> | --languages"

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(USAGE)
    if sys.argv[1] == "--languages":
        print(" ".join(languages_and_titles()[0]))
    else:
        for path in write_site_files(Path(sys.argv[1])):
            print(f"wrote {path}")
