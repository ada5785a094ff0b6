"""The project's Sphinx extensions, function by function."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from doctest import testmod as run_examples
from pathlib import Path
from types import SimpleNamespace

import book_languages
import book_pdf
import book_search
import catalogs
import cell_errors
import glossary_terms
import line_breaking
import nbformat
import notebook_downloads
import notebook_markdown
import package_version
import plain_tokens
import pytest
from accessible_theme import LOCALE, compile_catalogs, label_summaries
from babel.messages.catalog import Catalog
from book_languages import counterpart_links, difference, shortened
from catalogs import Project, new_catalog, read_catalog, update_catalog, write_catalog
from docutils import nodes
from docutils.core import publish_doctree
from execution_cache import create_cache, environment_fingerprint, runtime_versions
from helper_source import source_without_docstring
from light_pages import (
    READY_STATE_SHIM,
    RESOLVED_THEME,
    deferred_scripts,
    icon_codepoints,
    merge_stylesheets,
    merged_stylesheets,
    resolved_theme,
    stylesheet_codepoints,
    without_script,
    without_unused_icons,
    without_unused_rules,
)
from mathml import latex_to_mathml
from notebook_downloads import _with_outputs
from site_files import languages_and_titles

import autograd_guide

ROOT = Path(__file__).resolve().parent.parent
# The book's languages as conf.py names them.
NAMES = languages_and_titles()[0]
ENGLISH, CHINESE = NAMES


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "autograd_guide"
    shutil.copytree(ROOT / "autograd_guide", copy)
    return copy


def test_fingerprint_changes_with_the_package_sources(package_copy):
    before = environment_fingerprint(package_copy, "autograd-guide")
    assert environment_fingerprint(package_copy, "autograd-guide") == before
    gradients = package_copy / "gradients.py"
    gradients.write_text(gradients.read_text() + "\n# changed\n")
    assert environment_fingerprint(package_copy, "autograd-guide") != before


def test_fingerprint_covers_torch_and_what_it_requires():
    versions = runtime_versions(("torch",))
    assert any(entry.startswith("torch==") for entry in versions)
    assert any(entry.startswith("sympy==") for entry in versions)


def test_fingerprint_refuses_a_missing_package(tmp_path):
    with pytest.raises(ValueError, match="must be the package's folder"):
        environment_fingerprint(tmp_path / "missing", "autograd-guide")


def _open_files_below(folder: Path) -> list[str]:
    found = []
    for descriptor in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_the_cache_is_created_with_no_connection_left_for_readers_to_inherit(tmp_path):
    create_cache(tmp_path / "cache")
    assert (tmp_path / "cache" / "global.db").is_file()
    assert _open_files_below(tmp_path) == []


def test_helper_source_drops_the_docstring_only():
    source = source_without_docstring(autograd_guide.derivative)
    assert source.startswith("def derivative(")
    assert '"""' not in source
    assert "return gradient(total, x)" in source


def test_latex_becomes_mathml():
    mathml = latex_to_mathml(r"\frac{\partial y}{\partial x_i} = 4x_i", display=True)
    assert mathml.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
    assert "<mfrac>" in mathml


@pytest.mark.parametrize("latex", [r"\unknowncommand{x}", r"a & b"])
def test_latex_that_cannot_be_converted_is_refused(latex):
    with pytest.raises(ValueError, match="cannot convert"):
        latex_to_mathml(latex, display=False)


def test_language_switch_links_climb_to_the_other_language():
    assert counterpart_links("guide/hooks", CHINESE, NAMES) == [
        {"href": f"../../{ENGLISH}/guide/hooks.html", "name": NAMES[ENGLISH], "hreflang": ENGLISH}
    ]
    assert counterpart_links("index", ENGLISH, NAMES)[0]["href"] == f"../{CHINESE}/index.html"


def test_messages_that_begin_alike_are_shown_apart():
    opening = "Gradients flow backwards through every operation that autograd recorded, "
    first, second = shortened([opening + "one step at a time.", opening + "from the output."])
    assert first != second
    assert "one step" in first
    assert "from the" in second
    assert shortened(["Short enough."]) == ["Short enough."]


def test_a_difference_shows_the_changed_words_in_their_context():
    old = "The first backward frees the saved values of every node, not the graph itself."
    new = "The first backward frees the saved tensors of every node, not the graph itself."
    assert difference(old, new) == (
        "…first backward frees the saved [values → tensors] of every node, not the…"
    )
    assert difference("a b c", "a b c d") == "a b c [+ d]"
    assert difference("a b c d", "a b d") == "a b [- c] d"


PROJECT = Project(
    "autograd-guide", "2026, The autograd-guide authors", "The autograd-guide authors"
)


