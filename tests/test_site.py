"""Checks on the built site in _build/html, made by ``nox -s docs``."""

from __future__ import annotations

import functools
import json
import re

import pytest
import torch
from babel.messages.pofile import read_po
from book_languages import hreflang
from bs4 import BeautifulSoup
from site_files import languages_and_titles

from tests.built_site import ROOT, SITE

# The book's languages as conf.py names them: English, and the Chinese translation.
ENGLISH, CHINESE = languages_and_titles()[0]
CATALOGS = ROOT / "docs" / "locale" / CHINESE / "LC_MESSAGES"
LANGUAGES = {language: hreflang(language) for language in (ENGLISH, CHINESE)}
SPHINX_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
CJK = re.compile(r"[\u4e00-\u9fff]")
# The API reference's return types and attribute types are type expressions,
# such as dict[str, torch.Tensor], in every language.
TYPE_LABELS = ("返回类型", "类型")

# Every output the source material shows, by the page that must show it.
SEED_OUTPUTS = {
    "autograd/first-gradient.html": [
        "tensor([0., 1., 2., 3.])",
        "tensor([0., 1., 2., 3.], requires_grad=True)",
        "tensor(28., grad_fn=<MulBackward0>)",
        "tensor([ 0.,  4.,  8., 12.])",
        "tensor([True, True, True, True])",
        "tensor([0., 0., 0., 0.])",
        "tensor([1., 1., 1., 1.])",
    ],
    "autograd/non-scalar.html": [
        "tensor([0., 2., 4., 6.])",
        "tensor([True, True, True, True])",
        "grad can be implicitly created only for scalar outputs",
    ],
    "autograd/detach.html": [
        "tensor([True, True, True, True])",
        "tensor([0., 0., 0., 0.])",
    ],
    "autograd/control-flow.html": ["tensor(True)"],
    "autograd/checking-derivatives.html": [
        "tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,",
        "9.9000], requires_grad=True)",
    ],
}

# Every chapter ends with exercises whose solutions are executed, hidden cells.
# The heading of an exercise is the bold label that opens its paragraph; the
# Chinese label is followed by a full-width colon outside the bold.
PARTS = ("autograd", "guide", "practice")
EXERCISE_HEADING = {
    ENGLISH: re.compile(r"Exercise (\d+)\.$"),
    CHINESE: re.compile(r"练习 (\d+)$"),
}
EXERCISE_HEADING_FOLLOWER = {ENGLISH: " ", CHINESE: "："}  # noqa: RUF001 (the book's full-width colon)


def pages(language: str) -> set[str]:
    root = SITE / language
    if not (root / "index.html").is_file():
        pytest.fail(f"{root} has no index.html; build the site first with `nox -s docs`")
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*.html")
        if not path.relative_to(root).parts[0].startswith("_")
    } - SPHINX_PAGES


@functools.cache
def soup(language: str, page: str) -> BeautifulSoup:
    """The page, parsed once for all the tests that only read it."""
    return editable_soup(language, page)


def editable_soup(language: str, page: str) -> BeautifulSoup:
    """The page, parsed for a test that takes parts out of it."""
    return BeautifulSoup((SITE / language / page).read_text(encoding="utf-8"), "html.parser")


def outputs(document: BeautifulSoup) -> str:
    return "\n".join(node.get_text() for node in document.select(".cell_output"))


def test_every_english_page_has_a_chinese_page():
    english = pages(ENGLISH)
    assert "autograd/first-gradient.html" in english
    assert english == pages(CHINESE)


@pytest.mark.parametrize(("language", "lang_attribute"), LANGUAGES.items())
def test_pages_declare_their_language(language, lang_attribute):
    for page in pages(language):
        assert soup(language, page).html["lang"] == lang_attribute, page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("page", "expected"), SEED_OUTPUTS.items())
def test_seed_outputs_are_executed_outputs(language, page, expected):
    shown = outputs(soup(language, page))
    missing = [output for output in expected if output not in shown]
    assert not missing, f"{language}/{page} does not show {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_cell_shows_the_traceback(language):
    document = soup(language, "autograd/non-scalar.html")
    error_cells = document.select(".cell.tag_raises-exception .cell_output")
    assert len(error_cells) == 1
    assert "RuntimeError" in error_cells[0].get_text()


