"""Audit in Chromium: opening a ticket in the side sheet and in the full form are views; the admin's Audit
tab on the form lists who opened it and who changed what; a member's form has no Audit tab."""

import uuid

import frappe
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, open_table, screenshot
from tests.factories import make_ticket

pytestmark = pytest.mark.browser


def test_views_and_changes_show_in_the_admins_audit_tab_and_members_have_none(browser, live_site, users):
	name = make_ticket(f"Audit me {uuid.uuid4().hex[:6]}").name
	frappe.db.commit()
	member = login(browser, live_site, users["member"])
	open_table(member, f"?name={name}")
	member.locator(f'.list-row[data-name="{name}"] .tg-cell-title .tg-title').click()
	expect(member.locator(f".tg-sheet.open[data-name='{name}']")).to_be_visible()
	member.goto(f"/app/ticket/{name}")
	expect(member.locator(".form-tabs-list")).to_be_visible()
	expect(member.locator(".form-tabs-list [data-fieldname='audit_tab']")).to_be_hidden()
	member.context.close()
	frappe.db.rollback()
	# the side sheet's view and the form's a moment later are one visit
	assert frappe.get_all("Ticket View", filters={"ticket": name, "user": users["member"]}, pluck="source") == ["Side sheet"]

	doc = frappe.get_doc("Ticket", name)
	doc.priority = "HIGH"
	doc.save(ignore_version=False)
	frappe.db.commit()
	admin = login(browser, live_site, users["admin"])
	admin.goto(f"/app/ticket/{name}")
	admin.locator(".form-tabs-list [data-fieldname='audit_tab']").click()
	audit = admin.locator(".tg-audit")
	expect(audit.locator(".tg-audit-row[data-kind='view']", has_text=users["member"])).to_have_count(1)
	expect(audit.locator(".tg-audit-row[data-kind='view']", has_text=users["admin"])).to_have_count(1)
	expect(audit.locator(".tg-audit-row[data-kind='change']")).to_contain_text("priority: MEDIUM → HIGH")
	screenshot(admin, "audit_tab")
	admin.context.close()
	frappe.db.rollback()
	assert frappe.get_all("Ticket View", filters={"ticket": name, "user": users["admin"]}, pluck="source") == ["Form"]
