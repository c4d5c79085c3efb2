"""Public endpoints of the knowledge base (articles)'s pages (no login: customers open them from Telegram): a view and a
"did this help?" vote, each counted once per visitor and article for a while. Only Published articles count."""

import frappe
from frappe import _

from tg_tickets.replies import knowledge_base

VIEW_WINDOW = 30 * 60
VOTE_WINDOW = 24 * 3600


def published(route: str) -> str:
	article = knowledge_base.published_by_route(route)
	if not article:
		frappe.throw(_("No published article at {0}.").format(route or ""), frappe.DoesNotExistError)
	return article


def visitor() -> str:
	return frappe.session.user if frappe.session.user != "Guest" else (frappe.local.request_ip or "unknown")


@frappe.whitelist(allow_guest=True, methods=["POST"])
def record_view(route: str):
	article = published(route)
	if knowledge_base.count_once(article, "view", visitor(), VIEW_WINDOW):
		knowledge_base.add_to(article, "views")
	return {"ok": True}


@frappe.whitelist(allow_guest=True, methods=["POST"])
def vote(route: str, helpful):
	article = published(route)
	if str(helpful) not in ("0", "1"):
		frappe.throw(_("Answer 1 (helpful) or 0 (not helpful)."))
	if knowledge_base.count_once(article, "vote", visitor(), VOTE_WINDOW):
		knowledge_base.add_to(article, "helpful_yes" if str(helpful) == "1" else "helpful_no")
	return {"ok": True}
