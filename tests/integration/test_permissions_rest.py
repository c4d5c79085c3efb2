"""The permission matrix through the REST API, as real users against the running test site.

Each role × action × switch state; the server is the authority, whatever the client sends.
"""

import uuid

import frappe
import pytest

from tests.factories import make_chat, make_ticket, settings, site_config

MEMBER_SWITCHES_ON = dict(enabled=1, members_can_create_tickets=1, members_can_edit_tickets=1, members_can_delete_tickets=1)
MEMBER_SWITCHES_OFF = dict(enabled=1, members_can_create_tickets=0, members_can_edit_tickets=0, members_can_delete_tickets=0)






@pytest.fixture(scope="module", autouse=True)
def tickets_in_global_search():
	"""As on a site where the app was installed (install_app lists Ticket in Global Search Settings)."""
	from tg_tickets.install import offer_tickets_to_global_search

	offer_tickets_to_global_search()
	frappe.db.commit()


@pytest.fixture
def ticket():
	from frappe.utils.global_search import sync_global_search

	with settings(enabled=1):
		doc = make_ticket(f"Matrix {uuid.uuid4().hex[:6]}", chats=[make_chat("Matrix chat")])
		sync_global_search()  # the 15-minute job that moves queued documents into the index
		frappe.db.commit()
	yield doc.name
	frappe.db.rollback()
	if frappe.db.exists("Ticket", doc.name):
		frappe.delete_doc("Ticket", doc.name, force=True, ignore_permissions=True)
		frappe.db.commit()


# --- what each role can see -----------------------------------------------------------------------------


def visible_everywhere(client, name) -> dict:
	"""Where the ticket shows for this client: REST list and read, report view, count, link search, and the
	awesome bar's global search (by the unique word of its title)."""
	resource = client.get(client.resource("Ticket"), params={"filters": f'[["name","=","{name}"]]'})
	single = client.get(client.resource("Ticket", name))
	report = client.call("frappe.desk.reportview.get", doctype="Ticket", fields=["name"], filters=[["name", "=", name]])
	count = client.call("frappe.desk.reportview.get_count", doctype="Ticket", filters=[["name", "=", name]])
	link = client.call("frappe.desk.search.search_link", doctype="Ticket", txt=name)
	title_word = frappe.db.get_value("Ticket", name, "title").split()[-1]
	found = client.call("frappe.utils.global_search.search", text=title_word)
	found_in_tickets = client.call("frappe.utils.global_search.search", text=title_word, doctype="Ticket")
	report_rows = (report.json().get("message") or {}).get("values", []) if report.ok else []
	return {
		"list": resource.ok and any(r["name"] == name for r in resource.json()["data"]),
		"read": single.status_code == 200,
		"report": any(name in row for row in report_rows),
		"count": count.ok and count.json()["message"] == 1,
		"link": link.ok and any(r["value"] == name for r in link.json()["message"]),
		"global search": found.ok and any(r["name"] == name for r in found.json()["message"]),
		"global search in Ticket": found_in_tickets.ok and any(r["name"] == name for r in found_in_tickets.json()["message"]),
	}


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
def test_every_ticket_role_sees_tickets_when_the_feature_is_on(clients, ticket, role):
	with settings(enabled=1):
		assert visible_everywhere(clients[role], ticket) == dict.fromkeys(
			["list", "read", "report", "count", "link", "global search", "global search in Ticket"], True
		)


def test_a_user_without_a_ticket_role_sees_no_ticket(clients, ticket):
	with settings(enabled=1):
		assert not any(visible_everywhere(clients["outsider"], ticket).values())


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
def test_no_ticket_is_visible_while_the_owner_switch_is_off(clients, ticket, role):
	with settings(enabled=0):
		assert not any(visible_everywhere(clients[role], ticket).values())


@pytest.mark.parametrize("role", ["member", "owner"])
def test_no_ticket_is_visible_while_the_installation_switch_is_off(clients, ticket, role):
	with settings(enabled=1), site_config("tg_tickets_enabled", 0):
		assert not any(visible_everywhere(clients[role], ticket).values())


# --- create / edit / delete ---------------------------------------------------------------------------


def create(client):
	return client.post(client.resource("Ticket"), json={"title": f"REST {uuid.uuid4().hex[:6]}"})


def edit(client, name):
	return client.put(client.resource("Ticket", name), json={"priority": "HIGH"})


def delete(client, name):
	return client.delete(client.resource("Ticket", name))


