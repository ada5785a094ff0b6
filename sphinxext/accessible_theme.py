"""Sphinx extension: give the theme's unlabelled controls an accessible name.

The sidebar of pydata-sphinx-theme opens and closes a section with a
``<summary>`` element that holds only an icon, so a screen reader announces
it with no name (axe-core rule ``summary-name``). This extension labels each
such element with ``sidebar_toggle_label``, which ``language_settings`` sets
in the reader's language. myst-nb writes the English name "Toggle hidden
content" on the ``<summary>`` of every cell tagged ``hide-cell`` (the
solutions' code), in every language; those are written with
``content_toggle_label`` instead, by the node's HTML visitor, which Sphinx
lets an extension override. The solutions' text is in sphinx-design's
dropdowns, whose ``<summary>`` is named by its visible, translated title.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape
from myst_nb.sphinx_ import HideCodeCellNode
from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.html5 import HTML5Translator


def label_summaries(html: str, label: str) -> Markup:
    """Return ``html`` with an ``aria-label`` on every bare ``<summary>``."""
    return Markup(str(html).replace("<summary>", f'<summary aria-label="{escape(label)}">'))


def _label_sidebar(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    generate: Callable[..., str] | None = context.get("generate_toctree_html")
    if generate is None:
        return
    label: str = app.config.sidebar_toggle_label

    def labelled(*args: object, **kwargs: object) -> Markup:
        return label_summaries(generate(*args, **kwargs), label)

    context["generate_toctree_html"] = labelled


def visit_hidden_cell(translator: HTML5Translator, node: HideCodeCellNode) -> None:
    """Open a cell tagged ``hide-cell`` as myst-nb does, its summary named in the page language."""
    label = translator.builder.config.content_toggle_label
    classes = " ".join(node["classes"])
    translator.body.append(f'<details class="admonition hide {escape(classes)}">\n')
    translator.body.append(f'<summary aria-label="{escape(label)}">\n')
    for state, prompt in (("collapsed", node["prompt_show"]), ("expanded", node["prompt_hide"])):
        translator.body.append(f'<p class="{state} admonition-title">{escape(prompt)}</p>\n')
    translator.body.append("</summary>\n")


def depart_hidden_cell(translator: HTML5Translator, node: HideCodeCellNode) -> None:
    """Close the cell that :func:`visit_hidden_cell` opened."""
    translator.body.append("</details>\n")


def setup(app: Sphinx) -> ExtensionMetadata:
    """Label the sidebar's section toggles and the solutions' code cells."""
    app.add_config_value("sidebar_toggle_label", "Show or hide the pages of this section", "html")
    app.add_config_value("content_toggle_label", "Show or hide", "html")
    app.setup_extension("myst_nb")  # so that its visitor is the one replaced
    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_hidden_cell))
    # After the theme has put its toctree function in the context (priority 500).
    app.connect("html-page-context", _label_sidebar, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
