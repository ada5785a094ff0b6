"""The built site can be hosted as it is.

Root page, 404 page, sitemap, page metadata, links, and a cold build that
reproduces the site byte for byte.
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest
import torch
import yaml
from book_languages import hreflang
from bs4 import BeautifulSoup
from site_address import UTILITY_PAGES, base_url, page_url
from site_files import book_config

import autograd_guide
from tests.built_site import ROOT, SITE
from tests.cold_builds import ColdBuilds, differences

CONFIG = book_config()
LANGUAGES = tuple(CONFIG.language_names)

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def html_pages(language: str) -> list[str]:
    root = SITE / language
    if not (root / "index.html").is_file():
        pytest.fail(f"{root} is not built; run `nox -s docs` first")
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.html")
        if not path.relative_to(root).parts[0].startswith("_")
    )


def content_pages(language: str) -> list[str]:
    return [page for page in html_pages(language) if page[:-5] not in UTILITY_PAGES]


@functools.cache
def soup(path: Path) -> BeautifulSoup:
    """The page at ``path``, parsed once for all the tests that read it."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_root_page_offers_both_languages_without_javascript():
    document = soup(SITE / "index.html")
    links = {link["href"] for link in document.select("body a")}
    assert links == {f"{language}/index.html" for language in LANGUAGES}
    assert all((SITE / link).is_file() for link in links)
    assert "navigator.languages" in document.script.string


def test_not_found_page_links_from_the_site_root():
    document = soup(SITE / "404.html")
    root_path = urlsplit(base_url()).path
    hrefs = [link["href"] for link in document.select("a")]
    assert hrefs == [f"{root_path}{language}/index.html" for language in LANGUAGES]
    assert not document.select("link[rel=stylesheet], script[src], img")


def test_site_folder_holds_the_languages_and_site_files_only():
    assert {path.name for path in SITE.iterdir()} == {
        *LANGUAGES,
        "index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        ".nojekyll",
    }


def test_sitemap_lists_every_page_with_its_alternates():
    tree = ElementTree.parse(SITE / "sitemap.xml")
    entries = tree.getroot().findall(f"{SITEMAP}url")
    locations = [entry.findtext(f"{SITEMAP}loc") for entry in entries]
    expected = [
        page_url(language, page[:-5]) for page in content_pages("en") for language in LANGUAGES
    ]
    assert sorted(locations) == sorted(expected)
    for entry in entries:
        language, name = entry.findtext(f"{SITEMAP}loc").removeprefix(base_url()).split("/", 1)
        alternates = {
            link.get("hreflang"): link.get("href") for link in entry.findall(f"{XHTML}link")
        }
        assert alternates == {
            **{hreflang(other): page_url(other, name.removesuffix(".html")) for other in LANGUAGES},
            "x-default": base_url(),
        }, language


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_carry_canonical_alternates_and_open_graph(language):
    for page in content_pages(language):
        name = page[:-5]
        head = soup(SITE / language / page).head
        assert head.select_one("link[rel=canonical]")["href"] == page_url(language, name)
        alternates = {
            link["hreflang"]: link["href"] for link in head.select("link[rel=alternate][hreflang]")
        }
        assert alternates == {
            **{hreflang(other): page_url(other, name) for other in LANGUAGES},
            "x-default": base_url(),
        }
        properties = {
            meta["property"]: meta["content"] for meta in head.select("meta[property^='og:']")
        }
        assert properties["og:url"] == page_url(language, name)
        assert properties["og:title"] == head.title.get_text().rsplit(" \u2014 ", 1)[0]
        locale = CONFIG.language_settings[language]["open_graph_locale"]
        assert properties["og:locale"] == locale
        assert len(properties["og:description"]) > 20, page


@pytest.mark.parametrize("language", LANGUAGES)
def test_internal_links_and_anchors_resolve(language):
    ids: dict[Path, set[str]] = {}

    def anchors(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = {tag["id"] for tag in soup(path).select("[id]")}
        return ids[path]

    broken = []
    for page in html_pages(language):
        path = SITE / language / page
        document = soup(path)
        references = [(tag.name, tag.get("href")) for tag in document.select("a[href], link[href]")]
        references += [
            (tag.name, tag.get("src")) for tag in document.select("script[src], img[src]")
        ]
        for tag, reference in references:
            parts = urlsplit(reference)
            if parts.scheme or reference.startswith(("mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                broken.append(f"{page}: <{tag}> {reference}")
            elif (
                parts.fragment
                and tag == "a"
                and target.suffix == ".html"
                and unquote(parts.fragment) not in anchors(target)
            ):
                broken.append(f"{page}: #{parts.fragment} missing in {target.name}")
    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_landing_page_states_the_versions_that_executed_it(language):
    text = soup(SITE / language / "index.html").get_text()
    assert torch.__version__ in text
    assert platform.python_version() in text
    assert autograd_guide.__version__ in text


def _pdf_links(site: Path) -> list[str]:
    return sorted(
        f"{path.relative_to(site)}: {link['href']}"
        for path in site.rglob("*.html")
        for link in soup(path).select("a[href]")
        if urlsplit(link["href"]).path.endswith(".pdf")
    ) + sorted(str(path.relative_to(site)) for path in site.rglob("*.pdf"))


def test_cold_builds_in_two_checkouts_and_a_rebuild_reproduce_the_site_byte_for_byte(
    cold_builds: ColdBuilds,
):
    # Two cold builds, each executing the pages into its own empty cache, in
    # checkouts whose paths differ even in length, so that a machine path or
    # a date leaking into a page would show; one ran the pages in forked
    # kernels, the other in plain ones (tests/cold_builds.py). The site that
    # `nox -s docs` left in _build/html may carry the history of earlier
    # incremental builds, so it is not one of them.
    first, second = cold_builds.forked / "_build" / "html", cold_builds.plain / "_build" / "html"
    assert differences(first, second) == []
    # Neither build has the PDFs of `nox -s pdf` beside it (in <build>/pdf),
    # so no page may link one.
    assert _pdf_links(first) == []
    # A rebuild with nothing changed rewrites some pages (the index, search);
    # they must come out the same as in the cold build.
    cold_builds.rebuild_plain()
    assert differences(first, second) == []


def test_release_workflow_publishes_version_tags_to_pypi_without_a_secret():
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert "secrets." not in text, "trusted publishing needs no token in the repository"
    workflow = yaml.safe_load(text)
    # PyYAML reads the key `on` as True (YAML 1.1).
    assert workflow[True] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    assert "permissions" not in build
    assert any("nox -s dist" in step.get("run", "") for step in build["steps"])
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    uploads = [
        step for step in publish["steps"] if "gh-action-pypi-publish" in step.get("uses", "")
    ]
    assert len(uploads) == 1
    assert not {"password", "user"} & set(uploads[0].get("with", {}))
