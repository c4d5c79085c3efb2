"""SLA permissions through the REST API as real users: members read policies but never change them, and
never override a ticket's policy or deadline; admins and owners do both."""

import uuid

import frappe
import pytest

from tests.factories import make_sla_policy, make_ticket, settings

SWITCHES_ON = dict(enabled=1, members_can_create_tickets=1, members_can_edit_tickets=1)






@pytest.fixture
def policy():
	doc = make_sla_policy(f"REST SLA {uuid.uuid4().hex[:6]}")
	frappe.db.commit()
	yield doc.name
	frappe.db.rollback()
	for name in frappe.get_all("SLA Policy", filters={"name": ("like", "REST SLA%")}, pluck="name"):
		frappe.db.sql("update `tabTicket` set sla_policy = null where sla_policy = %s", (name,))
		frappe.delete_doc("SLA Policy", name, force=True, ignore_permissions=True)
	frappe.db.commit()


@pytest.fixture
def ticket(policy):
	with settings(**SWITCHES_ON):
		doc = make_ticket(f"SLA REST {uuid.uuid4().hex[:6]}", sla_policy=policy)
		frappe.db.commit()
	yield doc.name
	frappe.db.rollback()
	frappe.delete_doc("Ticket", doc.name, force=True, ignore_permissions=True)
	frappe.db.commit()


def policy_payload(name):
	return {
		"policy_name": name,
		"timezone": "UTC",
		"targets": [{"priority": "HIGH", "first_response_minutes": 15, "resolution_minutes": 120}],
	}


def test_a_member_reads_policies_but_cannot_create_change_or_delete_them(clients, policy):
	member = clients["member"]
	with settings(**SWITCHES_ON):
		assert member.get(member.resource("SLA Policy", policy)).status_code == 200
		assert member.post(member.resource("SLA Policy"), json=policy_payload(f"REST SLA {uuid.uuid4().hex[:6]}")).status_code == 403
		assert member.put(member.resource("SLA Policy", policy), json={"escalation_grace_percent": 5}).status_code == 403
		assert member.delete(member.resource("SLA Policy", policy)).status_code == 403
	frappe.db.rollback()
	assert frappe.db.get_value("SLA Policy", policy, "escalation_grace_percent") == 50
	assert frappe.db.count("SLA Policy", {"name": ("like", "REST SLA%")}) == 1


@pytest.mark.parametrize("role", ["admin", "owner"])
def test_admins_and_owners_create_and_change_policies(clients, policy, role):
	client = clients[role]
	with settings(**SWITCHES_ON):
		created = client.post(client.resource("SLA Policy"), json=policy_payload(f"REST SLA {uuid.uuid4().hex[:6]}"))
		assert created.ok, created.text
		changed = client.put(client.resource("SLA Policy", policy), json={"escalation_grace_percent": 5})
		assert changed.ok, changed.text
	frappe.db.rollback()
	assert frappe.db.get_value("SLA Policy", policy, "escalation_grace_percent") == 5


def test_a_bad_policy_is_refused_with_a_clear_message(clients):
	client = clients["admin"]
	payload = policy_payload(f"REST SLA {uuid.uuid4().hex[:6]}") | {"timezone": "Nowhere/Else"}
	with settings(**SWITCHES_ON):
		response = client.post(client.resource("SLA Policy"), json=payload)
	assert response.status_code == 417 and "Unknown timezone" in response.text
	frappe.db.rollback()
	assert not frappe.db.exists("SLA Policy", payload["policy_name"])


def test_a_member_cannot_override_a_tickets_deadline_but_an_admin_can(clients, ticket):
	override = {"resolution_due_override": "2030-01-01 09:00:00"}
	with settings(**SWITCHES_ON):
		refused = clients["member"].put(clients["member"].resource("Ticket", ticket), json=override)
		assert refused.status_code == 403 and "Only Tickets admins" in refused.text
		frappe.db.rollback()
		assert frappe.db.get_value("Ticket", ticket, "resolution_due_override") is None
		accepted = clients["admin"].put(clients["admin"].resource("Ticket", ticket), json=override)
		assert accepted.ok, accepted.text
		assert accepted.json()["data"]["resolution_due"] == "2030-01-01 09:00:00"
