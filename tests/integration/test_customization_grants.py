"""The customisation hooks narrow only what they grant the ticket roles: a right on Property Setter or
Customize Form that the site gives through a role of its own reaches every doctype, as on plain Frappe
(tg_tickets/extends/customization.py)."""

import frappe
import pytest
from frappe.permissions import add_permission, update_permission_property

from tests.factories import make_admin, make_user, settings

SITE_ROLE = "Form Designer"  # a role the site made itself, granted customisation in Role Permissions Manager
DOCTYPES = ("Property Setter", "Customize Form")


@pytest.fixture(scope="module")
def site_customizer():
	if not frappe.db.exists("Role", SITE_ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": SITE_ROLE, "desk_access": 1}).insert(ignore_permissions=True)
	for doctype in DOCTYPES:
		add_permission(doctype, SITE_ROLE, 0)
		update_permission_property(doctype, SITE_ROLE, 0, "write", 1, validate=False)
	user = make_user("form.designer@tickets.test", SITE_ROLE)
	frappe.db.commit()
	yield user
	frappe.db.delete("Custom DocPerm", {"role": SITE_ROLE})
	frappe.db.commit()
	for doctype in DOCTYPES:
		frappe.clear_cache(doctype=doctype)


@pytest.fixture
def todo_property_setter():
	"""A customisation of a doctype that is not a ticket's (removed after the test)."""
	setter = frappe.get_doc(
		{
			"doctype": "Property Setter",
			"doctype_or_field": "DocField",
			"doc_type": "ToDo",
			"field_name": "description",
			"property": "bold",
			"property_type": "Check",
			"value": "1",
		}
	).insert(ignore_permissions=True)
	yield setter
	frappe.db.rollback()
	frappe.db.delete("Property Setter", setter.name)
	frappe.db.commit()
	frappe.clear_cache(doctype="ToDo")


def customize_form_for(doctype):
	form = frappe.new_doc("Customize Form")
	form.doc_type = doctype
	return form


def test_a_site_granted_role_customises_any_doctype(site_customizer, todo_property_setter):
	frappe.set_user(site_customizer)
	assert todo_property_setter.name in frappe.get_list("Property Setter", {"doc_type": "ToDo"}, pluck="name")
	assert frappe.has_permission("Property Setter", "write", doc=todo_property_setter)
	assert frappe.has_permission("Customize Form", "write", doc=customize_form_for("ToDo"))


def test_a_tickets_admin_still_customises_only_ticket_doctypes(todo_property_setter):
	admin = make_admin()
	with settings(enabled=1):
		frappe.set_user(admin)
		try:
			assert frappe.has_permission("Customize Form", "write", doc=customize_form_for("Ticket"))
			assert todo_property_setter.name not in frappe.get_list("Property Setter", {"doc_type": "ToDo"}, pluck="name")
			assert not frappe.has_permission("Property Setter", "write", doc=todo_property_setter)
			assert not frappe.has_permission("Customize Form", "write", doc=customize_form_for("ToDo"))
		finally:
			frappe.set_user("Administrator")