@pytest.mark.parametrize(
	"role, switches, allowed",
	[
		("member", MEMBER_SWITCHES_ON, True),
		("member", MEMBER_SWITCHES_OFF, False),
		("admin", MEMBER_SWITCHES_OFF, True),
		("owner", MEMBER_SWITCHES_OFF, True),
		("outsider", MEMBER_SWITCHES_ON, False),
	],
)
def test_create_edit_delete_follow_role_and_member_switches(clients, ticket, role, switches, allowed):
	client = clients[role]
	with settings(**switches):
		created = create(client)
		assert created.ok is allowed, created.text
		if allowed:
			frappe.db.rollback()
			assert frappe.db.exists("Ticket", created.json()["data"]["name"])

		edited = edit(client, ticket)
		assert edited.ok is allowed, edited.text
		frappe.db.rollback()
		assert frappe.db.get_value("Ticket", ticket, "priority") == ("HIGH" if allowed else "MEDIUM")

		deleted = delete(client, ticket)
		assert deleted.ok is allowed, deleted.text
		frappe.db.rollback()
		assert bool(frappe.db.exists("Ticket", ticket)) is (not allowed)


@pytest.mark.parametrize("switch, action", [
	("members_can_create_tickets", "create"), ("members_can_edit_tickets", "edit"), ("members_can_delete_tickets", "delete"),
])
def test_each_member_switch_governs_only_its_own_action(clients, ticket, switch, action):
	client = clients["member"]
	with settings(**{**MEMBER_SWITCHES_ON, switch: 0}):
		results = {"create": create(client).ok, "edit": edit(client, ticket).ok}
		results["delete"] = delete(client, ticket).ok
	assert results == {"create": action != "create", "edit": action != "edit", "delete": action != "delete"}


def test_nobody_can_create_while_the_feature_is_off(clients):
	with settings(enabled=0):
		for role in ("member", "admin", "owner"):
			assert create(clients[role]).status_code == 403


# --- custom fields (Customize Form) -------------------------------------------------------------------


def add_custom_field(client, doctype="Ticket"):
	fieldname = f"tg_cf_{uuid.uuid4().hex[:6]}"
	response = client.post(
		client.resource("Custom Field"),
		json={"dt": doctype, "fieldname": fieldname, "label": fieldname, "fieldtype": "Data", "insert_after": "title"},
	)
	return response, fieldname


@pytest.mark.parametrize("role, allowed", [("member", False), ("admin", True), ("owner", True), ("outsider", False)])
def test_only_admins_and_owners_manage_custom_ticket_fields(clients, role, allowed):
	with settings(enabled=1):
		response, fieldname = add_custom_field(clients[role])
	assert response.ok is allowed, response.text
	frappe.db.rollback()
	name = f"Ticket-{fieldname}"
	assert bool(frappe.db.exists("Custom Field", name)) is allowed
	if allowed:
		frappe.delete_doc("Custom Field", name, ignore_permissions=True)
		frappe.db.commit()


def test_ticket_admins_cannot_customise_other_doctypes(clients):
	with settings(enabled=1):
		response, fieldname = add_custom_field(clients["admin"], doctype="ToDo")
	assert response.status_code == 403
	assert not frappe.db.exists("Custom Field", f"ToDo-{fieldname}")


def test_customize_form_saves_a_ticket_field_for_an_admin(clients):
	client = clients["admin"]
	for name in frappe.get_all("Custom Field", {"dt": "Ticket", "label": "Region"}, pluck="name"):
		frappe.delete_doc("Custom Field", name, ignore_permissions=True)
	frappe.db.commit()
	with settings(enabled=1):
		form = client.call("frappe.client.get", doctype="Customize Form", name="Customize Form").json()["message"]
		form["doc_type"] = "Ticket"
		fetched = client.post(client.base_url + "/api/method/run_doc_method",
			json={"docs": form, "method": "fetch_to_customize"})
		assert fetched.ok, fetched.text
		doc = fetched.json()["docs"][0]
		doc["fields"].append({"fieldname": "tg_region", "label": "Region", "fieldtype": "Select",
			"options": "EU\nUS", "insert_after": "priority", "is_custom_field": 1, "doctype": "Customize Form Field"})
		saved = client.post(client.base_url + "/api/method/run_doc_method", json={"docs": doc, "method": "save_customization"})
	assert saved.ok, saved.text
	frappe.db.rollback()
	# Frappe prefixes fields added through Customize Form with custom_
	created = frappe.get_all("Custom Field", {"dt": "Ticket", "label": "Region"}, pluck="fieldname")
	assert created == ["custom_region"]
	assert frappe.db.has_column("Ticket", "custom_region")
	frappe.delete_doc("Custom Field", "Ticket-custom_region", ignore_permissions=True)
	frappe.db.commit()


# --- the feature switch -------------------------------------------------------------------------------


@pytest.mark.parametrize("role, allowed", [("member", False), ("admin", False), ("owner", True)])
def test_only_the_owner_toggles_the_feature(clients, role, allowed):
	with settings(enabled=1):
		response = clients[role].put(clients[role].resource("Tickets Settings", "Tickets Settings"), json={"enabled": 0})
		assert response.ok is allowed, response.text
		frappe.db.rollback()
		assert frappe.db.get_single_value("Tickets Settings", "enabled") == (0 if allowed else 1)
