"""Test factories: tests read as scenarios (make_member, make_ticket, make_chat), not setup code."""

import contextlib
import secrets

import frappe

PASSWORD = "Tickets#Test-2026"


def make_user(email: str, *roles: str, first_name: str | None = None) -> str:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name or email.split("@")[0].replace(".", " ").title(),
				"send_welcome_email": 0,
				"user_type": "System User",
			}
		)
		user.insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	wanted = set(roles)
	current = {r.role for r in user.roles}
	if current != wanted:
		user.set("roles", [])
		user.add_roles(*wanted) if wanted else user.save(ignore_permissions=True)
	from frappe.utils.password import update_password

	update_password(email, PASSWORD)
	return email


def make_member(email="member@tickets.test"):
	return make_user(email, "Tickets Member")


def make_admin(email="admin@tickets.test"):
	return make_user(email, "Tickets Admin")


def make_owner(email="owner@tickets.test"):
	return make_user(email, "Tickets Owner")


def make_outsider(email="outsider@tickets.test"):
	return make_user(email, "Blogger")


def make_chat(title="Customer", chat_id=None, chat_type="Private", username=None) -> str:
	chat_id = str(chat_id or secrets.randbelow(10**9) + 10**9)
	if not frappe.db.exists("Linked Chat", chat_id):
		frappe.get_doc(
			{"doctype": "Linked Chat", "chat_id": chat_id, "title": title, "chat_type": chat_type, "username": username}
		).insert(ignore_permissions=True)
	return chat_id


def make_ticket(title="Printer on fire", chats=(), **fields):
	doc = frappe.get_doc(
		{"doctype": "Ticket", "title": title, "chats": [{"chat": c} for c in chats], **fields}
	)
	return doc.insert()


def set_settings(**values):
	settings = frappe.get_single("Tickets Settings")
	settings.update(values)
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.clear_document_cache("Tickets Settings", "Tickets Settings")


@contextlib.contextmanager
def settings(**values):
	"""Temporarily sets Tickets Settings (committed, so web processes see it too)."""
	current = frappe.get_single("Tickets Settings")
	previous = {key: current.get(key) for key in values}
	set_settings(**values)
	frappe.db.commit()
	try:
		settle_settings_cache(values)
		yield
	finally:
		frappe.db.rollback()
		set_settings(**previous)
		frappe.db.commit()
		settle_settings_cache(previous)


def settle_settings_cache(values: dict, timeout: float = 5.0):
	"""Waits until Frappe's cached Tickets Settings shows the committed values. A live process that read the
	old row just before the commit may write it back into the document cache after Frappe's after-commit
	clear (a race of any cached document); the test then clears it again instead of running on the old one."""
	import time

	scalars = {key: value for key, value in values.items() if not isinstance(value, (list, tuple, dict))}
	deadline = time.monotonic() + timeout
	while True:
		cached = frappe.get_cached_doc("Tickets Settings")
		if all(cached.get(key) == value or (not cached.get(key) and not value) for key, value in scalars.items()):
			return
		if time.monotonic() > deadline:
			raise AssertionError(f"Tickets Settings cache still differs from {values}")
		frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
		time.sleep(0.05)


@contextlib.contextmanager
def site_config(key, value):
	from frappe.installer import update_site_config

	previous = frappe.get_conf().get(key)
	update_site_config(key, value)
	frappe.local.conf[key] = value
	try:
		yield
	finally:
		update_site_config(key, previous if previous is not None else "None")
		if previous is None:
			frappe.local.conf.pop(key, None)
		else:
			frappe.local.conf[key] = previous


def make_category_rows_doctype(name: str, categories=()) -> str:
	"""A custom child doctype whose rows link Ticket Categories: what an admin builds for a multiselect
	(Table MultiSelect) field on Ticket. Creates the categories too."""
	if not frappe.db.exists("DocType", name):
		frappe.get_doc({"doctype": "DocType", "name": name, "module": "TG Tickets", "custom": 1,
			"istable": 1, "editable_grid": 1,
			"fields": [{"fieldname": "category", "fieldtype": "Link", "options": "Ticket Category", "label": "Category",
				"in_list_view": 1, "reqd": 1}]}).insert(ignore_permissions=True)
	for category in categories:
		if not frappe.db.exists("Ticket Category", category):
			frappe.get_doc({"doctype": "Ticket Category", "category_name": category}).insert(ignore_permissions=True)
	return name


# --- Telegram sync ----------------------------------------------------------------------------------------


def make_category(name, details=(), enabled=1, sort_order=0):
	"""A Ticket Category; details are (label, pattern, error message) the bot asks for, in order."""
	if frappe.db.exists("Ticket Category", name):
		frappe.delete_doc("Ticket Category", name, force=True, ignore_permissions=True)
	doc = frappe.get_doc({
		"doctype": "Ticket Category", "category_name": name, "enabled": enabled, "sort_order": sort_order,
		"required_details": [{"label": l, "pattern": p, "error_message": e} for l, p, e in details],
	})
	return doc.insert(ignore_permissions=True)


