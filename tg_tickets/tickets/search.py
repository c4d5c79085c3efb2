"""Text search over ticket title and description that stays fast at a million tickets.

Both ways of matching mean the same thing: every word of the query starts a word of the title or the
description (case-insensitive). Which way runs depends on how common the words are:
- the FULLTEXT index (`MATCH ... AGAINST`, boolean mode) costs ~10 µs per ticket holding the word it looks
  up: ideal for rare words, hopeless for a word in 20 % of a million tickets (over a second);
- walking the newest tickets and testing each one stops once the page is full: ideal for common words,
  hopeless for rare ones — and for common words that rarely occur together ("printer badger").
One pass over the newest rows counts each word's matches and their joint matches; the cost model then picks
walking, or looking up the rarest word (in the word table below for newest-first pages, else in FULLTEXT)
with the other words tested on its matches. Probes are cached briefly per set of words.

The walk reads the search table `tg_ticket_search_text`, one narrow row per ticket (lower-cased title and
description, binary collation) clustered by (creation, ticket): the newest rows sit next to each other and a
binary LIKE is a plain byte search, so a walk costs <1 µs per ticket instead of ~7 µs for a primary-key
lookup of every row of `tabTicket` (whose keys are random codes). The Ticket controller keeps it current;
it is created and backfilled on migrate and dropped on uninstall. Ticket creation times never change, which
the table's order relies on.

Newest-first pages whose words are too rare to walk read the word table `tg_ticket_search_word` instead of
FULLTEXT: one row per distinct word (MIN_TOKEN characters or more) of a ticket's body, clustered by (word,
creation, ticket) and carrying the ticket's word heads (HEAD below). The rarest query word's rows are one range
read (~0.5 µs a row at 1M, loaded); the heads drop, on the row itself, most tickets lacking another query word;
the rest are tested on their search-table row by primary key (~10 µs each loaded, about a FULLTEXT match).
FULLTEXT costs ~10 µs per ticket holding its word whatever table it indexes (measured at 1M: the same on
`tabTicket` and on a FULLTEXT copy of the narrow search table: InnoDB's per-document lookups are the cost), and
intersecting two words in FULLTEXT decodes the common word's whole list (~200 ms for "printer badger").
The word table only proposes candidates: the search-table test decides, so the meaning stays the one above.
Both tables are kept by the Ticket controller, and by tickets/purge.py for deleted and anonymised tickets.
"""

import re
import zlib
from dataclasses import dataclass

import frappe

FULLTEXT_INDEX = "ticket_text_ft"
SEARCH_TABLE = "tg_ticket_search_text"
WORD_TABLE = "tg_ticket_search_word"
WORD_PREFIX = 32  # characters of a word the word table keeps; longer query words look up their first 32
WORD_FORMS = 20  # words starting with the looked-up word that are each read in order (see _word_table_matches)
# Each word-table row carries its ticket's word heads: bit crc32(first HEAD characters) mod 64 set for every word
# of the ticket. A ticket holding a word that starts with a query word has that word's bit set, so the rows of
# the rarest word are tested for the other words on the row itself, and only the few that pass (all real
# matches and ~20 % of the others for a ticket of ~12 words) are tested on the search table by primary key.
HEAD = 3  # MIN_TOKEN: every word the FULLTEXT index knows has a whole head
# InnoDB ignores shorter tokens and these stopwords; such words are matched by REGEXP only.
MIN_TOKEN = 3
INNODB_STOPWORDS = set(
	"a about an are as at be by com de en for from how i in is it la of on or that the this to was what "
	"when where who will with und www".split()
)
PROBE_ROWS = 2000  # newest rows the density probe may read
PAGE = 20
# Measured at 1M tickets (benchmarks/ticket_list.py), µs: reading and testing one row of the search table
# (newest first) ~0.7; one row of `tabTicket` through an index (the walk for other sort orders) ~7;
# FULLTEXT ~10 per matching ticket of the word it looks up.
SEARCH_TABLE_COST_PER_ROW = 1
# A walk driven by a filter's index reads an index entry and the search table's row by primary key: ~1.4 times
# a plain search-table row (measured side by side at 1M: 3,928 rows in 34 ms against 24,000 in 144 ms, loaded).
DRIVEN_WALK_COST_PER_ROW = 1.5
TICKET_ROW_COST = 7
FULLTEXT_COST_PER_MATCH = 10
# The word table (measured at 1M, loaded, in CPU µs): a row of a word read in key order ~0.5; a look-up of a
# search-table row by primary key (or of a filter's index entry) ~10. A ticket lacking a query word still has its
# head bit set by another word of the same head in ~20 % of tickets (12 words a ticket, 64 bits: 1 - (63/64)^12).
WORD_READ_COST = 0.5
WORD_CHECK_COST = 10
HEADS_PASS_SHARE = 0.2
DENSITY_CACHE_SECONDS = 300
# A walk of the search table takes more matches while other filters leave the page short (sized by the
# share of matches they kept so far, with this margin), up to WALK_BUDGET_ROWS matches; past that the
# FULLTEXT or `tabTicket` condition answers.
WALK_MARGIN = 1.25
WALK_BUDGET_ROWS = 2_000


