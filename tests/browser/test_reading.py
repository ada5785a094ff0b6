"""Every page of both languages, as a reader's browser sees it.

Run with ``nox -s browser`` after ``nox -s docs``.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Request, Response

from tests.built_site import CHINESE, ENGLISH

from .conftest import SCREENSHOTS, SITE, site_pages
from .search import shown

# Each language, and the other one that its language switch leads to.
LANGUAGES = {ENGLISH: CHINESE, CHINESE: ENGLISH}
PAGES = [(language, page) for language in LANGUAGES for page in site_pages(language)]
CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_LATEX = re.compile(r"\\\(|\\\[|\\mathbf|\$\$")
# The budget for a first visit, compressed, without the figures of the page.
FIRST_VISIT_BUDGET = 300 * 1024


@dataclass
class Visit:
    """What a browser saw while it loaded one page."""

    page: Page
    status: int | None = None
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)


def visit(browser: Browser, url: str, base_url: str, *, dark: bool = False) -> Visit:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if dark:
        context.add_init_script(
            "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"
        )
    page = context.new_page()
    seen = Visit(page)

    def keep_inside(route: object, request: Request) -> None:
        if request.url.startswith(base_url) or request.url.startswith("data:"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            seen.outside.append(request.url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", keep_inside)
    page.on("console", lambda message: message.type == "error" and seen.errors.append(message.text))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("response", lambda response: seen.responses.append(response))
    page.on(
        "response",
        lambda response: response.status >= 400 and seen.failed.append(response.url),
    )
    response = page.goto(url, wait_until="networkidle")
    seen.status = response.status if response is not None else None
    return seen


@pytest.fixture(scope="module", params=PAGES, ids=[f"{lang}/{page}" for lang, page in PAGES])
def loaded(request, browser, base_url) -> Iterator[tuple[str, str, Visit]]:
    """Each page, loaded once for all the checks that only read it."""
    language, page = request.param
    seen = visit(browser, f"{base_url}/{language}/{page}", base_url)
    # Every check below would pass on an error page: it must be the page itself.
    assert seen.status == 200, f"{language}/{page} answered {seen.status}"
    assert seen.page.locator("main h1").count() >= 1, f"{language}/{page} has no heading"
    yield language, page, seen
    seen.page.context.close()


def test_page_loads_whole_from_the_site(loaded):
    language, _, seen = loaded
    assert seen.outside == [], "requests left the site"
    assert seen.errors == [], "console errors"
    assert seen.failed == [], "responses with an error status"
    assert seen.page.get_attribute("html", "lang") == language.replace("_", "-")


def test_math_is_typeset(loaded):
    _, _, seen = loaded
    prose = seen.page.evaluate(
        """() => {
            const main = document.querySelector("main").cloneNode(true);
            main.querySelectorAll("pre, code, .highlight").forEach((code) => code.remove());
            return main.textContent;
        }"""
    )
    assert not RAW_LATEX.search(prose)
    # Formulas in a closed solution are not laid out until it is opened.
    shown = seen.page.locator("article math:not(details:not([open]) math)")
    assert shown.count() == 0 or shown.first.is_visible()
    for formula in shown.all()[:20]:
        box = formula.bounding_box()
        assert box is not None
        assert box["height"] > 0


def test_images_carry_alt_text_in_the_page_language(loaded):
    language, page, seen = loaded
    for image in seen.page.locator("article img").all():
        alt = image.get_attribute("alt") or ""
        assert len(alt) > 20, f"{page}: alt text {alt!r} does not describe the figure"
        assert not alt.endswith((".svg", ".png")), f"{page}: alt text is a file name"
        assert bool(CJK.search(alt)) == (language == CHINESE), f"{page}: alt {alt!r}"


WEIGHTS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def page_weight_report() -> Iterator[None]:
    """After the pages are read, record what a first visit to each one downloads."""
    yield
    if WEIGHTS:
        heaviest = max(WEIGHTS, key=WEIGHTS.__getitem__)
        report = SCREENSHOTS.parent / "browser" / "page-weight.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        summary = {"heaviest": heaviest, "bytes_compressed": WEIGHTS}
        report.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        print(f"\nheaviest first visit: {heaviest}, {WEIGHTS[heaviest] / 1024:.0f} KiB compressed")


def test_first_visit_is_light(loaded):
    language, page, seen = loaded
    weight = sum(
        len(gzip.compress(response.body(), 9))
        for response in seen.responses
        if "/_images/" not in response.url and response.status == 200
    )
    WEIGHTS[f"{language}/{page}"] = weight
    assert weight < FIRST_VISIT_BUDGET


def test_no_serious_accessibility_violation(loaded):
    _, _, seen = loaded
    # The highlighted code is most of a chapter's elements (some 7,000 token
    # spans of 8,700 on the longest) and most of axe's time here. Lighthouse's
    # accessibility audit, which must score 1.00 on every page
    # (test_first_paint.py), runs the same axe rules on all of it, token
    # colours included; here axe reads the rest, at a desktop's width, and
    # the code only for the one rule Lighthouse does not score: a code block
    # too wide for the page must scroll from the keyboard.
    runs = [Axe().run(seen.page, context={"exclude": [[".highlight"]]})]
    if seen.page.locator(".highlight").count():
        runs.append(
            Axe().run(
                seen.page,
                context={"include": [[".highlight"]]},
                options={"runOnly": ["scrollable-region-focusable"]},
            )
        )
    serious = [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes)"
        for results in runs
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize(("language", "page"), PAGES)
def test_language_switch_leads_to_the_counterpart_and_back(browser, base_url, language, page):
    seen = visit(browser, f"{base_url}/{language}/{page}", base_url)
    other = LANGUAGES[language]
    try:
        # Waiting for a load state could settle on the page being left;
        # waiting for the address fails unless the switch leads there.
        seen.page.locator("a.language-switch").click()
        seen.page.wait_for_url(f"{base_url}/{other}/{page}")
        assert seen.page.get_attribute("html", "lang") == other.replace("_", "-")
        seen.page.locator("a.language-switch").click()
        seen.page.wait_for_url(f"{base_url}/{language}/{page}")
        assert seen.page.get_attribute("html", "lang") == language.replace("_", "-")
    finally:
        seen.page.context.close()


def test_language_switch_works_from_files(browser):
    page = browser.new_page()
    try:
        page.goto((SITE / CHINESE / "autograd" / "detach.html").as_uri())
        page.locator("a.language-switch").click()
        page.wait_for_url((SITE / ENGLISH / "autograd" / "detach.html").as_uri())
        assert page.locator("h1").first.inner_text().startswith("Detaching")
    finally:
        page.close()


@pytest.mark.parametrize(
    ("language", "query", "expected"),
    [
        (ENGLISH, "gradient", "autograd/first-gradient"),
        (ENGLISH, "detach", "autograd/detach"),
        (CHINESE, "梯度", "autograd/first-gradient"),
        (CHINESE, "分离", "autograd/detach"),
    ],
)
def test_search_finds_the_pages(browser, base_url, language, query, expected):
    seen = visit(browser, f"{base_url}/{language}/search.html", base_url)
    try:
        assert expected in shown(seen.page, base_url, language, query)
        assert seen.errors == []
    finally:
        seen.page.context.close()


def test_page_shows_one_search_field_and_no_empty_top_bar(loaded):
    _, _, seen = loaded
    fields = seen.page.locator("input[name='q'], .search-button-field").all()
    assert sum(field.is_visible() for field in fields) == 1
    assert not seen.page.locator("#pst-header").is_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_code_cells_have_copy_buttons_and_outputs_do_not(browser, base_url, language):
    seen = visit(browser, f"{base_url}/{language}/autograd/first-gradient.html", base_url)
    try:
        inputs = seen.page.locator(".cell_input div.highlight")
        outputs = seen.page.locator(".cell_output div.highlight")
        assert inputs.count() > 5
        assert inputs.locator("button.copybtn").count() == inputs.count()
        assert outputs.locator("button.copybtn").count() == 0
    finally:
        seen.page.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_page_downloads_as_a_notebook_in_its_language(browser, base_url, language):
    seen = visit(browser, f"{base_url}/{language}/autograd/detach.html", base_url)
    try:
        link = seen.page.locator("a[href$='detach.ipynb']")
        assert link.count() == 1
        response = seen.page.request.get(f"{base_url}/{language}/autograd/detach.ipynb")
        notebook = json.loads(response.body())
        cells = notebook["cells"]
        markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        install, *code = [c for c in cells if c["cell_type"] == "code"]
        assert bool(CJK.search(markdown)) == (language == CHINESE)
        # The first code cell installs the package where it is missing; it has
        # no output of the book's build. Every cell of the page keeps its outputs.
        assert "%pip install autograd-guide==" in "".join(install["source"])
        assert all(c["outputs"] for c in code), "every code cell of the page keeps its outputs"
    finally:
        seen.page.context.close()


SHOTS = [
    "index.html",
    "autograd/first-gradient.html",
    "autograd/checking-derivatives.html",
]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", SHOTS)
def test_screenshots(browser, base_url, page, language, dark):
    seen = visit(browser, f"{base_url}/{language}/{page}", base_url, dark=dark)
    try:
        assert seen.page.get_attribute("html", "data-theme") == ("dark" if dark else "light")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = page.replace("/", "-").removesuffix(".html")
        name = f"{language}-{stem}-{'dark' if dark else 'light'}.png"
        seen.page.screenshot(path=SCREENSHOTS / name, full_page=True)
        assert (SCREENSHOTS / name).stat().st_size > 10_000
    finally:
        seen.page.context.close()


@pytest.mark.parametrize(
    ("locale", "landing"),
    [("zh-CN", CHINESE), ("zh-TW", CHINESE), ("en-GB", ENGLISH), ("fr", ENGLISH)],
)
def test_root_sends_a_reader_to_their_language(browser, base_url, locale, landing):
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(f"{base_url}/index.html")
        page.wait_for_url(f"{base_url}/{landing}/index.html")
        assert page.get_attribute("html", "lang") == landing.replace("_", "-")
    finally:
        context.close()


@pytest.mark.parametrize(
    "missing", ["missing.html", f"{ENGLISH}/autograd/missing/", f"{CHINESE}/a/b/c.html"]
)
def test_a_missing_page_gets_the_not_found_page(browser, base_url, missing):
    page = browser.new_page()
    try:
        response = page.goto(f"{base_url}/{missing}")
        assert response is not None
        assert response.status == 404
        text = page.locator("body").inner_text()
        assert "页面不存在" in text
        assert "not found" in text.lower()
        # The links climb from the site's root, not from the missing page.
        targets = [link.get_attribute("href") for link in page.locator("a").all()]
        assert targets == [f"/{language}/index.html" for language in LANGUAGES]
    finally:
        page.close()


# What a screen reader announces by name: toggles (<summary>), buttons,
# landmarks and the search field.
NAMED_ROLES = ("DisclosureTriangle", "button", "navigation", "searchbox", "combobox")


def accessible_names(page: Page, *roles: str) -> list[str]:
    """Return the name the browser gives each element of ``roles``, as a screen reader hears it."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
    return [
        node.get("name", {}).get("value", "")
        for node in tree["nodes"]
        if node.get("role", {}).get("value") in roles and not node.get("ignored")
    ]


