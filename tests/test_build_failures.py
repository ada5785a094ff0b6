"""The build must fail, and say where, when a page or its translation is broken.

Each test builds a scratch book with the project's conf.py and checks that
``sphinx-build`` exits non-zero with a message that names the culprit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOK_HEADER = """\
---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
  language: python
---
"""

PROSE_PAGE = """\
# A page

Gradients flow backwards.

$$y = x^2$$

```{toctree}
:hidden:
```
"""


def build(source: Path, tmp_path: Path, language: str = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "--builder=html",
            f"--conf-dir={ROOT}",
            f"--define=language={language}",
            f"--define=nb_execution_cache_path={tmp_path / 'jupyter_cache'}",
            "--fail-on-warning",
            "--keep-going",
            "--fresh-env",
            str(source),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def catalog(entries: str) -> str:
    return (
        'msgid ""\n'
        'msgstr ""\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Language: zh_CN\\n"\n\n' + entries
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return tmp_path / "docs"


def test_a_raising_cell_fails_the_build_and_names_the_page(source, tmp_path):
    write(source / "index.md", PROSE_PAGE.replace(":hidden:", ":hidden:\n\nbroken"))
    write(
        source / "broken.md", NOTEBOOK_HEADER + "# Broken\n\n```{code-cell} ipython3\n1 / 0\n```\n"
    )
    result = build(source, tmp_path)
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert "broken.md" in log
    assert "ZeroDivisionError" in log


def test_a_cell_tagged_raises_exception_does_not_fail_the_build(source, tmp_path):
    write(source / "index.md", PROSE_PAGE.replace(":hidden:", ":hidden:\n\nexpected"))
    write(
        source / "expected.md",
        NOTEBOOK_HEADER
        + "# Expected\n\n```{code-cell} ipython3\n:tags: [raises-exception]\n\n1 / 0\n```\n",
    )
    result = build(source, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ZeroDivisionError" in (tmp_path / "html" / "expected.html").read_text()


HEADING = 'msgid "A page"\nmsgstr "一页"\n\n'
FORMULA = 'msgid "y = x^2"\nmsgstr "y = x^2"\n\n'
TITLE = HEADING + FORMULA
BODY = 'msgid "Gradients flow backwards."\n'
BODY_TRANSLATED = BODY + 'msgstr "梯度反向流动。"\n\n'


def test_a_complete_translation_builds(source, tmp_path):
    write(source / "index.md", PROSE_PAGE)
    write(source / "locale/zh_CN/LC_MESSAGES/index.po", catalog(TITLE + BODY_TRANSLATED))
    result = build(source, tmp_path, language="zh_CN")
    assert result.returncode == 0, result.stderr
    assert "梯度反向流动。" in (tmp_path / "html" / "index.html").read_text()


@pytest.mark.parametrize(
    ("entries", "complaint"),
    [
        pytest.param(TITLE, "1 untranslated or fuzzy", id="missing"),
        pytest.param(TITLE + BODY + 'msgstr ""\n', "1 untranslated or fuzzy", id="empty"),
        pytest.param(TITLE + "#, fuzzy\n" + BODY_TRANSLATED, "1 untranslated or fuzzy", id="fuzzy"),
        pytest.param(
            TITLE + BODY_TRANSLATED + 'msgid "A removed sentence."\nmsgstr "删掉的句子。"\n',
            "1 stale",
            id="stale",
        ),
        pytest.param(
            HEADING + BODY_TRANSLATED + 'msgid "y = x^2"\nmsgstr "y 等于 x^2"\n',
            "1 changed display-formula",
            id="formula",
        ),
    ],
)
def test_an_incomplete_translation_fails_the_build(source, tmp_path, entries, complaint):
    write(source / "index.md", PROSE_PAGE)
    write(source / "locale/zh_CN/LC_MESSAGES/index.po", catalog(entries))
    result = build(source, tmp_path, language="zh_CN")
    assert result.returncode != 0
    assert "index.md" in result.stderr
    assert complaint in result.stderr


def test_a_page_without_a_catalog_fails_the_chinese_build(source, tmp_path):
    write(source / "index.md", PROSE_PAGE)
    write(source / "locale/zh_CN/LC_MESSAGES/other.po", catalog(""))
    result = build(source, tmp_path, language="zh_CN")
    assert result.returncode != 0
    assert "no zh_CN catalog for this page" in result.stderr
