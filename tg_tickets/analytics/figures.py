"""Support figures over a period, read from Ticket Metrics: what the Ticket Analytics report, its Number Cards and
Dashboard Charts show. Every query reads one date range through its index (scripts/benchmark analytics prints
EXPLAIN for each): tickets created in the period (volume, first response), resolved in it (resolution, handle
time, first-contact resolution, SLA), closed in it (closed volume, CSAT); the backlog is what is open now.

Medians and p90 are PERCENTILE_DISC (nearest rank: the smallest value with at least that share of the values at
or below it), computed by MariaDB's window function over the range's rows only, partitioned by the group.
Who sees what is decided by the caller (tg_tickets.analytics.access.scope: None or one agent). Read-only.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import frappe
from frappe import _
from frappe.utils import add_months, getdate, now_datetime

PERIODS = ("Last 7 Days", "Last 30 Days", "Last 90 Days", "Last 12 Months", "Custom")
GROUPS = ("", "Agent", "Team", "Category", "Priority", "Chat Type", "Week", "Day")
DIMENSIONS = ("team", "agent", "category", "priority", "chat_type")
HOUR = 3600.0

# The columns each statement reads, in index order: the date (or the agent first, for one agent's figures), the
# dimensions, then the figures. Wide, but a range scan reads only the index (no row lookups).
CREATED_COLUMNS = ("first_response_seconds", "first_response_business_seconds")
RESOLVED_COLUMNS = ("resolution_seconds", "resolution_business_seconds", "handle_seconds", "agent_replies",
	"first_contact_resolution", "sla_met", "sla_breached")
CLOSED_COLUMNS = ("rated", "rating")
OTHER_DIMENSIONS = ("team", "category", "priority", "chat_type")
COVERING_INDEXES = {
	"created_cover": ("created_date", "agent", *OTHER_DIMENSIONS, *CREATED_COLUMNS),
	"agent_created_cover": ("agent", "created_date", *OTHER_DIMENSIONS, *CREATED_COLUMNS),
	"resolved_cover": ("resolved_date", "agent", *OTHER_DIMENSIONS, *RESOLVED_COLUMNS),
	"agent_resolved_cover": ("agent", "resolved_date", *OTHER_DIMENSIONS, *RESOLVED_COLUMNS),
	"closed_cover": ("closed_date", "agent", *OTHER_DIMENSIONS, *CLOSED_COLUMNS),
	"agent_closed_cover": ("agent", "closed_date", *OTHER_DIMENSIONS, *CLOSED_COLUMNS),
	"open_cover": ("open_since", "agent", *OTHER_DIMENSIONS),
	"agent_open_cover": ("agent", "open_since", *OTHER_DIMENSIONS),
}


@dataclasses.dataclass(frozen=True)
class Query:
	start: date
	end: date
	group_by: str = ""
	team: str | None = None
	agent: str | None = None
	category: str | None = None
	priority: str | None = None
	chat_type: str | None = None


def period_dates(period: str | None, from_date=None, to_date=None, today: date | None = None) -> tuple[date, date]:
	"""(first day, last day) of a named period ending today, or the custom range."""
	today = today or now_datetime().date()
	period = period or "Last 30 Days"
	if period not in PERIODS:
		frappe.throw(_("Unknown period {0}.").format(frappe.bold(period)))
	if period == "Custom":
		if not from_date or not to_date:
			frappe.throw(_("A custom period needs a from and a to date."))
		start, end = getdate(from_date), getdate(to_date)
		if start > end:
			frappe.throw(_("The period starts after it ends."))
		return start, end
	if period == "Last 12 Months":
		return getdate(add_months(today, -12)) + timedelta(days=1), today
	days = {"Last 7 Days": 7, "Last 30 Days": 30, "Last 90 Days": 90}[period]
	return today - timedelta(days=days - 1), today


def make_query(filters: dict, scope: str | None, today: date | None = None) -> Query:
	"""Report filters → a Query; a member's scope (their user) replaces any agent filter."""
	filters = frappe._dict(filters or {})
	group_by = filters.get("group_by") or ""
	if group_by not in GROUPS:
		frappe.throw(_("Unknown grouping {0}.").format(frappe.bold(group_by)))
	start, end = period_dates(filters.get("period"), filters.get("from_date"), filters.get("to_date"), today)
	values = {d: (filters.get(d) or None) for d in DIMENSIONS}
	if scope is not None:
		values["agent"] = scope
	return Query(start=start, end=end, group_by=group_by, **values)


def _group_sql(group_by: str, date_column: str) -> str:
	"""The group key as SQL (column names are constants)."""
	if group_by == "Week":
		return f"date_sub(`{date_column}`, interval weekday(`{date_column}`) day)"
	if group_by == "Day":
		return f"`{date_column}`"
	if group_by:
		return "`" + group_by.lower().replace(" ", "_") + "`"
	return "''"


def _where(query: Query, date_column: str) -> tuple[str, list]:
	clauses, values = [f"`{date_column}` between %s and %s"], [query.start, query.end]
	for dimension in DIMENSIONS:
		value = getattr(query, dimension)
		if value:
			clauses.append(f"`{dimension}` = %s")
			values.append(value)
	return " and ".join(clauses), values


def _percentiles(group: str, column: str, alias: str) -> str:
	partition = f"partition by {group}"
	return (
		f"percentile_disc(0.5) within group (order by `{column}`) over ({partition}) as {alias}_p50, "
		f"percentile_disc(0.9) within group (order by `{column}`) over ({partition}) as {alias}_p90"
	)


