"""Bring the translation catalogs up to date with the English pages.

``nox -s translations`` runs this after Sphinx's gettext builder has written
one ``.pot`` file of English messages per page::

    python sphinxext/catalogs.py <pot dir> <locale dir>

For every page and every language of the book (``language_names`` in
``conf.py``, the source language aside), the catalog
``<locale dir>/<language>/LC_MESSAGES/<page>.po`` is brought up to date:

- a page without a catalog gets one, with the project's header;
- in a catalog whose page changed, a new message is added untranslated; a
  message whose English changed keeps its old translation, marked fuzzy, with
  the English it translated as ``#| msgid`` lines above it; a message the page
  no longer has is kept at the end as an obsolete ``#~`` entry;
- a catalog whose messages are still those of its page is not written, so
  that only real changes show in review.

It then prints what is left to translate, catalog by catalog.
"""

from __future__ import annotations

import argparse
import io
import runpy
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import normalize, read_po, unescape, write_po

ROOT = Path(__file__).resolve().parent.parent
# One line per message, so that a diff shows whole messages.
UNWRAPPED = -1


def previous_message(message: Message) -> str | None:
    """Return the English a fuzzy message was translated from, from its ``#| msgid`` lines.

    babel reads those lines as translator comments starting with ``|``.

    Examples
    --------
    >>> message = Message("New text", user_comments=['| msgid "Old text"'])
    >>> previous_message(message)
    'Old text'
    """
    if message.previous_id:
        return str(message.previous_id[0])
    pieces: list[str] = []
    in_msgid = False
    for comment in message.user_comments:
        if not comment.startswith("|"):
            continue
        line = comment[1:].strip()
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid":
            in_msgid = True
            pieces.append(unescape(rest.strip()))
        elif line.startswith('"') and in_msgid:
            pieces.append(unescape(line))
        else:
            in_msgid = False
    return "".join(pieces) if pieces else None


