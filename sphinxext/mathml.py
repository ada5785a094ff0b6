"""Sphinx extension: typeset math at build time as MathML.

Browsers display MathML natively, so pages need no math script, load nothing
from a CDN and show formulas offline. Each ``$...$`` and ``$$...$$`` is
converted with latex2mathml; a formula it cannot convert fails the build
(a warning, an error under ``-W``) instead of reaching readers as raw LaTeX.
"""

from __future__ import annotations

import re

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

# latex2mathml writes what it does not understand as text: a command name
# such as \foo, or a bare & outside a table.
_UNCONVERTED = re.compile(r">[^<]*\\[A-Za-z]|<mi>&</mi>")
# latex2mathml knows align* but not aligned, which lays out the same.
_SYNONYMS = {r"\begin{aligned}": r"\begin{align*}", r"\end{aligned}": r"\end{align*}"}


def latex_to_mathml(latex: str, *, display: bool) -> str:
    """Return the MathML for ``latex``, or raise ValueError if it cannot be converted."""
    for old, new in _SYNONYMS.items():
        latex = latex.replace(old, new)
    try:
        mathml = convert(latex.strip(), display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many types on bad input
        raise ValueError(f"cannot convert {latex!r} to MathML: {error}") from error
    if _UNCONVERTED.search(mathml):
        raise ValueError(
            f"cannot convert {latex!r} to MathML: it uses a command or layout latex2mathml "
            f"does not support; rewrite it with common commands (align* for aligned equations)"
        )
    return mathml


def _convert(translator: HTML5Translator, node: nodes.Element, display: bool) -> str:
    try:
        return latex_to_mathml(node.astext(), display=display)
    except ValueError as error:
        logger.warning(str(error), location=node, type="mathml")
        return f"<code>{translator.encode(node.astext())}</code>"


def visit_inline(translator: HTML5Translator, node: nodes.Element) -> None:
    """Write an inline formula."""
    translator.body.append(
        translator.starttag(node, "span", "", CLASS="math notranslate nohighlight")
    )
    translator.body.append(_convert(translator, node, display=False) + "</span>")
    raise nodes.SkipNode


def visit_block(translator: HTML5Translator, node: nodes.Element) -> None:
    """Write a displayed formula, one <math> per blank-line separated equation."""
    translator.body.append(translator.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("number"):
        translator.body.append(f'<span class="eqno">({node["number"]})</span>')
    for equation in re.split(r"\n\s*\n", node.astext()):
        if equation.strip():
            part = nodes.math_block(equation, equation)
            part.source, part.line = node.source, node.line
            translator.body.append(_convert(translator, part, display=True))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the MathML renderer; select it with ``html_math_renderer = "mathml"``."""
    app.add_html_math_renderer("mathml", (visit_inline, None), (visit_block, None))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