def telegram_messages(**filters):
	return frappe.get_all("Telegram Message", filters=filters, fields=["*"], order_by="creation asc, part asc, name asc")

# --- SLA (tg_tickets/sla/) -------------------------------------------------------------------------------

OFFICE_HOURS = [(day, "09:00:00", "12:00:00") for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")] + [
	(day, "13:00:00", "17:00:00") for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
]


def make_sla_policy(
	name=None,
	*,
	targets=None,
	is_default=0,
	conditions=(),
	business_hours=(),
	holidays=(),
	timezone="UTC",
	reminders=(75,),
	paused="PENDING",
	escalate_to=None,
	escalation_team=None,
	grace_percent=50,
	grace_minutes=0,
	condition_order=10,
	escalation_enabled=1,
):
	"""An SLA policy; round the clock in UTC unless business hours are given.

	targets: {priority: (first response minutes, resolution minutes)}; conditions: (type, value[, field]).
	"""
	name = name or f"SLA {secrets.token_hex(4)}"
	targets = targets or {"LOW": (240, 2400), "MEDIUM": (60, 480), "HIGH": (30, 240)}
	return frappe.get_doc(
		{
			"doctype": "SLA Policy",
			"policy_name": name,
			"enabled": 1,
			"is_default": is_default,
			"timezone": timezone,
			"condition_order": condition_order,
			"targets": [
				{"priority": p, "first_response_minutes": fr, "resolution_minutes": res} for p, (fr, res) in targets.items()
			],
			"business_hours": [{"weekday": d, "start_time": s, "end_time": e} for d, s, e in business_hours],
			"holidays": [{"holiday_date": h} for h in holidays],
			"paused_statuses": paused,
			"reminder_thresholds": [{"percent": p} for p in reminders],
			"escalation_enabled": escalation_enabled,
			"escalate_to": escalate_to,
			"escalation_team": escalation_team,
			"escalation_grace_percent": grace_percent,
			"escalation_grace_minutes": grace_minutes,
			"conditions": [
				{"condition_type": c[0], "value": c[1], "ticket_field": c[2] if len(c) > 2 else None} for c in conditions
			],
		}
	).insert()


def make_team(name, *users):
	if frappe.db.exists("User Group", name):
		frappe.delete_doc("User Group", name, force=True, ignore_permissions=True)
	return frappe.get_doc(
		{"doctype": "User Group", "name": name, "__newname": name, "user_group_members": [{"user": u} for u in users]}
	).insert(ignore_permissions=True).name


def make_ticket_at(when, title="SLA ticket", **fields):
	"""A ticket as if created at `when` (naive, system time): creation and first status entry moved back,
	SLA fields recomputed as of `when`."""
	from tg_tickets.sla import tracking
	from tg_tickets.tickets import search

	ticket = make_ticket(title, **fields)
	frappe.db.set_value("Ticket", ticket.name, "creation", when, update_modified=False)
	search.move_ticket_in_time(ticket.name, when)
	frappe.db.sql("update `tabTicket Status Log` set changed_at = %s where ticket = %s", (when, ticket.name))
	tracking.refresh(ticket.name, now=when)
	return frappe.get_doc("Ticket", ticket.name)


def set_status_at(name, status, when):
	"""Changes a ticket's status through a normal save, then dates that change at `when`."""
	from tg_tickets.sla import tracking

	doc = frappe.get_doc("Ticket", name)
	doc.status = status
	doc.save()
	latest = frappe.get_all(
		"Ticket Status Log", filters={"ticket": name}, order_by="changed_at desc, creation desc", limit=1, pluck="name"
	)[0]
	frappe.db.set_value("Ticket Status Log", latest, "changed_at", when, update_modified=False)
	tracking.refresh(name, now=when)
	return frappe.get_doc("Ticket", name)


@contextlib.contextmanager
def outgoing_email_account(email_id="sla-notifications@tickets.test"):
	"""A default outgoing account (committed, so workers see it) whose mail stays queued: emails are muted."""
	name = "Tickets Test Outgoing"
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": email_id,
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"smtp_port": 2525,
				"no_smtp_authentication": 1,
			}
		).insert(ignore_permissions=True)
	frappe.db.commit()
	try:
		with site_config("mute_emails", 1):
			yield name
	finally:
		frappe.db.rollback()
		frappe.delete_doc("Email Account", name, force=True, ignore_permissions=True)
		frappe.db.commit()


def mark_setup_complete():
	"""Browser tests need the desk, not Frappe's setup wizard. Once setup is complete, Frappe makes any user
	it saves a System Manager while no other one exists, so a dedicated one is made first."""
	make_user("system.manager@tickets.test", "System Manager")
	# Frappe's own end of the wizard: setup complete and the desk's home page (not the wizard) for everyone.
	from frappe.desk.page.setup_wizard.setup_wizard import disable_future_access

	disable_future_access()


# --- routing (tg_tickets/routing/) -----------------------------------------------------------------------


