"""Write a page's resolved doctree as the Markdown cells of a Jupyter notebook.

A page's source is MyST: roles, directives, labels and fences that Jupyter
shows as raw text. The doctree Sphinx writes HTML from has none of that: the
cross-references are resolved, the translated build's text (tables, titles of
admonitions, figure descriptions included) is in the language of the page, the
helpers' sources are code blocks. :func:`notebook_items` walks it in reading
order and returns plain Markdown, split where the page shows a code cell:

- a cross-reference becomes a link to the page on the hosted site (``url``);
- a solution (sphinx-design's ``dropdown``) becomes a ``<details>``
  element, which Jupyter shows closed, and an admonition a quoted block under
  its title in bold;
- formulas stay LaTeX between ``$`` (inline) or ``$$`` (displayed);
- the description of a figure (the ``figure-alt`` text, which the HTML
  writer puts in the image's ``alt``) follows its cell as a paragraph;
- tables become pipe tables.

A node this module cannot write is reported, so that a page using a new kind
of markup fails the build rather than lose text in its notebook.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from docutils import nodes
from sphinx_design.dropdown import dropdown_main, dropdown_title

# Characters with a meaning in Markdown (and, for $, in Jupyter's math).
_SPECIAL = re.compile(r"([\\`*_\[\]<>$|~])")
# What would start a block (a heading, a list item, a quote) at a line's start.
_BLOCK_START = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")


@dataclass
class CodeCell:
    """The place of a code cell of the notebook, by its index, in the page's reading order."""

    index: int
    figure_descriptions: list[str] = field(default_factory=list)


@dataclass
class MarkdownContext:
    """What writing a page's Markdown needs besides the doctree.

    Parameters
    ----------
    url
        Returns the absolute URL of a reference's ``refuri`` (relative to the
        page) or, given ``"#" + refid``, of an anchor on the page.
    figure_label
        Put before a figure's description, in the page's language.
    admonition_label
        Returns the title of an admonition without one, such as ``note``.
    unknown
        Called with each node that has no Markdown form.
    """

    url: Callable[[str], str]
    figure_label: str
    admonition_label: Callable[[str], str]
    unknown: Callable[[nodes.Node], None]


def escape(text: str) -> str:
    r"""Return ``text`` with the characters Markdown would read as markup escaped.

    Examples
    --------
    >>> escape("a_b * c costs $5 [sic]")
    'a\\_b \\* c costs \\$5 \\[sic\\]'
    """
    return _SPECIAL.sub(r"\\\1", text)


