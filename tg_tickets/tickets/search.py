"""Text search over ticket title and description that stays fast at a million tickets.

Both ways of matching mean the same thing: every word of the query starts a word of the title or the
description (case-insensitive). Which way runs depends on how common the words are:
- rare words: the FULLTEXT index (`MATCH ... AGAINST` in boolean mode) finds the few matches directly;
- common words: FULLTEXT would rank hundreds of thousands of rows before sorting, so we walk the
  newest-first index with a word-boundary REGEXP and stop at the page: dense matches are met early.
A bounded probe (MariaDB's `LIMIT ... ROWS EXAMINED`) over the newest rows tells the two apart.
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
PROBE_ROWS = 20000  # newest rows the density probe may read
DENSE_MATCHES = 40  # ≥ this many matches among them ⇒ common words: walk the index instead
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


def is_common(words: list[str]) -> bool:
	"""Whether the words match densely among the newest tickets (cached briefly per query)."""
	key = "tg_tickets:search_density:" + " ".join(words)
	cached = frappe.cache.get_value(key)
	if cached is not None:
		return bool(int(cached))
	# LIKE on the rarest-looking (longest) word estimates density well enough and costs ~0.3 µs a row.
	probe_word = max(words, key=len)
	found = frappe.db.sql(
		f"""select 1 from `tabTicket` force index (creation_idx) where {like_condition(probe_word)}
		order by creation desc limit {DENSE_MATCHES} rows examined {PROBE_ROWS}"""
	)
	common = len(found) >= DENSE_MATCHES
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
	# Counting must visit every match anyway, and FULLTEXT does that fastest.
	if not for_count and is_common(words):
		return regexp_condition(words)
	condition = fulltext_condition(indexed)
	if unindexed:
		condition += " and " + regexp_condition(unindexed)
	return condition
