"""install-app, migrate and uninstall-app on a fresh site, through bench as an admin would run them;
the site keeps working after the uninstall."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest

BENCH = Path(os.environ.get("TG_TICKETS_BENCH", "."))


def bench(*args, check=True) -> subprocess.CompletedProcess:
	cli = Path.home() / ".tg-tickets" / "bench-cli" / "bin" / "bench"
	result = subprocess.run([str(cli), *args], cwd=BENCH, capture_output=True, text=True, timeout=600)
	if check and result.returncode != 0:
		raise AssertionError(f"bench {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
	return result


def site_sql(site: str, query: str) -> str:
	return bench("--site", site, "execute", "frappe.db.sql", "--args", f"[{query!r}]").stdout


@pytest.fixture(scope="module")
def fresh_site():
	site = f"lifecycle-{uuid.uuid4().hex[:6]}.localhost"
	password = (Path.home() / ".tg-tickets" / "db-admin-password").read_text().strip()
	admin = ["--db-root-username", os.environ.get("TG_DB_ADMIN_USER", "tg_tickets_admin"), "--db-root-password", password]
	bench("new-site", site, *admin, "--admin-password", "admin")
	yield site
	bench("drop-site", site, *admin, "--no-backup", "--force", check=False)


def test_install_migrate_and_uninstall_on_a_fresh_site(fresh_site):
	site = fresh_site
	bench("--site", site, "install-app", "tg_tickets")
	assert "tg_tickets" in bench("--site", site, "list-apps").stdout
	assert "Tickets Member" in site_sql(site, "select name from tabRole where name like 'Tickets%'")
	assert "Ticket" in site_sql(site, "select document_type from `tabGlobal Search DocType`")

	bench("--site", site, "migrate")
	assert "Ticket" in site_sql(site, "select name from tabDocType where module = 'TG Tickets'")
	assert "tg_ticket_search_text" in site_sql(site, "show tables like 'tg_ticket_search_text'")
	assert "tg_ticket_search_word" in site_sql(site, "show tables like 'tg_ticket_search_word'")

	bench("--site", site, "uninstall-app", "tg_tickets", "--yes", "--no-backup")
	assert "tg_tickets" not in bench("--site", site, "list-apps").stdout
	assert site_sql(site, "show tables like 'tabTicket%'").strip() in ("", "()")
	assert site_sql(site, "show tables like 'tg_ticket_search_text'").strip() in ("", "()")
	assert site_sql(site, "show tables like 'tg_ticket_search_word'").strip() in ("", "()")
	assert "Tickets" not in site_sql(site, "select name from tabRole where name like 'Tickets%'")
	assert "Ticket" not in site_sql(site, "select document_type from `tabGlobal Search DocType`")

	# the site keeps working: it migrates and answers
	bench("--site", site, "migrate")
	assert "pong" in bench("--site", site, "execute", "frappe.ping").stdout
