"""Sphinx extension: alt text for notebook figures, written in the page's text.

A figure made by a code cell has no place for alt text in the page's prose,
and text kept in cell metadata is not translated. The ``figure-alt``
directive, placed right after the cell, holds the description as ordinary
text, so it goes into the gettext catalogs like every other paragraph::

    ```{figure-alt}
    The sine curve as a solid line and its derivative as a dashed line.
    ```

When HTML is written, the (translated) text becomes the ``alt`` attribute of
every image the cell shows, and the paragraph itself is dropped.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)


class figure_alt(nodes.General, nodes.Element):
    """The alt text of the figure shown by the preceding code cell."""


def _skip(self: object, node: nodes.Node) -> None:
    raise nodes.SkipNode


class FigureAlt(SphinxDirective):
    """Hold the alt text of the figure shown by the preceding code cell."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        """Parse the content as text, to be moved into the image later."""
        self.assert_has_content()
        node = figure_alt()
        self.set_source_info(node)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class ApplyFigureAlt(SphinxPostTransform):
    """Give each figure of a cell the alt text that follows the cell."""

    # After myst-nb has chosen which output of a cell to show (priority 4).
    default_priority = 50
    formats = ("html",)

    def run(self, **kwargs: object) -> None:
        """Move each figure-alt text into the images of the cell before it."""
        for alt in list(self.document.findall(figure_alt)):
            cell = alt.previous_sibling()
            images = list(cell.findall(nodes.image)) if cell is not None else []
            if not images:
                logger.warning(
                    "figure-alt must come right after a code cell that shows a figure",
                    location=alt,
                    type="figure-alt",
                )
            text = " ".join(alt.astext().split())
            for image in images:
                image["alt"] = text
            alt.parent.remove(alt)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the directive, its node and the transform that applies it."""
    skip = (_skip, None)
    app.add_node(figure_alt, html=skip, latex=skip, text=skip, man=skip, texinfo=skip)
    app.add_directive("figure-alt", FigureAlt)
    app.add_post_transform(ApplyFigureAlt)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
