"""Which words a suggestion query looks up, and how the articles found are ranked. Pure: no Frappe, no I/O.

Looking up: a word in a large share of the articles says little about any of them (and makes the FULLTEXT
lookup expensive: it ranks every article holding it), so the query keeps the words the agent is typing and the
ticket's rarest words, at most `limit`, and drops words in none of the articles or in more than a tenth of them (at least 20 articles).

Ranking: each query word an article holds scores its weight: rarer words more (inverse document frequency), a
word the agent is typing three times (it says what the agent is answering now), a word in the title double;
an article of the ticket's category gets half as much again.
"""

import math
from collections.abc import Iterable, Mapping

TYPED_WEIGHT = 3
TITLE_WEIGHT = 2
CATEGORY_BOOST = 1.5
LOOKUP_LIMIT = 12
MAX_SHARE = 0.1
# Below this many articles a word is never too common to look up (a small knowledge base costs nothing to search).
ALWAYS_USEFUL = 20


def pick_terms(typed: Iterable[str], terms: Iterable[str], frequency: Mapping[str, int], total: int,
		limit: int = LOOKUP_LIMIT, max_share: float = MAX_SHARE, always_useful: int = ALWAYS_USEFUL) -> list[str]:
	"""The words to look up: typed words first (in typing order), then the rarest of the others; each present
	in at least one article and in at most `max_share` of them (or `always_useful` articles, if more)."""
	cap = max(always_useful, int(total * max_share))
	useful = [t for t in dict.fromkeys(terms) if 0 < frequency.get(t, 0) <= cap]
	typed = [t for t in dict.fromkeys(typed) if t in useful]
	rest = sorted((t for t in useful if t not in typed), key=lambda t: (frequency[t], t))
	return (typed + rest)[:limit]


def inverse_frequency(frequency: Mapping[str, int], total: int) -> dict[str, float]:
	"""log(1 + total / articles holding the word) for each word (rarer: larger)."""
	return {term: math.log(1 + total / count) for term, count in frequency.items() if count > 0}


def query_weights(typed: Iterable[str], terms: Iterable[str], idf: Mapping[str, float] | None = None) -> dict[str, float]:
	"""Each query word with its weight: its inverse frequency (1 when unknown), three times that when typed."""
	typed = set(typed)
	idf = idf or {}
	return {term: (TYPED_WEIGHT if term in typed else 1) * idf.get(term, 1.0) for term in terms}


def score(weights: Mapping[str, float], title_stems: Iterable[str], article_stems: Iterable[str], same_category: bool) -> float:
	title_stems = set(title_stems)
	article_stems = set(article_stems) | title_stems
	total = sum(
		weight * (TITLE_WEIGHT if term in title_stems else 1) for term, weight in weights.items() if term in article_stems
	)
	return total * CATEGORY_BOOST if same_category else float(total)


def best(candidates: list[tuple[str, float, float]], limit: int) -> list[str]:
	"""(name, score, tie-breaker) → names, highest score first, then the higher tie-breaker, then the name."""
	return [name for name, _score, _tie in sorted(candidates, key=lambda c: (-c[1], -c[2], c[0]))[:limit]]
