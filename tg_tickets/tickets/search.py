"""Text search over ticket title and description that stays fast at a million tickets.

Both ways of matching mean the same thing: every word of the query starts a word of the title or the
description (case-insensitive). Which way runs depends on how common the words are:
- the FULLTEXT index (`MATCH ... AGAINST`, boolean mode) costs ~20 µs per matching ticket: ideal for rare
  words, hopeless for a word in 20 % of a million tickets (seconds);
- walking the newest-first index and testing each row (LIKE, then a word-boundary REGEXP) costs ~8 µs per
  row and stops once the page is full: ideal for common words, hopeless for rare ones.
A bounded probe over the newest rows (MariaDB's `LIMIT ... ROWS EXAMINED`) estimates the density and the
cheaper plan is chosen; the choice is cached briefly per query.
"""

import re

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
WALK_COST_PER_ROW = 8  # µs, measured at 1M tickets (benchmarks/ticket_list.py)
FULLTEXT_COST_PER_MATCH = 20  # µs, likewise
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


def walk_is_cheaper(matches_in_probe: int, total_rows: int) -> bool:
	"""Cost model: walking needs PAGE/density rows, FULLTEXT visits density·total matches."""
	if matches_in_probe >= PAGE:
		return True  # the probe itself already filled a page within PROBE_ROWS rows
	if matches_in_probe == 0:
		return False
	density = matches_in_probe / PROBE_ROWS
	return (PAGE / density) * WALK_COST_PER_ROW < density * total_rows * FULLTEXT_COST_PER_MATCH


def is_common(words: list[str]) -> bool:
	"""Whether walking the newest rows beats the FULLTEXT index for these words (cached briefly)."""
	key = "tg_tickets:search_density:" + " ".join(words)
	cached = frappe.cache.get_value(key)
	if cached is not None:
		return bool(int(cached))
	# LIKE on the longest (likely rarest) word estimates density well enough, cheaply.
	probe_word = max(words, key=len)
	found = frappe.db.sql(
		f"""select 1 from `tabTicket` force index (creation_idx) where {like_condition(probe_word)}
		order by creation desc limit {PAGE} rows examined {PROBE_ROWS}"""
	)
	common = walk_is_cheaper(len(found), table_rows())
	frappe.cache.set_value(key, int(common), expires_in_sec=DENSITY_CACHE_SECONDS)
	return common


def search_condition(text: str, for_count: bool = False) -> str | None:
	"""A SQL condition on `tabTicket` for the search text, or None when it has no words."""
	words = words_of(text)
	if not words:
		return None
	indexed, unindexed = split_words(words)
	if not indexed:
		return regexp_condition(words)
	# An unbounded count visits every match anyway, and FULLTEXT does that fastest.
	if not for_count and is_common(words):
		return regexp_condition(words)
	condition = fulltext_condition(indexed)
	if unindexed:
		condition += " and " + regexp_condition(unindexed)
	return condition
