"""The desk's boot page over HTTP: on the ticket table's own address it carries Ticket's meta and the first
page of rows exactly as the list request (frappe.desk.reportview.get) would return them, under the same
permission rules; elsewhere, or with filters in the address, it leaves the rows out."""

import json
import re

import frappe
import pytest

from tests.factories import PASSWORD, make_chat, make_ticket, settings

BOOT = re.compile(r"frappe\.boot = JSON\.parse\((\".*?\")\);\n", re.S)


def boot_of(client, path: str) -> dict:
	response = client.get(client.base_url + path)
	assert response.ok, response.status_code
	return json.loads(json.loads(BOOT.search(response.text).group(1)))


def rows_of(message) -> list[dict]:
	return [dict(zip(message["keys"], values)) for values in message["values"]] if message else []


@pytest.fixture(scope="module")
def member(live_site, users):
	"""Sessions of their own: opening a desk page gives the session a CSRF token, which the shared REST
	clients do not send."""
	return live_site.session(users["member"], PASSWORD)


@pytest.fixture(scope="module")
def outsider(live_site, users):
	return live_site.session(users["outsider"], PASSWORD)


@pytest.fixture(scope="module")
def newest():
	with settings(enabled=1):
		chat = make_chat("Boot page customer")
		make_ticket("boot page older")
		ticket = make_ticket("boot page newest", chats=[chat])
		frappe.db.commit()
	return ticket, chat


def test_ticket_table_boot_holds_the_first_page_as_the_list_request_returns_it(member, newest):
	ticket, chat = newest
	with settings(enabled=1):
		table = boot_of(member, "/app/ticket")["tg_tickets"]
		page = table["first_page"]
		listed = member.call(
			"frappe.desk.reportview.get", http="GET", doctype="Ticket", fields=json.dumps(page["fields"]),
			order_by=page["order_by"], start=0, page_length=page["page_length"], with_comment_count=1, filters="[]",
		)
	assert listed.ok, listed.text
	assert page["order_by"] == "`tabTicket`.`creation` desc"  # newest first, as the sort selector writes it
	assert rows_of(page["data"]) == rows_of(listed.json()["message"])
	assert rows_of(page["data"])[0]["name"] == ticket.name
	assert [c["name"] for c in page["chats"][ticket.name]] == [chat]
	assert table["ticket_meta"][0]["name"] == "Ticket"
	assert "Ticket Chat" in [doc["name"] for doc in table["ticket_meta"]]


@pytest.mark.parametrize("path", ["/app/ticket?status=OPEN", "/app/ticket/new-ticket-1", "/app/ticket/view/report"])
def test_other_ticket_addresses_get_the_meta_but_no_rows(member, newest, path):
	with settings(enabled=1):
		table = boot_of(member, path)["tg_tickets"]
	assert table["ticket_meta"][0]["name"] == "Ticket"
	assert "first_page" not in table


def test_other_desk_pages_carry_nothing_of_the_table(member, newest):
	with settings(enabled=1):
		table = boot_of(member, "/app/linked-chat")["tg_tickets"]
	assert "ticket_meta" not in table and "first_page" not in table


def test_no_rows_in_boot_for_users_who_may_not_read_tickets(member, outsider, newest):
	with settings(enabled=1):
		assert "first_page" not in boot_of(outsider, "/app/ticket").get("tg_tickets", {})
	with settings(enabled=0):
		table = boot_of(member, "/app/ticket")["tg_tickets"]
	assert "first_page" not in table and "ticket_meta" not in table
