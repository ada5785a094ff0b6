"""Searching the built site as a reader does, for the browser tests and the search table.

``python tests/browser/search.py`` prints, for the glossary's terms and the
queries of the search issue, how many pages each language's search finds.
"""

from __future__ import annotations

import html.parser
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
# As a script, the project's folders are not on the path pytest gives it.
sys.path[:0] = [str(ROOT), str(ROOT / "sphinxext")]

from glossary_terms import GlossaryTerm, glossary_terms  # noqa: E402

from tests.built_site import CHINESE, ENGLISH  # noqa: E402

GLOSSARY = ROOT / "docs" / "glossary.md"
# Pages Sphinx writes besides the book's own, which its search never returns.
NOT_INDEXED = {"search", "genindex", "py-modindex"}
# The queries of the issue that asked for this search, both languages.
ISSUE_QUERIES = [
    ("梯度", "gradient"),
    ("反向传播", "backpropagation"),
    ("雅可比矩阵", "jacobian"),
    ("叶子节点", "leaf"),
    ("二阶导数", "second derivative"),
    ("梯度累积", "accumulate"),
    ("自定义函数", "custom function"),
    ("原地操作", "in-place"),
]


def terms() -> list[GlossaryTerm]:
    """The glossary's concepts, each with its English and Chinese names."""
    return glossary_terms(GLOSSARY)


def open_search(page: Page, base_url: str, language: str) -> None:
    """Load the search page of ``language`` and wait for its index."""
    page.goto(f"{base_url}/{language}/search.html")
    page.wait_for_function("() => typeof Search !== 'undefined' && Search.hasIndex()")


def found(page: Page, query: str) -> list[str]:
    """Run ``query`` on a loaded search page; return the pages found, in the order shown.

    It calls the two functions Sphinx's search page runs for a query,
    without drawing the results: :func:`shown` does the same through the
    search field, slower.
    """
    docnames: list[str] = page.evaluate(
        """(query) => {
            const parsed = Search._parseQuery(query);
            const results = Search._performSearch(...parsed);
            return results.reverse().map((result) => result[0]);
        }""",
        query,
    )
    return list(dict.fromkeys(docnames))


def shown(page: Page, base_url: str, language: str, query: str) -> list[str]:
    """Search ``query`` as a reader does; return the pages listed once the search has finished.

    Sphinx adds the results one by one and writes its status line at the
    end, so the list is read after the status line appears.
    """
    page.goto(f"{base_url}/{language}/search.html?q={quote(query)}")
    page.wait_for_function(
        """() => {
            const status = document.querySelector('#search-results .search-summary');
            return status !== null && status.textContent.trim() !== '';
        }"""
    )
    hrefs: list[str] = page.locator("#search-results ul.search > li > a").evaluate_all(
        "links => links.map((link) => link.getAttribute('href'))"
    )
    return list(dict.fromkeys(href.split("#")[0].removesuffix(".html") for href in hrefs))


class _ArticleText(html.parser.HTMLParser):
    """The text of a page's article, which is what Sphinx indexes."""

    def __init__(self) -> None:
        super().__init__()
        self.skipping: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        if self.skipping:
            hidden = "headerlink" in classes or tag in ("script", "style")
            self.skipping.append(self.skipping[-1] or hidden)
        elif tag == "article" and "bd-article" in classes:
            self.skipping.append(False)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and tag not in VOID:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if self.skipping and not self.skipping[-1]:
            self.parts.append(data)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


def page_texts(language: str) -> dict[str, str]:
    """The article text of every indexed page of one language, by page name."""
    root = SITE / language
    texts = {}
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).with_suffix("").as_posix()
        if name.startswith("_") or name in NOT_INDEXED:
            continue
        parser = _ArticleText()
        parser.feed(path.read_text(encoding="utf-8"))
        texts[name] = " ".join("".join(parser.parts).split())
    return texts


def containing(texts: dict[str, str], term: str) -> set[str]:
    """The pages whose text contains ``term``: whole words for Latin, anywhere for Chinese."""
    if re.search(r"[\u3400-\u9fff]", term):
        return {name for name, text in texts.items() if term in text}
    words = r"[\s-]+".join(re.escape(word) for word in re.split(r"[\s-]+", term))
    pattern = re.compile(rf"(?<![\w-]){words}(?![\w-])", re.IGNORECASE)
    return {name for name, text in texts.items() if pattern.search(text)}


@dataclass
class Row:
    """One line of the table: a query in each language and the pages each finds."""

    chinese: str
    chinese_pages: list[str]
    english: str
    english_pages: list[str]


def table(rows: list[Row]) -> str:
    """The rows as the issue's Markdown table, with the first page each query finds."""
    lines = [
        f"| query ({CHINESE}) | pages found | first | query ({ENGLISH}) | pages found | first |",
        "|---|---:|---|---|---:|---|",
    ]
    for row in rows:
        first_chinese = row.chinese_pages[0] if row.chinese_pages else ""
        first_english = row.english_pages[0] if row.english_pages else ""
        lines.append(
            f"| {row.chinese} | {len(row.chinese_pages)} | {first_chinese} "
            f"| {row.english} | {len(row.english_pages)} | {first_english} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Print the issue's table, then the glossary's, searched on the built site."""
    from conftest import CHROMIUM, CHROMIUM_FLAGS, serve  # type: ignore[import-not-found]
    from playwright.sync_api import sync_playwright

    queries = ISSUE_QUERIES + [(term.chinese[0], term.english[0]) for term in terms()]
    with serve() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        pages = {language: browser.new_page() for language in (CHINESE, ENGLISH)}
        for language, page in pages.items():
            open_search(page, base_url, language)
        rows = [
            Row(zh, found(pages[CHINESE], zh), en, found(pages[ENGLISH], en)) for zh, en in queries
        ]
        browser.close()
    print(table(rows[: len(ISSUE_QUERIES)]))
    print()
    print(table(rows[len(ISSUE_QUERIES) :]))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
