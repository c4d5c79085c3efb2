"""Demo routing for the Run command: three teams (round-robin Billing, load-balanced Technical, a manual-claim
default queue), the demo agents' availability and capacity. Idempotent; runs before the demo tickets are made,
so those are routed as real ones would be and some wait in the queue."""

import frappe

from tg_tickets.routing import agents

OWNER, ADMIN = "owner@demo.tg-tickets.test", "admin@demo.tg-tickets.test"
MEMBER, AGENT = "member@demo.tg-tickets.test", "agent@demo.tg-tickets.test"
TEAMS = [
	{"team_name": "Billing", "assignment_model": "Round-robin", "supervisor": ADMIN, "sequence": 1,
	 "categories": ["Billing"], "keywords": "invoice\nrefund\nVAT\ncharge\nsubscription", "members": [MEMBER, AGENT]},
	{"team_name": "Technical", "assignment_model": "Load-balanced", "supervisor": ADMIN, "sequence": 2,
	 "categories": ["Technical", "Account"], "keywords": "crash\nlogin\n2FA\nexport\nbot\npassword", "members": [AGENT, MEMBER]},
	{"team_name": "Front desk", "assignment_model": "Manual claim", "supervisor": OWNER, "sequence": 3, "is_default": 1,
	 "categories": [], "keywords": "", "members": [MEMBER, AGENT, ADMIN]},
]
# (availability, own capacity): the admin is away, so the queue has waiting tickets for the demo.
AVAILABILITY = {MEMBER: ("Online", 6), AGENT: ("Online", 5), ADMIN: ("Away", 0)}


def make_demo_teams():
	for team in TEAMS:
		if frappe.db.exists("Ticket Team", team["team_name"]):
			continue
		frappe.get_doc({
			"doctype": "Ticket Team", "default_capacity": 8, **{k: v for k, v in team.items() if k not in ("categories", "members")},
			"categories": [{"category": c} for c in team["categories"]],
			"members": [{"user": u} for u in team["members"]],
		}).insert(ignore_permissions=True)
	for user, (availability, capacity) in AVAILABILITY.items():
		agents.ensure_agent(user)
		frappe.db.set_value("Ticket Agent", user, {"availability": availability, "capacity": capacity,
			"last_seen_at": frappe.utils.now_datetime()})