def _template(*messages: str) -> Catalog:
    template = Catalog()
    for message in messages:
        template.add(message)
    return template


def test_a_new_catalog_carries_the_projects_header(tmp_path):
    catalog = new_catalog(_template("Hooks"), "guide/hooks", CHINESE, PROJECT)
    write_catalog(tmp_path / "hooks.po", catalog)
    written = (tmp_path / "hooks.po").read_text(encoding="utf-8")
    existing = (ROOT / "docs/locale" / CHINESE / "LC_MESSAGES/guide/hooks.po").read_text(
        encoding="utf-8"
    )

    def header(text: str) -> list[str]:
        lines = text.split("\n\n")[0].splitlines()
        return [line for line in lines if "-Date:" not in line]

    assert header(written) == header(existing)


def test_a_fuzzy_message_keeps_the_english_it_was_translated_from(tmp_path):
    pot, po = tmp_path / "page.pot", tmp_path / "page.po"
    catalog = new_catalog(_template("Old text.", "Multi\nline"), "page", CHINESE, PROJECT)
    catalog["Old text."].string = "旧文本。"
    catalog["Multi\nline"].string = "多\n行"
    write_catalog(po, catalog)
    for step, english in enumerate(["New text.", "Newer text."]):
        write_catalog(pot, _template(english, "Multi\nlines"))
        assert update_catalog(pot, po, "page", CHINESE, PROJECT).fuzzy == 2
        updated = read_catalog(po)
        assert updated[english].fuzzy
        # The English the translation was written for, not the one in between.
        assert updated[english].previous_id == ["Old text."], step
        assert updated["Multi\nlines"].previous_id == ["Multi\nline"]
    text = po.read_text(encoding="utf-8")
    assert '#, fuzzy\n#| msgid "Old text."\nmsgid "Newer text."\nmsgstr "旧文本。"\n' in text
    assert '#| msgid ""\n#| "Multi\\n"\n#| "line"\nmsgid ""\n"Multi\\n"\n"lines"\n' in text


def test_a_catalog_whose_messages_did_not_change_is_not_written(tmp_path):
    pot, po = tmp_path / "page.pot", tmp_path / "page.po"
    write_catalog(pot, _template("Text."))
    assert update_catalog(pot, po, "page", CHINESE, PROJECT).status == "created"
    before = po.read_bytes()
    assert update_catalog(pot, po, "page", CHINESE, PROJECT).status == "unchanged"
    assert po.read_bytes() == before


def test_punctuation_is_kept_on_the_line_of_the_formula_or_code_it_follows():
    # The full-width marks are the point of the test.
    text = "梯度为 :math:`2x`。对 ``x.grad``，以及（:math:`y`）和 `link <https://x.org>`__ 。"  # noqa: RUF001
    document = publish_doctree(text)
    line_breaking.keep_punctuation_together(document)
    kept = [span.astext() for span in document.findall(nodes.inline)]
    assert kept == ["2x。", "x.grad，", "（y）"]  # noqa: RUF001
    assert document.astext().replace(" ", "") == "梯度为2x。对x.grad，以及（y）和link。"  # noqa: RUF001


@pytest.mark.parametrize(
    "module",
    [
        book_languages,
        book_pdf,
        catalogs,
        glossary_terms,
        cell_errors,
        line_breaking,
        notebook_downloads,
        notebook_markdown,
        package_version,
        plain_tokens,
    ],
)
def test_the_examples_in_the_docstrings_hold(module):
    assert run_examples(module).failed == 0


def test_sidebar_toggles_get_a_label():
    html = '<details><summary><span class="toctree-toggle"></span></summary></details>'
    assert '<summary aria-label="展开 &amp; 收起">' in label_summaries(html, "展开 & 收起")


def test_the_icon_script_is_dropped_and_nothing_else():
    head = (
        '<script defer src="_static/scripts/fontawesome.js?digest=1"></script>\n'
        '<script defer src="_static/scripts/bootstrap.js?digest=1"></script>'
    )
    assert without_script(head, "scripts/fontawesome.js") == (
        '<script defer src="_static/scripts/bootstrap.js?digest=1"></script>'
    )


def test_icon_codepoints_are_read_from_the_stylesheet():
    css = '.fa-magnifying-glass,.fa-search{--fa:"\\f002"}.fa-bars{--fa:"\\f0c9"}'
    assert icon_codepoints(css) == {
        "fa-magnifying-glass": 0xF002,
        "fa-search": 0xF002,
        "fa-bars": 0xF0C9,
    }


