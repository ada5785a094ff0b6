"""The build must fail, and say where and what to do, when a page or its translation is broken.

Each test builds scratch pages with the project's conf.py, through the command
``nox -s docs`` runs (``noxfile.sphinx_command``), and checks that it exits
non-zero with a message that names the culprit and the next step. The
translation loop runs the commands of ``nox -s translations``.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from scratch_book import NOTEBOOK_HEADER, write
from site_files import languages_and_titles

from noxfile import sphinx_command, translation_commands

ROOT = Path(__file__).resolve().parent.parent

PROSE_PAGE = """\
# A page

Gradients flow backwards.

$$y = x^2$$

```{toctree}
:hidden:
```
"""
# Warnings name a catalog as it is pasted from the root of the repository;
# the scratch pages' root is the test's folder.
# The scratch pages are translated into the book's own second language.
TRANSLATED = list(languages_and_titles()[0])[1]
CATALOGS = f"locale/{TRANSLATED}/LC_MESSAGES"
CATALOG = f"docs/{CATALOGS}/index.po"


def run(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )


def build(
    source: Path, tmp_path: Path, language: str = "en", *extra: str
) -> subprocess.CompletedProcess[str]:
    command = sphinx_command(
        "html",
        language,
        f"--define=nb_execution_cache_path={tmp_path / 'jupyter_cache'}",
        *extra,
        source=source,
        build=tmp_path / "_build",
    )
    return run(command, tmp_path)


def warnings(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Return the warnings of a build, each with the lines that continue it."""
    return re.findall(r"^.*WARNING: .*(?:\n  .*)*", result.stderr, flags=re.MULTILINE)


