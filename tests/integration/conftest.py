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
