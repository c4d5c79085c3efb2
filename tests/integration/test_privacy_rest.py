"""Audit and retention through REST as real users: views (side sheet and form, repeats collapsed), field
changes, prints and exports land in the trail; the trail is for admins and owners, retention for owners;
audit rows cannot be changed or deleted by anyone, System Manager included."""

import uuid

import frappe
import pytest

from tests.factories import PASSWORD, make_ticket, make_user, set_settings

SWITCHES_ON = dict(enabled=1, members_can_create_tickets=1, members_can_edit_tickets=1)


@pytest.fixture(scope="module")
def ticket(users):
	set_settings(**SWITCHES_ON)
	doc = make_ticket(f"Audit REST {uuid.uuid4().hex[:6]}")
	frappe.db.commit()
	return doc.name


@pytest.fixture(scope="module")
def system_manager(live_site):
	email = make_user("sysmanager@tickets.test", "System Manager", "Tickets Owner")
	frappe.db.commit()
	return live_site.session(email, PASSWORD)


def views(ticket, user):
	frappe.db.rollback()
	return frappe.get_all("Ticket View", filters={"ticket": ticket, "user": user}, pluck="source")


def trail(client, ticket):
	response = client.call("tg_tickets.api.privacy.ticket_audit", http="GET", ticket=ticket)
	assert response.status_code == 200, response.text
	return response.json()["message"]


def test_side_sheet_and_form_views_are_audited_once_per_visit(clients, users, ticket):
	admin, member = clients["admin"], clients["member"]
	for _ in range(2):
		assert admin.call("tg_tickets.api.ticket.get_row", http="GET", name=ticket, opened=1).status_code == 200
	assert admin.call("tg_tickets.api.ticket.get_row", http="GET", name=ticket).status_code == 200  # a refresh
	assert views(ticket, users["admin"]) == ["Side sheet"]
	for _ in range(2):
		response = member.call("frappe.desk.form.load.getdoc", http="GET", doctype="Ticket", name=ticket)
		assert response.status_code == 200, response.text
	assert views(ticket, users["member"]) == ["Form"]


def test_changes_prints_and_exports_appear_in_the_trail(clients, users, ticket):
	admin, owner = clients["admin"], clients["owner"]
	assert admin.call("tg_tickets.api.ticket.set_field", name=ticket, fieldname="priority", value="HIGH").status_code == 200
	assert admin.get(f"{admin.base_url}/printview", params={"doctype": "Ticket", "name": ticket}).status_code == 200
	export = admin.post(
		f"{admin.base_url}/api/method/frappe.desk.reportview.export_query",
		data={"doctype": "Ticket", "file_format_type": "CSV", "fields": '["`tabTicket`.`name`"]', "title": "Ticket"},
	)
	assert export.status_code == 200, export.text

	entries = trail(owner, ticket)
	kinds = {(e["kind"], e["user"]) for e in entries}
	assert {("view", users["admin"]), ("change", users["admin"]), ("print", users["admin"])} <= kinds
	change = next(e for e in entries if e["kind"] == "change" and e["user"] == users["admin"])
	assert "priority: " in change["detail"] and "→ HIGH" in change["detail"]
	exports = admin.call("tg_tickets.api.privacy.audit_trail", http="GET", kind="export", user=users["admin"]).json()["message"]
	assert exports and exports[0]["kind"] == "export"
	report = admin.call(
		"frappe.desk.query_report.run", report_name="Ticket Audit Trail", filters={"ticket": ticket}
	)
	assert report.status_code == 200, report.text
	assert {row["kind"] for row in report.json()["message"]["result"]} >= {"view", "change", "print"}


