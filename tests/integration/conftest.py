"""Logged-in REST clients shared by the integration tests (one login per user for the whole run)."""

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import PASSWORD, make_admin, make_member, make_outsider, make_owner, set_settings


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
def bot_credentials():
	"""Bot credentials in Tickets Settings (committed) for the test; removed afterwards."""
	from frappe.utils.password import remove_encrypted_password

	from tg_tickets.telegram import credentials

	set_settings(api_id=12345, api_hash=tg.API_HASH, bot_token=tg.BOT_TOKEN)
	frappe.db.commit()
	yield credentials.bot_credentials()
	set_settings(api_id=None)
	for field in ("api_hash", "bot_token"):
		remove_encrypted_password("Tickets Settings", "Tickets Settings", field)
	frappe.db.commit()
