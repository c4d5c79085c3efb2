"""Day summaries of Ticket Metrics: what the Ticket Analytics report reads instead of a period's rows.

At a million tickets, reading a year of rows costs seconds (scripts/benchmark analytics: 41.9 s for the 12-month
weekly trend read from covering indexes with MariaDB's PERCENTILE_DISC, 2 s to count its 500,000 index entries),
so each day keeps one part (tg_tickets.analytics.partials) per kind of figure — created, resolved, closed, still
open — for all tickets and for each value of each dimension (agent, team, category, priority, chat type), in the
table `tg_ticket_metrics_day`. A period's figures are the merge of its days' parts: exact, not estimated (the
sorted values of the percentiles are kept whole).

Fresh without locks on the hot path: a change to a Ticket Metrics row counts the days it touches (old and new
dates) in a Redis hash of counters, once at once and once after its commit. A built day records the counter it
was built for; a day whose counter has moved since is "stale" and the report reads that day's rows instead (today
is usually stale: a few hundred rows). A deduplicated job rebuilds stale days from a snapshot taken after reading
the counters, so a change committed later is always counted after it. A lost Redis (no epoch) makes every day
stale: the report reads rows until the rebuild job has built all days again. A nightly rebuild of every day is the
net under a process that died between its commit and its second count.

Filters the day parts cannot answer (two dimensions at once, or one and a grouping by another) read the period's
rows and merge them the same way. Never commits, but in the rebuild job.
"""

from __future__ import annotations

import json
from array import array
from datetime import date, datetime, timedelta

import frappe
from frappe.utils import getdate

from tg_tickets.analytics import partials as p

TABLE = "tg_ticket_metrics_day"
STATE_TABLE = "tg_ticket_metrics_day_state"
MARKS = "tg_tickets:metrics_day_marks"  # hash "kind|day" → counter
EPOCH = "tg_tickets:metrics_day_epoch"  # the summaries' generation; missing: none can be trusted
COMPLETE = "tg_tickets:metrics_day_complete"  # the epoch whose every day is built
JOB_ID = "tg-tickets-metrics-days"
EPOCH_START = datetime(1970, 1, 1)
COMMIT_EVERY = 50  # days rebuilt per commit


def ensure_tables() -> None:
	# values_a / values_b: a part's sorted values (VALUE_COLUMNS) as float64 in the machine's byte order (little-endian
	# on x86-64 and ARM64); rebuilt from the rows at will, so a host of another kind only needs a rebuild.
	frappe.db.sql_ddl(
		f"""create table if not exists `{TABLE}` (
			kind varchar(10) not null,
			dimension varchar(20) not null,
			day date not null,
			value varchar(140) not null,
			figures text not null,
			values_a longblob,
			values_b longblob,
			primary key (kind, dimension, day, value),
			key kind_day (kind, day),
			key kind_dimension_value (kind, dimension, value, day)
		) engine=InnoDB row_format=dynamic default charset=utf8mb4 collate=utf8mb4_unicode_ci"""
	)
	frappe.db.sql_ddl(
		f"""create table if not exists `{STATE_TABLE}` (
			kind varchar(10) not null,
			day date not null,
			epoch varchar(32) not null,
			version bigint not null,
			primary key (kind, day)
		) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_ci"""
	)


def drop_tables() -> None:
	frappe.db.sql_ddl(f"drop table if exists `{TABLE}`")
	frappe.db.sql_ddl(f"drop table if exists `{STATE_TABLE}`")
	frappe.cache.delete(*(frappe.cache.make_key(k) for k in (MARKS, EPOCH, COMPLETE)))


# --- counting changes (tracking.py) --------------------------------------------------------------------------


def days_of(rows) -> set[tuple[str, date]]:
	"""(kind, day) pairs a Ticket Metrics row counts in: its created, resolved and closed days and the day it opened."""
	found = set()
	for row in rows:
		for kind in p.KINDS:
			value = row.get(p.DATE_COLUMN[kind])
			if value:
				found.add((kind, getdate(value)))
	return found


