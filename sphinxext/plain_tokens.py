"""Sphinx extension: highlighted code without the spans that change nothing.

Pygments wraps every token of a code block in a ``<span>`` with its type's
class, whether or not the stylesheet gives that class a look of its own. In
the theme's light and dark styles (pydata-sphinx-theme's
``pygments_light_style`` and ``pygments_dark_style``), names, punctuation and
white space are drawn exactly as plain text is, yet on a long chapter their
spans are some 4,300 of the page's 8,400 elements: the browser styles and lays
out each one before the page's first paint, and accessibility checkers visit
each one.

This extension gives the HTML builder a formatter that writes those tokens as
plain text, so that Pygments merges them with their neighbours into one run of
text. Which token types these are is worked out from the styles themselves:
a type is written plain when every style the site uses draws it as it draws
plain text (same colour, background, weight, slant, underline and border; a
type with no colour takes the code block's, which is plain text's). Changing
either style, or a Pygments release that changes them, changes the set with
it. The classes that sphinx-copybutton leaves out of what it copies
(``copybutton_exclude``, by default ``.linenos, .gp``: the prompts of a
console session) keep their spans. The page looks the same; only the element
count drops.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pygments.formatters import HtmlFormatter
from pygments.style import Style
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Text, _TokenType
from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

# The theme options naming the styles that pygments.css holds, one for each
# colour theme.
STYLE_OPTIONS = ("pygments_light_style", "pygments_dark_style")


def plain_token_types(styles: Iterable[type[Style]]) -> frozenset[_TokenType]:
    """Find the token types that each of ``styles`` draws exactly as plain text.

    >>> from pygments.token import Name, Keyword
    >>> plain = plain_token_types([get_style_by_name("a11y-high-contrast-light")])
    >>> Name in plain, Keyword in plain
    (True, False)
    >>> plain_token_types([])
    Traceback (most recent call last):
    ...
    ValueError: pass at least one Pygments style class, such as get_style_by_name('default')
    """
    styles = list(styles)
    if not styles:
        raise ValueError(
            "pass at least one Pygments style class, such as get_style_by_name('default')"
        )

    def look(style: type[Style], token: _TokenType) -> dict[str, object]:
        text = style.style_for_token(Text)
        drawn = dict(style.style_for_token(token))
        drawn["color"] = drawn["color"] or text["color"]
        return drawn

    return frozenset(
        token
        for token in STANDARD_TYPES
        if all(look(style, token) == look(style, Text) for style in styles)
    )


def _excluded_classes(selectors: str) -> set[str]:
    """Find the classes named in a list of CSS selectors.

    >>> sorted(_excluded_classes(".linenos, .gp"))
    ['gp', 'linenos']
    """
    return set(re.findall(r"\.([\w-]+)", selectors))


class PlainTokensFormatter(HtmlFormatter[str]):
    r"""Pygments' HTML formatter, writing the tokens in ``plain`` as plain text.

    >>> from pygments import highlight
    >>> from pygments.lexers import PythonLexer
    >>> from pygments.token import Name, Punctuation
    >>> formatter = PlainTokensFormatter(plain=frozenset({Name, Punctuation}), nowrap=True)
    >>> highlight("f(x.grad)", PythonLexer(), formatter)
    'f(x<span class="o">.</span>grad)\n'
    >>> highlight("f(x.grad)", PythonLexer(), HtmlFormatter(nowrap=True)).count("<span")
    6
    """

    def __init__(self, *, plain: frozenset[_TokenType], **options: Any) -> None:  # noqa: ANN401
        # ``options`` are HtmlFormatter's, of as many types as it has options.
        super().__init__(**options)
        self.plain = plain

    def format(
        self, tokensource: Iterable[tuple[_TokenType, str]], outfile: SupportsWrite[str]
    ) -> None:
        """Write ``tokensource`` to ``outfile``, the types in ``plain`` as plain text."""

        def tokens() -> Iterator[tuple[_TokenType, str]]:
            for token, value in tokensource:
                yield (Text if token in self.plain else token), value

        super().format(tokens(), outfile)


def _use_plain_tokens(app: Sphinx) -> None:
    builder: Any = app.builder
    highlighter = getattr(builder, "highlighter", None)
    if builder.format != "html" or highlighter is None:
        return
    options = builder.theme.get_options(builder.theme_options)
    styles = [get_style_by_name(options[name]) for name in STYLE_OPTIONS]
    kept = _excluded_classes(getattr(app.config, "copybutton_exclude", ""))
    plain = frozenset(
        token for token in plain_token_types(styles) if STANDARD_TYPES[token] not in kept
    )
    # The highlighter makes its formatter by calling this with its options.
    highlighter.formatter = functools.partial(PlainTokensFormatter, plain=plain)


def setup(app: Sphinx) -> ExtensionMetadata:
    """Give the HTML builder's highlighter the formatter."""
    app.connect("builder-inited", _use_plain_tokens)
    # A new version makes an existing build read and write every page again.
    return {
        "version": "1",
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