def ensure_fulltext_index() -> None:
	exists = frappe.db.sql("show index from `tabTicket` where Key_name = %s", (FULLTEXT_INDEX,))
	if not exists:
		frappe.db.sql_ddl(f"alter table `tabTicket` add fulltext index `{FULLTEXT_INDEX}` (title, description)")


def ensure_search_table() -> None:
	"""Creates the search and word tables and fills each when it is empty while tickets exist (a site that had
	tickets before the table was introduced, or whose table was lost)."""
	frappe.db.sql_ddl(
		f"""create table if not exists `{SEARCH_TABLE}` (
			creation datetime(6) not null,
			ticket varchar(140) not null,
			body longtext collate utf8mb4_bin,
			primary key (creation, ticket),
			unique key ticket (ticket)
		) engine=InnoDB row_format=dynamic default charset=utf8mb4 collate=utf8mb4_unicode_ci"""
	)
	# The ticket key makes a ticket's words go with it (edits, deletion, erasure) whatever they were.
	frappe.db.sql_ddl(
		f"""create table if not exists `{WORD_TABLE}` (
			word varchar({WORD_PREFIX}) collate utf8mb4_bin not null,
			creation datetime(6) not null,
			ticket varchar(140) not null,
			heads bigint unsigned not null,
			primary key (word, creation, ticket),
			key ticket (ticket)
		) engine=InnoDB row_format=dynamic default charset=utf8mb4 collate=utf8mb4_unicode_ci"""
	)
	if frappe.db.sql("select 1 from `tabTicket` limit 1") and not frappe.db.sql(f"select 1 from `{SEARCH_TABLE}` limit 1"):
		backfill_search_table()
	if frappe.db.sql(f"select 1 from `{SEARCH_TABLE}` limit 1") and not frappe.db.sql(f"select 1 from `{WORD_TABLE}` limit 1"):
		_index_words("1 = 1")


def backfill_search_table() -> None:
	frappe.db.sql(
		f"""insert ignore into `{SEARCH_TABLE}` (creation, ticket, body)
		select creation, name, {_body_sql('title', 'description')} from `tabTicket`"""
	)
	_index_words("1 = 1")


def drop_search_table() -> None:
	frappe.db.sql_ddl(f"drop table if exists `{SEARCH_TABLE}`")
	frappe.db.sql_ddl(f"drop table if exists `{WORD_TABLE}`")


def _index_words(where: str) -> None:
	"""The word table's rows for the search-table rows matching `where` (on alias s): each distinct word of the
	body of MIN_TOKEN characters or more (stopwords too: "whe" starts "where"), cut to WORD_PREFIX, with the
	heads of all of them. A word is a run of letters, digits and underscores, as \\w in words_of and REGEXP's
	\\b (both Unicode-aware)."""
	frappe.db.sql(
		f"""insert ignore into `{WORD_TABLE}` (word, creation, ticket, heads)
		select left(t.word, {WORD_PREFIX}), t.creation, t.ticket,
			bit_or(1 << (crc32(left(t.word, {HEAD})) % 64)) over (partition by t.ticket)
		from (select s.creation, s.ticket, w.word from `{SEARCH_TABLE}` s,
			json_table(concat('["', regexp_replace(s.body, '[^[:alnum:]_]+', '","'), '"]'),
				'$[*]' columns (word varchar(4000) path '$')) w
			where {where} and char_length(w.word) >= {MIN_TOKEN}) t"""
	)


def heads_mask(words: list[str]) -> int:
	"""The head bits a ticket holding words that start with each of `words` has set (words shorter than a head
	set none: they are tested on the search table only)."""
	mask = 0
	for word in words:
		if len(word) >= HEAD:
			mask |= 1 << (zlib.crc32(word[:HEAD].encode()) % 64)
	return mask


