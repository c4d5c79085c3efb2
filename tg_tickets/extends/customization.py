"""Lets Tickets Admins and Owners customise the Ticket doctype (Customize Form, custom fields,
property setters) and nothing else: Frappe grants those doctypes site-wide, so these hooks narrow
the grant given to the ticket roles back to the ticket doctypes. A grant the site gives through any other
role (System Manager, or a role of its own in Role Permissions Manager) is left as Frappe has it.
"""

import frappe

from tg_tickets import permissions

CUSTOMIZABLE_DOCTYPES = ("Ticket", "Linked Chat")
CUSTOMIZATION_DOCTYPES = {
	# doctype: the field naming the doctype being customised
	"Customize Form": "doc_type",
	"Custom Field": "dt",
	"Property Setter": "doc_type",
}
RIGHTS = ("read", "write", "create", "delete")


def _site_wide(user: str | None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or "System Manager" in frappe.get_roles(user)


def _granted_by_other_roles(doctype: str, ptype: str, user: str | None) -> bool:
	"""Whether a role of the user other than the two this module grants gives `ptype` on `doctype`."""
	from frappe.permissions import get_valid_perms

	return any(
		perm.get(ptype) and perm.role not in (permissions.ADMIN, permissions.OWNER)
		for perm in get_valid_perms(doctype, user or frappe.session.user)
	)


def ensure_permissions():
	"""Custom DocPerms giving Tickets Admin and Owner the customisation doctypes (idempotent)."""
	from frappe.permissions import add_permission, update_permission_property

	for doctype in CUSTOMIZATION_DOCTYPES:
		for role in (permissions.ADMIN, permissions.OWNER):
			if not frappe.db.exists("Custom DocPerm", {"parent": doctype, "role": role, "permlevel": 0}):
				add_permission(doctype, role, 0)
			for right in RIGHTS:
				if doctype == "Customize Form" and right == "delete":
					continue
				update_permission_property(doctype, role, 0, right, 1, validate=False)


def remove_permissions():
	frappe.db.delete("Custom DocPerm", {"role": ("in", (permissions.ADMIN, permissions.OWNER))})


def has_customization_permission(doc, ptype="read", user=None, debug=False):
	if _site_wide(user) or _granted_by_other_roles(doc.doctype, ptype, user):
		return None
	if not permissions.is_admin(user) or not permissions.can_see_tickets(user):
		return False
	target = doc.get(CUSTOMIZATION_DOCTYPES[doc.doctype])
	# An empty Customize Form (no doctype chosen yet) may be opened; saving needs a ticket doctype.
	if doc.doctype == "Customize Form" and not target and ptype == "read":
		return None
	return None if target in CUSTOMIZABLE_DOCTYPES else False


def customization_query_conditions(user=None, doctype=None):
	if _site_wide(user) or (doctype and _granted_by_other_roles(doctype, "read", user)):
		return ""
	field = CUSTOMIZATION_DOCTYPES.get(doctype, "dt")
	allowed = ", ".join(frappe.db.escape(d) for d in CUSTOMIZABLE_DOCTYPES)
	return f"`tab{doctype}`.`{field}` in ({allowed})"
