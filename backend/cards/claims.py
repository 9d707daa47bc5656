"""The earnings-claim check: phrases a regulator (FAS in Russia, the FTC in the US) reads as a
promise of income, in Russian and English.

A text is normalised first (Unicode NFKC, case folded, `ё` as `е`, invisible characters
dropped, Latin look-alike letters inside a Cyrillic word read as Cyrillic, every run of
punctuation or spacing one space), so `Финансовая   СВОБОДА!`, `financial-freedom` and
`пассивный\u200b доход` with a Latin `о` all match. Each phrase is a list of word stems, each
matching any ending (`финансов` + `ая`, `ой`, `ую`...); between two stems at most one other
word may stand (`пассивный ежемесячный доход`, `replace your whole income`).

A hit does not refuse the text: it keeps it unpublished until an admin approves it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["PHRASES", "Phrase", "find_claims", "normalise"]


@dataclass(frozen=True)
class Phrase:
    label: str  # as the reviewer reads it
    words: tuple[str, ...]  # regex for each word's start; the word may go on (`\w*`)
    whole: frozenset[int] = frozenset()  # indexes of words that must end there (`без`, `no`)


def _p(label: str, *words: str, whole: tuple[int, ...] = ()) -> Phrase:
    return Phrase(label, words, frozenset(whole))


PHRASES: tuple[Phrase, ...] = (
    # English
    _p("financial freedom", "financ", "freedom"),
    _p("financial independence", "financ", "independen"),
    _p("replace your income", "replac", "(your|my|their)", "(income|salary|paycheck)"),
    _p("quit your job", "quit", "(your|my|the)", "(job|9)"),
    _p("passive income", "passive", "(income|earning|money|cash)"),
    _p("residual income", "residual", "(income|earning)"),
    _p("guaranteed income", "guarant", "(income|earning|profit|salary|paycheck)"),
    _p("income guaranteed", "(income|earning|profit)", "(is |are )?guarant"),
    _p("get rich", "(get|getting|got|become)", "rich", whole=(0, 1)),
    _p("rich quick", "rich", "quick", whole=(0,)),
    _p("six-figure income", "(six|6|seven|7)", "figure"),
    _p("unlimited income", "(unlimited|limitless)", "(income|earning|money|pay)"),
    _p("money while you sleep", "money", "while", "(you|i|we)", "sleep"),
    _p("double your income", "(double|triple)", "(your|my)", "(income|money|salary)"),
    _p("become a millionaire", "millionaire"),
    _p("easy money", "(easy|fast|quick)", "(money|cash)", whole=(0,)),
    _p("risk free", "risk", "free", whole=(0, 1)),
    _p("no risk", "(no|zero)", "risk", whole=(0,)),
    _p("retire early", "retire", "(early|young|at)"),
    _p("make money from home", "(make|earn)", "money", "(from|at)", "home"),
    _p("free car", "(free|dream)", "(cars?|mercedes|bmw)", whole=(0, 1)),
    # Russian
    _p("финансовая свобода", "финансов", "свобод"),
    _p("финансовая независимость", "финансов", "независим"),
    _p("пассивный доход", "пассивн", "(доход|заработ|прибыл)"),
    _p("остаточный доход", "остаточн", "(доход|заработ)"),
    _p(
        "заработок без вложений",
        "(заработ|зарабат|доход|деньг|прибыл)",
        "без",
        "вложени",
        whole=(1,),
    ),
    _p("гарантированный доход", "гарантир", "(доход|заработ|прибыл|выплат)"),
    _p("доход гарантирован", "(доход|заработ|прибыл)", "гарантир"),
    _p("бросить работу", "(брос|уйт|уволь|увольн)", "(с )?(работ|найм)"),
    _p("заменить зарплату", "замен", "(зарплат|доход|оклад)"),
    _p("лёгкие деньги", "(легк|быстр)", "(деньг|денег|заработ)"),
    _p("разбогатеть", "разбогате"),
    _p("миллионер", "миллионер"),
    _p("неограниченный доход", "(неогранич|безлимит|безгранич)", "(доход|заработ)"),
    _p("удвоить доход", "(удво|утро)", "(доход|заработ|зарплат)"),
    _p("без риска", "без", "риск", whole=(0,)),
    _p("ранняя пенсия", "(ранн|досрочн)", "пенси"),
    _p("деньги во сне", "(деньг|денег|доход|зарабат)", "(во сне|пока спи|спя)"),
    _p("машина в подарок", "(машин|автомобил|авто)", "в", "подар", whole=(1,)),
    _p("доход на дому", "(доход|заработ|зарабат)", "(на|из|не выходя из)", "дом", whole=(1,)),
)

# Latin letters that look like Cyrillic ones: a word mixing both scripts is a Cyrillic word
# with a few letters swapped to slip past a filter.
_LOOKALIKES = str.maketrans("aceopxykmthb", "асеорхукмтнв")
_CYRILLIC = re.compile(r"[а-я]")
_NOT_WORD = re.compile(r"[\W_]+")
_GAP = r"(?: \w+)? "  # at most one other word between two stems


def normalise(text: str) -> str:
    """Lower case, one space between words, no punctuation (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.casefold().replace("ё", "е")
    words = _NOT_WORD.sub(" ", text).split()
    return " ".join(w.translate(_LOOKALIKES) if _CYRILLIC.search(w) else w for w in words)


def _compile(phrase: Phrase) -> re.Pattern[str]:
    parts = []
    for index, word in enumerate(phrase.words):
        ending = r"\b" if index in phrase.whole else r"\w*"
        parts.append(rf"(?:{word}){ending}")
    return re.compile(r"\b" + _GAP.join(parts))


_PATTERNS = tuple((phrase, _compile(phrase)) for phrase in PHRASES)


def find_claims(text: str) -> list[str]:
    """The labels of the phrases the text contains, in the list's order; empty if none."""
    clean = normalise(text)
    return [phrase.label for phrase, pattern in _PATTERNS if pattern.search(clean)]
