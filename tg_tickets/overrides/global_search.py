"""Frappe's global search (the awesome bar's "Search for …"), made ticket-aware.

Its index (`__global_search`) and its doctype list know nothing of the tickets switches, so results of the
doctypes that live and die with the tickets are dropped for a user who may not see tickets right now, and,
with the owner's visibility switch on, a member keeps only the tickets (and ticket records) they may see.

Pages stay full: when results are dropped, page `start` of `limit` is the visible results from position
`start` on, read from the index in windows from its top (so the next page starts where this one ended and a
short page means the end, as Frappe's search dialog reads it). At most SCAN_LIMIT index rows are read.
"""

import frappe
from frappe.utils import cint, global_search

from tg_tickets.permissions import TICKET_DOCTYPES, can_see_tickets, has_ticket_child_permission, \
	may_see_ticket, sees_only_own_and_team_tickets

SCAN_LIMIT = 2000


@frappe.whitelist()
def search(text: str, start: int = 0, limit: int = 20, doctype: str = ""):
	start, limit = max(cint(start), 0), max(cint(limit), 0)
	if doctype in TICKET_DOCTYPES and not can_see_tickets():
		return []
	if can_see_tickets() and not sees_only_own_and_team_tickets():
		return global_search.search(text, start, limit, doctype)
	visible, offset = [], 0
	window = max(limit * 2, 50)
	while len(visible) < start + limit and offset < SCAN_LIMIT:
		results = global_search.search(text, offset, window, doctype)
		visible += _kept(results)
		if len(results) < window:
			break
		offset += window
	return visible[start:start + limit]


def _kept(results) -> list:
	"""The results this user may see, in order; the visibility of a window's tickets read in one query."""
	if not can_see_tickets():
		return [r for r in results if r.doctype not in TICKET_DOCTYPES]
	tickets = [r.name for r in results if r.doctype == "Ticket"]
	rows = {t.name: t for t in frappe.get_all(
		"Ticket", filters={"name": ["in", tickets]}, fields=["name", "assigned_to", "team"], ignore_permissions=True
	)} if tickets else {}
	kept = []
	for result in results:
		if result.doctype == "Ticket":
			ticket = rows.get(result.name)
			if ticket and may_see_ticket(ticket):
				kept.append(result)
		elif result.doctype not in TICKET_DOCTYPES or _child_visible(result):
			kept.append(result)
	return kept


def _child_visible(result) -> bool:
	doc = frappe.db.get_value(result.doctype, result.name, "*", as_dict=True)
	return bool(doc) and has_ticket_child_permission(frappe.get_doc({"doctype": result.doctype, **doc}))
