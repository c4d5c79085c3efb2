"""Install, migrate and uninstall steps: the roles and defaults the app needs on every site.

Everything here is idempotent, because it runs on every migrate too.
"""

import frappe

ROLES = ("Tickets Member", "Tickets Admin", "Tickets Owner")


def after_install():
	from tg_tickets.patches.v1_0 import notification_defaults, show_setup_checklist

	after_migrate()
	offer_tickets_to_global_search()
	notification_defaults.execute()
	show_setup_checklist.execute()


def after_migrate():
	from tg_tickets.extends.customization import ensure_permissions
	from tg_tickets.tickets.indexes import ensure_ticket_indexes
	from tg_tickets.tickets.search import ensure_search_table

	ensure_roles()
	ensure_permissions()
	ensure_ticket_indexes()
	ensure_search_table()
	ensure_analytics_days()
	ensure_notification_menu_item()
	recount_agents()
	ensure_queue_dashboard_block()


def ensure_analytics_days():
	"""The analytics day summaries' tables; the days are (re)built by a job, not during the migrate."""
	from tg_tickets.analytics import days

	days.ensure_tables()
	days.rebuild_later()


def recount_agents():
	"""Agents' open-ticket counts rebuilt from the tickets (they are kept incrementally between migrates)."""
	from tg_tickets.routing.agents import recount

	recount()


QUEUE_DASHBOARD_BLOCK = "Ticket Queue Dashboard"
QUEUE_DASHBOARD_STYLE = """
.tg-queue { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 4fr) minmax(0, 3fr); gap: 16px; }
@media (max-width: 1100px) { .tg-queue { grid-template-columns: minmax(0, 1fr); } }
.tg-queue-col { overflow-x: auto; }
.tg-queue h5 { margin: 4px 0 8px; }
.tg-queue table { font-size: 13px; margin: 0; }
.tg-queue-number { font-weight: 600; text-decoration: underline dotted; }
.tg-dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 5px; background: #98a1a9; }
.tg-dot-online { background: #29cd42; } .tg-dot-away { background: #ecad4b; }
.tg-load-overloaded td { background: #fff1f0; } .tg-load-full td { background: #fff9eb; }
.tg-overloaded { color: #e24c4c; font-weight: 600; }
.tg-queue-breach-list { padding-left: 16px; font-size: 13px; }
.tg-queue-note { color: #7c7c7c; padding: 8px 0; }
"""


def ensure_queue_dashboard_block():
	"""The workspace's queue dashboard: a Custom HTML Block (Frappe exports no module JSON for those, so it
	is written here on every migrate) that mounts the bundle's dashboard (public/js/desk/routing.js)."""
	values = {
		"html": '<div class="tg-queue-root"></div>',
		"script": "tg_tickets.routing.mount_queue_dashboard(root_element);",
		"style": QUEUE_DASHBOARD_STYLE.strip(),
		"private": 0,
	}
	if frappe.db.exists("Custom HTML Block", QUEUE_DASHBOARD_BLOCK):
		doc = frappe.get_doc("Custom HTML Block", QUEUE_DASHBOARD_BLOCK)
		if all(doc.get(k) == v for k, v in values.items()):
			return
		doc.update(values)
		doc.save(ignore_permissions=True)
	else:
		frappe.get_doc({"doctype": "Custom HTML Block", "name": QUEUE_DASHBOARD_BLOCK, "__newname": QUEUE_DASHBOARD_BLOCK,
			**values}).insert(ignore_permissions=True)


def ensure_notification_menu_item():
	"""The user menu's "My notification preferences" (Navbar Settings), added once: the list route takes each
	user to their own preferences (tg_tickets/notify/)."""
	settings = frappe.get_single("Navbar Settings")
	route = "/app/agent-notification-preferences"
	if any(row.route == route for row in settings.settings_dropdown):
		return
	settings.append("settings_dropdown", {"item_label": "My notification preferences", "item_type": "Route", "route": route})
	settings.save(ignore_permissions=True)


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


def before_tests():
	"""Prepares a site for `bench run-tests` the way Frappe's own `before_tests` prepares a Frappe-only site:
	Frappe's steps aside once a second app is installed, which left a site with this app on the setup wizard
	and Frappe's own tests (File, Comment, Customize Form) failing there. The setup wizard is completed through
	Frappe's own helper (country, time zone, language, date and number formats, a test user; Frappe alone keeps
	no currency), sign-up is opened as Frappe's tests expect, caches are cleared. Idempotent: a completed setup
	is left as it is.

	Unlike Frappe's, it does not truncate Custom Field and Event: those tables may hold a site's own records."""
	from frappe.utils.install import complete_setup_wizard

	frappe.clear_cache()
	if not is_setup_complete():
		complete_setup_wizard()
	frappe.db.set_single_value("Website Settings", "disable_signup", 0)
	frappe.db.commit()  # nosemgrep: the test runner starts each module from committed state
	frappe.clear_cache()


def is_setup_complete() -> bool:
	return bool(frappe.utils.cint(frappe.db.get_single_value("System Settings", "setup_complete")))


def before_uninstall():
	"""Roles, custom permissions and the search table are not doctype records of this app, so uninstall
	removes them."""
	from tg_tickets.extends.customization import remove_permissions
	from tg_tickets.analytics.days import drop_tables as drop_analytics_days
	from tg_tickets.tickets.search import drop_search_table

	remove_permissions()
	drop_search_table()
	drop_analytics_days()
	frappe.db.delete("Global Search DocType", {"document_type": "Ticket"})
	frappe.cache.hdel("global_search", "search_priorities")
	for role_name in ROLES:
		frappe.db.delete("Has Role", {"role": role_name})
		if frappe.db.exists("Role", role_name):
			frappe.delete_doc("Role", role_name, ignore_permissions=True, force=True)
