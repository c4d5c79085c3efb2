"""Support figures as mergeable parts: pure (no Frappe), so the day summaries, the reads of raw Ticket Metrics rows
and the unit tests share one definition of every figure of the Ticket Analytics report.

A part holds what one set of tickets contributes to one kind of figure — counts and sums, and the sorted values
the percentiles need — so the figures of a period are the merge of its days' parts (tg_tickets.analytics.days
keeps one part per day, kind and dimension value) and come out equal to a computation over the period's rows:
- created in the period: volume, responded, first response time (median and p90; wall and business hours);
- resolved in it: volume, average handle time (over tickets that have one), agent replies, first-contact
  resolutions, SLA met and breached, resolution time (median and p90; wall and business hours);
- closed in it: volume, rated, CSAT average (over ratings given);
- open now (by the day it opened): count, average and oldest age.
Medians and p90 are nearest rank: the value at position ceil(n × p) of the n sorted values (PERCENTILE_DISC).
"""

from __future__ import annotations

import dataclasses
from array import array
from datetime import date, timedelta
from typing import Iterable

CREATED, RESOLVED, CLOSED, OPEN = "created", "resolved", "closed", "open"
KINDS = (CREATED, RESOLVED, CLOSED, OPEN)
DIMENSIONS = ("agent", "team", "category", "priority", "chat_type")
HOUR = 3600.0

# Per kind: the Ticket Metrics column that dates a row; the sums a part keeps, each as the SQL aggregate over the
# part's rows (SUM and COUNT skip NULLs: the average handle time is over tickets that have one, the CSAT average
# over ratings given — no rating is stored as 0); and the columns whose values it keeps, for the percentiles.
DATE_COLUMN = {CREATED: "created_date", RESOLVED: "resolved_date", CLOSED: "closed_date", OPEN: "open_since"}
OPEN_SECONDS = "timestampdiff(second, '1970-01-01', open_since)"  # naive seconds, as naive_seconds() counts now
SUMS = {
	CREATED: (("count", "count(*)"), ("responded", "count(first_response_seconds)")),
	RESOLVED: (("count", "count(*)"), ("handle_sum", "sum(handle_seconds)"), ("handle_count", "count(handle_seconds)"),
		("agent_replies", "sum(agent_replies)"), ("fcr", "sum(first_contact_resolution)"), ("sla_met", "sum(sla_met)"),
		("sla_breached", "sum(sla_breached)")),
	CLOSED: (("count", "count(*)"), ("rated", "sum(rated)"), ("rating_sum", "sum(nullif(rating, 0))"),
		("rating_count", "count(nullif(rating, 0))")),
	OPEN: (("count", "count(*)"), ("since_sum", f"sum({OPEN_SECONDS})")),
}
OLDEST = f"min({OPEN_SECONDS})"
VALUE_COLUMNS = {
	CREATED: ("first_response_seconds", "first_response_business_seconds"),
	RESOLVED: ("resolution_seconds", "resolution_business_seconds"),
	CLOSED: (),
	OPEN: (),
}


def aggregate_sql(kind: str) -> str:
	"""The select list that makes one part of a group of rows (see from_aggregate): the sums, the oldest opening,
	and each value column's values as text (GROUP_CONCAT skips NULLs; a decimal's text parses to the same float)."""
	found = [expression for _key, expression in SUMS[kind]]
	found.append(OLDEST if kind == OPEN else "null")
	found += [f"group_concat(`{column}`)" for column in VALUE_COLUMNS[kind]]
	return ", ".join(found)


def _number(value):
	if value is None:
		return 0
	return value if isinstance(value, int) else float(value)


def _values(text) -> array:
	if not text:
		return array("d")
	if isinstance(text, bytes):
		text = text.decode()
	return array("d", map(float, text.split(",")))