def forget_words(names: list[str]) -> None:
	"""Removes the tickets' rows of the word table."""
	if names:
		frappe.db.sql(f"delete from `{WORD_TABLE}` where ticket in %s", (tuple(names),))


def reindex_words(names: list[str]) -> None:
	"""The tickets' word-table rows rebuilt from their search-table rows (after their body was rewritten)."""
	if not names:
		return
	forget_words(names)
	_index_words(f"s.ticket in ({', '.join(frappe.db.escape(name) for name in names)})")


def _body_sql(title: str, description: str) -> str:
	return f"lower(concat_ws('\\n', {title}, {description}))"


def index_ticket(doc) -> None:
	"""Keeps the ticket's row of the search table current (from the controller, in its transaction)."""
	before = doc.get_doc_before_save()
	if before and before.title == doc.title and before.description == doc.description:
		return
	frappe.db.sql(
		f"""insert into `{SEARCH_TABLE}` (creation, ticket, body) values (%s, %s, {_body_sql('%s', '%s')})
		on duplicate key update body = values(body)""",
		(doc.creation, doc.name, doc.title, doc.description),
	)
	reindex_words([doc.name])


def move_ticket_in_time(name: str, creation) -> None:
	"""The ticket's rows follow a creation time rewritten in SQL (demo data): walks read the tables in
	creation order and join them to `tabTicket` on (creation, ticket)."""
	frappe.db.sql(f"update `{SEARCH_TABLE}` set creation = %s where ticket = %s", (creation, name))
	frappe.db.sql(f"update `{WORD_TABLE}` set creation = %s where ticket = %s", (creation, name))


def unindex_ticket(name: str) -> None:
	frappe.db.sql(f"delete from `{SEARCH_TABLE}` where ticket = %s", (name,))
	forget_words([name])


def words_of(text: str) -> list[str]:
	return [w.lower() for w in re.findall(r"\w+", text or "", flags=re.UNICODE)][:8]


def _regexp(word: str) -> str:
	# \b keeps "voice" from matching "invoice", as FULLTEXT would.
	return frappe.db.escape("\\b" + re.escape(word))


def _like(word: str) -> str:
	literal = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
	return frappe.db.escape(f"%{literal}%", percent=False)


def _starts_like(word: str) -> str:
	"""LIKE pattern for the word table's words that start with `word` (cut to WORD_PREFIX): a range read."""
	literal = word[:WORD_PREFIX].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
	return frappe.db.escape(f"{literal}%", percent=False)


def like_condition(word: str) -> str:
	return f"(`tabTicket`.title like {_like(word)} or `tabTicket`.description like {_like(word)})"


def regexp_condition(words: list[str]) -> str:
	# LIKE first: a cheap superset test, so the costlier REGEXP runs only on candidate rows.
	return " and ".join(
		f"({like_condition(w)} and (`tabTicket`.title regexp {_regexp(w)} or `tabTicket`.description regexp {_regexp(w)}))"
		for w in words
	)


def body_condition(words: list[str], body: str = "body") -> str:
	"""The same match on the search table's lower-cased body (binary: LIKE is a byte search)."""
	return " and ".join(f"({body} like {_like(w)} and {body} regexp {_regexp(w)})" for w in words)


def fulltext_condition(words: list[str]) -> str:
	query = " ".join(f"+{w}*" for w in words)
	return f"match(`tabTicket`.title, `tabTicket`.description) against ({frappe.db.escape(query)} in boolean mode)"


def split_words(words: list[str]) -> tuple[list[str], list[str]]:
	"""(words the FULLTEXT index knows, words only REGEXP can find)."""
	indexed = [w for w in words if len(w) >= MIN_TOKEN and w not in INNODB_STOPWORDS]
	return indexed, [w for w in words if w not in indexed]


def table_rows() -> int:
	# expires=True: an entry with a lifetime is read from Redis each time, never memoised in the process.
	rows = frappe.cache.get_value("tg_tickets:ticket_rows", expires=True)
	if rows is None:
		rows = frappe.db.sql(
			"select table_rows from information_schema.tables where table_schema = database() and table_name = 'tabTicket'"
		)[0][0] or 0
		frappe.cache.set_value("tg_tickets:ticket_rows", int(rows), expires_in_sec=DENSITY_CACHE_SECONDS)
	return int(rows)


