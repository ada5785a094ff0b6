"""Sphinx extension: a search that knows the book's vocabulary, in both languages.

Sphinx's Chinese search cuts the text with jieba, whose dictionary does not
know the book's terms: ``反向传播`` was indexed only as ``反向`` and ``传播``,
and the browser looked the reader's query up as one whole word, so the terms
the book teaches found almost nothing. This extension

- reads the glossary (``docs/glossary.md``) and gives jieba a user dictionary
  of its Chinese terms, through Sphinx's own ``dict`` option of
  ``html_search_options``; the dictionary is written from the glossary at
  every build, so the two cannot drift apart;
- indexes each of those terms whole wherever a page's text contains it, and
  by its parts (jieba's search mode, which Sphinx uses, adds the words inside
  a longer one);
- cuts a query in the browser the way the index was cut: ``splitQuery``
  (``search/split_query.js``, which Sphinx puts in ``language_data.js``)
  splits each run of Chinese characters into the longest words the index
  holds, and keeps Latin words and API names (``retain_graph``) whole;
- ranks first the page that teaches a term of the query
  (``search/scorer.js``, Sphinx's ``html_search_scorer``). A term's teaching
  page is, in reading order, the first chapter that sets it in italics, the
  book's way of introducing a term, or else the first chapter that uses it
  (:func:`teaching_pages`).

Both languages use the same query code and the same teaching pages: the
English build gets them through a subclass of Sphinx's English search.
"""

from __future__ import annotations

import hashlib
import json
import logging as logging_module
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from glossary_terms import (
    TEACHING_PAGES,
    dictionary_words,
    english_pattern,
    glossary_terms,
    teaching_pages,
)
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.search.en import SearchEnglish
from sphinx.search.zh import SearchChinese
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
_HAN_ONLY = re.compile(r"[\u3400-\u9fff]+")
GLOSSARY = "glossary"
# Words a reader types around a term in a question ("为什么梯度会累积"), which
# no page needs to contain for the question to match it.
CHINESE_STOPWORDS = frozenset(
    {
        *("的", "了", "是", "在", "中", "和", "与", "及", "或", "吗", "呢", "吧", "啊"),
        *("会", "能", "要", "把", "被", "让", "有", "对", "从", "时", "中的", "里的"),
        *("时的", "什么", "为什么", "怎么", "怎样", "如何", "哪些", "哪个", "是否"),
        *("可以", "一个", "我们", "你", "我", "这", "那", "这个", "那个", "之后"),
        *("之前", "以后", "为何"),
    }
)


def reading_order(env: BuildEnvironment) -> list[str]:
    """Return the book's pages in the order of its tables of contents."""
    order: list[str] = []

    def visit(docname: str) -> None:
        if docname in order:
            return
        order.append(docname)
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(env.config.root_doc)
    order += sorted(set(env.found_docs) - set(order))
    return order


def _search_folder(app: Sphinx) -> Path:
    return Path(app.doctreedir, "book-search")


# The folder of the files named in html_search_options. The options name the
# files relative to it: html_search_options is part of the configuration hash
# in each language's .buildinfo, which must not depend on where the checkout is.
_folder: list[Path] = []


def _search_file(options: dict[str, str], key: str) -> Path:
    """Return the file that ``options[key]`` names, or a path that is no file."""
    name = options.get(key, "")
    return _folder[-1] / name if name and _folder else Path("")


def _glossary_path(app: Sphinx) -> Path:
    return Path(app.srcdir, f"{GLOSSARY}.md")


def _write_dictionary(app: Sphinx, config: Config) -> None:
    """Write jieba's user dictionary from the glossary and hand it to Sphinx's search."""
    folder = _search_folder(app)
    folder.mkdir(parents=True, exist_ok=True)
    # A book without a glossary (a scratch book in the tests) indexes with
    # jieba's own dictionary alone.
    glossary = _glossary_path(app)
    terms = glossary_terms(glossary) if glossary.is_file() else []
    dictionary = folder / "dictionary.txt"
    _write_if_changed(dictionary, "".join(f"{word}\n" for word in dictionary_words(terms)))
    synonyms = folder / "synonyms.json"
    english_names = {
        name.lower(): sorted(
            chinese
            for term in terms
            if name in term.english
            for chinese in term.chinese
            if _HAN_ONLY.fullmatch(chinese)
        )
        for name in sorted({name for term in terms for name in term.english})
    }
    _write_if_changed(synonyms, json.dumps(english_names, ensure_ascii=False, indent=0))
    if str(config.language).startswith("zh"):
        # jieba announces the loading of its dictionary on stderr.
        try:
            import jieba
        except ImportError:
            pass
        else:
            jieba.setLogLevel(logging_module.WARNING)
    _folder.append(folder)
    config.html_search_options = {
        **config.html_search_options,
        "dict": dictionary.name,
        "synonyms": synonyms.name,
        "teaching_pages": "teaching-pages.json",
        "messages": json.dumps(_search_messages(config), ensure_ascii=False, sort_keys=True),
    }