def chapters(language: str) -> list[str]:
    return sorted(
        page
        for page in pages(language)
        if page.split("/")[0] in PARTS and not page.endswith("/index.html")
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_chapter_ends_with_executed_exercises(language):
    found = chapters(language)
    assert {page.split("/")[0] for page in found} == set(PARTS), found
    for page in found:
        document = soup(language, page)
        labels = [
            strong
            for strong in document.select("article p > strong:first-child")
            if EXERCISE_HEADING[language].match(strong.get_text())
        ]
        numbers = [
            int(EXERCISE_HEADING[language].match(label.get_text()).group(1)) for label in labels
        ]
        assert numbers, (language, page)
        assert numbers == list(range(1, len(numbers) + 1)), (language, page)
        followers = [str(label.next_sibling)[:1] for label in labels]
        assert followers == [EXERCISE_HEADING_FOLLOWER[language]] * len(labels), (language, page)
        solutions = document.select(".cell.tag_hide-cell")
        assert len(solutions) == len(numbers), (language, page)
        assert all(cell.select(".cell_output") for cell in solutions), (language, page)


SOLUTION_TITLE = {ENGLISH: "Solution", CHINESE: "参考答案"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_solutions_text_is_in_native_dropdowns(language):
    # sphinx-design's dropdown: <details> and <summary>, which need no script.
    written = sum(
        page.read_text(encoding="utf-8").count(":::{dropdown} Solution\n")
        for page in (ROOT / "docs").rglob("*.md")
    )
    found = 0
    for page in chapters(language):
        document = soup(language, page)
        for dropdown in document.select("details.sd-dropdown"):
            title = dropdown.select_one("summary .sd-summary-text")
            assert title is not None, page
            assert title.get_text() == SOLUTION_TITLE[language], page
            assert dropdown.select_one(".sd-summary-content p"), page
            found += 1
        # The page leaves out sphinx-design's script, which only switches tabs.
        assert not document.select(".sd-tab-set"), page
        assert not document.select('script[src*="design-tabs"]'), page
    assert found == written > 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_derivative_figure_is_an_svg(language):
    images = soup(language, "autograd/checking-derivatives.html").select(".cell_output img")
    assert [image["src"].rsplit(".", 1)[-1] for image in images] == ["svg"]
    assert (SITE / language / "autograd" / images[0]["src"]).resolve().is_file()


@pytest.mark.parametrize("language", LANGUAGES)
def test_landing_page_names_the_torch_that_executed_it(language):
    text = soup(language, "index.html").get_text()
    assert f"{torch.__version__}" in text


def test_chinese_catalogs_are_complete():
    catalogs = sorted(CATALOGS.rglob("*.po"))
    assert len(catalogs) == len(pages(CHINESE))
    for path in catalogs:
        with path.open("rb") as po_file:
            catalog = read_po(po_file)
        for message in catalog:
            if message.id:
                assert message.string, f"{path.name}: untranslated {message.id!r}"
                assert not message.fuzzy, f"{path.name}: fuzzy {message.id!r}"


def test_chinese_pages_name_their_controls_in_chinese():
    # Tooltips, accessible names and placeholders, the theme's and Sphinx's
    # included (sphinxext/locale/), are Chinese; a name of the package's API is code.
    english = set()
    for page in pages(CHINESE):
        for element in soup(CHINESE, page).select("[title], [aria-label], [placeholder], img[alt]"):
            for attribute in ("title", "aria-label", "placeholder", "alt"):
                value = element.get(attribute)
                if value and not CJK.search(value) and not re.fullmatch(r"[\w.]+", value):
                    english.add((page, attribute, value))
    assert english == set()


def test_chinese_prose_is_chinese():
    untranslated = []
    for page in pages(CHINESE):
        article = editable_soup(CHINESE, page).select_one("article")
        assert article is not None, page
        for block in article.select("p, li, h1, h2, h3, th, td, dd"):
            if block.find_parent(class_=["cell", "highlight", "math"]):
                continue
            field = block if block.name == "dd" else block.find_parent("dd")
            label = field.find_previous_sibling("dt") if field else None
            if label is not None and label.get_text().startswith(TYPE_LABELS):
                continue
            for code in block.select("code, .math, span.pre, strong, em"):
                code.decompose()
            text = block.get_text(" ", strip=True)
            if len(re.findall(r"[A-Za-z]{3,}", text)) >= 4 and not CJK.search(text):
                untranslated.append(f"{page}: {text[:60]}")
    allowed_english = {"glossary.html"}
    assert not [line for line in untranslated if line.split(":")[0] not in allowed_english]


@pytest.mark.parametrize("language", [ENGLISH, CHINESE])
def test_prose_shows_no_markup_that_was_not_parsed(language):
    # Markdown closes `**` only where the marker is "right-flanking": after a
    # backtick and before a Chinese character it is not, so the reader sees
    # the asterisks. Code, signatures and math may hold `**` of their own.
    unparsed = []
    for page in pages(language):
        article = editable_soup(language, page).select_one("article")
        assert article is not None, page
        for code in article.select("code, pre, .cell, .highlight, .math, dt.sig, span.pre"):
            code.decompose()
        unparsed += [f"{page}: {line}" for line in article.get_text().splitlines() if "**" in line]
    assert unparsed == []


def test_english_pages_are_not_translated():
    for page in pages(ENGLISH):
        if page == "glossary.html":
            continue
        article = soup(ENGLISH, page).select_one("article")
        assert article is not None, page
        assert not CJK.search(article.get_text()), page


def _search_data(language: str) -> tuple[dict, dict[str, list[str]]]:
    index = (SITE / language / "searchindex.js").read_text(encoding="utf-8")
    script = (SITE / language / "_static" / "language_data.js").read_text(encoding="utf-8")
    teaching = re.search(r"^  teaching: (\{.*\}),$", script, re.MULTILINE)
    assert teaching is not None, "language_data.js has no teaching pages"
    return json.loads(index.removeprefix("Search.setIndex(").removesuffix(")")), json.loads(
        teaching.group(1)
    )


def test_chinese_index_holds_the_glossary_terms_whole():
    index, _ = _search_data(CHINESE)
    words = set(index["terms"]) | set(index["titleterms"])
    text = "".join(soup(CHINESE, page).get_text() for page in pages(CHINESE))
    assert {"反向传播", "叶子节点", "雅可比矩阵", "梯度累积", "原地操作"} <= words
    missing = [
        word
        for word in (SITE.parent / "doctrees" / "html" / CHINESE / "book-search" / "dictionary.txt")
        .read_text(encoding="utf-8")
        .split()
        if word in text and word not in words
    ]
    assert not missing


@pytest.mark.parametrize(
    ("term", "page"),
    [
        ("gradient", "autograd/first-gradient"),
        ("leaf node", "guide/computational-graph"),
        ("叶子节点", "guide/computational-graph"),
        ("detach", "autograd/detach"),
        ("hook", "guide/hooks"),
        ("in-place operation", "guide/in-place"),
        ("forward mode", "practice/forward-mode"),
        ("gradient accumulation", "autograd/first-gradient"),
        ("custom autograd function", "guide/custom-functions"),
        ("kink", "practice/kinks"),
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_search_knows_the_page_teaching_a_term(language, term, page):
    _, teaching = _search_data(language)
    assert teaching[term] == [page]


# "html[data-theme="dark"] .highlight .nb { color: #FFD900 }" in pygments.css.
_TOKEN_RULE = re.compile(r'html\[data-theme="(\w+)"\] \.highlight(?: \.(\w+))? \{([^}]*)\}')
THEMES = ("light", "dark")


def _token_looks() -> tuple[dict[str, tuple[frozenset[tuple[str, str]], ...]], tuple]:
    """How pygments.css draws each class in the light and dark themes, and how plain text."""
    css = (SITE / ENGLISH / "_static" / "pygments.css").read_text(encoding="utf-8")
    rules = {
        (theme, name): dict(
            (key.strip(), value.strip())
            for key, value in (part.split(":", 1) for part in body.split(";") if part.strip())
        )
        for theme, name, body in _TOKEN_RULE.findall(css)
    }
    # Text in a code block takes the block's colour, and no background of its own.
    plain = {theme: {"color": rules[theme, ""]["color"]} for theme in THEMES}
    looks = {
        name: tuple(
            frozenset({**plain[theme], **rules.get((theme, name), {})}.items()) for theme in THEMES
        )
        for (_, name) in rules
        if name
    }
    return looks, tuple(frozenset(plain[theme].items()) for theme in THEMES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_highlighted_code_has_no_span_drawn_as_plain_text(language):
    # sphinxext/plain_tokens.py writes names, punctuation and white space as
    # plain text: each span left in a code block must look different from it,
    # or be a prompt, which sphinx-copybutton finds by its class.
    looks, plain = _token_looks()
    assert looks["k"] != plain, "keywords must stand out: check the rules pygments.css is read by"
    kinds: set[str] = set()
    for page in pages(language):
        for span in soup(language, page).select("div.highlight pre span[class]"):
            classes = span["class"]
            kinds.update(classes)
            assert "gp" in classes or any(looks.get(name, plain) != plain for name in classes), (
                page,
                str(span),
            )
    # What stays highlighted: keywords, operators, numbers, strings, built-ins.
    assert {"k", "o", "mi", "s2", "nb"} <= kinds