def read_catalog(path: Path) -> Catalog:
    """Read a ``.po`` file, with the English of a message's ``#| msgid`` lines in ``previous_id``.

    Only fuzzy messages should have them; ``write_catalog`` drops the others'.
    """
    with path.open("rb") as po_file:
        catalog = read_po(po_file)
    for message in catalog:
        previous = previous_message(message)
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
        message.previous_id = [previous] if previous is not None else []
    return catalog


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Write a ``.po`` file, one line per message, with ``#| msgid`` lines above fuzzy ones.

    babel can write the previous English too, but wraps those lines like
    comments, at 76 columns, inside the quoted string, where msgmerge and
    editors expect the string's own line breaks.
    """
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=UNWRAPPED)
    entries = buffer.getvalue().decode(catalog.charset).split("\n\n")
    for number, message in enumerate(catalog):
        if not (message.fuzzy and message.previous_id and message.id):
            continue
        lines = entries[number].split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith(("msgctxt ", "msgid ")))
        if lines[first] != f"msgid {normalize(str(message.id), width=UNWRAPPED)}".split("\n")[0]:
            raise RuntimeError(f"babel wrote the entries of {path} in an unexpected order")
        previous = normalize(str(message.previous_id[0]), prefix="#| ", width=UNWRAPPED)
        lines.insert(first, f"#| msgid {previous}")
        entries[number] = "\n".join(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\n\n".join(entries).encode(catalog.charset))


@dataclass(frozen=True)
class Project:
    """What a new catalog's header says: the project's name, copyright and authors."""

    name: str
    copyright: str
    author: str


def new_catalog(template: Catalog, page: str, language: str, project: Project) -> Catalog:
    """Return a catalog of ``template``'s messages, untranslated, with the project's header."""
    locale = Locale.parse(language)
    catalog = Catalog(
        locale=language,
        header_comment=(
            f'# {locale.get_language_name("en")} translation of the page "{page}" '
            f"of {project.name}.\n"
            f"# Copyright (C) {project.copyright}\n"
            f"# This file is distributed under the same license as the {project.name} package.\n"
            "#"
        ),
        project=project.name,
        creation_date=template.creation_date,
        revision_date=datetime.now(UTC).replace(second=0, microsecond=0),
        last_translator=project.author,
        # Chinese (Simplified), not Chinese (Simplified, China): the team
        # writes for readers of the script, wherever they are.
        language_team=Locale(locale.language, script=locale.script).english_name,
        fuzzy=False,
    )
    # The book has no version of its own, nor an address for bug reports;
    # babel would write placeholders.
    catalog.version = catalog.msgid_bugs_address = ""
    catalog.update(template, no_fuzzy_matching=True)
    return catalog


@dataclass(frozen=True)
class Outcome:
    """What one catalog holds after the update, and whether it was written."""

    path: Path
    status: str  # "created", "updated" or "unchanged"
    untranslated: int
    fuzzy: int


def update_catalog(pot: Path, po: Path, page: str, language: str, project: Project) -> Outcome:
    """Bring the catalog ``po`` of one page up to date with the messages in ``pot``."""
    with pot.open("rb") as pot_file:
        template = read_po(pot_file)
    if po.is_file():
        catalog = read_catalog(po)
        before = {message.id for message in catalog if message.id}
        previous = {m.id: m.previous_id for m in catalog if m.fuzzy and m.previous_id}
        catalog.update(template)
        for message in catalog:
            # A message left fuzzy by an earlier update still shows the English
            # its translation was written for, as msgmerge does; babel's update
            # would forget it, or replace it with the English in between.
            if message.fuzzy:
                source = message.previous_id[0] if message.previous_id else message.id
                message.previous_id = previous.get(source, message.previous_id)
        status = "unchanged" if before == {m.id for m in catalog if m.id} else "updated"
    else:
        catalog = new_catalog(template, page, language, project)
        status = "created"
    if status != "unchanged":
        write_catalog(po, catalog)
    messages = [message for message in catalog if message.id]
    return Outcome(
        po,
        status,
        untranslated=sum(1 for message in messages if not message.string),
        fuzzy=sum(1 for message in messages if message.string and message.fuzzy),
    )


def update_catalogs(
    pot_dir: Path, locale_dir: Path, languages: Sequence[str], project: Project
) -> list[Outcome]:
    """Update the catalog of every page in ``pot_dir`` in every language; say how each ended."""
    outcomes = []
    for pot in sorted(pot_dir.rglob("*.pot")):
        page = pot.relative_to(pot_dir).with_suffix("").as_posix()
        for language in languages:
            po = locale_dir / language / "LC_MESSAGES" / f"{page}.po"
            outcomes.append(update_catalog(pot, po, page, language, project))
    return outcomes


def _shown(path: Path) -> str:
    """Return ``path`` as a person can paste it from where they ran the command."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def report(outcomes: Sequence[Outcome]) -> str:
    """Return what was written and what is left to translate, with the next step."""
    lines = [
        f"{outcome.status.capitalize()} {_shown(outcome.path)}"
        for outcome in outcomes
        if outcome.status != "unchanged"
    ]
    if not lines:
        lines.append("Every catalog already has the messages of its page.")
    left = [outcome for outcome in outcomes if outcome.untranslated or outcome.fuzzy]
    if not left:
        lines.append("Nothing is left to translate; build with `nox -s docs`.")
        return "\n".join(lines)
    lines.append("Left to translate:")
    for outcome in left:
        counts = [
            f"{count} {kind}"
            for count, kind in ((outcome.untranslated, "untranslated"), (outcome.fuzzy, "fuzzy"))
            if count
        ]
        lines.append(f"  {_shown(outcome.path)}: {', '.join(counts)}")
    lines.append(
        "Write each empty msgstr. A fuzzy message's English changed: its #| msgid lines show the "
        "English it was translated from; bring the msgstr up to date, then delete its "
        "`#, fuzzy` line and its `#|` lines. Then build with `nox -s docs`."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Update the catalogs from the command line, with the project's settings from conf.py."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pot_dir", type=Path, help="the gettext builder's output")
    parser.add_argument("locale_dir", type=Path, help="where the catalogs live (docs/locale)")
    arguments = parser.parse_args(argv)
    conf = runpy.run_path(str(ROOT / "conf.py"))
    project = Project(conf["project"], conf["copyright"], conf["author"])
    languages = [language for language in conf["language_names"] if language != conf["language"]]
    outcomes = update_catalogs(arguments.pot_dir, arguments.locale_dir, languages, project)
    print(report(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
