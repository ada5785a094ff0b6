"""The search of both languages, as a reader uses it: terms, questions, the search field.

Run with ``nox -s browser`` after ``nox -s docs``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.built_site import CHINESE, ENGLISH

from .search import containing, found, open_search, page_texts, shown, terms

LANGUAGES = (ENGLISH, CHINESE)
TERMS = terms()
# Pages that use a term's English name in another sense, where the Chinese
# rightly says something else: "a guard worth keeping" (a check), "the trace
# of losses" and "the trace of the backward calls" (a record).
OTHER_SENSES = {
    "guard": {"practice/broken-loops"},
    "trace": {"practice/broken-loops", "practice/memory"},
}
# English names that the page teaching the concept never writes: the
# training loop defines "the loss", and no English page says "loss
# function", so that query cannot find it (the Chinese page writes 损失函数).
UNUSED_IN_ENGLISH = {"loss function"}
# Questions a reader types, and the page each must find among its first three.
PHRASES = [
    (CHINESE, "计算图中的叶子节点", "guide/computational-graph"),
    (CHINESE, "为什么梯度会累积", "autograd/first-gradient"),
    (CHINESE, "关闭梯度计算", "guide/no-grad"),
    (CHINESE, "自定义自动微分函数的反向传播", "guide/custom-functions"),
    (CHINESE, "原地操作的错误信息", "guide/in-place"),
    (CHINESE, "雅可比矩阵和黑塞矩阵", "guide/jacobians"),
    (CHINESE, "前向模式的对偶张量", "practice/forward-mode"),
    (CHINESE, "张量上的钩子", "guide/hooks"),
    (CHINESE, "分离计算图", "autograd/detach"),
    (CHINESE, "折点处的梯度", "practice/kinks"),
    (CHINESE, "用有限差分检查导数", "autograd/checking-derivatives"),
    (CHINESE, "用 vmap 计算逐样本梯度", "guide/jacobians"),
    (CHINESE, "retain_graph 的作用", "guide/higher-order"),
    (CHINESE, "自定义函数", "guide/custom-functions"),
    (CHINESE, "二阶导数", "guide/higher-order"),
    (ENGLISH, "leaf nodes of the graph", "guide/computational-graph"),
    (ENGLISH, "turn gradients off", "guide/no-grad"),
    (ENGLISH, "custom function", "guide/custom-functions"),
    (ENGLISH, "why gradients accumulate", "autograd/first-gradient"),
]


@pytest.fixture(scope="module")
def searching(browser: Browser, base_url: str) -> Iterator[dict[str, Page]]:
    """The search page of each language, its index loaded."""
    context = browser.new_context()
    pages = {}
    for language in LANGUAGES:
        pages[language] = context.new_page()
        open_search(pages[language], base_url, language)
    yield pages
    context.close()


@pytest.fixture(scope="module")
def texts() -> dict[str, dict[str, str]]:
    """The text of every page, by language and page."""
    return {language: page_texts(language) for language in LANGUAGES}


@pytest.fixture(scope="module")
def teaching(searching: dict[str, Page]) -> dict[str, list[str]]:
    """Each term's teaching pages, as the built site's search knows them."""
    taught: dict[str, list[str]] = searching[ENGLISH].evaluate("BookSearch.teaching")
    assert taught == searching[CHINESE].evaluate("BookSearch.teaching")
    return taught


@pytest.mark.parametrize("term", TERMS, ids=[term.english[0] for term in TERMS])
def test_a_glossary_term_finds_the_page_teaching_it_first_and_every_page_using_it(
    searching, texts, teaching, term
):
    results = {}
    for language, names in ((ENGLISH, term.english), (CHINESE, term.chinese)):
        for name in names:
            results[name] = found(searching[language], name)
            key = name.lower() if language == ENGLISH else name
            assert key in teaching, f"{name!r} has no teaching page"
            if language == CHINESE or name not in UNUSED_IN_ENGLISH:
                assert set(teaching[key]) <= set(results[name][:3]), (name, results[name][:5])
            missing = containing(texts[language], name) - set(results[name])
            assert not missing, f"{name!r} ({language}) misses pages that contain it: {missing}"
    # The Chinese term finds every page that the English search finds for the
    # English term and that names it: an English query finds the pages that
    # hold its words anywhere ("backward" and "step"), which a Chinese page,
    # whose prose has no English words, cannot match as such.
    english, chinese = term.english[0], term.chinese[0]
    named = containing(texts[ENGLISH], english) & set(results[english])
    named -= OTHER_SENSES.get(english, set())
    assert named <= set(results[chinese]), named - set(results[chinese])
    assert len(results[chinese]) >= len(named)


@pytest.mark.parametrize(("language", "query", "expected"), PHRASES)
def test_a_question_finds_its_page(browser, base_url, language, query, expected):
    context = browser.new_context()
    try:
        results = shown(context.new_page(), base_url, language, query)
        assert expected in results[:3], results
    finally:
        context.close()


def _visible_search_fields(page: Page) -> int:
    fields = page.locator("input[name='q'], .search-button-field")
    return sum(field.is_visible() for field in fields.all())


@pytest.mark.parametrize("language", LANGUAGES)
def test_ctrl_k_focuses_the_search_field_and_it_searches(browser, base_url, language):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/{language}/guide/hooks.html")
        page.wait_for_load_state("load")
        assert _visible_search_fields(page) == 1
        page.keyboard.press("Control+k")
        field = page.locator("input[name='q']:focus")
        field.wait_for(state="visible")
        query = "钩子" if language == CHINESE else "hook"
        page.keyboard.type(query)
        page.keyboard.press("Enter")
        page.wait_for_url("**/search.html?q=*")
        assert "guide/hooks" in shown(page, base_url, language, query)[:3]
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_search_button_works_on_a_phone(browser, base_url, language):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/{language}/guide/in-place.html")
        page.wait_for_load_state("load")
        button = page.locator(".article-header-buttons button.search-button")
        assert button.is_visible()
        button.click()
        field = page.locator("#pst-search-dialog input[name='q']")
        field.wait_for(state="visible")
        assert field.evaluate("input => input === document.activeElement")
        query = "原地操作" if language == CHINESE else "in-place operation"
        field.fill(query)
        field.press("Enter")
        page.wait_for_url("**/search.html?q=*")
        assert "guide/in-place" in shown(page, base_url, language, query)[:3]
    finally:
        context.close()


@pytest.mark.parametrize(
    ("language", "footer"),
    [(ENGLISH, "By The autograd-guide authors"), (CHINESE, "作者：autograd-guide 编写组")],  # noqa: RUF001
)
def test_the_footer_speaks_the_page_language(browser, base_url, language, footer):
    page = browser.new_page()
    try:
        page.goto(f"{base_url}/{language}/guide/hooks.html")
        assert page.locator(".component-author").inner_text().strip() == footer
    finally:
        page.close()


@pytest.mark.parametrize(
    ("language", "query", "status"),
    [
        (ENGLISH, "hooks", "Search finished, found"),
        (CHINESE, "钩子", "搜索完成，共找到"),  # noqa: RUF001
        (CHINESE, "register_post_accumulate_grad_hook", "搜索完成，共找到"),  # noqa: RUF001
    ],
)
def test_the_search_status_speaks_the_page_language(browser, base_url, language, query, status):
    page = browser.new_page()
    try:
        shown(page, base_url, language, query)
        summary = page.locator("#search-results .search-summary").inner_text().strip()
        assert summary.startswith(status), summary
    finally:
        page.close()
