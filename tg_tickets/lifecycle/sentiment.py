"""Sentiment of a customer's message: a score in [-1, 1], offline, pure (no Frappe import, nothing fetched).

English: VADER (the `vaderSentiment` package, which ships its lexicon and rules; its `compound` score).
Russian: no maintained offline library exists on PyPI (dostoevsky downloads its model at run time and is
unmaintained since 2021; lexicons such as ecsentithemelex are for economic news and need tools that
download binaries), so the app ships its own lexicon (sentiment_lexicon_ru.txt, stems with VADER-scale
valences) scored with VADER's rules, adapted: a negation (не, нет, ни, без) within the two words before
flips and damps a word (×-0.74), a booster (очень, крайне, …) adds 0.293 of its sign and a dampener (немного,
…) takes it away, what comes after "но" counts 1.5× and what came before 0.5×, exclamation marks add
emphasis, emoji take the valence VADER gives their description, and the sum is normalised as VADER does.
A text is Russian when it has more Cyrillic than Latin letters. No letters and no emoji: None (not scored).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from vaderSentiment.vaderSentiment import B_INCR, N_SCALAR, SentimentIntensityAnalyzer, normalize

LEXICON_RU = Path(__file__).with_name("sentiment_lexicon_ru.txt")
MIN_STEM = 2
NEGATIONS = frozenset({"не", "нет", "ни", "без"})
BOOSTERS = frozenset({"очень", "крайне", "совсем", "слишком", "реально", "абсолютно", "полностью", "совершенно",
	"настолько", "так", "жутко", "дико", "безумно", "вообще"})
DAMPENERS = frozenset({"немного", "слегка", "чуть", "чуточку", "довольно", "несколько"})
BUT_WORDS = frozenset({"но", "однако"})
MODIFIERS = NEGATIONS | BOOSTERS | DAMPENERS | BUT_WORDS  # never sentiment words themselves
EXCLAMATION_BOOST = 0.292  # VADER's, per mark, up to four
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
LATIN = re.compile(r"[a-z]", re.IGNORECASE)
TOKEN = re.compile(r"[а-яёa-z]+|[!?.,;:]", re.IGNORECASE)


@functools.cache
def english() -> SentimentIntensityAnalyzer:
	return SentimentIntensityAnalyzer()


def load_lexicon(text: str) -> tuple[dict[str, float], dict[str, float]]:
	"""(stems, exact words) from the lexicon's lines; comments and blank lines skipped."""
	stems, exact = {}, {}
	for line in text.splitlines():
		line = line.strip()
		if not line or line.startswith("#"):
			continue
		word, valence = line.split("\t")
		word = word.lower().replace("ё", "е")
		if word.endswith("$"):
			exact[word[:-1]] = float(valence)
		else:
			stems[word] = float(valence)
	return stems, exact


@functools.cache
def russian_lexicon() -> tuple[dict[str, float], dict[str, float]]:
	return load_lexicon(LEXICON_RU.read_text(encoding="utf-8"))


def word_valence(word: str, stems: dict[str, float], exact: dict[str, float]) -> float:
	"""The exact entry, else the longest stem the word starts with; 0 for a word the lexicon lacks."""
	if word in exact:
		return exact[word]
	for end in range(len(word), MIN_STEM - 1, -1):
		valence = stems.get(word[:end])
		if valence is not None:
			return valence
	return 0.0


@functools.cache
def emoji_valences() -> dict[str, float]:
	"""Each emoji's valence: the sum of VADER's lexicon values of the words of its description (VADER's own
	emoji handling); emoji whose description carries no sentiment are left out."""
	analyzer = english()
	valences = {}
	for char, description in analyzer.emojis.items():
		valence = sum(analyzer.lexicon.get(word, 0.0) for word in description.lower().split())
		if valence:
			valences[char] = valence
	return valences


def emoji_valence(text: str) -> float:
	"""The valence of the emoji in `text`, each occurrence counted."""
	valences = emoji_valences()
	if valences.keys().isdisjoint(text):  # most texts: no emoji, found without a Python loop
		return 0.0
	return sum(valences[char] for char in text if char in valences)


def russian_score(text: str, lexicon=None) -> float:
	stems, exact = lexicon or russian_lexicon()
	tokens = [t.lower().replace("ё", "е") for t in TOKEN.findall(text)]
	valences = []
	clause: list[str] = []  # the words since the last punctuation: a negation or booster acts within it
	but_at = None
	for token in tokens:
		if not token[0].isalpha():
			clause = []
			continue
		valence = 0.0 if token in MODIFIERS else word_valence(token, stems, exact)
		if valence:
			if clause and clause[-1] in BOOSTERS:
				valence += B_INCR if valence > 0 else -B_INCR
			elif clause and clause[-1] in DAMPENERS:
				valence -= B_INCR if valence > 0 else -B_INCR
			if any(w in NEGATIONS for w in clause[-2:]):
				valence *= N_SCALAR
		if token in BUT_WORDS and but_at is None:
			but_at = len(valences)
		valences.append(valence)
		clause.append(token)
	if but_at is not None:
		valences = [v * 0.5 for v in valences[:but_at]] + [v * 1.5 for v in valences[but_at:]]
	total = sum(valences) + emoji_valence(text)
	if total:
		total += (1 if total > 0 else -1) * min(tokens.count("!"), 4) * EXCLAMATION_BOOST
	return round(normalize(total), 4)


PUNCTUATION = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum())


def english_is_neutral(text: str) -> bool:
	"""True when VADER would score the text 0 without running it: no token (as written, or without its
	punctuation, as VADER strips it) is in VADER's lexicon and no emoji is in it. VADER scores only lexicon
	words (boosters, negations, idioms and "but" only modify them), so such a text sums to 0. A fast path for
	the many plain messages ("invoice 42 from march"): VADER itself costs tens of µs a message on the inbox's
	hot path (benchmarks/lifecycle.py, telegram_replay.py)."""
	analyzer = english()
	lexicon = analyzer.lexicon
	for token in text.lower().split():
		if token in lexicon or token.strip(PUNCTUATION) in lexicon:
			return False
	return analyzer.emojis.keys().isdisjoint(text)  # VADER looks emoji up character by character, as here


def is_russian(text: str) -> bool:
	return len(CYRILLIC.findall(text)) > len(LATIN.findall(text))


def score(text: str | None) -> float | None:
	"""The message's sentiment in [-1, 1] (0: neutral); None when there is nothing to score."""
	text = (text or "").strip()
	cyrillic = CYRILLIC.search(text)
	if not text or not (cyrillic or LATIN.search(text) or not english().emojis.keys().isdisjoint(text)):
		return None
	if cyrillic and is_russian(text):
		return russian_score(text)
	if english_is_neutral(text):
		return 0.0
	return round(english().polarity_scores(text)["compound"], 4)


def trend(scores: list[float], window: int = 5) -> float | None:
	"""The mean of the last `window` scores (oldest first in `scores`); None without any."""
	last = [s for s in scores if s is not None][-window:]
	return round(sum(last) / len(last), 4) if last else None
