"""The notebooks a reader downloads from the site, made by ``nox -s docs``.

Jupyter renders their Markdown cells as plain Markdown: nothing of the
book's MyST syntax may be left in them. A Chinese notebook is Chinese
wherever its page is: paragraphs, headings, table cells, titles of notes and
solutions, figure descriptions. Running them is ``nox -s takeaway``'s part.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from site_files import languages_and_titles

import autograd_guide
from tests.built_site import ROOT, SITE

ENGLISH, CHINESE = LANGUAGES = tuple(languages_and_titles()[0])
CJK = re.compile(r"[\u4e00-\u9fff]")
INSTALL_CELL_ID = "install-package"

# What MyST would have turned into something else, and Jupyter shows as typed.
MYST_SYNTAX = {
    "role": re.compile(r"\{[a-z][\w:.-]*\}`"),
    "directive fence": re.compile(r"^\s*(?:`{3,}|~{3,}|:{3,})\s*\{", re.MULTILINE),
    "colon fence": re.compile(r"^\s*:::", re.MULTILINE),
    "directive option": re.compile(
        r"^\s*:(?:class|tags|name|label|caption|pyobject|alt):", re.MULTILINE
    ),
    "target": re.compile(r"^\s*\([\w.-]+\)=\s*$", re.MULTILINE),
    "comment": re.compile(r"^%", re.MULTILINE),
    "substitution": re.compile(r"\{\{[^}]*\}\}"),
    "block break": re.compile(r"^\+\+\+", re.MULTILINE),
}


def notebooks(language: str) -> list[Path]:
    root = SITE / language
    if not (root / "index.html").is_file():
        pytest.fail(f"{root} is not built; run `nox -s docs` first")
    return sorted(
        path
        for path in root.rglob("*.ipynb")
        if not path.relative_to(root).parts[0].startswith("_")
    )


def markdown_cells(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def without_code_and_math(markdown: str) -> str:
    """Return ``markdown`` without fenced code, inline code, math, link targets and HTML tags."""
    text = re.sub(r"^(`{3,}).*?^\1", "", markdown, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.DOTALL)
    text = re.sub(r"(`+).+?\1", "", text)
    text = re.sub(r"(?<!\\)\$.+?(?<!\\)\$", "", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.sub(r"<[^>]+>", "", text)


def test_every_page_with_code_has_a_notebook_in_both_languages():
    names = {
        language: [path.relative_to(SITE / language) for path in notebooks(language)]
        for language in LANGUAGES
    }
    assert names[ENGLISH] == names[CHINESE]
    # Every page written as a notebook, but the landing pages, whose cells are
    # removed from them.
    docs = ROOT / "docs"
    chapters = [
        path.relative_to(docs).with_suffix(".ipynb")
        for path in docs.rglob("*.md")
        if "file_format: mystnb" in path.read_text(encoding="utf-8") and path.stem != "index"
    ]
    assert len(chapters) > 20
    assert set(chapters) <= set(names[ENGLISH])


@pytest.mark.parametrize("language", LANGUAGES)
def test_markdown_cells_hold_no_myst_syntax(language):
    found = []
    for path in notebooks(language):
        for source in markdown_cells(path):
            prose = re.sub(r"^(`{3,}).*?^\1", "", source, flags=re.MULTILINE | re.DOTALL)
            prose = re.sub(r"(`+).+?\1", "", prose)
            for name, pattern in MYST_SYNTAX.items():
                match = pattern.search(prose)
                if match:
                    found.append(f"{path.name}: {name} {match.group(0)!r}")
    assert found == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_cells_explain_and_install_the_books_version(language):
    for path in notebooks(language):
        cells = nbformat.read(path, as_version=4).cells
        note, install = cells[0], cells[1]
        assert note.cell_type == "markdown"
        assert bool(CJK.search(note.source)) == (language == CHINESE), path
        assert install.get("id") == INSTALL_CELL_ID
        assert f"autograd-guide=={autograd_guide.__version__}" in install.source
        assert 'find_spec("autograd_guide") is None' in install.source


def english_blocks(markdown: str) -> list[str]:
    """Return the paragraphs, headings, table cells and titles of ``markdown`` written in English.

    Every line is a block (the notebooks write a paragraph on one line), and
    so is every cell of a table. A block is English when it has no Chinese
    character and at least two words of three Latin letters or more, once
    code, math and link targets are out.
    """
    found = []
    text = without_code_and_math(markdown)
    for block in re.split(r"\n|\|", text):
        words = re.findall(r"[A-Za-z]{3,}", block)
        if len(words) >= 2 and not CJK.search(block):
            found.append(" ".join(block.split())[:80])
    return found


def test_english_blocks_are_found():
    assert english_blocks("| 列 | Column name here |\n|---|---|") == ["Column name here"]
    assert english_blocks("<details>\n<summary>Solution to the exercise</summary>\n\n答案。") == [
        "Solution to the exercise"
    ]
    chinese = "用`x.grad is None`检查，见[计算图](https://example.org/a/b.html)。"  # noqa: RUF001
    assert english_blocks(chinese) == []
    assert english_blocks("*Figure:* A curve and its tangent line") != []


def test_chinese_notebooks_have_no_english_prose():
    found = [
        f"{path.relative_to(SITE)}: {block}"
        for path in notebooks(CHINESE)
        for source in markdown_cells(path)
        for block in english_blocks(source)
    ]
    assert found == []


def test_chinese_notebooks_say_exercise_solution_note_and_figure_in_chinese():
    for path in notebooks(CHINESE):
        text = "\n".join(markdown_cells(path))
        for english in ("Exercise", "Solution", "Figure", "Note", "Warning", "Tip"):
            assert english not in without_code_and_math(text), f"{path.name}: {english}"


@pytest.mark.parametrize(("language", "title"), [(ENGLISH, "Solution"), (CHINESE, "参考答案")])
def test_each_solution_is_a_closed_details_element_as_on_its_page(language, title):
    for path in notebooks(language):
        page = path.with_suffix(".html").read_text(encoding="utf-8")
        text = "\n".join(markdown_cells(path))
        summaries = re.findall(r"<details>\n<summary>(.*?)</summary>\n\n\S", text)
        assert summaries == [title] * page.count('class="sd-sphinx-override sd-dropdown'), path
