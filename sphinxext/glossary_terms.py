"""The glossary's terms, read from its table, and the pages that teach them.

Plain Python, without Sphinx: the search extension (``book_search.py``)
builds the Chinese search dictionary and the ranking from it, and the
browser tests read the same terms to search for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

# Words a reader types that the glossary does not list as such: the names in
# two terms each (雅可比矩阵, 雅可比-向量积), a derivative the book computes
# often, and the short forms of two terms (叶子, 累积).
EXTRA_CHINESE_TERMS = ("雅可比", "黑塞", "二阶导数", "叶子", "累积")
# The page that teaches a term, where the rules of teaching_pages would pick
# one that only mentions it first, or none. The first part's introduction is
# named after automatic differentiation and defines it. The English pages say "leaf" and
# "the loss" where the Chinese ones write 叶子节点 and 损失函数, and two terms
# are explained only in the API reference, by the helpers' docstrings.
TEACHING_PAGES = {
    "gradient accumulation": "autograd/first-gradient",
    "loss function": "guide/training-loop",
    "pinned memory": "practice/memory",
    "pure function": "guide/jacobians",
    "machine epsilon": "api/gradients",
    "subnormal number": "api/gradients",
    "automatic differentiation": "autograd/index",
    "autograd": "autograd/first-gradient",
    "leaf node": "guide/computational-graph",
    "dual tensor": "practice/forward-mode",
    "tangent": "practice/forward-mode",
    "inference mode": "guide/no-grad",
    "convex": "practice/kinks",
    "concave": "practice/kinks",
    "tie": "practice/kinks",
    "forward graph": "practice/compile",
    "trace": "practice/compile",
    "vectorizing map": "guide/jacobians",
    "double backward": "guide/higher-order",
    "version counter": "guide/in-place",
    "view": "guide/in-place",
}
# Pages that list or index terms rather than teach them.
NOT_TEACHING = re.compile(r"^(index|glossary|api)$|/index$")
_HAN = re.compile(r"[\u3400-\u9fff]+")
_ROW = re.compile(r"^\|(?P<english>[^|]+)\|(?P<chinese>[^|]+)\|(?P<meaning>.*)\|\s*$")
_PARENTHESIS = re.compile(r"\s*[(（](?P<inner>[^)）]*)[)）]")


@dataclass(frozen=True)
class GlossaryTerm:
    """One concept of the glossary: its English names and its Chinese ones."""

    english: tuple[str, ...]
    chinese: tuple[str, ...]


def glossary_terms(glossary: Path) -> list[GlossaryTerm]:
    r"""Return the concepts listed in the glossary's table, one per English name.

    A parenthesis in the English column gives another name
    (``kink (corner)``) unless the Chinese column has one too, in which case
    both only say what the term applies to (``freeze (parameters)``, 冻结（参数）)
    and are dropped. A row naming two concepts (``convex, concave``, 凸，凹)
    gives two.

    Examples
    --------
    >>> import tempfile
    >>> page = Path(tempfile.mkdtemp(), "glossary.md")
    >>> _ = page.write_text(
    ...     "| English | 中文 | Meaning |\n| --- | --- | --- |\n"
    ...     "| kink (corner) | 折点 | ... |\n| convex, concave | 凸，凹 | ... |\n"
    ...     "| freeze (parameters) | 冻结（参数） | ... |\n", encoding="utf-8")
    >>> for term in glossary_terms(page):
    ...     print(term.english, term.chinese)
    ('kink', 'corner') ('折点',)
    ('convex',) ('凸',)
    ('concave',) ('凹',)
    ('freeze',) ('冻结',)
    """
    terms = []
    for line in glossary.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match is None:
            continue
        english, chinese = match.group("english").strip(), match.group("chinese").strip()
        if english in ("English", "---") or set(english) <= {"-", " "}:
            continue
        qualified = _PARENTHESIS.search(chinese) is not None
        chinese = _PARENTHESIS.sub("", chinese)
        aliases = [] if qualified else [m.group("inner") for m in _PARENTHESIS.finditer(english)]
        english = _PARENTHESIS.sub("", english)
        english_names = [name.strip() for name in english.split(",")]
        chinese_names = [name.strip() for name in re.split("[，,]", chinese)]
        pairs: list[tuple[tuple[str, ...], tuple[str, ...]]]
        if len(english_names) == len(chinese_names) > 1:
            pairs = [((e,), (c,)) for e, c in zip(english_names, chinese_names, strict=True)]
        else:
            pairs = [(tuple(english_names), tuple(chinese_names))]
        for number, (names, chinese_names_) in enumerate(pairs):
            extra = tuple(alias.strip("` ") for alias in aliases) if number == 0 else ()
            terms.append(GlossaryTerm(names + extra, chinese_names_))
    return terms


def dictionary_words(terms: Iterable[GlossaryTerm]) -> list[str]:
    """Return the Chinese words jieba must know: each run of Chinese characters of each term.

    ``黑塞-向量积`` gives ``黑塞`` and ``向量积``; ``eager 模式`` gives ``模式``;
    the beginning or end that several terms share is one too.

    Examples
    --------
    >>> dictionary_words([GlossaryTerm(("forward mode",), ("前向模式",)),
    ...                   GlossaryTerm(("forward pass",), ("前向传播",))])[:3]
    ['二阶导数', '前向', '前向传播']
    """
    words = dict.fromkeys(
        run for term in terms for name in term.chinese for run in _HAN.findall(name)
    )
    words.update(dict.fromkeys(EXTRA_CHINESE_TERMS))
    # The beginning or end that several terms share is a word of its own
    # (前向 in 前向传播 and 前向模式), which jieba may not know: the text says
    # 前向计算图 too.
    # Only where the rest of each term is two characters or more, so that
    # both sides read as words: 向传播, shared by 前向传播 and 反向传播, is not one.
    shared = set()
    for first, second in combinations(sorted(words), 2):
        prefix = _common_prefix(first, second)
        suffix = _common_prefix(first[::-1], second[::-1])[::-1]
        for common in (prefix, suffix):
            rest = min(len(first), len(second)) - len(common)
            if len(common) >= 2 and rest >= 2:
                shared.add(common)
    return sorted(set(words) | shared)


def _common_prefix(first: str, second: str) -> str:
    length = 0
    while length < min(len(first), len(second)) and first[length] == second[length]:
        length += 1
    return first[:length]


def english_pattern(name: str, emphasis: bool = False) -> re.Pattern[str]:
    """Match ``name`` as whole words, a hyphen and a space alike, a plural too; or in italics."""
    words = r"[\s-]+".join(re.escape(word) for word in re.split(r"[\s-]+", name))
    body = rf"{words}(?:s|es)?"
    if emphasis:
        return re.compile(rf"(?<![*\w])\*{{1,2}}{body}\*{{1,2}}(?![*\w])", re.IGNORECASE)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", re.IGNORECASE)


def _title(source: str) -> str:
    match = re.search(r"^# (.+)$", source, re.MULTILINE)
    return match.group(1) if match else ""


def _in_title(name: str, title: str) -> bool:
    """Whether ``title`` names the term, in any form (``detach`` in "Detaching a computation")."""
    words = r"[\s-]+".join(re.escape(word) for word in re.split(r"[\s-]+", name))
    return re.search(rf"(?<![\w-]){words}\w*", title, re.IGNORECASE) is not None


def _teaching_page(term: GlossaryTerm, candidates: dict[str, str]) -> str | None:
    for name in term.english:
        if name in TEACHING_PAGES:
            return TEACHING_PAGES[name]
    plain = [english_pattern(name) for name in term.english]
    italic = [english_pattern(name, emphasis=True) for name in term.english]
    for page, text in candidates.items():
        if any(_in_title(name, _title(text)) for name in term.english):
            return page
    for patterns in (italic, plain):
        for page, text in candidates.items():
            if any(pattern.search(text) for pattern in patterns):
                return page
    return None


def teaching_pages(terms: Iterable[GlossaryTerm], pages: dict[str, str]) -> dict[str, list[str]]:
    r"""Map each term, English (lowercase) and Chinese, to the page that teaches it.

    ``pages`` maps each page's name to its English source, in reading order.
    The page that teaches a concept is the one listed in
    :data:`TEACHING_PAGES`; else the page whose title names it; else the
    first that sets one of its English names in italics, the book's way of
    introducing a term; else the first that uses one. The index pages, the
    glossary and the API reference are never it, unless listed. A name of
    a concept that its page does not use gets the page found for it alone.
    A Chinese term gets the
    teaching pages of every concept it names (反向传播 names backpropagation
    and the backward pass).

    Examples
    --------
    >>> leaf = GlossaryTerm(("leaf tensor",), ("叶张量",))
    >>> teaching_pages([leaf], {
    ...     "index": "# Book\n*leaf tensors*",
    ...     "a": "# A\nA leaf tensor.",
    ...     "b": "# B\nA *leaf tensor*.",
    ... })
    {'leaf tensor': ['b'], '叶张量': ['b']}
    """
    candidates = {name: text for name, text in pages.items() if not NOT_TEACHING.search(name)}
    taught: dict[str, list[str]] = {}
    for term in terms:
        page = _teaching_page(term, candidates)
        if page is None:
            continue
        keys = {name.lower(): page for name in term.english} | dict.fromkeys(term.chinese, page)
        # Another English name the concept's page does not use (autograd, on
        # the page about automatic differentiation) gets a page of its own.
        for name in term.english[1:]:
            if name in TEACHING_PAGES or not english_pattern(name).search(pages[page]):
                alone = _teaching_page(GlossaryTerm((name,), ()), candidates)
                keys[name.lower()] = alone or page
        for key, taught_page in keys.items():
            if taught_page not in taught.setdefault(key, []):
                taught[key].append(taught_page)
    return taught
