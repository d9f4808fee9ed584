"""Candidate terms taken from an entry's text, for ``veille tags suggest``
(``rules/suggest.py``): pure.

* ``phrases`` — what could name the entry's subject, as a referent would write it in
  feeds.yaml: each content word (not a French function word, not a number, four letters or
  more, or an acronym), two consecutive content words, and « X de Y » (« note de service »,
  « jeu d'évasion »); the words as written (accents kept, lower case, acronyms in capitals),
  a lone word without its elided particle (« d'éducation » → « éducation »);
* ``contexts`` — phrases around each occurrence of a term in the entry, to ``ignore``: the
  term with the word after it (and the one after that, past « de », « à »…: « tablette de
  chocolat »), or with the word before it (« mise à l'épreuve »).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from veille.rules.story import STOP_WORDS
from veille.rules.terms import AtomIndex, parse_term
from veille.text import ELISIONS, Words, tokens

__all__ = ["contexts", "phrases"]

# A word of the text as written, with an elided particle before it (« l'IA », « d'évasion »).
_SURFACE = re.compile(rf"(?:\b(?:{'|'.join(ELISIONS)})['’ʼ‘](?=[^\W_]))?[^\W_]+", re.IGNORECASE)
_ELIDED = re.compile(r"^[^\W\d_]+['’ʼ‘]")
_OF = ("de", "des", "du", "d")  # « note de service », « jeu d'évasion »
# The function words a context may reach past (« bac à sable », « mise à l'épreuve »); any
# other ends it on that side (« la » in « … du feu : la tablette »).
_LINKS = (*_OF, "a", "au", "aux", "en")


def phrases(*texts: str) -> Iterable[str]:
    """Content words, two consecutive ones and « X de Y » of ``texts``, as written."""
    for text in texts:
        words = _surface(text)
        keys = [tokens(w)[-1] for w in words]
        bare = [_ELIDED.sub("", w) for w in words]  # « d'éducation » → « éducation »
        acronym = [len(b) > 1 and b.isupper() for b in bare]
        content = [
            k not in STOP_WORDS and not k.isdigit() and (len(k) > 2 or a)
            for k, a in zip(keys, acronym, strict=True)
        ]
        for i, word in enumerate(bare):
            if content[i] and (len(keys[i]) > 3 or acronym[i]):
                yield _written(word)
        for i in range(len(words) - 1):
            if content[i] and content[i + 1]:
                yield f"{_written(words[i])} {_written(words[i + 1])}"
            if i + 2 < len(words) and content[i] and content[i + 2] and keys[i + 1] in _OF:
                yield " ".join(_written(w) for w in words[i : i + 3])


def _surface(text: str) -> list[str]:
    """The words of ``text`` as written (elided particle included); the folded words when
    the two readings do not line up (« I.A. », « M@gistère »)."""
    found = _SURFACE.findall(text)
    if len(found) != len(tokens(text)):
        return tokens(text)
    return found


def _written(word: str) -> str:
    """A word as a term is written: lower case, acronyms kept (« l'IA », « Pix » → « pix »)."""
    head, sep, tail = word.rpartition("'") if "'" in word else word.rpartition("’")
    if sep:
        return head.lower() + sep + _written(tail)
    return word if len(word) > 1 and word.isupper() else word.lower()


def contexts(term: str, fields: Sequence[Words | None], texts: Sequence[str]) -> list[str]:
    """Phrases around each occurrence of ``term`` in the fields of an entry (their words
    ``fields`` as the rules read them, their ``texts`` as written; see the docstring)."""
    parts = parse_term(term)
    if len(parts) != 1 or term.startswith("/"):
        return []
    index = AtomIndex.build([a for a in parts[0] if not a.startswith("site:")])
    out: list[str] = []
    for field_words, text in zip(fields, texts, strict=False):
        if field_words is None:
            continue
        written = _surface(text)
        aligned = len(written) == len(field_words.tokens)
        shown = written if aligned else field_words.tokens
        for a in range(len(index.atoms)):
            for s, e in index.spans(a, field_words):
                toks = field_words.tokens
                after = e + 1 + (e + 1 < len(toks) and toks[e] in _LINKS)
                before = s - 1 - (s >= 2 and toks[s - 1] in _LINKS)
                if e < len(toks) and toks[after - 1] not in STOP_WORDS:
                    out.append(" ".join(_written(w) for w in shown[s:after]))
                if before >= 0 and toks[before] not in STOP_WORDS:
                    out.append(" ".join(_written(w) for w in shown[before:e]))
    return list(dict.fromkeys(out))
