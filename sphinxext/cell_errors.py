"""Sphinx extension: a cell that raises is reported as one warning at its line of the page.

myst-nb reports a failed execution as the traceback of the executor that ran
the notebook (nbclient's own frames, then the cell, then the cell's error in
terminal colours), and writes the same text to
``<output folder>/reports/<page>.err.log``, a file that stays in the published
folder after the page is fixed. This extension replaces both with one
warning, located at the line of the page where the failing cell begins, that
shows the cell as written and the traceback the kernel gave, without colour
codes. Like any warning of a page, it is reported by serial and parallel
builds alike, and ``--fail-on-warning`` fails the build.

A failure whose text it cannot read is still reported, with the whole
traceback: a page that failed to execute always warns.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

# nbclient's CellExecutionError shows the cell between two of these lines,
# then the kernel's traceback.
CELL_RULE = "\n------------------\n"
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def describe_failure(traceback: str) -> tuple[str | None, str]:
    r"""Return the failing cell's source, if the traceback shows it, and the error to report.

    >>> source, error = describe_failure(
    ...     "Traceback (most recent call last):\n  ...\nCellExecutionError: "
    ...     "An error occurred while executing the following cell:\n------------------\n"
    ...     "1 / 0\n------------------\n\n"
    ...     "\x1b[31mZeroDivisionError\x1b[39m: division by zero\n"
    ... )
    >>> source
    '1 / 0'
    >>> error
    'ZeroDivisionError: division by zero'
    """
    text = COLOUR.sub("", traceback)
    parts = text.split(CELL_RULE, 2)
    if len(parts) != 3:
        return None, text.strip()
    return parts[1], parts[2].strip()


def cell_line(page: Path, source: str) -> int | None:
    """Return the line of ``page`` on which the code ``source`` begins, if it is there."""
    try:
        text = page.read_text(encoding="utf-8")
    except OSError:
        return None
    start = text.find(source)
    return text.count("\n", 0, start) + 1 if start >= 0 else None


def _report_failed_cell(app: Sphinx, doctree: nodes.document) -> None:
    from myst_nb.sphinx_ import NbMetadataCollector

    env = app.env
    data = NbMetadataCollector.get_doc_data(env).get(env.docname, {}).get("exec_data")
    if not data or data.get("succeeded", True):
        return
    source, error = describe_failure(data.get("traceback") or "")
    where = cell_line(Path(env.doc2path(env.docname)), source) if source else None
    shown = "\n".join(f"    {line}" for line in error.splitlines())
    if source is None:
        message = f"the page failed to execute:\n{shown}"
    else:
        cell = "\n".join(f"    {code}" for code in source.splitlines())
        message = f"a cell raised an exception\n  cell:\n{cell}\n  error:\n{shown}"
    logger.warning(message, location=(env.docname, where), type="cell", subtype="error")
    # myst-nb's copy of the traceback, which would otherwise be published.
    report = Path(app.outdir, "reports", *f"{env.docname}.err.log".split("/"))
    report.unlink(missing_ok=True)
    for folder in report.parents:
        if folder == Path(app.outdir):
            break
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _replace_myst_nb_report(app: Sphinx, config: Config) -> None:
    # myst-nb's "exec" warnings are the executor's traceback and the path of
    # its report file; the warning above says what they say.
    config.suppress_warnings = [*config.suppress_warnings, "mystnb.exec"]


def setup(app: Sphinx) -> ExtensionMetadata:
    """Report failed cells at their line of the page."""
    app.connect("config-inited", _replace_myst_nb_report)
    app.connect("doctree-read", _report_failed_cell)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