@dataclasses.dataclass
class Part:
	"""What some tickets contribute to one kind of figure. `values` holds one array per VALUE_COLUMNS entry;
	each is sorted once the part is finished (a stored part always is). `oldest` is the earliest opening
	(naive seconds) among open tickets."""

	kind: str
	sums: dict = dataclasses.field(default_factory=dict)
	values: tuple = ()
	oldest: float | None = None

	@classmethod
	def empty(cls, kind: str) -> "Part":
		return cls(kind, {key: 0 for key, _expression in SUMS[kind]}, tuple(array("d") for _ in VALUE_COLUMNS[kind]))

	@classmethod
	def from_aggregate(cls, kind: str, aggregate) -> "Part":
		"""A part from the columns aggregate_sql selects, in its order."""
		width = len(SUMS[kind])
		sums = {key: _number(value) for (key, _expression), value in zip(SUMS[kind], aggregate[:width])}
		oldest = aggregate[width]
		values = tuple(_values(text) for text in aggregate[width + 1 :])
		return cls(kind, sums, values, None if oldest is None else float(oldest))

	def merge(self, other: "Part") -> None:
		for key, value in other.sums.items():
			self.sums[key] += value
		for mine, theirs in zip(self.values, other.values):
			mine.extend(theirs)
		if other.oldest is not None:
			self.oldest = other.oldest if self.oldest is None else min(self.oldest, other.oldest)

	def finish(self) -> "Part":
		"""Sorts the values (parts merged from sorted runs sort in about linear time)."""
		self.values = tuple(array("d", sorted(v)) for v in self.values)
		return self


def group_key(group_by: str, day: date, row_dimensions: dict):
	"""The report group a row or day part belongs to: '' without grouping, the week's Monday, the day, or the
	dimension's value (None when the ticket has none; an empty string counts as none)."""
	if not group_by:
		return ""
	if group_by == "Week":
		return day - timedelta(days=day.weekday())
	if group_by == "Day":
		return day
	return row_dimensions.get(dimension_of(group_by)) or None


def dimension_of(group_by: str) -> str:
	return group_by.lower().replace(" ", "_")


def nearest_rank(sorted_values, percent: int):
	"""The value at position ceil(n × percent / 100) of the sorted values (1-based); None for no values."""
	n = len(sorted_values)
	if not n:
		return None
	return sorted_values[(percent * n + 99) // 100 - 1]


def hours(seconds) -> float | None:
	return None if seconds is None else round(float(seconds) / HOUR, 2)


def percent(part, whole) -> float | None:
	return round(100.0 * float(part or 0) / float(whole), 1) if whole else None


def report_row(group, parts: dict, now_seconds: float, with_backlog: bool) -> dict:
	"""The report's row for one group from its finished parts ({kind: Part}; a kind may be missing)."""
	created, resolved = parts.get(CREATED) or Part.empty(CREATED), parts.get(RESOLVED) or Part.empty(RESOLVED)
	closed, open_ = parts.get(CLOSED) or Part.empty(CLOSED), parts.get(OPEN) or Part.empty(OPEN)
	r, c, o = resolved.sums, closed.sums, open_.sums
	solved = r["count"]
	backlog = o["count"]
	return {
		"group": group,
		"created": created.sums["count"],
		"solved": solved,
		"closed": c["count"],
		"frt_median_hours": hours(nearest_rank(created.values[0], 50)),
		"frt_p90_hours": hours(nearest_rank(created.values[0], 90)),
		"frt_business_median_hours": hours(nearest_rank(created.values[1], 50)),
		"frt_business_p90_hours": hours(nearest_rank(created.values[1], 90)),
		"resolution_median_hours": hours(nearest_rank(resolved.values[0], 50)),
		"resolution_p90_hours": hours(nearest_rank(resolved.values[0], 90)),
		"resolution_business_median_hours": hours(nearest_rank(resolved.values[1], 50)),
		"resolution_business_p90_hours": hours(nearest_rank(resolved.values[1], 90)),
		"aht_hours": hours(r["handle_sum"] / r["handle_count"]) if r["handle_count"] else None,
		"fcr_percent": percent(r["fcr"], solved),
		"sla_met_percent": percent(r["sla_met"], r["sla_met"] + r["sla_breached"]),
		"csat_average": round(c["rating_sum"] / c["rating_count"], 2) if c["rating_count"] else None,
		"csat_response_percent": percent(c["rated"], c["count"]),
		"backlog": backlog if with_backlog else None,
		"backlog_age_hours": hours(now_seconds - o["since_sum"] / backlog) if with_backlog and backlog else None,
		"backlog_oldest_hours": hours(now_seconds - open_.oldest) if with_backlog and backlog else None,
	}


def sort_groups(groups: Iterable) -> list:
	"""Report order: by the group's text, the group without a value last."""
	return sorted(groups, key=lambda g: (g is None, str(g)))