def created_sql(query: Query) -> tuple[str, list]:
	"""Created in the period: volume and first response (median, p90; wall and business hours)."""
	group = _group_sql(query.group_by, "created_date")
	where, values = _where(query, "created_date")
	sql = f"""select grp, count(*) as created, count(first_response_seconds) as responded,
		max(frt_p50) as frt_p50, max(frt_p90) as frt_p90, max(frtb_p50) as frtb_p50, max(frtb_p90) as frtb_p90
		from (select {group} as grp, first_response_seconds,
			{_percentiles(group, "first_response_seconds", "frt")},
			{_percentiles(group, "first_response_business_seconds", "frtb")}
			from `tabTicket Metrics` where {where}) s
		group by grp"""
	return sql, values


def resolved_sql(query: Query) -> tuple[str, list]:
	"""Resolved in the period: volume, resolution time (median, p90), handle time, FCR, SLA met."""
	group = _group_sql(query.group_by, "resolved_date")
	where, values = _where(query, "resolved_date")
	sql = f"""select grp, count(*) as solved, avg(handle_seconds) as aht, sum(agent_replies) as agent_replies,
		sum(first_contact_resolution) as fcr, sum(sla_met) as sla_met, sum(sla_breached) as sla_breached,
		max(res_p50) as res_p50, max(res_p90) as res_p90, max(resb_p50) as resb_p50, max(resb_p90) as resb_p90
		from (select {group} as grp, handle_seconds, agent_replies, first_contact_resolution, sla_met, sla_breached,
			{_percentiles(group, "resolution_seconds", "res")},
			{_percentiles(group, "resolution_business_seconds", "resb")}
			from `tabTicket Metrics` where {where}) s
		group by grp"""
	return sql, values


def closed_sql(query: Query) -> tuple[str, list]:
	"""Closed in the period: volume and CSAT (average rating, share of closed tickets rated)."""
	group = _group_sql(query.group_by, "closed_date")
	where, values = _where(query, "closed_date")
	sql = f"""select {group} as grp, count(*) as closed, sum(rated) as rated, avg(nullif(rating, 0)) as csat
		from `tabTicket Metrics` where {where} group by grp"""
	return sql, values


def backlog_sql(query: Query, now) -> tuple[str, list] | None:
	"""Open now (not period-bound): count, average and oldest age; only for the whole set and its dimensions."""
	if query.group_by in ("Week", "Day"):
		return None
	group = _group_sql(query.group_by, "created_date")
	clauses, values = ["open_since is not null"], []
	for dimension in DIMENSIONS:
		value = getattr(query, dimension)
		if value:
			clauses.append(f"`{dimension}` = %s")
			values.append(value)
	sql = f"""select {group} as grp, count(*) as backlog, avg(timestampdiff(second, open_since, %s)) as backlog_age,
		max(timestampdiff(second, open_since, %s)) as backlog_oldest
		from `tabTicket Metrics` where {" and ".join(clauses)} group by grp"""
	return sql, [now, now, *values]


def statements(query: Query, now) -> list[tuple[str, str, list]]:
	found = [("created", *created_sql(query)), ("resolved", *resolved_sql(query)), ("closed", *closed_sql(query))]
	backlog = backlog_sql(query, now)
	if backlog:
		found.append(("backlog", *backlog))
	return found


def _hours(seconds) -> float | None:
	return None if seconds is None else round(float(seconds) / HOUR, 2)


def _percent(part, whole) -> float | None:
	return round(100.0 * float(part or 0) / float(whole), 1) if whole else None


def rows(query: Query, now=None) -> list[dict]:
	"""One row per group (ordered by the group key; a single row without grouping)."""
	now = now or now_datetime()
	by_group: dict = {}
	for _kind, sql, values in statements(query, now):
		for row in frappe.db.sql(sql, values, as_dict=True):
			by_group.setdefault(row.grp, {}).update(row)
	if not query.group_by:
		by_group.setdefault("", {})
	result = []
	for group in sorted(by_group, key=lambda g: (g is None, str(g))):
		r = frappe._dict(by_group[group])
		solved = r.solved or 0
		result.append({
			"group": group,
			"created": r.created or 0,
			"solved": solved,
			"closed": r.closed or 0,
			"frt_median_hours": _hours(r.frt_p50),
			"frt_p90_hours": _hours(r.frt_p90),
			"frt_business_median_hours": _hours(r.frtb_p50),
			"frt_business_p90_hours": _hours(r.frtb_p90),
			"resolution_median_hours": _hours(r.res_p50),
			"resolution_p90_hours": _hours(r.res_p90),
			"resolution_business_median_hours": _hours(r.resb_p50),
			"resolution_business_p90_hours": _hours(r.resb_p90),
			"aht_hours": _hours(r.aht),
			"fcr_percent": _percent(r.fcr, solved),
			"sla_met_percent": _percent(r.sla_met, (r.sla_met or 0) + (r.sla_breached or 0)),
			"csat_average": None if r.csat is None else round(float(r.csat), 2),
			"csat_response_percent": _percent(r.rated, r.closed),
			"backlog": None if query.group_by in ("Week", "Day") else (r.backlog or 0),
			"backlog_age_hours": _hours(r.backlog_age),
			"backlog_oldest_hours": _hours(r.backlog_oldest),
		})
	return result