# Equality filters whose index on `tabTicket` (see tickets/indexes.py) ends in creation, so the tickets holding
# the values are read newest first straight off it; the first whose columns the filters all fix drives a walk.
DRIVING_INDEXES = (
	(("assigned_to", "status"), "assignee_status_creation_idx"),
	(("status",), "status_creation_idx"),
	(("assigned_to",), "assignee_creation_idx"),
)


def driving_index(equal: dict) -> tuple[str, tuple[str, ...]] | None:
	"""(index, its leading columns) that drives a walk for the list's equality filters (column → value), or
	None. Empty values never drive one: Frappe reads `= ''` as "NULL or ''", which is two ranges."""
	fixed = {column for column, value in equal.items() if value not in (None, "")}
	for columns, index in DRIVING_INDEXES:
		if fixed.issuperset(columns):
			return index, columns
	return None


def filter_share(index: str, columns: int) -> float:
	"""The share of tickets one set of values of the index's first `columns` columns holds, from the index's
	cardinality (1 / distinct values; 1 when unknown); cached like the row count."""
	key = f"tg_tickets:filter_share:{index}:{columns}"
	share = frappe.cache.get_value(key, expires=True)
	if share is None:
		cardinality = [row[6] for row in frappe.db.sql("show index from `tabTicket` where Key_name = %s", (index,)) if row[3] == columns]
		share = 1 / cardinality[0] if cardinality and cardinality[0] else 1.0
		frappe.cache.set_value(key, share, expires_in_sec=DENSITY_CACHE_SECONDS)
	return float(share)


def walk_cost_per_row(newest_first: bool, driven: bool) -> float:
	"""µs per ticket a walk reads: the search table's rows newest first, through a driving index when the list's
	filters have one, else `tabTicket`'s rows in the list's order."""
	if not newest_first:
		return TICKET_ROW_COST
	return DRIVEN_WALK_COST_PER_ROW if driven else SEARCH_TABLE_COST_PER_ROW


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
	word_table_word: str | None = None  # newest-first pages: the word whose word-table rows give the candidates


def word_table_cost(share: float, alone_rows: float, filter_share: float = 1.0) -> float:
	"""Cost of a newest-first page from the rarest word's rows in the word table, read newest first until PAGE of
	them hold every word (`share` of them do) and pass the list's driving filter (`filter_share`), or all of
	them. Each row read costs WORD_READ_COST; those whose heads pass (the matches, and HEADS_PASS_SHARE of the
	others) a look-up (the filter's index entry, then the search-table row)."""
	read = min(alone_rows, PAGE / (share * filter_share))
	checked = read * (share + HEADS_PASS_SHARE * (1 - share))
	return read * WORD_READ_COST + checked * WORD_CHECK_COST


def choose_plan(
	indexed: list[str], probe: Probe, total_rows: int, walk_cost_per_row: float = SEARCH_TABLE_COST_PER_ROW,
	word_table: bool = False, filter_share: float = 1.0,
) -> Plan:
	"""The cheaper of walking the newest rows and looking up the rarest indexed word: in the word table for a
	newest-first page (`word_table`; `filter_share`: the share of tickets the list's driving filter keeps),
	else in the FULLTEXT index.

	Walking reads PAGE / density(all words together) rows, at `walk_cost_per_row` (the search table's when
	the list is newest first, `tabTicket`'s for other orders); a FULLTEXT look-up visits every ticket holding
	its word, the word table its newest ones until the page is full (word_table_cost); either looks up only the
	rarest word and tests the others on its tickets. A count of 0 in the probe is taken as half a match: the
	density is below 1/rows, not zero."""
	if not indexed:
		return Plan(walk=True)
	if probe.together >= PAGE or probe.rows == 0:
		return Plan(walk=True)  # the probe itself filled a page (or the table is empty)
	rows = max(probe.rows, 1)
	rarest = min(indexed, key=lambda word: probe.per_word.get(word, 0))
	together = max(probe.together, 0.5) / rows
	alone = max(probe.per_word.get(rarest, 0), 0.5) / rows
	walk_cost = min(PAGE / together, total_rows) * walk_cost_per_row
	if word_table:
		lookup_cost = word_table_cost(min(together / alone, 1), alone * total_rows, filter_share)
	else:
		lookup_cost = alone * total_rows * FULLTEXT_COST_PER_MATCH
	if walk_cost < lookup_cost:
		return Plan(walk=True)
	return Plan(walk=False, word_table_word=rarest) if word_table else Plan(walk=False, fulltext_word=rarest)


