"""The report's language: English by default, Chinese (`nnlab report --lang zh`) from a standard
gettext message catalogue, `locale/<lang>/LC_MESSAGES/nnlab.po`, in the course's own words
(../shared/glossary-zh.md: 过拟合, 最佳 Epoch, 验证集 …).

    _(message)              the message in the current language (itself where the catalogue lacks it)
    N_(message)             the message itself, marked for the catalogue (a table's words, translated where used)
    language(lang)          a `with` block in which _() speaks `lang`
    sentences(*parts)       sentences joined as the language joins them (a space in English, none in Chinese)
    current()               the language now in force

Messages are whole sentences or clauses with named fields (`_("it starts to overfit {when}")` would
not translate: Chinese puts the words in another order), so each reading is its own msgid, and
numbers are formatted after translation (`_("{n} seeds").format(n=3)`), so they are the same figures
in every language. The catalogue is read with Babel's .po reader (no compile step: a translator edits
the .po and the next report uses it); `pybabel extract -k _ -k N_ src/nnlab` lists the messages, and a test
checks that the Chinese catalogue translates every one.

    >>> with language("zh"):
    ...     _("better / worse?"), _("a message nobody translated")
    ('变好了 / 变坏了？', 'a message nobody translated')
    >>> _("better / worse?")
    'better / worse?'
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from pathlib import Path

LANGUAGES = ("en", "zh")  # en: the source text itself; zh: Simplified Chinese, the course's
LOCALE = Path(__file__).parent / "locale"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("nnlab_language", default="en")


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def language(lang: str):
    """Speak `lang` inside the block (a context variable: threads and other reports are untouched)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r}: nnlab speaks {', '.join(LANGUAGES)}")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid → msgstr of the language's catalogue (fuzzy and empty entries left out: they are not
    translations yet)."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    with open(LOCALE / lang / "LC_MESSAGES" / "nnlab.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and m.string and not m.fuzzy}


# Between two sentences: English puts a space, Chinese (its sentences end in 。) none.
SENTENCE_GAP = {"en": " ", "zh": ""}


def sentences(*parts: str) -> str:
    """Sentences (and clauses that end one) joined as the current language joins them; empty parts
    are left out.

        >>> sentences("It overfits.", "", "Its test accuracy is lower.")
        'It overfits. Its test accuracy is lower.'
        >>> with language("zh"):
        ...     sentences("它过拟合。", "它的测试集 Accuracy 更低。")
        '它过拟合。它的测试集 Accuracy 更低。'
    """
    return SENTENCE_GAP[_current.get()].join(part.strip() for part in parts if part and part.strip())


def N_(message: str) -> str:
    """Marks a message kept in a table for translation where it is used (`_(TABLE[key])`)."""
    return message


def _(message: str) -> str:
    lang = _current.get()
    return message if lang == "en" else catalogue(lang).get(message, message)


def extract_descriptions(fileobj, keywords, comment_tags, options):
    """Babel's extractor for the shipped YAML configs and suites (locale/babel.cfg): each top-level
    `description:` is a message, since the report prints it (a study's "What it asks", a part's title)
    through _(). A description of one's own, not in the catalogue, is printed as written.

        >>> import io
        >>> list(extract_descriptions(io.BytesIO(b"name: x\\ndescription: Reuters, 64 units\\n"), [], [], {}))
        [(2, '_', 'Reuters, 64 units', [])]
    """
    import yaml

    text = fileobj.read().decode("utf-8")
    description = (yaml.safe_load(text) or {}).get("description")
    if isinstance(description, str) and description.strip():
        line = next((k for k, row in enumerate(text.splitlines(), 1) if row.startswith("description")), 1)
        yield line, "_", description, []