def test_icons_drawn_by_the_stylesheet_itself_are_kept():
    css = '--pst-icon-info-circle:"\uf05a";--pst-icon-bell:"\\f0f3";color:red'
    assert stylesheet_codepoints(css) == {0xF05A, 0xF0F3}


def _notebook(execution_count: int | None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=execution_count)
    if execution_count is not None:
        cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
    return nbformat.v4.new_notebook(cells=[cell])


def test_a_notebook_missing_from_the_cache_keeps_the_outputs_it_was_executed_with(tmp_path):
    config = SimpleNamespace(nb_execution_mode="cache", nb_execution_cache_path=str(tmp_path))
    app = SimpleNamespace(config=config)
    executed = _notebook(execution_count=1)
    assert _with_outputs(app, executed) is executed
    with pytest.raises(KeyError):
        _with_outputs(app, _notebook(execution_count=None))
    assert _open_files_below(tmp_path) == []


def test_stylesheets_merge_into_one_link_named_by_their_versions(tmp_path):
    head = (
        '<script>document.documentElement.dataset.mode = "auto";</script>\n'
        '<link href="../_static/styles/theme.css?digest=1" rel="stylesheet" />\n'
        '<link rel="stylesheet" type="text/css" href="../_static/book.css?v=2" />\n'
        '<link rel="preload" as="script" href="../_static/scripts/bootstrap.js" />\n'
    )
    merged = str(merged_stylesheets(head, tmp_path))
    assert merged.count('rel="stylesheet"') == 1
    assert '<link rel="stylesheet" href="../_static/styles/book-merged-' in merged
    assert merged.index("dataset.mode") < merged.index("book-merged-")  # the mode script first
    assert 'rel="preload"' in merged
    (sources,) = tmp_path.glob("*.sources")
    assert sources.read_text().split() == [
        "_static/styles/theme.css?digest=1",
        "_static/book.css?v=2",
    ]
    assert merged_stylesheets(head.replace("v=2", "v=3"), tmp_path) != merged


def test_merged_stylesheets_resolve_imports_and_urls(tmp_path):
    static = tmp_path / "_static"
    (static / "styles").mkdir(parents=True)
    (static / "basic.css").write_text("/* basic */\nbody { margin: 0 }\n")
    (static / "styles" / "theme.css").write_text(
        '@import "../basic.css";\n.icon { background: url("../vendor/font.woff2") }\n'
    )
    (static / "book.css").write_text(
        ".logo { background: url(images/logo.svg) }\n"
        '.dot { background: url("data:image/svg+xml,x") }\n'
    )
    css = merge_stylesheets(tmp_path, ["_static/styles/theme.css?digest=1", "_static/book.css?v=2"])
    assert "/* basic */" not in css
    assert css.index("body { margin: 0 }") < css.index(".icon")
    assert 'url("../vendor/font.woff2")' in css
    assert 'url("../images/logo.svg")' in css
    assert 'url("data:image/svg+xml,x")' in css


def test_rules_for_classes_no_page_uses_are_left_out():
    css = (
        ".used{color:red}.unused{color:blue}.unused,.used b{margin:0}"
        "a:not(.unused){color:green}p{color:black}"
        "@media (min-width: 10px){.unused{top:0}.used{top:1px}}"
        "@font-face{font-family:x;src:url(x.woff2)}"
    )
    kept = without_unused_rules(css, {"used"})
    assert ".used{color:red}" in kept
    assert ".unused{color:blue}" not in kept
    assert ".unused,.used b{margin:0}" in kept  # one of its selectors can match
    assert "a:not(.unused){color:green}" in kept  # matches where the class is absent
    assert "p{color:black}" in kept
    assert "@media (min-width: 10px){.used{top:1px}}" in kept
    assert "@font-face" in kept


def test_icon_rules_of_unused_icons_are_left_out():
    css = '.fa-magnifying-glass,.fa-search{--fa:"\\f002"}.fa-bars{--fa:"\\f0c9"}a{color:red}'
    assert without_unused_icons(css, {"fa-search"}) == '.fa-search{--fa:"\\f002"}a{color:red}'


def test_scripts_are_deferred_in_their_order():
    head = (
        '<script src="../_static/documentation_options.js?v=1"></script>\n'
        "<script>DOCUMENTATION_OPTIONS.pagename = 'index';</script>\n"
        '<script defer src="../_static/scripts/bootstrap.js"></script>\n'
    )
    deferred = str(deferred_scripts(head))
    assert '<script defer src="../_static/documentation_options.js?v=1"></script>' in deferred
    body = base64.b64encode(b"DOCUMENTATION_OPTIONS.pagename = 'index';").decode()
    assert f'<script defer src="data:text/javascript;base64,{body}"></script>' in deferred
    assert deferred.index("documentation_options.js") < deferred.index(body)
    assert deferred.count("<script defer") == 4  # with the readyState shim, first
    assert deferred.index(base64.b64encode(READY_STATE_SHIM.encode()).decode()) < (
        deferred.index("documentation_options.js")
    )