def _search_messages(config: Config) -> dict[str, list[str]]:
    """Return the search page's messages that Sphinx's catalog for the language lacks."""
    messages: dict[str, list[str]] = config.search_messages
    return messages


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _outdated_when_the_dictionary_changes(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    # Sphinx indexes only the pages it writes; a new word of the dictionary
    # must reach the index entries of every page, so a changed dictionary
    # (a glossary edit) writes them all.
    options = app.config.html_search_options
    digest = hashlib.sha256(
        _search_file(options, "dict").read_bytes() + _search_file(options, "synonyms").read_bytes()
    ).hexdigest()
    if getattr(env, "book_search_dictionary", None) == digest:
        return []
    env.book_search_dictionary = digest  # type: ignore[attr-defined]
    return sorted(env.found_docs - added - changed - removed)


def _write_teaching_pages(app: Sphinx, env: BuildEnvironment) -> list[str]:
    order = reading_order(env)
    pages = {name: env.doc2path(name).read_text(encoding="utf-8") for name in order}
    glossary = _glossary_path(app)
    terms = glossary_terms(glossary) if glossary.is_file() else []
    names = {name for term in terms for name in term.english}
    # The book's own corrections apply to the book's glossary, not to a book without one.
    corrections = TEACHING_PAGES if glossary.is_file() else {}
    for name, page in corrections.items():
        if name not in names or page not in pages:
            logger.warning(
                f"glossary_terms.TEACHING_PAGES gives {name!r} the page {page!r}, but "
                + (
                    "the glossary has no such term"
                    if name not in names
                    else "there is no such page"
                )
                + "; correct or remove the entry in sphinxext/glossary_terms.py",
                type="book_search",
            )
    taught = teaching_pages(terms, pages)
    target = _search_file(app.config.html_search_options, "teaching_pages")
    text = json.dumps(taught, ensure_ascii=False, sort_keys=True)
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return []


def _splitter_code(options: dict[str, str]) -> str:
    path = _search_file(options, "teaching_pages")
    taught = path.read_text(encoding="utf-8") if path.is_file() else "{}"
    code = (HERE / "search" / "split_query.js").read_text(encoding="utf-8")
    code = code.replace("/* TEACHING_PAGES */ {}", taught)
    # language_data.js runs after doctools.js and translations.js: the
    # messages join the language's catalog before the search writes its status.
    messages = options.get("messages", "{}")
    if messages != "{}":
        code += f"\nObject.assign(Documentation.TRANSLATIONS, {messages});\n"
    return code


class BookSearchEnglish(SearchEnglish):
    """Sphinx's English search, with the book's query splitter and teaching pages."""

    @property
    def js_splitter_code(self) -> str:  # type: ignore[override]
        """The query splitter and the teaching pages, read once the pages are known."""
        return _splitter_code(self.options)


class BookSearchChinese(SearchChinese):
    """Sphinx's Chinese search, which indexes the glossary's terms whole and by their parts."""

    stopwords = SearchChinese.stopwords | CHINESE_STOPWORDS

    def init(self, options: dict[str, str]) -> None:
        """Load the dictionary written from the glossary, and keep its words and synonyms."""
        super().init({**options, "dict": str(_search_file(options, "dict"))})
        path = _search_file(options, "dict")
        words = path.read_text(encoding="utf-8").split() if path.is_file() else []
        self.book_terms = frozenset(words)
        path = _search_file(options, "synonyms")
        synonyms = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        self.english_names = [
            (english_pattern(name), chinese) for name, chinese in synonyms.items()
        ]

    @property
    def js_splitter_code(self) -> str:  # type: ignore[override]
        """The query splitter and the teaching pages, read once the pages are known."""
        return _splitter_code(self.options)

    def split(self, input: str) -> list[str]:
        """Cut ``input`` as jieba's search mode does, adding every book term it contains.

        A term named in English (``detach()`` in code, 分离（detach） in the
        text) counts as the term in Chinese, as the glossary pairs them: the
        Chinese pages share their code with the English ones.
        """
        return super().split(input) + list(self._contained_terms(input))

    def _contained_terms(self, text: str) -> Iterator[str]:
        # jieba may cut a term differently in context (非叶子节点); the term
        # is still on the page and must be found.
        yield from (term for term in self.book_terms if term in text)
        for pattern, chinese in self.english_names:
            if pattern.search(text):
                yield from chinese

    def word_filter(self, stemmed_word: str) -> bool:
        """Keep words of two characters or more, and the book's one-character terms (凸)."""
        return len(stemmed_word) > 1 or stemmed_word in self.book_terms


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the search languages, the dictionary and the teaching pages."""
    app.add_search_language(BookSearchEnglish)
    app.add_search_language(BookSearchChinese)
    # Set per language through language_settings (book_languages).
    app.add_config_value("search_messages", {}, "html", types=[dict])
    app.connect("config-inited", _write_dictionary)
    app.connect("env-get-outdated", _outdated_when_the_dictionary_changes)
    app.connect("env-updated", _write_teaching_pages)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
