"""The desk's boot page over HTTP: it ships the ticket field lists the desk's JS shares with the server (defined
once, in tickets/) and the members a ticket may be assigned to, to those who may read tickets. It carries no
ticket rows and no Ticket meta: the table loads them through Frappe's own list requests (reportview.get under
the same permission rules, tested in test_ticket_list_rest.py)."""

import json
import re

import frappe
import pytest

from tests.factories import PASSWORD, make_ticket, settings
from tg_tickets.tickets.fields import ROW_FIELDS
from tg_tickets.tickets.lifecycle import SERVER_MAINTAINED

BOOT = re.compile(r"frappe\.boot = JSON\.parse\((\".*?\")\);\n", re.S)


def boot_of(client, path: str) -> dict:
	response = client.get(client.base_url + path)
	assert response.ok, response.status_code
	return json.loads(json.loads(BOOT.search(response.text).group(1)))


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
		ticket = make_ticket("boot page newest")
		frappe.db.commit()
	return ticket


def test_boot_ships_the_servers_field_lists_to_the_desk(member, newest):
	with settings(enabled=1):
		table = boot_of(member, "/app/ticket")["tg_tickets"]
	assert table["row_fields"] == list(ROW_FIELDS)
	assert set(table["server_maintained"]) == SERVER_MAINTAINED
	assert "status_rank" in table["server_maintained"]  # the desk never offers the rank columns for editing


@pytest.mark.parametrize("path", ["/app/ticket", "/app/ticket?status=OPEN", "/app/ticket/view/report", "/app/linked-chat"])
def test_no_ticket_rows_or_meta_in_boot_on_any_desk_page(member, newest, path):
	with settings(enabled=1):
		table = boot_of(member, path)["tg_tickets"]
	assert not {"first_page", "ticket_meta", "ticket_user_settings", "list_settings"} & set(table)
	assert table["actions"]["read"] is True


def test_members_only_for_users_who_may_read_tickets(member, outsider, users, newest):
	with settings(enabled=1):
		assert users["member"] in [m["name"] for m in boot_of(member, "/app/ticket")["tg_tickets"]["members"]]
		assert boot_of(outsider, "/app/ticket").get("tg_tickets", {}).get("members", []) == []
	with settings(enabled=0):
		assert boot_of(member, "/app/ticket")["tg_tickets"]["members"] == []