def make_ticket_team(name, members=(), model="Round-robin", *, categories=(), keywords="", supervisor=None,
		default_capacity=10, is_default=0, sequence=0, skills=None, return_unanswered_after=0):
	"""A Ticket Team (replaced if it exists); members in rotation order; skills: {user: "a, b"}."""
	if frappe.db.exists("Ticket Team", name):
		frappe.delete_doc("Ticket Team", name, force=True, ignore_permissions=True)
	for category in categories:
		if not frappe.db.exists("Ticket Category", category):
			frappe.get_doc({"doctype": "Ticket Category", "category_name": category}).insert(ignore_permissions=True)
	return frappe.get_doc({
		"doctype": "Ticket Team", "team_name": name, "assignment_model": model, "supervisor": supervisor,
		"default_capacity": default_capacity, "is_default": is_default, "sequence": sequence, "keywords": keywords,
		"return_unanswered_after": return_unanswered_after,
		"categories": [{"category": c} for c in categories],
		"members": [{"user": u, "skills": (skills or {}).get(u)} for u in members],
	}).insert(ignore_permissions=True)


def set_agent(user, availability="Online", capacity=None):
	"""The agent's availability (and own capacity when given), as the navbar and the lead would set them."""
	from tg_tickets.routing.agents import ensure_agent

	ensure_agent(user)
	values = {"availability": availability, "last_seen_at": frappe.utils.now_datetime()}
	if capacity is not None:
		values["capacity"] = capacity
	frappe.db.set_value("Ticket Agent", user, values, update_modified=False)


def clear_routing():
	"""No teams, no agents, no open tickets held: each routing test starts from an empty floor."""
	for name in frappe.get_all("Ticket Team", pluck="name"):
		frappe.delete_doc("Ticket Team", name, force=True, ignore_permissions=True)
	frappe.db.sql("update `tabTicket` set assigned_to = null, waiting_since = null where assigned_to is not null or waiting_since is not null")
	frappe.db.sql("update `tabTicket` set team = null where team is not null")
	frappe.db.delete("Ticket Agent")
	from tg_tickets.routing.teams import clear_cache

	clear_cache()


# --- lifecycle (tg_tickets/lifecycle/) -------------------------------------------------------------------


@contextlib.contextmanager
def clock_at(moment):
	"""The app's clock (now_datetime) reads `moment` (naive, system time) inside the block: Frappe's own way
	(FrappeTestCase.freeze_time, freezegun)."""
	import pytz
	from freezegun import freeze_time
	from frappe.utils import get_datetime, get_system_timezone

	aware = pytz.timezone(get_system_timezone()).localize(get_datetime(moment)).astimezone(pytz.utc)
	with freeze_time(aware):
		yield


def make_auto_close_rule(name=None, *, close=72, warn=24, window=0, business_hours=0, category=None, sla_policy=None,
		enabled=1):
	"""An Auto Close Rule (hours); neither category nor policy makes it the site's default."""
	return frappe.get_doc({
		"doctype": "Auto Close Rule", "rule_name": name or f"Auto close {secrets.token_hex(3)}", "enabled": enabled,
		"close_after_hours": close, "warn_before_hours": warn, "reopen_window_hours": window,
		"business_hours": business_hours, "category": category, "sla_policy": sla_policy,
	}).insert(ignore_permissions=True)


def clear_auto_close_rules():
	for name in frappe.get_all("Auto Close Rule", pluck="name"):
		frappe.delete_doc("Auto Close Rule", name, force=True, ignore_permissions=True)


def make_escalation_rule(name=None, trigger="SLA breach", *, grace=0, conditions=(), raise_priority=0, move_to_team=None,
		assign_to=None, assign_to_team_supervisor=0, notify_users=(), **params):
	"""An Escalation Rule; conditions: (ticket field, operator, value); params: sentiment_messages,
	sentiment_threshold, age_hours, age_in_business_hours, reopened_times."""
	return frappe.get_doc({
		"doctype": "Escalation Rule", "rule_name": name or f"Escalate {secrets.token_hex(3)}", "enabled": 1,
		"trigger": trigger, "grace_minutes": grace, "raise_priority": raise_priority, "move_to_team": move_to_team,
		"assign_to": assign_to, "assign_to_team_supervisor": assign_to_team_supervisor,
		"notify_users": "\n".join(notify_users),
		"conditions": [{"ticket_field": f, "operator": o, "value": v} for f, o, v in conditions],
		**params,
	}).insert(ignore_permissions=True)


def clear_escalation_rules():
	frappe.db.delete("Escalation Log")
	for name in frappe.get_all("Escalation Rule", pluck="name"):
		frappe.delete_doc("Escalation Rule", name, force=True, ignore_permissions=True)


def remove_tickets(names, agents):
	"""Deletes the tickets' rows (theirs alone) and recounts the agents' open tickets."""
	from tg_tickets.routing.agents import recount
	from tg_tickets.tickets.search import SEARCH_TABLE, forget_words

	frappe.db.delete("Ticket Chat", {"parent": ["in", names], "parenttype": "Ticket"})
	frappe.db.sql(f"delete from `{SEARCH_TABLE}` where ticket in %s", (tuple(names),))
	forget_words(names)
	frappe.db.delete("Ticket", {"name": ["in", names]})
	recount(agents)
	frappe.db.commit()