def stored_days(names: list[str]) -> set[tuple[str, date]]:
	"""The days the tickets' current rows count in (read before a change, so the old days are counted too)."""
	if not names:
		return set()
	columns = ", ".join(f"`{p.DATE_COLUMN[k]}`" for k in p.KINDS)
	return days_of(frappe.db.sql(
		f"select {columns} from `tabTicket Metrics` where name in %s", (tuple(names),), as_dict=True))


def count_changes(pairs: set[tuple[str, date]]) -> None:
	"""The days changed: now (a report in this transaction reads them from rows) and after the commit (a rebuild
	that ran in between, from a snapshot without this change, is stale again)."""
	if not pairs:
		return
	fields = sorted(f"{kind}|{day.isoformat()}" for kind, day in pairs)
	_count(fields)
	frappe.db.after_commit.add(lambda: _count(fields))


def _count(fields: list[str]) -> None:
	key = frappe.cache.make_key(MARKS)
	pipe = frappe.cache.pipeline()
	for field in fields:
		pipe.hincrby(key, field, 1)
	pipe.execute()


def _counters() -> dict[tuple[str, date], int]:
	found = {}
	# RedisWrapper.hgetall unpickles values: the counters are plain integers, read with the plain command
	for field, count in frappe.cache.execute_command("HGETALL", frappe.cache.make_key(MARKS)).items():
		kind, day = field.decode().split("|")
		found[(kind, date.fromisoformat(day))] = int(count)
	return found


def _epoch(create: bool = True) -> str | None:
	key = frappe.cache.make_key(EPOCH)
	epoch = frappe.cache.get(key)
	if epoch is None and create:
		frappe.cache.set(key, frappe.generate_hash(length=16), nx=True)
		epoch = frappe.cache.get(key)
	return epoch.decode() if epoch is not None else None


def _complete(epoch: str | None) -> bool:
	done = frappe.cache.get(frappe.cache.make_key(COMPLETE))
	return epoch is not None and done is not None and done.decode() == epoch


# --- reading -------------------------------------------------------------------------------------------------


def naive_seconds(moment) -> float:
	return (moment - EPOCH_START).total_seconds()


def _day_sql(kind: str) -> str:
	return "date(open_since)" if kind == p.OPEN else f"`{p.DATE_COLUMN[kind]}`"


def _filter_sql(filters: dict) -> tuple[list[str], list]:
	clauses, values = [], []
	for dimension, value in sorted(filters.items()):
		clauses.append(f"`{dimension}` = %s")
		values.append(value)
	return clauses, values


def _range_sql(kind: str, start: date | None, end: date | None) -> tuple[list[str], list]:
	if kind == p.OPEN:
		return ["open_since is not null"], []
	return [f"`{p.DATE_COLUMN[kind]}` between %s and %s"], [start, end]


def _days_sql(kind: str, days: list[date]) -> tuple[list[str], list]:
	if kind == p.OPEN:
		ranges = " or ".join(["(open_since >= %s and open_since < %s)"] * len(days))
		return [f"({ranges})"], [v for d in days for v in (d, d + timedelta(days=1))]
	return [f"`{p.DATE_COLUMN[kind]}` in %s"], [tuple(days)]


def row_statement(kind: str, dimension: str, clauses: list[str], values: list) -> tuple[str, list]:
	"""One part per day (and value of `dimension`, when given) of the rows the clauses select."""
	value = f"`{dimension}`" if dimension else "''"
	return (
		f"""select {_day_sql(kind)} as day, {value} as value, {p.aggregate_sql(kind)} from `tabTicket Metrics`
		where {" and ".join(clauses)} group by day, value""",
		values,
	)


def _merge_into(into: dict, group, part: p.Part) -> None:
	mine = into.get(group)
	if mine is None:
		into[group] = part
	else:
		mine.merge(part)


def parts_from_rows(kind: str, dimension: str, result, group_by: str, into: dict) -> None:
	"""row_statement's parts merged into {group: Part} by the report's grouping."""
	for day, value, *aggregate in result:
		part = p.Part.from_aggregate(kind, aggregate)
		_merge_into(into, p.group_key(group_by, day, {dimension: value}), part)


