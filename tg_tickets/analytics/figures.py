"""Support figures over a period, read from Ticket Metrics: what the Ticket Analytics report, its Number Cards and
Dashboard Charts show — tickets created in the period (volume, first response), resolved in it (resolution, handle
time, first-contact resolution, SLA), closed in it (closed volume, CSAT); the backlog is what is open now.

The definitions are tg_tickets.analytics.partials'; the reads are tg_tickets.analytics.days' (day summaries, or
the period's rows through the covering indexes below). Medians and p90 are nearest rank (PERCENTILE_DISC: the
smallest value with at least that share of the values at or below it). Who sees what is decided by the caller
(tg_tickets.analytics.access.scope: None or one agent). Read-only (but for queueing the day summaries' rebuild).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import frappe
from frappe import _
from frappe.utils import add_months, getdate, now_datetime

from tg_tickets.analytics import days, partials

PERIODS = ("Last 7 Days", "Last 30 Days", "Last 90 Days", "Last 12 Months", "Custom")
GROUPS = ("", "Agent", "Team", "Category", "Priority", "Chat Type", "Week", "Day")
DIMENSIONS = ("team", "agent", "category", "priority", "chat_type")

# The columns a read of rows takes, in index order: the date (or the agent first, for one agent's figures), the
# dimensions, then the figures. Wide, but a range scan reads only the index (no row lookups): the day summaries'
# builds and the reads the summaries cannot answer.
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


def filters_of(query: Query) -> dict:
	return {d: getattr(query, d) for d in DIMENSIONS if getattr(query, d)}


def rows(query: Query, now=None, statements: list | None = None) -> list[dict]:
	"""One row per group (ordered by the group key; a single row without grouping). Each kind of figure is read
	from the day summaries where they can answer (tg_tickets.analytics.days), else from the period's rows.
	`statements` collects the SQL run (the benchmark prints its plans)."""
	now = now or now_datetime()
	filters = filters_of(query)
	by_kind = {
		kind: days.read_parts(kind, query.start, query.end, filters, query.group_by, statements)
		for kind in (partials.CREATED, partials.RESOLVED, partials.CLOSED)
	}
	with_backlog = query.group_by not in ("Week", "Day")
	if with_backlog:
		by_kind[partials.OPEN] = days.read_parts(partials.OPEN, None, None, filters, query.group_by, statements)
	groups = set().union(*(parts.keys() for parts in by_kind.values()))
	if not query.group_by:
		groups.add("")
	now_seconds = days.naive_seconds(now)
	return [
		partials.report_row(group, {kind: parts[group] for kind, parts in by_kind.items() if group in parts},
			now_seconds, with_backlog)
		for group in partials.sort_groups(groups)
	]