def test_the_head_resolves_the_colour_theme_the_theme_script_would_set():
    head = (
        "<script>\n"
        '    document.documentElement.dataset.mode = localStorage.getItem("mode") || "auto";\n'
        '    document.documentElement.dataset.theme = localStorage.getItem("theme") || "auto";\n'
        "</script>"
    )
    resolved = str(resolved_theme(head))
    assert 'localStorage.getItem("mode") || "auto";' in resolved
    assert 'getItem("theme")' not in resolved
    assert RESOLVED_THEME in resolved
    with pytest.raises(ValueError, match=r"update light_pages\.resolved_theme"):
        resolved_theme("<script>document.documentElement.dataset.theme = 'light';</script>")


def test_every_glossary_row_gives_search_terms_in_both_languages():
    terms = glossary_terms.glossary_terms(ROOT / "docs" / "glossary.md")
    rows = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8").count("\n| ") - 2
    assert len(terms) >= rows
    assert all(term.english and all(term.chinese) for term in terms)
    words = glossary_terms.dictionary_words(terms)
    assert {"反向传播", "叶子节点", "雅可比矩阵", "雅可比", "黑塞", "向量积", "凸"} <= set(words)
    assert not [word for word in words if not re.fullmatch(r"[\u3400-\u9fff]+", word)]


def test_the_chinese_index_holds_each_term_whole_and_by_its_parts(tmp_path, monkeypatch):
    # The search options name their files relative to the build's search folder.
    monkeypatch.setattr(book_search, "_folder", [tmp_path])
    synonyms = tmp_path / "synonyms.json"
    synonyms.write_text(json.dumps({"detach": ["分离"], "in-place operation": ["原地操作"]}))
    search = book_search.BookSearchChinese({"dict": "", "synonyms": synonyms.name})
    search.book_terms = frozenset({"叶子节点", "叶子", "计算图"})
    words = search.split("计算图中的非叶子节点")
    assert {"计算图", "叶子节点", "叶子", "节点"} <= set(words)
    assert {"分离", "原地操作"} <= set(search.split("y = x.detach(); in-place operations"))
    assert "分离" not in search.split("detached = x")
    assert search.word_filter("凸") is False
    search.book_terms = frozenset({"凸"})
    assert search.word_filter("凸") is True


def test_an_edited_stylesheet_rewrites_the_pages_that_link_it(tmp_path):
    # Sphinx writes a page again when its source changes, not when a
    # stylesheet it links does; stable_rebuilds makes it. Each build is its
    # own process, as with nox -s docs (Sphinx caches checksums per process).
    source = tmp_path / "source"
    (source / "_static").mkdir(parents=True)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'sphinxext')!r})\n"
        "extensions = ['stable_rebuilds']\n"
        "html_static_path = ['_static']\nhtml_css_files = ['extra.css']\n",
        encoding="utf-8",
    )
    (source / "index.rst").write_text("Title\n=====\n\nText.\n", encoding="utf-8")
    stylesheet = source / "_static" / "extra.css"
    page = tmp_path / "html" / "index.html"

    def build() -> str:
        command = [sys.executable, "-m", "sphinx", "--quiet", str(source), str(tmp_path / "html")]
        subprocess.run(command, check=True)
        [link] = re.findall(r'href="_static/extra\.css\?v=(\w+)"', page.read_text("utf-8"))
        return link

    stylesheet.write_text("p { color: black; }\n", encoding="utf-8")
    before = build()
    stylesheet.write_text("p { color: navy; }\n", encoding="utf-8")
    assert build() != before


def test_the_theme_catalogs_compile_and_an_untranslated_word_is_refused(tmp_path):
    assert compile_catalogs(LOCALE, tmp_path / "compiled") == ["booktheme", "sphinx"]
    assert sorted(path.name for path in (tmp_path / "compiled").rglob("*.mo")) == [
        "booktheme.mo",
        "sphinx.mo",
    ]
    source = tmp_path / "locale" / "zh_CN" / "LC_MESSAGES"
    source.mkdir(parents=True)
    for entry in ('msgid "Main"\nmsgstr ""\n', '#, fuzzy\nmsgid "Main"\nmsgstr "全书导航"\n'):
        (source / "sphinx.po").write_text(entry, encoding="utf-8")
        with pytest.raises(ValueError, match="translate 'Main'"):
            compile_catalogs(tmp_path / "locale", tmp_path / "out")