def probe_key(words: list[str]) -> str:
	return "tg_tickets:search_probe:" + " ".join(sorted(set(words)))


def probe_newest(words: list[str]) -> Probe:
	"""One pass over the newest rows of the search table counts each word's matches and their joint
	matches (LIKE: a cheap superset of the word match, good enough for an estimate); kept in Frappe's
	cache for DENSITY_CACHE_SECONDS per set of words, shared by every process of the site. (Not
	frappe.utils.caching.redis_cache: in Frappe 15 it keys entries by Python's hash() of the arguments,
	which differs between processes for strings, so each web worker would probe for itself.)"""
	key = probe_key(words)
	# expires=True: an entry with a lifetime is read from Redis each time, never memoised in the process.
	probe = frappe.cache.get_value(key, expires=True)
	if probe is None:
		probe = _probe(words)
		frappe.cache.set_value(key, probe, expires_in_sec=DENSITY_CACHE_SECONDS)
	return probe


def _probe(words: list[str]) -> Probe:
	each = [f"body like {_like(word)}" for word in words]
	counts = frappe.db.sql(
		f"""select count(*), coalesce(sum({" and ".join(each)}), 0), {", ".join(f"coalesce(sum({c}), 0)" for c in each)}
		from (select body from `{SEARCH_TABLE}` order by creation desc limit {PROBE_ROWS}) as newest"""
	)[0]
	return Probe(int(counts[0]), int(counts[1]), {word: int(n) for word, n in zip(words, counts[2:])})


