"""Demo data for the Run command: a user per role, Telegram chats, tickets in every status and
priority, categories, and the feature switched on. Idempotent: a second load adds nothing."""

import random

import frappe
from frappe.utils import add_days, add_to_date, now_datetime
from frappe.utils.password import update_password

from tg_tickets.tickets import search
from tg_tickets.tickets.fields import PRIORITIES, STATUSES

DEMO_PASSWORD = "demo-tickets-2026"
DEMO_USERS = {
	"owner@demo.tg-tickets.test": ("Olga", "Owner", "Tickets Owner"),
	"admin@demo.tg-tickets.test": ("Adam", "Admin", "Tickets Admin"),
	"member@demo.tg-tickets.test": ("Mia", "Member", "Tickets Member"),
	"agent@demo.tg-tickets.test": ("Arto", "Agent", "Tickets Member"),
}
DEMO_CHATS = [
	("701000001", "Private", "Jane Cooper", "janecooper"),
	("701000002", "Private", "Wade Warren", "wade_w"),
	("701000003", "Private", "Esther Howard", None),
	("701000004", "Private", "Cameron Williamson", "cam_w"),
	("-1002000000101", "Forum", "Support topics", "acme_support_topics"),
	("-1002000000102", "Supergroup", "ACME customers", "acme_customers"),
	("-400000103", "Group", "Billing escalations", None),
	("-1002000000104", "Channel", "ACME announcements", "acme_news"),
]
CATEGORIES = ["General", "Billing", "Technical", "Account"]
TITLES = [
	"Cannot log in after password reset", "Invoice shows the wrong VAT", "App crashes when uploading photos",
	"Refund for double charge", "Bot does not answer in the group", "Change of company address",
	"Export to CSV is empty", "2FA codes arrive late", "Feature request: dark mode", "Delivery stuck in customs",
	"Subscription renewed twice", "Password reset mail not received",
]


def load_demo_data():
	frappe.set_user("Administrator")
	# The time zone first: every demo timestamp below is written in it (a site without one would stamp
	# them in Frappe's fallback zone, hours away from the users' clock).
	if not frappe.db.get_single_value("System Settings", "time_zone"):
		frappe.db.set_single_value("System Settings", "time_zone", "UTC")
	settings = frappe.get_single("Tickets Settings")
	settings.enabled = 1
	settings.members_can_create_tickets = 1
	settings.members_can_edit_tickets = 1
	if not settings.transport:
		settings.transport = "record"
	settings.save(ignore_permissions=True)

	for email, (first, last, role) in DEMO_USERS.items():
		if not frappe.db.exists("User", email):
			user = frappe.get_doc(
				{"doctype": "User", "email": email, "first_name": first, "last_name": last, "send_welcome_email": 0}
			).insert(ignore_permissions=True)
			user.add_roles(role)
			update_password(email, DEMO_PASSWORD)

	for name in CATEGORIES:
		if not frappe.db.exists("Ticket Category", name):
			frappe.get_doc({"doctype": "Ticket Category", "category_name": name}).insert(ignore_permissions=True)

	for chat_id, chat_type, title, username in DEMO_CHATS:
		if not frappe.db.exists("Linked Chat", chat_id):
			frappe.get_doc(
				{"doctype": "Linked Chat", "chat_id": chat_id, "chat_type": chat_type, "title": title,
				 "username": username, "last_message_at": now_datetime()}
			).insert(ignore_permissions=True)

	for hook in frappe.get_hooks("tg_tickets_demo_data"):
		frappe.get_attr(hook)()

	if frappe.db.count("Ticket") == 0:
		make_demo_tickets()
	complete_setup()
	frappe.db.commit()
	print(f"demo data ready: {frappe.db.count('Ticket')} tickets, {frappe.db.count('Linked Chat')} chats")


def complete_setup():
	"""A demo site opens on the desk, not on Frappe's setup wizard. Once setup is complete Frappe makes the
	next user it saves a System Manager if none exists, so the demo owner is the site's manager first."""
	owner = next(email for email, (_, _, role) in DEMO_USERS.items() if role == "Tickets Owner")
	if "System Manager" not in frappe.get_roles(owner):
		frappe.get_doc("User", owner).add_roles("System Manager")
	# Frappe's own end of the setup wizard: setup complete and the desk's home page is the workspace
	# (setup_complete alone leaves System Managers, Administrator included, in the wizard).
	from frappe.desk.page.setup_wizard.setup_wizard import disable_future_access

	disable_future_access()
	frappe.clear_cache()


