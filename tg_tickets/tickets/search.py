"""Text search over ticket title and description that stays fast at a million tickets.

Both ways of matching mean the same thing: every word of the query starts a word of the title or the
description (case-insensitive). Which way runs depends on how common the words are:
- the FULLTEXT index (`MATCH ... AGAINST`, boolean mode) costs a few µs per ticket holding the word it looks
  up: ideal for rare words, hopeless for a word in 20 % of a million tickets (over a second);
- walking the newest-first index and testing each row (LIKE, then a word-boundary REGEXP) costs a few µs per
  row and stops once the page is full: ideal for common words, hopeless for rare ones — and for common
  words that rarely occur together ("printer badger").
One pass over the newest rows counts each word's matches and their joint matches; the cost model then picks
walking, or FULLTEXT on the rarest word with the other words tested on its matches. Probes are cached
briefly per set of words.
"""

import re
from dataclasses import dataclass

import frappe

FULLTEXT_INDEX = "ticket_text_ft"
# InnoDB ignores shorter tokens and these stopwords; such words are matched by REGEXP only.
MIN_TOKEN = 3
INNODB_STOPWORDS = set(
	"a about an are as at be by com de en for from how i in is it la of on or that the this to was what "
	"when where who will with und www".split()
)
PROBE_ROWS = 2000  # newest rows the density probe may read
PAGE = 20
# Measured at 1M tickets on the dev machine (benchmarks/ticket_list.py): reading one row of the newest-first
# walk and testing it costs ~5 µs; FULLTEXT costs ~6 µs per matching ticket of the word it looks up.
WALK_COST_PER_ROW = 5
FULLTEXT_COST_PER_MATCH = 6
DENSITY_CACHE_SECONDS = 300


def ensure_fulltext_index() -> None:
	exists = frappe.db.sql("show index from `tabTicket` where Key_name = %s", (FULLTEXT_INDEX,))
	if not exists:
		frappe.db.sql_ddl(f"alter table `tabTicket` add fulltext index `{FULLTEXT_INDEX}` (title, description)")


def words_of(text: str) -> list[str]:
	return [w.lower() for w in re.findall(r"\w+", text or "", flags=re.UNICODE)][:8]


def _regexp(word: str) -> str:
	# \b keeps "voice" from matching "invoice", as FULLTEXT would.
	return frappe.db.escape("\\b" + re.escape(word))


def _like(word: str) -> str:
	literal = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
	return frappe.db.escape(f"%{literal}%", percent=False)


def like_condition(word: str) -> str:
	return f"(`tabTicket`.title like {_like(word)} or `tabTicket`.description like {_like(word)})"


def regexp_condition(words: list[str]) -> str:
	# LIKE first: a cheap superset test, so the costlier REGEXP runs only on candidate rows.
	return " and ".join(
		f"({like_condition(w)} and (`tabTicket`.title regexp {_regexp(w)} or `tabTicket`.description regexp {_regexp(w)}))"
		for w in words
	)


def fulltext_condition(words: list[str]) -> str:
	query = " ".join(f"+{w}*" for w in words)
	return f"match(`tabTicket`.title, `tabTicket`.description) against ({frappe.db.escape(query)} in boolean mode)"


def split_words(words: list[str]) -> tuple[list[str], list[str]]:
	"""(words the FULLTEXT index knows, words only REGEXP can find)."""
	indexed = [w for w in words if len(w) >= MIN_TOKEN and w not in INNODB_STOPWORDS]
	return indexed, [w for w in words if w not in indexed]


def table_rows() -> int:
	rows = frappe.cache.get_value("tg_tickets:ticket_rows")
	if rows is None:
		rows = frappe.db.sql(
			"select table_rows from information_schema.tables where table_schema = database() and table_name = 'tabTicket'"
		)[0][0] or 0
		frappe.cache.set_value("tg_tickets:ticket_rows", int(rows), expires_in_sec=DENSITY_CACHE_SECONDS)
	return int(rows)


@dataclass(frozen=True)
class Probe:
	"""Matches among the newest `rows` tickets: of all the words together and of each word alone."""

	rows: int
	together: int
	per_word: dict[str, int]


@dataclass(frozen=True)
class Plan:
	walk: bool
	fulltext_word: str | None = None  # the word looked up in the FULLTEXT index when not walking


def choose_plan(indexed: list[str], probe: Probe, total_rows: int) -> Plan:
	"""The cheaper of walking the newest rows and looking up the rarest indexed word in FULLTEXT.

	Walking reads PAGE / density(all words together) rows; FULLTEXT visits every ticket holding its word,
	so it looks up only the rarest word and tests the others on those tickets. A count of 0 in the probe
	is taken as half a match: the density is below 1/rows, not zero."""
	if not indexed:
		return Plan(walk=True)
	if probe.together >= PAGE or probe.rows == 0:
		return Plan(walk=True)  # the probe itself filled a page (or the table is empty)
	rows = max(probe.rows, 1)
	rarest = min(indexed, key=lambda word: probe.per_word.get(word, 0))
	together = max(probe.together, 0.5) / rows
	alone = max(probe.per_word.get(rarest, 0), 0.5) / rows
	walk_cost = min(PAGE / together, total_rows) * WALK_COST_PER_ROW
	fulltext_cost = alone * total_rows * FULLTEXT_COST_PER_MATCH
	return Plan(walk=True) if walk_cost < fulltext_cost else Plan(walk=False, fulltext_word=rarest)


def probe_newest(words: list[str]) -> Probe:
	"""One pass over the newest rows counts each word's matches and their joint matches (LIKE: a cheap
	superset of the word match, good enough for an estimate); cached briefly per set of words."""
	key = "tg_tickets:search_probe:" + " ".join(sorted(set(words)))
	cached = frappe.cache.get_value(key)
	if cached:
		return Probe(cached["rows"], cached["together"], cached["per_word"])
	each = [like_condition(word) for word in words]
	counts = frappe.db.sql(
		f"""select count(*), coalesce(sum({" and ".join(each)}), 0), {", ".join(f"coalesce(sum({c}), 0)" for c in each)}
		from (select title, description from `tabTicket` force index (creation_idx)
			order by creation desc limit {PROBE_ROWS}) as `tabTicket`"""
	)[0]
	probe = Probe(int(counts[0]), int(counts[1]), {word: int(n) for word, n in zip(words, counts[2:])})
	frappe.cache.set_value(
		key, {"rows": probe.rows, "together": probe.together, "per_word": probe.per_word},
		expires_in_sec=DENSITY_CACHE_SECONDS,
	)
	return probe


def search_condition(text: str, for_count: bool = False) -> str | None:
	"""A SQL condition on `tabTicket` for the search text, or None when it has no words."""
	words = list(dict.fromkeys(words_of(text)))
	if not words:
		return None
	indexed, unindexed = split_words(words)
	if not indexed:
		return regexp_condition(words)
	if for_count:
		# An unbounded count visits every match anyway; FULLTEXT intersects all indexed words fastest.
		condition = fulltext_condition(indexed)
		return condition + (" and " + regexp_condition(unindexed) if unindexed else "")
	plan = choose_plan(indexed, probe_newest(words), table_rows())
	if plan.walk:
		return regexp_condition(words)
	others = [word for word in words if word != plan.fulltext_word]
	condition = fulltext_condition([plan.fulltext_word])
	return condition + (" and " + regexp_condition(others) if others else "")
