"""The Ticket Analytics report (a Script Report, so Frappe's export, print and charts work on it): its filters
become a figures.Query, narrowed to the user's own figures for members (access.scope). The Number Cards and
Dashboard Charts of the Tickets workspace are this report with fixed filters; the same filters within a minute
are answered from Frappe's cache, per user scope (ten cards load one summary)."""

from __future__ import annotations

import json

import frappe
from frappe import _

from tg_tickets.analytics import access, figures

CACHE_SECONDS = 60


def _column(fieldname, label, fieldtype="Float", width=120):
	return {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width}


def columns(group_by: str) -> list[dict]:
	group = []
	if group_by:
		fieldtype, options = {"Agent": ("Link", "User"), "Team": ("Link", "Ticket Team"),
			"Category": ("Link", "Ticket Category"), "Week": ("Date", None), "Day": ("Date", None)}.get(group_by, ("Data", None))
		group = [{"fieldname": "group", "label": _(group_by), "fieldtype": fieldtype, "options": options, "width": 160}]
	return group + [
		_column("created", _("Created"), "Int", 90),
		_column("solved", _("Solved"), "Int", 90),
		_column("closed", _("Closed"), "Int", 90),
		_column("frt_median_hours", _("First Response Median (h)")),
		_column("frt_p90_hours", _("First Response p90 (h)")),
		_column("frt_business_median_hours", _("First Response Median, Business (h)")),
		_column("frt_business_p90_hours", _("First Response p90, Business (h)")),
		_column("resolution_median_hours", _("Resolution Median (h)")),
		_column("resolution_p90_hours", _("Resolution p90 (h)")),
		_column("resolution_business_median_hours", _("Resolution Median, Business (h)")),
		_column("resolution_business_p90_hours", _("Resolution p90, Business (h)")),
		_column("aht_hours", _("Average Handle Time (h)")),
		_column("fcr_percent", _("First Contact Resolution %"), "Percent"),
		_column("sla_met_percent", _("SLA Met %"), "Percent"),
		_column("csat_average", _("CSAT Average")),
		_column("csat_response_percent", _("CSAT Response Rate %"), "Percent"),
		_column("backlog", _("Open Now"), "Int", 90),
		_column("backlog_age_hours", _("Backlog Average Age (h)")),
		_column("backlog_oldest_hours", _("Backlog Oldest (h)")),
	]


def run(filters=None) -> tuple[list, list]:
	if isinstance(filters, str):
		filters = json.loads(filters or "{}")
	filters = dict(filters or {})
	scope = access.scope()
	query = figures.make_query(filters, scope)
	key = "tg_tickets_analytics:" + frappe.generate_hash(json.dumps([scope, str(query)], sort_keys=True), 16)
	data = frappe.cache.get_value(key)
	if data is None:
		data = figures.rows(query)
		frappe.cache.set_value(key, data, expires_in_sec=CACHE_SECONDS)
	return columns(query.group_by), data