def _prepare_session() -> None:
	# a day's values as text in one GROUP_CONCAT (1 MB by default: ~70,000 values; a day holds far fewer)
	frappe.db.sql("set session group_concat_max_len = 67108864")


def _part_from_stored(kind: str, figures: str, values_a, values_b) -> p.Part:
	stored = json.loads(figures)
	arrays = []
	for blob in (values_a, values_b)[: len(p.VALUE_COLUMNS[kind])]:
		values = array("d")
		if blob:
			values.frombytes(blob)
		arrays.append(values)
	return p.Part(kind, stored["sums"], tuple(arrays), stored.get("oldest"))


def summary_source(filters: dict, grouped: str | None) -> tuple[str, str | None] | None:
	"""Which day summaries serve one report read, as (dimension, value; None for every value), or None when only
	rows can (two filters, or a filter and a grouping by another dimension). `grouped`: the dimension the read
	groups by, None for none (or by week or day)."""
	if not filters:
		return (grouped or "", None)
	if len(filters) == 1:
		[(dimension, value)] = filters.items()
		if grouped in (None, dimension):
			return (dimension, value)
	return None


def read_parts(kind: str, start: date | None, end: date | None, filters: dict, group_by: str,
		statements: list | None = None) -> dict:
	"""{group: finished Part} for one kind of figure over [start, end] (OPEN: every day). `statements` collects the
	(kind, sql, values) run, for the benchmark's plans."""
	grouped = p.dimension_of(group_by) if group_by and group_by not in ("Week", "Day") else None
	summary = summary_source(filters, grouped)
	epoch = _epoch()
	parts: dict = {}
	_prepare_session()

	def run(sql, values):
		if statements is not None:
			statements.append((kind, sql, values))
		return frappe.db.sql(sql, values)

	def from_rows(clauses, values):
		filter_clauses, filter_values = _filter_sql(filters)
		dimension = grouped or ""
		result = run(*row_statement(kind, dimension, clauses + filter_clauses, values + filter_values))
		parts_from_rows(kind, dimension, result, group_by, parts)

	if summary is None or not _complete(epoch):
		if summary is not None:
			rebuild_later()
		from_rows(*_range_sql(kind, start, end))
		return {g: part.finish() for g, part in parts.items()}

	stale = _stale_days(kind, start, end, epoch)
	dimension, value = summary
	clauses, values = ["kind = %s", "dimension = %s"], [kind, dimension]
	if kind != p.OPEN:
		clauses.append("day between %s and %s")
		values += [start, end]
	if value is not None:
		clauses.append("value = %s")
		values.append(value)
	for day, stored_value, figures, values_a, values_b in run(
		f"select day, value, figures, values_a, values_b from `{TABLE}` where {' and '.join(clauses)}", values
	):
		if day not in stale:
			stored = _part_from_stored(kind, figures, values_a, values_b)
			_merge_into(parts, p.group_key(group_by, day, {dimension: stored_value}), stored)
	if stale:
		from_rows(*_days_sql(kind, sorted(stale)))
		rebuild_later()
	return {g: part.finish() for g, part in parts.items()}


def _stale_days(kind: str, start: date | None, end: date | None, epoch: str) -> set[date]:
	"""Days of the range whose summary does not hold their latest change: counted since it was built, or counted
	and never built. A day neither built nor counted has no rows (the epoch's full build covered every day)."""
	counters = {day: count for (k, day), count in _counters().items() if k == kind
		and (kind == p.OPEN or start <= day <= end)}
	if not counters:
		return set()
	built = {
		day: (built_epoch, version)
		for day, built_epoch, version in frappe.db.sql(
			f"select day, epoch, version from `{STATE_TABLE}` where kind = %s and day in %s",
			(kind, tuple(counters)),
		)
	}
	return {day for day, count in counters.items() if _is_stale(built.get(day), epoch, count)}


