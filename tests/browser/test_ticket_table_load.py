"""The ticket table's first load: Frappe's list view loads Ticket's meta, the list settings and the first page
of rows with its own requests (no patch of the desk answers them from boot); the rows show with their chats
and respond; facet counts come only when a facet opens; later refreshes and filters ask the server."""

import frappe
import pytest
from frappe.model.utils.user_settings import update_user_settings
from playwright.sync_api import expect

from tests.browser.conftest import forget_list_settings, login, open_table
from tests.factories import make_chat, make_ticket

pytestmark = pytest.mark.browser

LIST_REQUEST = "frappe.desk.reportview.get"
FACET_COUNTS = "frappe.desk.listview.get_group_by_count"


def method_of(url: str) -> str:
	return url.split("?")[0].rsplit("/api/method/", 1)[-1]


def record_methods(page) -> list[str]:
	methods = []
	page.on("request", lambda request: "/api/method/" in request.url and methods.append(method_of(request.url)))
	return methods


def rows(page):
	return page.locator(".tg-ticket-table .list-row[data-name]")


def newest_ticket_names(limit: int) -> list[str]:
	frappe.db.rollback()  # a new transaction sees what the web process committed
	return frappe.get_all("Ticket", order_by="creation desc", pluck="name", limit=limit)


def save_list_state(user: str, **state):
	"""The user's saved list state (e.g. filters), as the desk stores it when the user changes them."""
	forget_list_settings(user)
	frappe.set_user(user)
	try:
		update_user_settings("Ticket", {"List": state})
	finally:
		frappe.set_user("Administrator")


def test_first_load_shows_newest_rows_with_their_chats_through_the_list_request(browser, live_site, users):
	chat = make_chat("First load chat customer")
	make_ticket("older ticket for the first load")
	newest = make_ticket("newest ticket for the first load", chats=[chat])
	frappe.db.commit()
	expected = newest_ticket_names(3)
	assert expected[0] == newest.name
	page = login(browser, live_site, users["member"])
	methods = record_methods(page)
	open_table(page)
	# What was asked before the rows showed (later, realtime list updates may refresh the table as usual).
	before_rows = list(methods)
	expect(rows(page).first).to_have_attribute("data-name", newest.name)
	assert rows(page).evaluate_all("rs => rs.slice(0, 3).map(r => r.dataset.name)") == expected
	expect(rows(page).first.locator(".tg-chat-avatar")).to_have_attribute("data-chat", chat)
	assert LIST_REQUEST in before_rows  # Frappe's own list request, answered by the Ticket-aware override
	# Facet counts are not part of the load: they come when a facet opens, after the rows.
	assert FACET_COUNTS not in before_rows
	# The rows respond at once: a click opens the ticket's side sheet.
	rows(page).first.locator(".tg-cell-title .tg-title").click()
	expect(page.locator(".tg-sheet.open .tg-sheet-field[data-fieldname='title']")).to_contain_text(newest.title)
	with page.expect_response(lambda response: FACET_COUNTS in response.url):
		page.click(".tg-facet[data-facet='status'] > button")
	expect(page.locator(".tg-facet[data-facet='status'] .tg-facet-value").first).to_be_visible()
	assert page.errors == []
	page.context.close()


def test_later_refreshes_ask_the_server(browser, live_site, users):
	make_ticket("ticket before the page load")
	frappe.db.commit()
	page = login(browser, live_site, users["member"])
	open_table(page)
	later = make_ticket("ticket made after the page load")
	frappe.db.commit()
	with page.expect_request(lambda request: method_of(request.url) == "frappe.desk.reportview.get"):
		page.evaluate("() => tg_tickets.reload_table()")
	expect(rows(page).first).to_have_attribute("data-name", later.name)
	page.context.close()


def test_saved_or_linked_filters_load_through_the_server(browser, live_site, users):
	closed = make_ticket("ticket closed for the filter check")
	closed.status = "CLOSED"
	closed.save()
	make_ticket("ticket open for the filter check")
	frappe.db.commit()
	page = login(browser, live_site, users["member"])
	status_cells = page.locator(".tg-ticket-table .list-row .tg-cell-status")
	# Filters from the link: the list asks the server with them.
	methods = record_methods(page)
	open_table(page, "?status=CLOSED")
	expect(status_cells.first).to_have_text("CLOSED")
	assert set(status_cells.all_inner_texts()) == {"CLOSED"}
	assert "frappe.desk.reportview.get" in methods
	# Saved filters: the list asks the server with the filters.
	save_list_state(users["member"], filters=[["Ticket", "status", "=", "CLOSED", False]])
	methods.clear()
	open_table(page)
	expect(status_cells.first).to_have_text("CLOSED")
	assert set(status_cells.all_inner_texts()) == {"CLOSED"}
	assert "frappe.desk.reportview.get" in methods
	forget_list_settings(users["member"])
	page.context.close()
