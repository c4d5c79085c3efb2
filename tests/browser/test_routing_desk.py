"""The routing desk in Chromium: every role lands on the Tickets workspace (never the setup wizard), the
navbar's availability switch, Claim from the ticket table, and the queue dashboard's click-through to exactly
the rows behind a number."""

import re
import uuid

import frappe
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, open_table, screenshot
from tests.factories import clear_routing, make_ticket, make_ticket_team, set_agent

pytestmark = pytest.mark.browser


@pytest.fixture
def routing_floor():
	clear_routing()
	frappe.db.commit()
	yield
	frappe.db.rollback()
	clear_routing()
	frappe.db.commit()


@pytest.mark.parametrize("role", ["member", "admin", "owner", "Administrator"])
def test_every_role_lands_on_the_tickets_workspace(browser, live_site, users, role):
	user, password = (role, "admin") if role == "Administrator" else (users[role], None)
	page = login(browser, live_site, user, **({"password": password} if password else {}))
	page.wait_for_url("**/app/tickets")
	expect(page.locator(".number-widget-box").first).to_be_visible()
	expect(page.get_by_text("Unassigned Tickets").first).to_be_visible()
	assert "setup-wizard" not in page.url
	screenshot(page, f"workspace-landing-{role}")
	page.context.close()


def test_the_availability_switch_takes_one_click(browser, live_site, users, routing_floor):
	set_agent(users["member"], "Offline")
	frappe.db.commit()
	page = login(browser, live_site, users["member"])
	switch = page.locator(".tg-availability")
	expect(switch).to_have_attribute("data-current", "Offline")
	for wanted in ("Online", "Away"):
		button = switch.locator(f"[data-availability={wanted}]")
		with page.expect_response("**/api/method/tg_tickets.api.routing.set_availability") as response:
			button.click()  # one click
		assert response.value.ok
		expect(switch).to_have_attribute("data-current", wanted)
		frappe.db.rollback()
		assert frappe.db.get_value("Ticket Agent", users["member"], "availability") == wanted
	page.context.close()


def test_claim_from_the_ticket_table(browser, live_site, users, routing_floor):
	tag = uuid.uuid4().hex[:6]
	make_ticket_team("Claim desk", [users["member"]], "Manual claim", is_default=1)
	set_agent(users["member"], "Online")
	name = make_ticket(f"Claim me {tag}").name
	frappe.db.commit()
	page = login(browser, live_site, users["member"])
	open_table(page, f"?name={name}")
	row = page.locator(f'.list-row[data-name="{name}"]')
	row.locator(".tg-claim").click()
	expect(row.locator(".tg-claim")).to_have_count(0)
	frappe.db.rollback()
	assert frappe.db.get_value("Ticket", name, "assigned_to") == users["member"]
	page.context.close()


def test_a_dashboard_number_opens_the_table_filtered_to_exactly_its_rows(browser, live_site, users, routing_floor):
	tag = uuid.uuid4().hex[:6]
	make_ticket_team(f"Queue {tag}", [users["member"]], "Manual claim", categories=[f"Cat {tag}"], supervisor=users["admin"])
	waiting = sorted(make_ticket(f"Waiting {tag} {i}", category=f"Cat {tag}").name for i in range(3))
	frappe.db.commit()
	page = login(browser, live_site, users["admin"])
	page.wait_for_url("**/app/tickets")
	team_row = page.locator(f'.tg-queue tr[data-team="Queue {tag}"]')
	expect(team_row.locator(".tg-queue-waiting")).to_have_text("3")
	team_row.locator(".tg-queue-number").click()
	expect(page).to_have_url(re.compile(r"/app/ticket(/view/list)?\?"))
	expect(page.locator(".tg-ticket-table .list-row[data-name]")).to_have_count(3)
	shown = sorted(page.locator(".tg-ticket-table .list-row[data-name]").evaluate_all(
		"(rows) => rows.map((r) => r.getAttribute('data-name'))"))
	assert shown == waiting
	screenshot(page, "queue-click-through")
	page.context.close()
