"""Sphinx extension: no line starts with the punctuation after a formula or a piece of code.

Chinese typesetting never starts a line with a full stop, a comma, a colon or
a closing bracket, and never ends one with an opening bracket. Browsers
follow the rule between characters, but not around an inline formula (a
``<math>`` element is laid out as one box, and a line may break on either
side of it) nor around inline code (Sphinx's stylesheet keeps its text from
wrapping, and Chromium then breaks after it): seen in Chromium, a Chinese
line began with the full stop that ended the previous line's formula.

Each inline formula or piece of code is therefore wrapped, with the
punctuation that closes up to it on either side, in a span that does not
wrap (``.keep-together`` in ``book.css``). A formula or code that is the
whole of a link or of emphasis is wrapped with its link or emphasis. English
pages get the same treatment, which keeps their full stops and closing
parentheses with the formula before them.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.typing import ExtensionMetadata

# Punctuation that may not start a line: Chinese full-width marks, closing
# brackets and quotes, and their Latin counterparts.
CLOSING = re.compile(r"^[。，、；：？！…‥）」』】〕〉》］｝〗〙”’.,;:?!)\]}]+")  # noqa: RUF001
# Punctuation that may not end a line: opening brackets and quotes.
OPENING = re.compile(r"[（「『【〔〈《［｛〖〘“‘(\[{]+$")  # noqa: RUF001
KEEP_TOGETHER = "keep-together"


def _outermost(node: nodes.Element) -> nodes.Element:
    """Return the node, or the inline elements it alone fills (a link, emphasis)."""
    parent = node.parent
    while isinstance(parent, nodes.Inline) and isinstance(parent, nodes.Element):
        if len(parent.children) != 1:
            break
        node, parent = parent, parent.parent
    return node


def keep_punctuation_together(document: nodes.Node) -> None:
    """Wrap each inline formula or code and the punctuation against it in a span that cannot wrap.

    Examples
    --------
    >>> from docutils.core import publish_doctree
    >>> document = publish_doctree("See ``f(x)``, then (``y``).")
    >>> keep_punctuation_together(document)
    >>> [span.astext() for span in document.findall(nodes.inline)]
    ['f(x),', '(y).']
    """
    for found in list(document.findall(lambda n: isinstance(n, nodes.math | nodes.literal))):
        assert isinstance(found, nodes.Element)
        node = _outermost(found)
        parent = node.parent
        if parent is None or KEEP_TOGETHER in parent.get("classes", []):
            continue
        # Text nodes compare as strings, so positions are found by identity.
        index = next(i for i, child in enumerate(parent.children) if child is node)
        before = parent[index - 1] if index > 0 else None
        after = parent[index + 1] if index + 1 < len(parent) else None
        opening = OPENING.search(before) if isinstance(before, nodes.Text) else None
        closing = CLOSING.match(after) if isinstance(after, nodes.Text) else None
        if opening is None and closing is None:
            continue
        together = nodes.inline("", "", classes=[KEEP_TOGETHER])
        if opening is not None:
            parent[index - 1] = nodes.Text(opening.string[: opening.start()])
            together += nodes.Text(opening.group())
        parent[index] = together
        together += node
        if closing is not None:
            parent[index + 1] = nodes.Text(closing.string[closing.end() :])
            together += nodes.Text(closing.group())


class KeepPunctuationTogether(SphinxPostTransform):
    """Keep inline formulas and code on one line with the punctuation against them."""

    default_priority = 900
    formats = ("html",)

    def run(self, **kwargs: object) -> None:
        """Wrap the formulas and code of the page being written."""
        keep_punctuation_together(self.document)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the transform for the HTML builders."""
    app.add_post_transform(KeepPunctuationTogether)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
