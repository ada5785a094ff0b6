"""Scratch books: small MyST notebooks that tests build with the project's configuration."""

from __future__ import annotations

import textwrap
from pathlib import Path

NOTEBOOK_HEADER = """\
---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
  language: python
---
"""


def write(path: Path, text: str) -> None:
    """Write ``text``, dedented, to ``path``, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def notebook(title: str, *cells: str) -> str:
    """Return a MyST notebook page titled ``title`` with one code cell per item of ``cells``."""
    body = "".join(
        f"```{{code-cell}} ipython3\n{textwrap.dedent(cell).strip()}\n```\n\n" for cell in cells
    )
    return NOTEBOOK_HEADER + f"# {title}\n\n" + body


def scratch_book(source: Path, pages: dict[str, str]) -> None:
    """Write a book in ``source``: an index whose hidden toctree lists ``pages``, and the pages."""
    toctree = "\n".join(pages)
    write(source / "index.md", f"# A book\n\n```{{toctree}}\n:hidden:\n\n{toctree}\n```\n")
    for name, text in pages.items():
        write(source / f"{name}.md", text)
