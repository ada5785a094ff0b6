"""Sphinx extension: show the real source of an ``autograd_guide`` helper on a page.

``literalinclude`` with ``:pyobject:`` shows a function together with its
docstring, which the API reference already renders and which would bury the
code on a page. The ``helper-source`` directive shows the function without its
docstring, taken from the installed package, so the page and the package
cannot differ::

    ```{helper-source} autograd_guide.derivative
    ```
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from typing import Any, ClassVar

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata


def source_without_docstring(obj: object) -> str:
    """Return the source of a function or class with its docstring removed."""
    lines, _ = inspect.getsourcelines(obj)  # type: ignore[arg-type]
    source = textwrap.dedent("".join(lines))
    definition = ast.parse(source).body[0]
    if not isinstance(definition, ast.FunctionDef | ast.ClassDef):
        raise TypeError(f"{obj!r} is not a function or class defined with def or class")
    if ast.get_docstring(definition) is None:
        return source.rstrip() + "\n"
    docstring = definition.body[0]
    kept = source.splitlines()
    del kept[docstring.lineno - 1 : docstring.end_lineno]
    return "\n".join(kept).rstrip() + "\n"


class HelperSource(SphinxDirective):
    """Show the source of one public object of the package, without its docstring."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {}

    def run(self) -> list[nodes.Node]:
        """Import the object named by the argument and return its source as a code block."""
        module_name, _, name = self.arguments[0].rpartition(".")
        try:
            obj = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError, ValueError) as error:
            raise self.error(
                f"cannot import {self.arguments[0]!r} ({error}); name a public object "
                f"such as autograd_guide.derivative"
            ) from error
        path = inspect.getsourcefile(obj)
        if path is not None:
            self.env.note_dependency(path)
        code = source_without_docstring(obj)
        block = nodes.literal_block(code, code, language="python")
        self.set_source_info(block)
        return [block]


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the ``helper-source`` directive."""
    app.add_directive("helper-source", HelperSource)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
