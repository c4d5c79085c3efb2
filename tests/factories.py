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
		yield
	finally:
		frappe.db.rollback()
		set_settings(**previous)
		frappe.db.commit()


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