def _is_stale(built: tuple | None, epoch: str, count: int) -> bool:
	"""built: (epoch, version) of the day's summary, None when it was never built."""
	return built is None or built[0] != epoch or built[1] < count


# --- building ------------------------------------------------------------------------------------------------


def build_day(kind: str, day: date, epoch: str, version: int) -> None:
	"""The day's parts (all tickets; each dimension's values) from its rows, replacing what was stored."""
	day_clauses, day_values = _days_sql(kind, [day])
	statements = [row_statement(kind, dimension, day_clauses, day_values) for dimension in ("", *p.DIMENSIONS)]
	records = []
	for dimension, (sql, values) in zip(("", *p.DIMENSIONS), statements):
		for _day, value, *aggregate in frappe.db.sql(sql, values):
			part = p.Part.from_aggregate(kind, aggregate).finish()
			blobs = [v.tobytes() for v in part.values] + [None, None]
			records.append((kind, dimension, day, value or "", json.dumps({"sums": part.sums, "oldest": part.oldest}),
				blobs[0], blobs[1]))
	frappe.db.sql(f"delete from `{TABLE}` where kind = %s and day = %s", (kind, day))
	for start in range(0, len(records), 200):
		chunk = records[start : start + 200]
		frappe.db.sql(
			f"""insert into `{TABLE}` (kind, dimension, day, value, figures, values_a, values_b)
			values {", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))}""",
			[v for record in chunk for v in record],
		)
	frappe.db.sql(
		f"""insert into `{STATE_TABLE}` (kind, day, epoch, version) values (%s, %s, %s, %s)
		on duplicate key update epoch = values(epoch), version = values(version)""",
		(kind, day, epoch, version),
	)


def _all_days(kind: str) -> list[date]:
	column = p.DATE_COLUMN[kind]
	low, high = frappe.db.sql(f"select min(`{column}`), max(`{column}`) from `tabTicket Metrics`")[0]
	if low is None:
		return []
	low, high = getdate(low), getdate(high)
	return [low + timedelta(days=i) for i in range((high - low).days + 1)]


def rebuild(everything: bool = False, commit: bool = True) -> int:
	"""Builds the stale days (every day of every kind when `everything`, or when this epoch was never fully built).
	The counters are read before the snapshot the rows are read from, so a change counted later is stale again.
	Returns the number of days built."""
	epoch = _epoch()
	complete = _complete(epoch)
	counters = _counters()
	_prepare_session()
	if commit:
		frappe.db.rollback()  # a fresh snapshot, begun after the counters were read (a job holds nothing else)
	built = 0
	if everything or not complete:
		todo = {(kind, day) for kind in p.KINDS for day in _all_days(kind)} | set(counters)
	else:
		state = {
			(kind, day): (built_epoch, version)
			for kind, day, built_epoch, version in frappe.db.sql(
				f"select kind, day, epoch, version from `{STATE_TABLE}`")
		}
		todo = [pair for pair, count in counters.items() if _is_stale(state.get(pair), epoch, count)]
	for kind, day in sorted(set(todo)):
		build_day(kind, day, epoch, counters.get((kind, day), 0))
		built += 1
		if commit and built % COMMIT_EVERY == 0:
			frappe.db.commit()  # the rebuild job's progress stays
	if commit:
		frappe.db.commit()
	if everything or not complete:
		frappe.cache.set(frappe.cache.make_key(COMPLETE), epoch)
	return built


def rebuild_later() -> None:
	# not after the commit: a report's request may never commit, and the job reads what is committed anyway
	frappe.enqueue("tg_tickets.analytics.days.rebuild_job", queue="long", job_id=JOB_ID, deduplicate=True)


def rebuild_job() -> None:
	rebuild()


def rebuild_nightly() -> None:
	"""Scheduler (daily_long): every day again, the net under a change whose second count was lost."""
	frappe.enqueue("tg_tickets.analytics.days.rebuild_everything_job", queue="long", job_id=JOB_ID + "-all",
		deduplicate=True)


def rebuild_everything_job() -> None:
	rebuild(everything=True)
