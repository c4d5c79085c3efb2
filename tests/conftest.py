"""pytest inside Frappe: integration tests run on the dedicated test site (real MariaDB, Redis, ORM).

scripts/test sets TG_TICKETS_SITE and runs pytest from the bench's sites folder. Unit tests under
tests/unit import no Frappe and need no site; everything else gets a connected `frappe`.
"""

import os

import pytest

SITE = os.environ.get("TG_TICKETS_SITE")


def pytest_configure(config):
	if not SITE:
		return
	import frappe

	frappe.init(site=SITE, sites_path=os.getcwd())
	frappe.connect()
	frappe.flags.in_test = True
	frappe.set_user("Administrator")


def pytest_unconfigure(config):
	if SITE:
		import frappe

		if getattr(frappe.local, "db", None):
			frappe.db.rollback()
			frappe.destroy()


def pytest_collection_modifyitems(config, items):
	if SITE:
		return
	missing = [item for item in items if "/unit/" not in str(item.fspath)]
	if missing:
		raise pytest.UsageError(
			"Integration tests need the test site: run them through scripts/test (TG_TICKETS_SITE is unset)."
		)


@pytest.fixture(autouse=True)
def _fresh_frappe_state(request):
	"""Every integration test starts as Administrator with a clean transaction and message log."""
	if "/unit/" in str(request.fspath) or not SITE:
		yield
		return
	import frappe

	frappe.set_user("Administrator")
	frappe.clear_messages()
	yield
	frappe.db.rollback()
	frappe.set_user("Administrator")
	frappe.local.response = frappe._dict()


@pytest.fixture(scope="session")
def live_site():
	"""The test site served over HTTP by a web process, plus socketio and a worker (started once)."""
	from tests.live import LiveSite

	site = LiveSite.start(SITE)
	yield site
	site.stop()


@pytest.fixture
def feature_on():
	"""Tickets switched on for the site, members may create and edit (not delete), replies recorded instead
	of sent, no Topic Group; committed, so web processes and workers see the same."""
	import frappe

	from tests.factories import set_settings

	set_settings(
		enabled=1, members_can_create_tickets=1, members_can_edit_tickets=1, members_can_delete_tickets=0,
		transport="record", topic_group_chat=None,
	)
	frappe.db.commit()