class Search:
	"""A parsed search text and the way to answer it.

	`condition()` is a SQL condition on `tabTicket` for any query (counts, any sort order).
	For newest-first pages, `finds_newest_matches` says `newest_matches(n)` answers with the n newest matching
	tickets: by walking the search table (`walks_search_table`) or from the rarest word's rows in the word
	table (`plan.word_table_word`)."""

	def __init__(self, text: str, for_count: bool = False, newest_first: bool = False, equal: dict | None = None):
		"""`equal`: the list's equality filters on Ticket (column → value); one that has a driving index makes a
		newest-first walk read only the tickets holding its value."""
		self.words = list(dict.fromkeys(words_of(text)))
		self.indexed, self.unindexed = split_words(self.words)
		self.for_count = for_count
		self.equal = equal or {}
		self.plan = None
		newest_page = newest_first and not for_count
		if self.words and self.indexed and not for_count:
			driving = driving_index(self.equal)
			cost = walk_cost_per_row(newest_first, driving is not None)
			share = filter_share(driving[0], len(driving[1])) if driving and newest_page else 1.0
			self.plan = choose_plan(
				self.indexed, probe_newest(self.words), table_rows(), cost, word_table=newest_page, filter_share=share
			)
		self.walks_search_table = newest_page and (self.plan is None or self.plan.walk)
		self.finds_newest_matches = self.walks_search_table or bool(newest_page and self.plan.word_table_word)

	def __bool__(self) -> bool:
		return bool(self.words)

	def condition(self) -> str:
		if not self.indexed:
			return regexp_condition(self.words)
		if self.for_count:
			# An unbounded count visits every match anyway; FULLTEXT intersects all indexed words fastest.
			condition = fulltext_condition(self.indexed)
			return condition + (" and " + regexp_condition(self.unindexed) if self.unindexed else "")
		if self.plan.walk:
			return regexp_condition(self.words)
		# A newest-first page past its walk budget (tickets/reportview) looks its word up in FULLTEXT too.
		word = self.plan.fulltext_word or self.plan.word_table_word
		others = [other for other in self.words if other != word]
		condition = fulltext_condition([word])
		return condition + (" and " + regexp_condition(others) if others else "")

	def newest_matches(self, limit: int, older_than: tuple | None = None) -> list[tuple]:
		"""(creation, ticket) of the `limit` newest matching tickets; with `older_than` (the last of an
		earlier batch) the walk goes on where that batch ended instead of reading its rows again. When the
		list's equality filters have a driving index, only the tickets holding their values are read: that
		index on `tabTicket` drives the walk newest first, each ticket's body read from the search table by
		its primary key (the rows the filter drops are never read). With a word-table plan, the candidates are
		the tickets holding a word that starts with the rarest query word, each tested on its search-table row."""
		if self.plan and self.plan.word_table_word:
			return self._word_table_matches(limit, older_than)
		equal = self.equal
		driving = driving_index(equal)
		if not driving:
			return self._walk(f"`{SEARCH_TABLE}` s", "1 = 1", "s.creation", "s.ticket", limit, older_than)
		index, columns = driving
		tests = " and ".join(f"t.`{column}` = {frappe.db.escape(str(equal[column]))}" for column in columns)
		return self._walk(
			f"`tabTicket` t force index (`{index}`) straight_join `{SEARCH_TABLE}` s on s.creation = t.creation and s.ticket = t.name",
			tests, "t.creation", "t.name", limit, older_than,
		)

	def _word_table_matches(self, limit: int, older_than: tuple | None) -> list[tuple]:
		"""The newest matches among the tickets holding a word that starts with the plan's word. Each such word's
		rows are read newest first straight off the word table's key (one part of a UNION per word), stopping once
		`limit` of them passed; a single range over all the words would sort every row of the word first (~2 µs
		a row: 10 ms for a word in 0.5 % of a million tickets, against 0.5 ms read in order). More than
		WORD_FORMS words starting with it are read as that one sorted range. A list filter with a driving index
		is tested on that index's entry of each ticket whose heads pass, before its body is read."""
		start = _starts_like(self.plan.word_table_word)
		forms = _word_forms(start)
		if not forms:
			return []
		mask = heads_mask(self.words)
		tests = f"(w.heads & {mask}) = {mask}"
		tables = f"`{WORD_TABLE}` w"
		driving = driving_index(self.equal)
		if driving:
			# the list's filter tested on its index entry (creation and name are in it) before the body is read
			index, columns = driving
			tables += f" straight_join `tabTicket` t force index (`{index}`) on t.creation = w.creation and t.name = w.ticket"
			tests += "".join(f" and t.`{column}` = {frappe.db.escape(str(self.equal[column]))}" for column in columns)
		tables += f" straight_join `{SEARCH_TABLE}` s on s.creation = w.creation and s.ticket = w.ticket"
		if len(forms) > WORD_FORMS:
			return frappe.db.sql(self._walk_sql(tables, f"w.word like {start} and {tests}", "w.creation", "w.ticket", limit, older_than))
		parts = [
			self._walk_sql(tables, f"w.word = {frappe.db.escape(form)} and {tests}", "w.creation", "w.ticket", limit, older_than)
			for form in forms
		]
		if len(parts) == 1:
			return frappe.db.sql(parts[0])
		union = " union all ".join(f"({part})" for part in parts)
		return frappe.db.sql(f"select creation, ticket from ({union}) found order by creation desc, ticket desc limit {int(limit)}")

	def _walk(self, tables: str, where: str, creation: str, ticket: str, limit: int, older_than: tuple | None) -> list[tuple]:
		return frappe.db.sql(self._walk_sql(tables, where, creation, ticket, limit, older_than))

	def _walk_sql(self, tables: str, where: str, creation: str, ticket: str, limit: int, older_than: tuple | None) -> str:
		after = ""
		if older_than:
			at, name = (frappe.db.escape(str(value)) for value in older_than)
			after = f"and ({creation} < {at} or ({creation} = {at} and {ticket} < {name}))"
		# No query parameters: the LIKE patterns hold literal % signs.
		return f"""select {creation} as creation, {ticket} as ticket from {tables}
			where {where} and {body_condition(self.words, 's.body')} {after}
			order by {creation} desc, {ticket} desc limit {int(limit)}"""


def _word_forms(start: str) -> list[str]:
	"""The word table's words matching the LIKE pattern `start` (up to WORD_FORMS + 1), one index seek each
	(MariaDB reads every row of the range for a `select distinct`: 200,000 for "pri")."""
	forms = []
	while len(forms) <= WORD_FORMS:
		after = f"and word > {frappe.db.escape(forms[-1])}" if forms else ""
		# frappe.db.sql, not sql_list: no query parameters, the pattern holds a literal % sign
		found = frappe.db.sql(f"select word from `{WORD_TABLE}` where word like {start} {after} order by word limit 1")
		if not found:
			break
		forms.append(found[0][0])
	return forms


def search_condition(text: str, for_count: bool = False) -> str | None:
	"""A SQL condition on `tabTicket` for the search text, or None when it has no words."""
	search = Search(text, for_count=for_count)
	return search.condition() if search else None
