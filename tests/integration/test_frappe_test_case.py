"""Frappe's own FrappeTestCase classes run under our pytest harness too (class setup commits, teardown
rolls back)."""

import frappe
from frappe.tests.utils import FrappeTestCase

from tests.factories import make_ticket, set_settings


class TestTicketCategoryWithFrappeTestCase(FrappeTestCase):
	def setUp(self):
		set_settings(enabled=1)

	def test_a_ticket_links_an_existing_category(self):
		if not frappe.db.exists("Ticket Category", "Hardware"):
			frappe.get_doc({"doctype": "Ticket Category", "category_name": "Hardware"}).insert()
		ticket = make_ticket("Broken keyboard", category="Hardware")
		self.assertEqual(frappe.db.get_value("Ticket", ticket.name, "category"), "Hardware")

	def test_a_ticket_rejects_an_unknown_category(self):
		with self.assertRaises(frappe.LinkValidationError):
			make_ticket("Broken mouse", category="No such category")
