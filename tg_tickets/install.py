"""Install, migrate and uninstall steps: the roles and defaults the app needs on every site.

Everything here is idempotent, because it runs on every migrate too.
"""

import frappe

ROLES = ("Tickets Member", "Tickets Admin", "Tickets Owner")


def after_install():
	after_migrate()
	offer_tickets_to_global_search()


def after_migrate():
	from tg_tickets.extends.customization import ensure_permissions
	from tg_tickets.tickets.search import ensure_search_table

	ensure_roles()
	ensure_permissions()
	ensure_search_table()
	recount_agents()


def recount_agents():
	"""Agents' open-ticket counts rebuilt from the tickets (they are kept incrementally between migrates)."""
	from tg_tickets.routing.agents import recount

	recount()


def ensure_roles():
	for role_name in ROLES:
		if not frappe.db.exists("Role", role_name):
			frappe.get_doc({"doctype": "Role", "role_name": role_name, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def offer_tickets_to_global_search():
	"""Lists Ticket in Global Search Settings, on install only: an admin who removes it later keeps it removed.
	What a user finds there still follows the tickets switches (overrides/global_search.py)."""
	settings = frappe.get_single("Global Search Settings")
	if not any(row.document_type == "Ticket" for row in settings.allowed_in_global_search):
		settings.append("allowed_in_global_search", {"document_type": "Ticket"})
		settings.save(ignore_permissions=True)


def before_uninstall():
	"""Roles, custom permissions and the search table are not doctype records of this app, so uninstall
	removes them."""
	from tg_tickets.extends.customization import remove_permissions
	from tg_tickets.tickets.search import drop_search_table

	remove_permissions()
	drop_search_table()
	frappe.db.delete("Global Search DocType", {"document_type": "Ticket"})
	frappe.cache.hdel("global_search", "search_priorities")
	for role_name in ROLES:
		frappe.db.delete("Has Role", {"role": role_name})
		if frappe.db.exists("Role", role_name):
			frappe.delete_doc("Role", role_name, ignore_permissions=True, force=True)
