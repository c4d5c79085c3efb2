"""The figures the team lead reads: canned responses by use (most and least used, and those not used for 90
days), and per knowledge-base article how often it was sent and how often its ticket was then solved without
being reopened. Read-only; rows are limited to the responses the user sees."""

import frappe
from frappe import _
from frappe.utils import add_days, getdate, nowdate

from tg_tickets import permissions
from tg_tickets.replies import responses

UNUSED_DAYS = 90
OPEN_STATUSES = ("NEW", "OPEN", "PENDING", "BLOCKED")
SOLVED_STATUSES = ("SOLVED", "CLOSED")


def response_usage(filters: dict | None = None) -> tuple[list, list]:
	filters = frappe._dict(filters or {})
	if not permissions.can_see_tickets():
		frappe.throw(_("You cannot see canned responses."), frappe.PermissionError)
	to_date = getdate(filters.to_date or nowdate())
	from_date = getdate(filters.from_date or add_days(to_date, -29))
	unused_since = add_days(nowdate(), -UNUSED_DAYS)
	rows = frappe.db.sql(
		f"""select r.name as response, r.title, r.shortcut, r.scope, r.team,
			coalesce(p.uses, 0) as uses, coalesce(p.agents, 0) as agents, l.last_used
		from `tabCanned Response` r
		left join (select response, sum(uses) as uses, count(distinct agent) as agents
			from `tabCanned Response Usage` where day between %(from)s and %(to)s group by response) p
			on p.response = r.name
		left join (select response, max(day) as last_used from `tabCanned Response Usage` group by response) l
			on l.response = r.name
		where {responses.query_conditions().replace('`tabCanned Response`', 'r')}
		order by uses desc, r.title""",
		{"from": from_date, "to": to_date},
		as_dict=True,
	)
	for row in rows:
		row.unused_90_days = 1 if not row.last_used or getdate(row.last_used) < getdate(unused_since) else 0
	if filters.show == "Not used for 90 days":
		rows = [row for row in rows if row.unused_90_days]
	elif filters.show == "Least used first":
		rows.sort(key=lambda row: (row.uses, row.title or ""))
	columns = [
		{"fieldname": "response", "label": _("Canned Response"), "fieldtype": "Link", "options": "Canned Response", "width": 120},
		{"fieldname": "title", "label": _("Title"), "fieldtype": "Data", "width": 220},
		{"fieldname": "shortcut", "label": _("Shortcut"), "fieldtype": "Data", "width": 110},
		{"fieldname": "scope", "label": _("Scope"), "fieldtype": "Data", "width": 90},
		{"fieldname": "team", "label": _("Team"), "fieldtype": "Link", "options": "Ticket Team", "width": 110},
		{"fieldname": "uses", "label": _("Uses in period"), "fieldtype": "Int", "width": 110},
		{"fieldname": "agents", "label": _("Agents"), "fieldtype": "Int", "width": 80},
		{"fieldname": "last_used", "label": _("Last used"), "fieldtype": "Date", "width": 110},
		{"fieldname": "unused_90_days", "label": _("Not used for 90 days"), "fieldtype": "Check", "width": 150},
	]
	return columns, rows


def article_effect(filters: dict | None = None) -> tuple[list, list]:
	"""Per article: sends, and sends whose ticket was solved (or closed) afterwards and never reopened since."""
	filters = frappe._dict(filters or {})
	if not (permissions.can_see_tickets() and frappe.has_permission("Knowledge Base Article", "read")):
		frappe.throw(_("You cannot see the knowledge base."), frappe.PermissionError)
	open_list = ", ".join(frappe.db.escape(s) for s in OPEN_STATUSES)
	solved_list = ", ".join(frappe.db.escape(s) for s in SOLVED_STATUSES)
	conditions = ["1=1"]
	values = {}
	if filters.status:
		conditions.append("a.status = %(status)s")
		values["status"] = filters.status
	rows = frappe.db.sql(
		f"""select a.name as article, a.title, a.status, a.category, a.views, a.helpful_yes, a.helpful_no,
			count(s.name) as sent,
			coalesce(sum(s.solved_at is not null and not exists (
				select 1 from `tabTicket Status Log` r
				where r.ticket = s.ticket and r.status in ({open_list}) and r.changed_at > s.solved_at
			)), 0) as solved_without_reopen
		from `tabKnowledge Base Article` a
		left join (
			select x.name, x.article, x.ticket, (
				select min(l.changed_at) from `tabTicket Status Log` l
				where l.ticket = x.ticket and l.status in ({solved_list}) and l.changed_at >= x.sent_at
			) as solved_at
			from `tabKnowledge Base Article Send` x
		) s on s.article = a.name
		where {" and ".join(conditions)}
		group by a.name
		order by sent desc, a.title""",
		values,
		as_dict=True,
	)
	for row in rows:
		row.solved_share = round(100.0 * row.solved_without_reopen / row.sent, 1) if row.sent else None
	columns = [
		{"fieldname": "article", "label": _("Article"), "fieldtype": "Link", "options": "Knowledge Base Article", "width": 120},
		{"fieldname": "title", "label": _("Title"), "fieldtype": "Data", "width": 240},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 90},
		{"fieldname": "category", "label": _("Category"), "fieldtype": "Link", "options": "Ticket Category", "width": 110},
		{"fieldname": "sent", "label": _("Times sent"), "fieldtype": "Int", "width": 100},
		{"fieldname": "solved_without_reopen", "label": _("Solved without a reopen"), "fieldtype": "Int", "width": 170},
		{"fieldname": "solved_share", "label": _("Solved without a reopen (%)"), "fieldtype": "Percent", "width": 180},
		{"fieldname": "views", "label": _("Views"), "fieldtype": "Int", "width": 80},
		{"fieldname": "helpful_yes", "label": _("Helpful: yes"), "fieldtype": "Int", "width": 100},
		{"fieldname": "helpful_no", "label": _("Helpful: no"), "fieldtype": "Int", "width": 100},
	]
	return columns, rows
