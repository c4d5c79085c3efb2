"""Logged-in REST clients shared by the integration tests (one login per user for the whole run)."""

import frappe
import pytest

from tests.factories import PASSWORD, make_admin, make_member, make_outsider, make_owner


@pytest.fixture(scope="session")
def users():
	users = {"member": make_member(), "admin": make_admin(), "owner": make_owner(), "outsider": make_outsider()}
	frappe.db.commit()
	return users


@pytest.fixture(scope="session")
def clients(live_site, users):
	"""A REST session per role: member, admin, owner and a user with no ticket role."""
	return {role: live_site.session(email, PASSWORD) for role, email in users.items()}


@pytest.fixture(scope="session")
def member(clients):
	return clients["member"]


@pytest.fixture(scope="session")
def outsider(clients):
	return clients["outsider"]


@pytest.fixture
def replies_go_to_the_listener():
	"""Bot credentials set and the live transport chosen: queued replies are handed to the listener (a Redis
	list), never to an RQ job, so a test that delivers them itself is not raced by the live site's worker."""
	from frappe.utils.password import remove_encrypted_password

	from tests.factories import set_settings

	set_settings(transport="telegram", api_id=12345, api_hash="0123456789abcdef0123456789abcdef",
				 bot_token="123456789:AAE-test-token-for-delivery")
	frappe.db.commit()
	yield
	set_settings(transport="record", api_id=None)
	for field in ("api_hash", "bot_token"):
		remove_encrypted_password("Tickets Settings", "Tickets Settings", field)
	frappe.db.commit()
