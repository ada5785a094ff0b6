"""Execute one notebook as Jupyter's "Run All" does, and save it with its outputs.

Usage: ``python execute_notebook.py <notebook> <executed notebook>``. Run
with the Python of the reader's environment: the kernel is the notebook's own
(``python3``), found on ``JUPYTER_PATH``. A cell tagged ``raises-exception``
may raise, as in JupyterLab and the classic notebook; any other error stops
the run and fails it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(source: Path, target: Path) -> None:
    """Run every cell of ``source`` in a new kernel and write the result to ``target``."""
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        resources={"metadata": {"path": str(target.parent)}},
        record_timing=False,
    )
    try:
        client.execute()
    finally:
        target.write_text(nbformat.writes(notebook), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
