"""Sphinx extension: every executed page can be downloaded as a notebook in its language.

myst-nb keeps the executed notebook of each page (code, outputs and the English
Markdown). After the pages are read, this extension writes ``<page>.ipynb``
into the output folder for each page read in this build (or missing there),
with the Markdown cells translated through the page's gettext catalog in a
translated build; when a page is written, the notebook becomes the entry of the
theme's download menu. Code and outputs are the ones executed once for both
languages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
from babel.messages.catalog import Catalog
from book_languages import SOURCE_LANGUAGE, catalog_file
from catalogs import read_catalog
from execution_cache import opened_cache
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

# An opening fence: ``` or ::: followed by a language or a {directive} and its argument.
_OPEN = re.compile(r"^\s*(`{3,}|:{3,})\s*(\{[\w-]+\})?\s*(.*)$")
_OPTION = re.compile(r"^\s*:[\w-]+:")
_HEADING = re.compile(r"^(#{1,6}\s+)(.*)$")
_ITEM = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)(.*)$")
# Directives whose content is prose, translated like the rest of the text.
PROSE_DIRECTIVES = frozenset(
    {"{admonition}", "{note}", "{tip}", "{warning}", "{important}", "{figure-alt}"}
)


def _translated(text: str, catalog: Catalog) -> str | None:
    message = " ".join(text.split())
    entry = catalog.get(message)
    if entry is None or not entry.string or entry.fuzzy:
        return None
    return str(entry.string)


def _translate_block(block: list[str], catalog: Catalog) -> list[str]:
    """Translate one run of non-blank lines: headings, list items or a paragraph."""
    pieces: list[tuple[str, list[str]]] = []
    for line in block:
        start = _HEADING.match(line) or _ITEM.match(line)
        if start:
            pieces.append((start.group(1), [start.group(2)]))
        elif pieces:
            pieces[-1][1].append(line.strip())
        else:
            pieces.append(("", [line.strip()]))
    out: list[str] = []
    for prefix, parts in pieces:
        translation = _translated(" ".join(parts), catalog)
        out.append(prefix + translation if translation is not None else prefix + parts[0])
        if translation is None:
            out.extend(parts[1:])
    return out


def translate_markdown(markdown: str, catalog: Catalog) -> str:
    """Replace each paragraph, heading, list item and directive title by its translation.

    Text is matched against the catalog the way Sphinx extracts messages (runs
    of white space joined). Code fences and the content of directives that are
    not prose (toctree, code) are kept as they are, and so is any text that has
    no translation.
    """
    out: list[str] = []
    block: list[str] = []
    fences: list[tuple[str, bool]] = []  # open fences: marker, whether content is prose

    def flush() -> None:
        out.extend(_translate_block(block, catalog))
        block.clear()

    for line in markdown.split("\n"):
        prose = all(is_prose for _, is_prose in fences)
        if fences and line.strip() == fences[-1][0]:
            flush()
            fences.pop()
            out.append(line)
            continue
        opening = _OPEN.match(line)
        if opening and prose:
            flush()
            marker, directive, argument = opening.groups()
            fences.append((marker, directive in PROSE_DIRECTIVES))
            translation = _translated(argument, catalog) if directive and argument else None
            out.append(line[: line.rindex(argument)] + translation if translation else line)
        elif not prose:
            out.append(line)
        elif not line.strip() or _OPTION.match(line) or line.strip() == "$$":
            flush()
            out.append(line)
        else:
            block.append(line)
    flush()
    return "\n".join(out)


def _executed_notebook(app: Sphinx, pagename: str) -> Path:
    # execution_cache.py points myst-nb's output folder into the doctree folder.
    return Path(app.doctreedir, "jupyter_execute", f"{pagename}.ipynb")


def _published_notebook(app: Sphinx, pagename: str) -> Path:
    return Path(app.outdir, f"{pagename}.ipynb")


def _with_outputs(app: Sphinx, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``notebook`` with the outputs of its code.

    When myst-nb took the outputs from the cache, it wrote the notebook without
    them, and they are taken from the cache again. A notebook executed in this
    build has them already (myst-nb executes the very notebook it writes), but
    the cache is still preferred, so that the file is the same whichever
    language executed the page; the written outputs serve if the cache lost the
    record.

    Raises
    ------
    KeyError
        If the cache has no record of the notebook and it was not executed.
    """
    if app.config.nb_execution_mode != "cache":
        return notebook
    try:
        # Writers fork after this; the connection is closed before they do.
        with opened_cache(app.config.nb_execution_cache_path) as cache:
            merged: nbformat.NotebookNode = cache.merge_match_into_notebook(notebook)[1]
    except KeyError:
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        if all(cell.execution_count is not None for cell in code):
            return notebook
        raise
    return merged


