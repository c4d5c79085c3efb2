import frappe

from tg_tickets.permissions import TICKET_ROLES


def test_app_is_installed_on_the_test_site():
	assert "tg_tickets" in frappe.get_installed_apps()


def test_module_and_doctypes_exist():
	assert frappe.db.exists("Module Def", "TG Tickets")
	for doctype in ("Ticket", "Ticket Chat", "Linked Chat", "Tickets Settings", "Ticket Category"):
		assert frappe.db.exists("DocType", doctype), doctype
		assert frappe.get_meta(doctype).module == "TG Tickets"


def test_the_three_ticket_roles_exist():
	for role in TICKET_ROLES:
		assert frappe.db.exists("Role", role), role
	assert TICKET_ROLES == ("Tickets Member", "Tickets Admin", "Tickets Owner")
