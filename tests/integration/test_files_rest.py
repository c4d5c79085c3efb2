"""File limits over REST: at most 3 files per ticket, 5 MB each; a rejected upload stores nothing."""

import os

import frappe
import pytest

from tests.factories import make_ticket, settings


def upload(client, ticket, name, size):
	return client.post(
		client.base_url + "/api/method/upload_file",
		data={"doctype": "Ticket", "docname": ticket, "is_private": 1},
		files={"file": (name, os.urandom(size), "application/octet-stream")},
	)


def private_files():
	return set(os.listdir(frappe.get_site_path("private", "files")))


@pytest.fixture
def ticket():
	with settings(enabled=1):
		doc = make_ticket("with files")
		frappe.db.commit()
	return doc.name


def test_a_fourth_file_is_rejected_and_nothing_is_stored(member, ticket):
	with settings(enabled=1):
		for i in range(3):
			assert upload(member, ticket, f"log{i}.txt", 1000).ok
		frappe.db.rollback()
		assert frappe.db.get_value("Ticket", ticket, "file_count") == 3
		on_disk = private_files()
		fourth = upload(member, ticket, "log3.txt", 1000)
	assert fourth.status_code == 417
	assert "Maximum Attachment Limit of <strong>3</strong>" in fourth.json()["exception"]
	frappe.db.rollback()
	assert frappe.db.count("File", {"attached_to_doctype": "Ticket", "attached_to_name": ticket}) == 3
	assert frappe.db.get_value("Ticket", ticket, "file_count") == 3
	assert private_files() == on_disk


def test_a_file_over_5_mb_is_rejected_and_nothing_is_stored(member, ticket):
	with settings(enabled=1):
		on_disk = private_files()
		response = upload(member, ticket, "huge.bin", 5 * 1024 * 1024 + 1)
	assert response.status_code == 417
	assert "5 MB" in response.text
	frappe.db.rollback()
	assert frappe.db.count("File", {"attached_to_doctype": "Ticket", "attached_to_name": ticket}) == 0
	assert private_files() == on_disk


def test_a_file_of_exactly_5_mb_is_accepted_and_counted(member, ticket):
	with settings(enabled=1):
		assert upload(member, ticket, "edge.bin", 5 * 1024 * 1024).ok
	frappe.db.rollback()
	assert frappe.db.get_value("Ticket", ticket, "file_count") == 1


def test_no_file_can_be_added_to_a_closed_ticket(member, ticket):
	with settings(enabled=1):
		doc = frappe.get_doc("Ticket", ticket)
		doc.status = "CLOSED"
		doc.save()
		frappe.db.commit()
		response = upload(member, ticket, "late.txt", 100)
	assert response.status_code == 417
	assert "closed" in response.text
	frappe.db.rollback()
	assert frappe.db.count("File", {"attached_to_doctype": "Ticket", "attached_to_name": ticket}) == 0