def test_only_admins_and_owners_read_the_trail(clients, ticket):
	for role in ("admin", "owner"):
		assert clients[role].call("tg_tickets.api.privacy.ticket_audit", http="GET", ticket=ticket).status_code == 200
		assert clients[role].get(clients[role].resource("Ticket View")).status_code == 200
	for role in ("member", "outsider"):
		assert clients[role].call("tg_tickets.api.privacy.ticket_audit", http="GET", ticket=ticket).status_code == 403
		assert clients[role].call("tg_tickets.api.privacy.audit_trail", http="GET").status_code == 403
		assert clients[role].get(clients[role].resource("Ticket View")).status_code == 403
		assert clients[role].call("frappe.desk.query_report.run", report_name="Ticket Audit Trail").status_code == 403


def test_nobody_edits_or_deletes_audit_rows(clients, system_manager, ticket):
	clients["admin"].call("tg_tickets.api.ticket.get_row", http="GET", name=ticket, opened=1)
	clients["admin"].call("tg_tickets.api.ticket.set_field", name=ticket, fieldname="priority", value="LOW")
	clients["admin"].get(f"{clients['admin'].base_url}/printview", params={"doctype": "Ticket", "name": ticket})
	frappe.db.rollback()
	view = frappe.get_all("Ticket View", filters={"ticket": ticket}, pluck="name")[0]
	version = frappe.get_all("Version", filters={"ref_doctype": "Ticket", "docname": ticket}, pluck="name")[0]
	access = frappe.get_all("Access Log", filters={"export_from": "Ticket", "reference_document": ticket}, pluck="name")[0]
	for client in (system_manager, clients["owner"], clients["admin"]):
		for doctype, name in (("Ticket View", view), ("Version", version), ("Access Log", access)):
			assert client.delete(client.resource(doctype, name)).status_code in (403, 417), (doctype, client)
			assert client.put(client.resource(doctype, name), json={"user": "x@y.z", "data": "{}"}).status_code in (403, 417)
	frappe.db.rollback()
	assert frappe.db.exists("Ticket View", view) and frappe.db.exists("Version", version) and frappe.db.exists("Access Log", access)
	# Administrator (who passes every permission check) is refused by the documents themselves
	for doctype, name in (("Ticket View", view), ("Version", version), ("Access Log", access)):
		with pytest.raises(frappe.PermissionError):
			frappe.delete_doc(doctype, name, ignore_permissions=True)
		frappe.db.rollback()


def test_retention_is_for_owners_only(clients, system_manager):
	payload = lambda: {"policy_name": f"REST policy {uuid.uuid4().hex[:6]}", "action": "Delete", "closed_for_days": 400,
		"statuses": "CLOSED"}
	for role in ("member", "admin", "outsider"):
		client = clients[role]
		assert client.post(client.resource("Retention Policy"), json=payload()).status_code == 403
		assert client.get(client.resource("Retention Run")).status_code == 403
		assert client.post(client.resource("Erasure Request"), json={"telegram_user_id": "123"}).status_code == 403
	owner = clients["owner"]
	created = owner.post(owner.resource("Retention Policy"), json=payload())
	assert created.status_code == 200, created.text
	policy = created.json()["data"]
	assert policy["configured_by"] == "owner@tickets.test"
	assert clients["admin"].call("tg_tickets.api.privacy.retention_dry_run", policy=policy["name"]).status_code == 403
	dry = owner.call("tg_tickets.api.privacy.retention_dry_run", policy=policy["name"])
	assert dry.status_code == 200 and isinstance(dry.json()["message"]["count"], int)
	runs = owner.get(owner.resource("Retention Run"), params={"filters": frappe.as_json({"policy": policy["name"]})})
	assert runs.status_code == 200 and len(runs.json()["data"]) == 1
	run = runs.json()["data"][0]["name"]
	for client in (owner, system_manager):
		assert client.delete(client.resource("Retention Run", run)).status_code in (403, 417)
	bad = owner.post(owner.resource("Retention Policy"), json={**payload(), "statuses": "NEW"})
	assert bad.status_code == 417 and "Only tickets that are over" in bad.text
	assert owner.delete(owner.resource("Retention Policy", policy["name"])).status_code == 202
