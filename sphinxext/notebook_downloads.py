"""Sphinx extension: every page with code can be downloaded as a notebook that runs anywhere.

myst-nb keeps the executed notebook of each page: its code, and the MyST
source of its text, which Jupyter would show as raw syntax. The notebook a
reader downloads is made in two steps:

1. Once all pages are read, in the main process, the executed notebook of
   each page read in this build gets its outputs from the execution cache
   (so the file is the same whichever language executed the page) and is
   kept in the doctree folder.
2. When a page is written, its Markdown cells are written anew from the page's
   resolved doctree, in the language being built (``notebook_markdown.py``):
   links to the hosted pages, solutions in ``<details>``, formulas between
   ``$``, figure descriptions, tables, all translated. The cells of
   solutions (tagged ``hide-cell``) start collapsed, as on the site. Two
   cells come first: a note in the page's language, and a cell that installs
   the version of ``autograd-guide`` that built the book when the package is
   missing, and does nothing when it is there.

The notebook, ``<page>.ipynb`` beside the page, becomes the first entry of the
theme's download menu. A page whose code cells are all removed from it (the
landing page) has no notebook.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import nbformat
from docutils import nodes
from execution_cache import opened_cache
from notebook_markdown import CodeCell, MarkdownContext, notebook_items
from package_version import install_command
from site_address import page_url
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.locale import admonitionlabels
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

# The ids of the notebook's first two cells: the note and the cell that
# installs the package (tests look for it).
NOTE_CELL_ID = "before-you-start"
INSTALL_CELL_ID = "install-package"
HIDDEN_TAG = "hide-cell"


def install_cell_source(module: str, distribution: str, version: str) -> str:
    """Return the code of the cell that installs the package when it is missing.

    ``%pip`` installs into the kernel's own environment, wherever Jupyter
    runs; the import test keeps a present package, of any version, as it is.

    Examples
    --------
    >>> print(install_cell_source("autograd_guide", "autograd-guide", "0.1.0"))
    import importlib.util
    <BLANKLINE>
    if importlib.util.find_spec("autograd_guide") is None:
        %pip install autograd-guide==0.1.0
    """
    return (
        "import importlib.util\n\n"
        f'if importlib.util.find_spec("{module}") is None:\n'
        f"    %{install_command(distribution, version)}"
    )


def _executed_notebook(app: Sphinx, pagename: str) -> Path:
    # execution_cache.py points myst-nb's output folder into the doctree folder.
    return Path(app.doctreedir, "jupyter_execute", f"{pagename}.ipynb")


def _notebook_with_outputs(app: Sphinx, pagename: str) -> Path:
    return Path(app.doctreedir, "notebook_downloads", f"{pagename}.ipynb")


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


def _keep_outputs(app: Sphinx, pagename: str) -> None:
    executed = _executed_notebook(app, pagename)
    target = _notebook_with_outputs(app, pagename)
    if not executed.is_file():
        target.unlink(missing_ok=True)
        return
    notebook = nbformat.read(executed, as_version=4)  # type: ignore[no-untyped-call]
    try:
        notebook = _with_outputs(app, notebook)
    except KeyError:
        logger.warning("no executed notebook in the cache", location=pagename)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(nbformat.writes(notebook), encoding="utf-8")  # type: ignore[no-untyped-call]


def _markdown_context(app: Sphinx, pagename: str) -> MarkdownContext:
    here = page_url(app.config.language, pagename)

    def url(reference: str) -> str:
        return urljoin(here, reference)

    def unknown(node: nodes.Node) -> None:
        logger.warning(
            f"the notebook has no Markdown for a {type(node).__name__} node; "
            "write it in sphinxext/notebook_markdown.py",
            location=node if node.source else pagename,
            type="notebook",
        )

    return MarkdownContext(
        url=url,
        figure_label=app.config.notebook_figure_label,
        admonition_label=lambda kind: str(admonitionlabels.get(kind, kind.capitalize())),
        unknown=unknown,
    )


def notebook_for_reader(
    executed: nbformat.NotebookNode,
    items: list[str | CodeCell],
    install_note: str,
    install_code: str,
) -> nbformat.NotebookNode | None:
    """Return the notebook a reader downloads, or None if the page shows no code.

    Parameters
    ----------
    executed
        The page's executed notebook, with its outputs.
    items
        The page's Markdown and code cells in reading order (see
        :func:`notebook_markdown.notebook_items`); a code cell the page does
        not show (tagged ``remove-cell``) is put back at its place.
    install_note, install_code
        The first two cells: the note, and the code that installs the package.
    """
    shown = {item.index for item in items if isinstance(item, CodeCell)}
    if not shown:
        return None
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell(install_note),  # type: ignore[no-untyped-call]
        v4.new_code_cell(install_code),  # type: ignore[no-untyped-call]
    ]
    cells[0]["id"], cells[1]["id"] = NOTE_CELL_ID, INSTALL_CELL_ID
    removed = sorted(
        index
        for index, cell in enumerate(executed.cells)
        if cell.cell_type == "code" and index not in shown
    )
    for item in items:
        if isinstance(item, str):
            cells.append(v4.new_markdown_cell(item))  # type: ignore[no-untyped-call]
            continue
        while removed and removed[0] < item.index:
            cells.append(executed.cells[removed.pop(0)])
        cell = executed.cells[item.index]
        if HIDDEN_TAG in cell.metadata.get("tags", []):
            cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
        cells.append(cell)
    cells += [executed.cells[index] for index in removed]
    # Cell ids are random when a text notebook is read; numbering the cells
    # makes the file the same in every build.
    for number, cell in enumerate(cells[2:], start=2):
        cell["id"] = f"cell-{number}"
    metadata = {key: executed.metadata[key] for key in ("kernelspec",) if key in executed.metadata}
    metadata["language_info"] = {"name": "python"}
    notebook: nbformat.NotebookNode = v4.new_notebook(  # type: ignore[no-untyped-call]
        cells=cells, metadata=metadata
    )
    return notebook


def _write_notebook(app: Sphinx, doctree: nodes.document, pagename: str) -> None:
    target = _published_notebook(app, pagename)
    source = _notebook_with_outputs(app, pagename)
    if not source.is_file():
        target.unlink(missing_ok=True)
        return
    executed = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    module, distribution = app.config.executed_package
    release = app.config.release
    note = app.config.notebook_install_note.format(
        package=module,
        version=release,
        torch=importlib.metadata.version("torch"),
        url=page_url(app.config.language, pagename),
    )
    notebook = notebook_for_reader(
        executed,
        notebook_items(doctree, _markdown_context(app, pagename)),
        note,
        install_cell_source(module, distribution, release),
    )
    if notebook is None:
        target.unlink(missing_ok=True)
        return
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
    # sphinx-book-theme 1.4.0 has a notebook entry of its own, but only on a
    # site with a launch service configured (Binder, JupyterHub, Colab,
    # Thebe), and it copies myst-nb's executed notebook, MyST text and all,
    # over `_sources/<page>.ipynb` for every language alike
    # (header_buttons/launch.py); the reader's notebook made here would not
    # be the one linked.
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
    app.setup_extension("package_version")
    app.add_config_value("notebook_download_tooltip", "Download notebook", "html", types=[str])
    app.add_config_value(
        "notebook_install_note",
        "Run the next cell first: it installs {package} {version} if it is missing.",
        "html",
        types=[str],
    )
    app.add_config_value("notebook_figure_label", "Figure:", "html", types=[str])
    pages_read: set[str] = set()

    def remember(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
        pages_read.clear()
        pages_read.update(docnames)

    def keep_outputs(app: Sphinx, env: BuildEnvironment) -> None:
        # Once, in the main process, after every page has been read (and
        # executed or taken from the cache) and before the writers fork:
        # nothing touches the cache's database in parallel.
        if app.builder.name == "html":
            missing = {
                page
                for page in env.found_docs
                if _executed_notebook(app, page).is_file()
                and not _notebook_with_outputs(app, page).is_file()
            }
            for pagename in sorted(pages_read | missing):
                _keep_outputs(app, pagename)

    def write_notebook(app: Sphinx, doctree: nodes.document, docname: str) -> None:
        # Sphinx resolves every page in the main process before handing it to
        # a writer, so the notebooks are written one at a time.
        if app.builder.name == "html":
            _write_notebook(app, doctree, docname)

    app.connect("env-before-read-docs", remember)
    app.connect("env-updated", keep_outputs)
    app.connect("doctree-resolved", write_notebook)
    # After the theme has built its buttons (priority 501).
    app.connect("html-page-context", _link_notebook, priority=600)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