def _build_notebook(app: Sphinx, pagename: str) -> None:
    executed = _executed_notebook(app, pagename)
    target = _published_notebook(app, pagename)
    if not executed.is_file():
        target.unlink(missing_ok=True)
        return
    notebook = nbformat.read(executed, as_version=4)  # type: ignore[no-untyped-call]
    try:
        notebook = _with_outputs(app, notebook)
    except KeyError:
        logger.warning("no executed notebook in the cache", location=pagename)
        return
    if app.config.language != SOURCE_LANGUAGE:
        path = catalog_file(app.srcdir, app.config, pagename)
        if not path.is_file():
            logger.warning("no catalog to translate its notebook", location=pagename)
            return
        catalog = read_catalog(path)
        for cell in notebook["cells"]:
            if cell["cell_type"] == "markdown":
                source = "".join(cell["source"])
                cell["source"] = translate_markdown(source, catalog).splitlines(keepends=True)
    # Cell ids are random when a text notebook is read; numbering the cells
    # makes the file the same in every build.
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(nbformat.writes(notebook), encoding="utf-8")  # type: ignore[no-untyped-call]


def _link_notebook(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: object,
) -> None:
    buttons = context.get("header_buttons", [])
    menu = next((b for b in buttons if b.get("label") == "download-buttons"), None)
    if menu is None:
        return
    # The theme links the page's Markdown source, which the site does not
    # publish; the notebook takes its place, and printing to PDF stays.
    menu["buttons"] = [b for b in menu["buttons"] if b.get("label") == "download-pdf-button"]
    if _published_notebook(app, pagename).is_file():
        menu["buttons"].insert(
            0,
            {
                "type": "link",
                "url": context["pathto"](f"{pagename}.ipynb", 1),
                "text": ".ipynb",
                "icon": "fas fa-code",
                "tooltip": app.config.notebook_download_tooltip,
                "label": "download-notebook-button",
            },
        )


def setup(app: Sphinx) -> ExtensionMetadata:
    """Write each page's notebook and link it from the download menu."""
    app.add_config_value("notebook_download_tooltip", "Download notebook", "html", types=[str])
    pages_read: set[str] = set()

    def remember(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
        pages_read.clear()
        pages_read.update(docnames)

    def build_notebooks(app: Sphinx, env: BuildEnvironment) -> None:
        # Once, in the main process, after every page has been read (and
        # executed or taken from the cache) and before the writers fork: the
        # notebooks of the pages read in this build are written, and nothing
        # touches the cache's database in parallel.
        if app.builder.format == "html":
            missing = {
                page
                for page in env.found_docs
                if _executed_notebook(app, page).is_file()
                and not _published_notebook(app, page).is_file()
            }
            for pagename in sorted(pages_read | missing):
                _build_notebook(app, pagename)

    app.connect("env-before-read-docs", remember)
    app.connect("env-updated", build_notebooks)
    # After the theme has built its buttons (priority 501).
    app.connect("html-page-context", _link_notebook, priority=600)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
