"""Sphinx extension: the book's version is the version of its package.

The package the pages import (``executed_package`` in ``conf.py``) states its
version once, as ``__version__`` in its ``__init__.py``; hatchling reads it
there for the wheel and the sdist. This extension reads it there too, without
importing the package (which would import torch), and makes it the book's
``version`` and ``release``. The ``install-command`` directive shows the
command that installs that version from PyPI, and each downloaded notebook's
first cell runs it (see ``notebook_downloads.py``).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxDirective


def package_version(init_file: Path) -> str:
    """Return the string assigned to ``__version__`` in ``init_file``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder, "__init__.py")
    ...     _ = path.write_text("import os" + chr(10) + "__version__ = '1.2.3'" + chr(10))
    ...     package_version(path)
    '1.2.3'
    """
    for statement in ast.parse(init_file.read_text(encoding="utf-8")).body:
        if (
            isinstance(statement, ast.Assign)
            and any(getattr(target, "id", None) == "__version__" for target in statement.targets)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            return statement.value.value
    raise ValueError(f'{init_file} assigns no string to __version__; add __version__ = "X.Y.Z"')


def install_command(distribution: str, version: str) -> str:
    """Return the command that installs one version of ``distribution`` from PyPI.

    Examples
    --------
    >>> install_command("autograd-guide", "0.1.0")
    'pip install autograd-guide==0.1.0'
    """
    return f"pip install {distribution}=={version}"


def _set_version(app: Sphinx, config: Config) -> None:
    module, _ = config.executed_package
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ValueError(f"cannot find the package {module!r}; install it (pip install -e .)")
    config.version = config.release = package_version(Path(spec.origin))


class InstallCommand(SphinxDirective):
    """Show the command that installs the version of the package this book was built with."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return the command as a shell code block."""
        _, distribution = self.config.executed_package
        command = install_command(distribution, self.config.release)
        block = nodes.literal_block(command, command, language="shell")
        self.set_source_info(block)
        return [block]


def setup(app: Sphinx) -> dict[str, Any]:
    """Take the book's version from the package and add the ``install-command`` directive."""
    # Before the extensions that read the version (priority 500).
    app.connect("config-inited", _set_version, priority=400)
    app.add_directive("install-command", InstallCommand)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
