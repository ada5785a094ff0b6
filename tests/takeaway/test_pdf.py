"""The PDF of each language, printed by ``nox -s pdf``, and the site's links to it.

The PDFs are read back with poppler's command-line tools (``pdftotext``,
``pdffonts``, ``pdfinfo``, ``pdfimages``; Debian's poppler-utils) and with
pypdf for the outline and the links.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from pypdf.generic import Destination

from tests.built_site import CHINESE, ENGLISH, ROOT, SITE

PDF = ROOT / "_build" / "pdf"
LANGUAGES = (ENGLISH, CHINESE)
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# An output the first chapter prints: x.grad of y = 2 x·x for x = 0, 1, 2, 3.
KNOWN_OUTPUT = "tensor([ 0.,  4.,  8., 12.])"
# What the site's pages show around the text and a book on paper must not.
SITE_CHROME = {
    ENGLISH: ("Skip to main content", "Back to top", "Download this page", "Ctrl+K"),
    CHINESE: ("Skip to main content", "Back to top", "Ctrl+K", "跳转至主要内容"),
}
# The book has some twenty-five chapters of a few pages each.
PAGES = range(80, 600)


def pdf(language: str) -> Path:
    if shutil.which("pdftotext") is None:
        pytest.fail("the PDF tests read it with poppler: apt-get install poppler-utils")
    path = PDF / f"autograd-guide-{language}.pdf"
    if not path.is_file():
        pytest.fail(f"{path} is missing; run `nox -s pdf` first")
    return path


@cache
def text(language: str) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf(language)), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def squeezed(value: str) -> str:
    """Return ``value`` without white space, as lines wrap differently on paper."""
    return re.sub(r"\s+", "", value)


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def chapter_titles(language: str) -> list[str]:
    """Return the titles of the parts, chapters and reference pages in ``language``."""
    root = SITE / language
    if not (root / "index.html").is_file():
        pytest.fail(f"{root} is not built; run `nox -s docs` first")
    titles = []
    pages = [*root.glob("*/*.html"), root / "api.html", root / "glossary.html"]
    for path in sorted(page for page in pages if not page.parent.name.startswith("_")):
        heading = soup(path).select_one("article h1")
        assert heading is not None, path
        titles.append(heading.get_text(" ", strip=True).rstrip("#").strip())
    return titles


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_chapter_title_is_in_the_pdf(language):
    book = squeezed(text(language))
    titles = chapter_titles(language)
    assert len(titles) > 20
    assert [title for title in titles if squeezed(title) not in book] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_outline_lists_every_chapter_and_leads_to_its_page(language):
    reader = PdfReader(pdf(language))

    def flatten(items: list) -> list[Destination]:
        found = []
        for item in items:
            found += flatten(item) if isinstance(item, list) else [item]
        return found

    entries = flatten(reader.outline)
    titles = {squeezed(entry.title) for entry in entries}
    assert {squeezed(title) for title in chapter_titles(language)} <= titles
    pages = [reader.get_destination_page_number(entry) for entry in entries]
    assert pages == sorted(pages), "the outline follows the reading order"
    page_text = squeezed(reader.pages[pages[-1]].extract_text())
    assert squeezed(entries[-1].title)[:6] in page_text


@pytest.mark.parametrize("language", LANGUAGES)
def test_internal_links_lead_to_destinations_in_the_pdf(language):
    reader = PdfReader(pdf(language))
    destinations = reader.named_destinations
    internal, broken = 0, []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            link = annotation.get_object()
            if link.get("/Subtype") != "/Link":
                continue
            target = link.get("/Dest")
            if target is None and link.get("/A", {}).get("/S") == "/GoTo":
                target = link["/A"]["/D"]
            if target is None:
                continue
            internal += 1
            if (
                isinstance(target, str)
                and target not in destinations
                and "/" + target not in destinations
            ):
                broken.append(target)
    assert internal > 100, "the table of contents and the cross-references are links"
    assert broken == []


def test_the_chinese_pdf_is_mostly_chinese():
    # Prose only: the code and its outputs are the same in both books.
    chinese = sum(len(CJK.findall(line)) for line in text(CHINESE).splitlines())
    english = len(LATIN.findall(text(CHINESE)))
    english_book = len(LATIN.findall(text(ENGLISH)))
    assert chinese > 50_000
    assert english < 0.6 * english_book, "the Chinese book keeps only the code's Latin letters"


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_executed_output_and_a_solution_are_in_the_pdf(language):
    book = squeezed(text(language))
    assert squeezed(KNOWN_OUTPUT) in book
    page = soup(SITE / language / "autograd" / "first-gradient.html")
    solution = page.select_one("details.sd-dropdown .sd-summary-content p")
    assert solution is not None
    # The words before the first formula, which pdftotext spells otherwise.
    opening = squeezed(str(solution.contents[0]))
    assert len(opening) > 5
    assert opening in book, "solutions are printed open"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_site_around_the_text_is_not_printed(language):
    book = text(language)
    assert [words for words in SITE_CHROME[language] if words in book] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_fonts_are_embedded_and_their_text_can_be_copied(language):
    report = subprocess.run(
        ["pdffonts", str(pdf(language))], check=True, capture_output=True, text=True
    ).stdout
    fonts = report.splitlines()[2:]
    assert fonts, report
    # Columns: name, type, encoding, emb, sub, uni, object ID. Chromium writes
    # fonts with CFF outlines, Noto CJK among them, as Type 3 fonts: their
    # glyphs are embedded as vector outlines and a ToUnicode map keeps the
    # text searchable; pdffonts names them [none].
    not_embedded = [line for line in fonts if line.split()[-5] != "yes"]
    assert not_embedded == []
    without_unicode = [line for line in fonts if line.split()[-3] != "yes"]
    assert without_unicode == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_figures_are_vectors(language):
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf(language))], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert images == [], "every figure is an SVG, printed as paths"


@pytest.mark.parametrize("language", LANGUAGES)
def test_page_count_is_sane(language):
    info = subprocess.run(
        ["pdfinfo", str(pdf(language))], check=True, capture_output=True, text=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))
    assert pages in PAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_site_links_its_pdf_from_the_landing_page_and_every_download_menu(language):
    published = SITE / language / pdf(language).name
    assert published.read_bytes() == pdf(language).read_bytes()
    landing = soup(SITE / language / "index.html")
    assert landing.select_one(f"article a[href='{published.name}']") is not None
    for path in sorted((SITE / language).rglob("*.html")):
        if path.relative_to(SITE / language).parts[0].startswith("_"):
            continue
        menu = soup(path).select_one(".dropdown-download-buttons")
        if menu is None:
            continue
        links = [a["href"] for a in menu.select("a[href]") if a["href"].endswith(".pdf")]
        assert len(links) == 1, path
        assert (path.parent / unquote(urlsplit(links[0]).path)).resolve() == published.resolve()