def make_demo_tickets():
	"""Tickets as a helpdesk has them after a few weeks: created oldest first at realistic ages (three weeks
	ago up to a few minutes ago, in the site's time zone, never in the future), routed by the demo teams as
	they arrive, so the newest unresolved ones wait in the queue."""
	rng = random.Random(15)
	now = now_datetime()
	specs = []
	# resolved history is the Online agents' (a ticket is never handed to an Away one, even when closed at once)
	agents = [e for e, (_, _, role) in DEMO_USERS.items() if role == "Tickets Member"]
	chats = [c[0] for c in DEMO_CHATS]
	n = 0
	for status in STATUSES:
		for priority in PRIORITIES:
			for _ in range(2):
				specs.append((status, priority, TITLES[n % len(TITLES)]))
				n += 1
	# Older tickets are the resolved ones; the open queue is recent.
	specs.sort(key=lambda spec: STATUSES.index(spec[0]), reverse=True)
	ages = sorted((rng.uniform(0.02, 21 * 24) for _ in specs), reverse=True)  # hours
	for (status, priority, title), age_hours in zip(specs, ages):
		created = add_to_date(now, hours=-age_hours)
		ticket = frappe.get_doc(
			{
				"doctype": "Ticket",
				"title": title,
				"description": f"{title}.\nReported via Telegram; see the linked chat for details.",
				"priority": priority,
				"status": "OPEN" if status == "CLOSED" else status,
				"assigned_to": rng.choice(agents) if status in ("SOLVED", "CLOSED") else None,
				"category": rng.choice(CATEGORIES),
				"date": add_days(now_datetime().date(), rng.randint(-10, 10)) if rng.random() < 0.5 else None,
				"chats": [{"chat": c} for c in rng.sample(chats, rng.randint(1, 4))],
				"staged_comments": ["Customer confirmed the issue."] if rng.random() < 0.5 else [],
			}
		).insert(ignore_permissions=True)
		if status == "CLOSED":  # solved, then closed, as agents do
			for step in ("SOLVED", "CLOSED"):
				ticket.status = step
				ticket.save(ignore_permissions=True)
		backdate(ticket.name, timeline(rng, status, created, now))


def timeline(rng: random.Random, status: str, created, now) -> dict:
	"""When a ticket of this status was created, first answered, solved and closed, as a helpdesk's figures look:
	most first answers within the hour (some take a working day), most solves within a day, closes a few hours after
	the solve; never in the future."""
	moments = {"created": created}
	if status in ("PENDING", "BLOCKED", "SOLVED", "CLOSED"):
		moments["responded"] = min(now, add_to_date(created, minutes=min(rng.expovariate(1 / 45) + 2, 600)))
	if status in ("SOLVED", "CLOSED"):
		moments["resolved"] = min(now, add_to_date(moments["responded"], hours=min(rng.expovariate(1 / 8), 96)))
	if status == "CLOSED":
		moments["closed"] = min(now, add_to_date(moments["resolved"], hours=rng.uniform(1, 24)))
	return moments


def backdate(ticket_name, moments: dict):
	"""The ticket as if it arrived at moments["created"] and was first answered, solved and closed at the others (when
	given): its row, its status history, its history lines, its SLA state and its figures."""
	from tg_tickets.analytics import tracking as figures
	from tg_tickets.sla import tracking

	created = moments["created"]
	resolved = moments.get("resolved")
	closed = moments.get("closed") or resolved
	last = max(moments.values())
	frappe.db.sql(
		"""update `tabTicket` set creation = %(at)s, modified = %(last)s,
		closed_at = if(closed_at is null, null, %(closed)s), resolved_at = if(resolved_at is null, null, %(resolved)s),
		first_responded_at = %(responded)s, waiting_since = if(waiting_since is null, null, %(at)s)
		where name = %(name)s""",
		{"at": created, "last": last, "closed": closed, "resolved": resolved, "responded": moments.get("responded"),
			"name": ticket_name},
	)
	search.move_ticket_in_time(ticket_name, created)
	# the status history: the arrival at `created`, the solve and the close at theirs
	for status, at in (("SOLVED", resolved), ("CLOSED", moments.get("closed"))):
		if at:
			frappe.db.sql("update `tabTicket Status Log` set changed_at = %s where ticket = %s and status = %s",
				(at, ticket_name, status))
	frappe.db.sql("""update `tabTicket Status Log` set changed_at = %s where ticket = %s
		and status not in ('SOLVED', 'CLOSED')""", (created, ticket_name))
	for doctype in ("Comment", "Version", "ToDo"):
		field = "ref_doctype" if doctype == "Version" else "reference_doctype" if doctype == "Comment" else "reference_type"
		key = "docname" if doctype == "Version" else "reference_name"
		frappe.db.sql(f"update `tab{doctype}` set creation = %s where {field} = 'Ticket' and {key} = %s",
			(created, ticket_name))
	tracking.refresh(ticket_name)
	figures.refresh(ticket_name)
