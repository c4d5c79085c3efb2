"""Frappe's global search (the awesome bar's "Search for …"), made ticket-aware.

Its index (`__global_search`) and its doctype list know nothing of the tickets switches, so results of the
doctypes that live and die with the tickets are dropped for a user who may not see tickets right now.
"""

import frappe
from frappe.utils import global_search

from tg_tickets.permissions import TICKET_DOCTYPES, can_see_tickets


@frappe.whitelist()
def search(text: str, start: int = 0, limit: int = 20, doctype: str = ""):
	if doctype in TICKET_DOCTYPES and not can_see_tickets():
		return []
	results = global_search.search(text, start, limit, doctype)
	if can_see_tickets():
		return results
	return [result for result in results if result.doctype not in TICKET_DOCTYPES]
