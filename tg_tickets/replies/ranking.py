"""How suggested articles are ranked for a ticket: by the query's word stems each article holds. A stem the
agent is typing counts triple (it says what the agent is answering now), a stem found in the title counts
double, and an article of the ticket's category gets half as much again. Pure: no Frappe, no I/O.
"""

from collections.abc import Iterable

TYPED_WEIGHT = 3
TITLE_WEIGHT = 2
CATEGORY_BOOST = 1.5


def query_weights(typed: Iterable[str], terms: Iterable[str]) -> dict[str, int]:
	"""Each query stem with its weight: typed ones TYPED_WEIGHT, the ticket's own 1."""
	typed = set(typed)
	return {term: TYPED_WEIGHT if term in typed else 1 for term in terms}


def score(weights: dict[str, int], title_stems: Iterable[str], article_stems: Iterable[str], same_category: bool) -> float:
	title_stems, article_stems = set(title_stems), set(article_stems) | set(title_stems)
	total = sum(
		weight * (TITLE_WEIGHT if term in title_stems else 1) for term, weight in weights.items() if term in article_stems
	)
	return total * CATEGORY_BOOST if same_category else float(total)


def best(candidates: list[tuple[str, float, float]], limit: int) -> list[str]:
	"""(name, score, tie-breaker) → names, highest score first, then the higher tie-breaker, then the name."""
	return [name for name, _score, _tie in sorted(candidates, key=lambda c: (-c[1], -c[2], c[0]))[:limit]]
