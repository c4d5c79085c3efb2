"""Demo lifecycle automation for the Run command: a default auto-close rule (72 h, warned 24 h before, a
48 h reopen window), customer ratings on, and escalation rules an admin would start from (a breached SLA to
the supervisor, an angry customer, an agent's request). Idempotent."""

import frappe
from frappe.utils import add_to_date

ADMIN = "admin@demo.tg-tickets.test"

AUTO_CLOSE = {"rule_name": "Close solved tickets after 3 days", "close_after_hours": 72, "warn_before_hours": 24,
	"reopen_window_hours": 48}
ESCALATIONS = [
	{"rule_name": "Breached SLA to the supervisor", "trigger": "SLA breach", "grace_minutes": 30, "raise_priority": 1,
	 "assign_to_team_supervisor": 1},
	{"rule_name": "Angry customer", "trigger": "Customer sentiment", "sentiment_messages": 3, "sentiment_threshold": -0.5,
	 "raise_priority": 1, "notify_users": ADMIN},
	{"rule_name": "Agent asks for help", "trigger": "Agent request", "assign_to_team_supervisor": 1, "notify_users": ADMIN},
]


def make_demo_rules():
	if not frappe.db.exists("Auto Close Rule", AUTO_CLOSE["rule_name"]):
		frappe.get_doc({"doctype": "Auto Close Rule", **AUTO_CLOSE}).insert(ignore_permissions=True)
	for rule in ESCALATIONS:
		if frappe.db.exists("Escalation Rule", rule["rule_name"]):
			continue
		if rule.get("notify_users") and not frappe.db.exists("User", rule["notify_users"]):
			rule = {**rule, "notify_users": ""}
			if rule["trigger"] == "Customer sentiment":
				continue  # nothing else to do without the demo admin
		frappe.get_doc({"doctype": "Escalation Rule", "enabled": 1, **rule}).insert(ignore_permissions=True)
	frappe.db.set_single_value("Tickets Settings", {"ratings_enabled": 1, "rating_delay_minutes": 0})


DEMO_SCORES = (5, 4, 5, 3)


def make_demo_ratings():
	"""The first closed demo tickets rated by their customers a quarter of an hour after the close, as the rating
	buttons store it (the CSAT cards have figures to show)."""
	closed = frappe.get_all("Ticket", filters={"status": "CLOSED"}, fields=["name", "closed_at", "assigned_to",
		"reopen_count"], order_by="name", limit=len(DEMO_SCORES))
	for ticket, score in zip(closed, DEMO_SCORES):
		cycle = ticket.reopen_count or 0
		if frappe.db.exists("Ticket Rating", f"{ticket.name}-{cycle}") or not ticket.closed_at:
			continue
		rated_at = add_to_date(ticket.closed_at, minutes=15)
		chat = frappe.db.get_value("Ticket Chat", {"parent": ticket.name, "parenttype": "Ticket"}, "chat")
		frappe.get_doc({"doctype": "Ticket Rating", "ticket": ticket.name, "cycle": cycle, "rating": score,
			"assignee": ticket.assigned_to, "rated_at": rated_at, "chat": chat}).insert(
			ignore_permissions=True, set_name=f"{ticket.name}-{cycle}")
		frappe.db.set_value("Ticket", ticket.name, {"rating": score, "rated_assignee": ticket.assigned_to,
			"rated_at": rated_at}, update_modified=False)