def test_every_toggle_and_control_is_named_in_the_page_language(loaded):
    language, _, seen = loaded
    assert (
        len(accessible_names(seen.page, "DisclosureTriangle"))
        == seen.page.locator("summary").count()
    )
    names = accessible_names(seen.page, *NAMED_ROLES)
    assert all(name.strip() for name in names), names
    if language == CHINESE:
        assert all(CJK.search(name) for name in names), names
    else:
        assert not any(CJK.search(name) for name in names), names


@pytest.mark.parametrize(
    ("language", "title", "prompt"),
    [(ENGLISH, "Solution", "Show the solution"), (CHINESE, "参考答案", "显示参考答案")],
)
def test_solutions_are_native_toggles_named_in_the_page_language(
    browser, base_url, language, title, prompt
):
    seen = visit(browser, f"{base_url}/{language}/guide/hooks.html", base_url)
    try:
        page = seen.page
        exercises = page.locator("section#exercises p > strong:first-child").count()
        assert exercises >= 2
        # The solutions' text: sphinx-design's <details>, no script needed.
        assert page.locator("button.toggle-button").count() == 0
        solutions = page.locator("details.sd-dropdown")
        assert solutions.count() == exercises
        names = accessible_names(page, "DisclosureTriangle")
        assert names.count(title) == exercises
        # The solutions' code: myst-nb's <details>, named by the prompt it shows.
        assert names.count(prompt) == page.locator("details.hide").count() >= 2
        first = solutions.first
        body = first.locator(".sd-summary-content")
        assert first.get_attribute("open") is None
        assert not body.is_visible()
        first.locator("summary").click()
        assert first.get_attribute("open") is not None
        assert body.is_visible()
    finally:
        seen.page.context.close()