def catalog(entries: str) -> str:
    return (
        'msgid ""\n'
        'msgstr ""\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n'
        f'"Language: {TRANSLATED}\\n"\n\n' + entries
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return tmp_path / "docs"


RAISING_CELL = """\
values = [1.0, 2.0]
raise ValueError(f"no gradient for {len(values)} values")"""


@pytest.mark.parametrize("jobs", [[], ["--jobs=1"]], ids=["parallel", "serial"])
def test_a_raising_cell_fails_the_build_with_its_page_cell_and_error(source, tmp_path, jobs):
    # nox builds with --jobs=auto; a serial build (--jobs=1, or a machine with
    # one core) must say as much. Both report a warning of the page, as any
    # Sphinx warning is reported, not a crash report in a temporary file.
    write(source / "index.md", PROSE_PAGE.replace(":hidden:", ":hidden:\n\nbroken"))
    write(
        source / "broken.md",
        NOTEBOOK_HEADER + f"# Broken\n\n```{{code-cell}} ipython3\n{RAISING_CELL}\n```\n",
    )
    result = build(source, tmp_path, "en", *jobs)
    assert result.returncode != 0
    [warning] = warnings(result)
    page = source / "broken.md"
    line = page.read_text().splitlines().index(RAISING_CELL.splitlines()[0]) + 1
    assert warning.startswith(f"{page}:{line}: WARNING: a cell raised an exception\n")
    # The cell as on the page, then the exception and its message.
    assert f"  cell:\n{textwrap.indent(RAISING_CELL, '    ')}\n" in warning
    assert "  error:\n    ValueError: no gradient for 2 values" in warning
    log = result.stdout + result.stderr
    assert "parallel build error" not in log
    assert "sphinx-err-" not in log
    assert not (tmp_path / "_build/html/en/reports").exists()  # no report left to publish


def test_a_cell_tagged_raises_exception_does_not_fail_the_build(source, tmp_path):
    write(source / "index.md", PROSE_PAGE.replace(":hidden:", ":hidden:\n\nexpected"))
    write(
        source / "expected.md",
        NOTEBOOK_HEADER
        + "# Expected\n\n```{code-cell} ipython3\n:tags: [raises-exception]\n\n1 / 0\n```\n",
    )
    result = build(source, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ZeroDivisionError" in (tmp_path / "_build/html/en/expected.html").read_text()


HEADING = 'msgid "A page"\nmsgstr "一页"\n\n'
FORMULA = 'msgid "y = x^2"\nmsgstr "y = x^2"\n\n'
TITLE = HEADING + FORMULA
BODY = 'msgid "Gradients flow backwards."\n'
BODY_TRANSLATED = BODY + 'msgstr "梯度反向流动。"\n\n'


def test_a_complete_translation_builds(source, tmp_path):
    write(source / "index.md", PROSE_PAGE)
    write(source / CATALOGS / "index.po", catalog(TITLE + BODY_TRANSLATED))
    result = build(source, tmp_path, language=TRANSLATED)
    assert result.returncode == 0, result.stderr
    assert "梯度反向流动。" in (tmp_path / "_build/html" / TRANSLATED / "index.html").read_text()


BEHIND = f"the {TRANSLATED} catalogs are behind the English pages. Run `nox -s translations`"


@pytest.mark.parametrize(
    ("entries", "complaints"),
    [
        pytest.param(
            TITLE,
            [BEHIND, f'  {CATALOG}:\n    new: "Gradients flow backwards."'],
            id="missing",
        ),
        pytest.param(
            TITLE + 'msgid "Gradients flow forwards."\nmsgstr "梯度正向流动。"\n',
            [BEHIND, f'  {CATALOG}:\n    changed: "Gradients flow [forwards. → backwards.]"'],
            id="changed",
        ),
        pytest.param(
            TITLE + BODY_TRANSLATED + 'msgid "A removed sentence."\nmsgstr "删掉的句子。"\n',
            [BEHIND, f'  {CATALOG}:\n    no longer on the page: "A removed sentence."'],
            id="stale",
        ),
        pytest.param(
            TITLE + BODY + 'msgstr ""\n',
            [
                f'1 untranslated message in {CATALOG}: "Gradients flow backwards.". '
                "Write its msgstr."
            ],
            id="untranslated",
        ),
        pytest.param(
            TITLE + '#, fuzzy\n#| msgid "Gradients flow forwards."\n' + BODY_TRANSLATED,
            [
                f"1 fuzzy message in {CATALOG}, whose English changed since it was translated: "
                '"Gradients flow [forwards. → backwards.]". Bring its msgstr up to date with '
                "the new English (the `#|` lines show the old), then delete the `#, fuzzy` "
                "line and the `#|` lines."
            ],
            id="fuzzy",
        ),
        pytest.param(
            TITLE + "#, fuzzy\n" + BODY_TRANSLATED,
            [
                f"1 fuzzy message in {CATALOG}, whose English changed since it was translated: "
                '"Gradients flow backwards."'
            ],
            id="fuzzy-without-previous",
        ),
        pytest.param(
            TITLE + '#| msgid "Gradients flow forwards."\n' + BODY_TRANSLATED,
            [
                f"1 translated message in {CATALOG} still has `#|` lines, the English of an "
                'earlier version: "Gradients flow backwards.". Delete the `#|` lines.'
            ],
            id="previous-left",
        ),
        pytest.param(
            HEADING + BODY_TRANSLATED + 'msgid "y = x^2"\nmsgstr "y 等于 x^2"\n',
            [
                f"1 displayed formula in {CATALOG} is translated differently from the "
                'English: "y = x^2". A displayed formula\'s msgstr must equal its msgid'
            ],
            id="formula",
        ),
    ],
)
def test_an_incomplete_translation_fails_with_one_instruction(
    source, tmp_path, entries, complaints
):
    write(source / "index.md", PROSE_PAGE)
    write(source / CATALOGS / "index.po", catalog(entries))
    result = build(source, tmp_path, language=TRANSLATED)
    assert result.returncode != 0
    [warning] = warnings(result)
    for complaint in complaints:
        assert complaint in warning
    if complaints[0] != BEHIND:
        assert warning.startswith(str(source / "index.md"))


def test_a_page_without_a_catalog_fails_the_chinese_build(source, tmp_path):
    write(source / "index.md", PROSE_PAGE)
    write(source / CATALOGS / "other.po", catalog(""))
    result = build(source, tmp_path, language=TRANSLATED)
    assert result.returncode != 0
    [warning] = warnings(result)
    assert BEHIND in warning
    assert f"{CATALOG} does not exist yet; its page has 3 messages" in warning


def test_catalogs_behind_are_reported_once_and_first(source, tmp_path):
    write(source / "index.md", PROSE_PAGE.replace(":hidden:", ":hidden:\n\nother\nthird"))
    write(source / "other.md", "# Other\n\nA new sentence.\n")
    write(source / "third.md", "# Third\n\nA third sentence.\n")
    write(source / CATALOGS / "index.po", catalog(TITLE + BODY + 'msgstr ""\n'))
    write(source / CATALOGS / "other.po", catalog('msgid "Other"\nmsgstr "其他"\n'))
    result = build(source, tmp_path, language=TRANSLATED)
    assert result.returncode != 0
    found = warnings(result)
    assert len(found) == 2
    assert BEHIND in found[0]
    assert 'other.po:\n    new: "A new sentence."' in found[0]
    assert "third.po does not exist yet" in found[0]
    assert "1 untranslated message" in found[1]


def test_long_messages_that_begin_alike_are_told_apart(source, tmp_path):
    opening = (
        "Gradients flow backwards through every operation that autograd recorded in the graph, "
    )
    first, second = opening + "one step at a time.", opening + "from the output to the leaves."
    write(source / "index.md", f"# A page\n\n{first}\n\n{second}\n")
    write(source / CATALOGS / "index.po", catalog(HEADING))
    result = build(source, tmp_path, language=TRANSLATED)
    [warning] = warnings(result)
    new = re.search(r"new: (.*)", warning)
    assert new is not None
    shown = new.group(1).split("; ")
    assert len(shown) == 2
    assert shown[0] != shown[1]
    assert "one step" in shown[0]
    assert "from the" in shown[1]


PAGES = "abcdef"


def _book_of_pages(source: Path) -> None:
    write(source / "index.md", "# Pages\n\n```{toctree}\n" + "\n".join(PAGES) + "\n```\n")
    write(source / CATALOGS / "index.po", catalog('msgid "Pages"\nmsgstr "各页"\n'))
    for page in PAGES:
        write(source / f"{page}.md", f"# Page {page}\n\nThe text of page {page}.\n")
        write(
            source / CATALOGS / f"{page}.po",
            catalog(
                f'msgid "Page {page}"\nmsgstr "第 {page} 页"\n\n'
                f'msgid "The text of page {page}."\nmsgstr "第 {page} 页的正文。"\n'
            ),
        )


def _doctree_times(tmp_path: Path, language: str) -> dict[str, int]:
    doctrees = tmp_path / "_build" / "doctrees" / "html" / language
    return {path.stem: path.stat().st_mtime_ns for path in doctrees.glob("*.doctree")}


@pytest.mark.parametrize(
    ("language", "broken", "fixed", "complaint"),
    [
        pytest.param(
            TRANSLATED,
            (f"{CATALOGS}/c.po", "第 c 页的正文。", ""),
            (f"{CATALOGS}/c.po", 'c."\nmsgstr ""', 'c."\nmsgstr "第 c 页的正文。"'),
            "1 untranslated message",
            id="untranslated-message",
        ),
        pytest.param(
            "en",
            ("c.md", "The text", "See {doc}`missing`. The text"),
            ("c.md", "See {doc}`missing`. The text", "The text"),
            "unknown document",
            id="broken-reference",
        ),
    ],
)
def test_a_failed_build_keeps_its_state_and_fails_again_until_fixed(
    source, tmp_path, language, broken, fixed, complaint
):
    _book_of_pages(source)
    assert build(source, tmp_path, language).returncode == 0
    path, old, new = broken
    (source / path).write_text((source / path).read_text().replace(old, new, 1))
    for _ in range(2):
        result = build(source, tmp_path, language)
        assert result.returncode != 0
        assert complaint in result.stderr
        assert str(source / "c.md") in result.stderr
    before = _doctree_times(tmp_path, language)
    path, old, new = fixed
    (source / path).write_text((source / path).read_text().replace(old, new, 1))
    result = build(source, tmp_path, language)
    assert result.returncode == 0, result.stderr
    after = _doctree_times(tmp_path, language)
    assert sorted(page for page in after if after[page] != before.get(page)) == ["c"]


def translate(tmp_path: Path, source: Path) -> subprocess.CompletedProcess[str]:
    """Run the commands of ``nox -s translations`` on the scratch pages."""
    extract, update = translation_commands(ROOT, build=tmp_path / "_build", source=source)
    result = run(extract, tmp_path)
    assert result.returncode == 0, result.stderr
    return run(update, tmp_path)


def test_the_translation_loop_says_what_to_do_at_each_step(source, tmp_path):
    write(source / "index.md", PROSE_PAGE)
    (source / CATALOGS).mkdir(parents=True)
    [warning] = warnings(build(source, tmp_path, language=TRANSLATED))
    assert BEHIND in warning
    assert f"{CATALOG} does not exist yet" in warning

    result = translate(tmp_path, source)
    assert result.returncode == 0, result.stderr
    assert f"Created {CATALOG}" in result.stdout
    assert f"  {CATALOG}: 3 untranslated" in result.stdout
    created = (source / CATALOGS / "index.po").read_text()
    assert created.startswith(
        '# Chinese translation of the page "index" of autograd-guide.\n'
        "# Copyright (C) 2026, The autograd-guide authors\n"
        "# This file is distributed under the same license as the autograd-guide package.\n"
        "#\n"
        'msgid ""\n'
    )
    for field in (
        '"Project-Id-Version: autograd-guide \\n"',
        '"Report-Msgid-Bugs-To: \\n"',
        '"Last-Translator: The autograd-guide authors\\n"',
        f'"Language: {TRANSLATED}\\n"',
        '"Language-Team: Chinese (Simplified)\\n"',
        '"Plural-Forms: nplurals=1; plural=0;\\n"',
    ):
        assert field in created
    for placeholder in ("SOME DESCRIPTIVE TITLE", "FIRST AUTHOR", "EMAIL@ADDRESS", "#, fuzzy"):
        assert placeholder not in created

    translated = created.replace('msgid "A page"\nmsgstr ""', 'msgid "A page"\nmsgstr "一页"')
    translated = translated.replace(
        'msgid "Gradients flow backwards."\nmsgstr ""',
        'msgid "Gradients flow backwards."\nmsgstr "梯度反向流动。"',
    )
    translated = translated.replace(
        'msgid "y = x^2"\nmsgstr ""', 'msgid "y = x^2"\nmsgstr "y = x^2"'
    )
    (source / CATALOGS / "index.po").write_text(translated)
    assert build(source, tmp_path, language=TRANSLATED).returncode == 0

    write(source / "index.md", PROSE_PAGE.replace("flow backwards", "flow back to the leaves"))
    result = build(source, tmp_path, language=TRANSLATED)
    [warning] = warnings(result)
    assert BEHIND in warning
    assert 'changed: "Gradients flow [backwards. → back to the leaves.]"' in warning

    result = translate(tmp_path, source)
    assert f"Updated {CATALOG}" in result.stdout
    assert f"  {CATALOG}: 1 fuzzy" in result.stdout
    updated = (source / CATALOGS / "index.po").read_text()
    assert (
        "#, fuzzy\n"
        '#| msgid "Gradients flow backwards."\n'
        'msgid "Gradients flow back to the leaves."\n'
        'msgstr "梯度反向流动。"\n'
    ) in updated
    assert "Project-Id-Version" in updated
    result = build(source, tmp_path, language=TRANSLATED)
    [warning] = warnings(result)
    assert "1 fuzzy message" in warning
    assert '"Gradients flow [backwards. → back to the leaves.]"' in warning

    result = translate(tmp_path, source)
    assert "Every catalog already has the messages of its page." in result.stdout
    assert (source / CATALOGS / "index.po").read_text() == updated

    (source / CATALOGS / "index.po").write_text(
        updated.replace('#, fuzzy\n#| msgid "Gradients flow backwards."\n', "").replace(
            "梯度反向流动。", "梯度流回叶子节点。"
        )
    )
    result = build(source, tmp_path, language=TRANSLATED)
    assert result.returncode == 0, result.stderr
    assert (
        "梯度流回叶子节点。" in (tmp_path / "_build/html" / TRANSLATED / "index.html").read_text()
    )
    result = translate(tmp_path, source)
    assert "Nothing is left to translate" in result.stdout