def code_span(text: str) -> str:
    """Return ``text`` as inline code, with a fence longer than any run of backticks in it.

    Examples
    --------
    >>> code_span("x.grad")
    '`x.grad`'
    >>> code_span("a `b`")
    '`` a `b` ``'
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if longest or text.startswith(" ") or text.endswith(" ") else text
    return f"{fence}{padded}{fence}"


def _fence(text: str, language: str = "") -> str:
    longest = max((len(run) for run in re.findall(r"^`+", text, re.MULTILINE)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def delimited(text: str, marker: str, tag: str, before: str = " ", after: str = " ") -> str:
    """Return ``text`` emphasised with ``marker``, or with an HTML ``tag`` where that cannot work.

    ``before`` and ``after`` are the characters around the emphasis. By
    CommonMark's rules a closing ``**`` after punctuation must be followed by
    a space or punctuation, so ``**练习 1：**预测`` stays literal; an
    opening one before punctuation must follow a space or punctuation. Where
    the markers would not work, the emphasis is written as HTML, which
    Jupyter renders as well.

    Examples
    --------
    >>> delimited("Exercise 1.", "**", "strong", after=" ")
    '**Exercise 1.**'
    >>> delimited("练习 1：", "**", "strong", after="预")
    '<strong>练习 1：</strong>'
    """
    if not text:
        return ""
    opens = not text[0].isspace() and (not _is_punctuation(text[0]) or _is_boundary(before))
    closes = not text[-1].isspace() and (not _is_punctuation(text[-1]) or _is_boundary(after))
    if opens and closes:
        return f"{marker}{text}{marker}"
    return f"<{tag}>{text}</{tag}>"


def _is_punctuation(character: str) -> bool:
    return unicodedata.category(character)[0] in "PS"


def _is_boundary(character: str) -> bool:
    return not character or character.isspace() or _is_punctuation(character)


def _indented(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0]] + [(rest + line) if line else "" for line in lines[1:]])


class MarkdownWriter:
    """Turn the nodes of a resolved doctree into Markdown."""

    def __init__(self, context: MarkdownContext) -> None:
        self.context = context

    # -- Inline ----------------------------------------------------------

    def inline(self, node: nodes.Node) -> str:
        """Return the Markdown of an inline node and its children, on one line."""
        if isinstance(node, nodes.Text):
            return escape(" ".join(str(node).split("\n")))
        if isinstance(node, nodes.literal):
            return code_span(node.astext())
        if isinstance(node, nodes.math):
            return f"${node.astext().strip()}$"
        if isinstance(node, nodes.strong | nodes.emphasis):
            return self._emphasis(node, " ", " ")
        if isinstance(node, nodes.reference):
            return self._link(node)
        if isinstance(node, nodes.raw) and "html" in node.get("format", "").split():
            return node.astext()
        if isinstance(node, nodes.image):
            return f"![{escape(node.get('alt', ''))}]({self.context.url(node['uri'])})"
        if isinstance(node, nodes.footnote_reference | nodes.target | nodes.comment):
            return ""
        if isinstance(node, nodes.Inline) and isinstance(node, nodes.Element):
            # pending_xref left unresolved, inline spans, abbreviations: their text.
            return self.inlines(node)
        self.context.unknown(node)
        return escape(node.astext())

    def inlines(self, node: nodes.Element) -> str:
        """Return the Markdown of the children of ``node``.

        Emphasis is written once the text on both sides of it is known.
        """
        parts = [
            None if isinstance(child, nodes.strong | nodes.emphasis) else self.inline(child)
            for child in node.children
        ]
        for number, child in enumerate(node.children):
            if parts[number] is None:
                before = next((p[-1] for p in reversed(parts[:number]) if p), " ")
                after = next((p[0] for p in parts[number + 1 :] if p), " ")
                parts[number] = self._emphasis(child, before, after)
        return "".join(part or "" for part in parts)

    def _emphasis(self, node: nodes.Node, before: str, after: str) -> str:
        assert isinstance(node, nodes.Element)
        marker, tag = ("**", "strong") if isinstance(node, nodes.strong) else ("*", "em")
        return delimited(self.inlines(node), marker, tag, before, after)

    def _link(self, node: nodes.reference) -> str:
        text = self.inlines(node)
        if "refuri" in node:
            target = self.context.url(node["refuri"])
        elif "refid" in node:
            target = self.context.url("#" + node["refid"])
        else:
            return text
        return f"[{text}]({target.replace(' ', '%20').replace(')', '%29')})"

    # -- Blocks ----------------------------------------------------------

    def paragraph(self, node: nodes.Element) -> str:
        """Return a paragraph as one line that no Markdown block syntax can capture."""
        text = self.inlines(node).strip()
        return _BLOCK_START.sub(r"\1\\\2", text)

    def blocks(self, children: list[nodes.Node], level: int) -> str:
        """Return body elements that hold no code cell, separated by blank lines."""
        parts: list[str] = []
        for item in self.walk(children, level):
            if isinstance(item, CodeCell):
                self.context.unknown(nodes.container())
            elif item:
                parts.append(item)
        return "\n\n".join(parts)

    def walk(self, children: list[nodes.Node], level: int) -> Iterator[str | CodeCell]:
        """Yield the Markdown of each block of ``children``, and each code cell where it comes."""
        for node in children:
            yield from self.block(node, level)

    def block(self, node: nodes.Node, level: int) -> Iterator[str | CodeCell]:
        """Yield the Markdown of one body element, or the code cells it holds."""
        if isinstance(node, nodes.section):
            title = node.next_node(nodes.title)
            if title is not None:
                yield "#" * min(level, 6) + " " + self.inlines(title).strip()
            yield from self.walk([c for c in node.children if c is not title], level + 1)
        elif isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
            yield CodeCell(
                int(node["cell_index"]),
                [" ".join(image.get("alt", "").split()) for image in node.findall(nodes.image)],
            )
        elif isinstance(node, nodes.paragraph):
            yield self.paragraph(node)
        elif isinstance(node, nodes.bullet_list | nodes.enumerated_list):
            yield self._list(node, level)
        elif isinstance(node, nodes.admonition):
            yield self._admonition(node, level)
        elif isinstance(node, dropdown_main):
            yield self._dropdown(node, level)
        elif isinstance(node, nodes.math_block):
            yield f"$$\n{node.astext().strip()}\n$$"
        elif isinstance(node, nodes.literal_block):
            language = node.get("language", "")
            yield _fence(node.astext(), "python" if language.startswith("ipython") else language)
        elif isinstance(node, nodes.table):
            yield self._table(node)
        elif isinstance(node, nodes.block_quote):
            yield _indented(self.blocks(node.children, level), "> ", "> ").replace("\n\n", "\n>\n")
        elif isinstance(node, nodes.raw) and "html" in node.get("format", "").split():
            yield node.astext()
        elif isinstance(node, nodes.rubric):
            yield delimited(self.inlines(node), "**", "strong")
        elif isinstance(node, nodes.transition):
            yield "---"
        elif isinstance(node, nodes.target | nodes.comment | nodes.substitution_definition) or (
            isinstance(node, nodes.compound) and "toctree-wrapper" in node["classes"]
        ):
            return
        elif isinstance(node, nodes.container | nodes.compound):
            yield from self.walk(node.children, level)
        else:
            self.context.unknown(node)

    def _list(self, node: nodes.Element, level: int) -> str:
        items = []
        start = int(node.get("start", 1))
        for number, item in enumerate(node.children, start=start):
            marker = f"{number}. " if isinstance(node, nodes.enumerated_list) else "- "
            body = self.blocks(item.children, level) if isinstance(item, nodes.Element) else ""
            items.append(_indented(body, marker, " " * len(marker)))
        tight = all(
            len(item.children) <= 1 for item in node.children if isinstance(item, nodes.Element)
        )
        return ("\n" if tight else "\n\n").join(items)

    def _admonition(self, node: nodes.Element, level: int) -> str:
        title = node.next_node(nodes.title)
        heading = self.inlines(title).strip() if title is not None else ""
        if not heading:
            kind = next((c for c in node["classes"] if not c.startswith("admonition")), "note")
            heading = self.context.admonition_label(type(node).__name__ or kind)
        body = self.blocks([c for c in node.children if c is not title], level)
        quoted = _indented(f"{delimited(heading, '**', 'strong')}\n\n{body}", "> ", "> ")
        return quoted.replace("\n\n", "\n>\n")

    def _dropdown(self, node: dropdown_main, level: int) -> str:
        # The summary holds the title's text and, beside it, the drawn chevron.
        title = node.next_node(dropdown_title)
        text = None if title is None else title.next_node(_summary_text)
        heading = self.inlines(text).strip() if isinstance(text, nodes.Element) else ""
        body = self.blocks([c for c in node.children if c is not title], level)
        return f"<details>\n<summary>{heading}</summary>\n\n{body}\n\n</details>"

    def _table(self, node: nodes.table) -> str:
        rows: list[list[str]] = []
        head = 0
        for part in node.findall(nodes.thead):
            head += len(part.children)
        for row in node.findall(nodes.row):
            cells = []
            for entry in row.children:
                text = "<br>".join(
                    self.paragraph(child)
                    if isinstance(child, nodes.paragraph)
                    else self.inline(child)
                    for child in entry.children
                    if isinstance(child, nodes.Element)
                )
                cells.append(text.replace("\\|", "|").replace("|", "\\|"))
            rows.append(cells)
        if not rows:
            return ""
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        header, body = (rows[0], rows[1:]) if head else ([""] * width, rows)
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * width]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)


def notebook_items(document: nodes.document, context: MarkdownContext) -> list[str | CodeCell]:
    """Return the page as Markdown blocks and code cells, in reading order.

    Consecutive blocks are joined into one Markdown text; each figure's
    description follows its cell, after ``context.figure_label``.
    """
    writer = MarkdownWriter(context)
    items: list[str | CodeCell] = []
    blocks: list[str] = []
    for item in writer.walk(list(document.children), 1):
        if isinstance(item, CodeCell):
            if blocks:
                items.append("\n\n".join(blocks))
                blocks = []
            items.append(item)
            blocks += [
                f"*{escape(context.figure_label)}* {escape(text)}"
                for text in item.figure_descriptions
                if text
            ]
        elif item:
            blocks.append(item)
    if blocks:
        items.append("\n\n".join(blocks))
    return items


def _summary_text(node: nodes.Node) -> bool:
    return isinstance(node, nodes.inline) and "sd-summary-text" in node["classes"]
