"""Frappe's global search (the awesome bar's "Search for …"), made ticket-aware.

Its index (`__global_search`) and its doctype list know nothing of the tickets switches, so results of the
doctypes that live and die with the tickets are dropped for a user who may not see tickets right now, and,
with the owner's visibility switch on, a member keeps only the tickets (and ticket records) they may see.
"""

import frappe
from frappe.utils import global_search

from tg_tickets.permissions import TICKET_DOCTYPES, can_see_tickets, has_ticket_child_permission, \
	may_see_ticket, sees_only_own_and_team_tickets


@frappe.whitelist()
def search(text: str, start: int = 0, limit: int = 20, doctype: str = ""):
	if doctype in TICKET_DOCTYPES and not can_see_tickets():
		return []
	results = global_search.search(text, start, limit, doctype)
	if not can_see_tickets():
		return [result for result in results if result.doctype not in TICKET_DOCTYPES]
	if sees_only_own_and_team_tickets():
		return [result for result in results if result.doctype not in TICKET_DOCTYPES or _visible(result)]
	return results


def _visible(result) -> bool:
	"""One result of a ticket doctype under the visibility switch (a page holds at most `limit` of them)."""
	if result.doctype == "Ticket":
		ticket = frappe.db.get_value("Ticket", result.name, ["assigned_to", "team"], as_dict=True)
		return bool(ticket) and may_see_ticket(ticket)
	doc = frappe.db.get_value(result.doctype, result.name, "*", as_dict=True)
	return bool(doc) and has_ticket_child_permission(frappe.get_doc({"doctype": result.doctype, **doc}))
