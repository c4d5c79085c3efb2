"""`bench run-tests` on a fresh site with tg_tickets: the app's before_tests hook prepares the site as Frappe's
own hook prepares a Frappe-only site (setup wizard completed, so the desk no longer opens on it), and a second
run leaves the prepared site as it is.

Runs on a site of its own: completing the setup wizard sets the time zone, formats and a test user, which the
test site must not get in the middle of a run."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

BENCH = Path(os.environ.get("TG_TICKETS_BENCH", "."))
# A small module of Frappe's own that needs a prepared site; run-tests calls every app's before_tests hook first.
FRAPPE_MODULE = "frappe.core.doctype.comment.test_comment"


def bench(*args, check=True) -> subprocess.CompletedProcess:
	cli = Path.home() / ".tg-tickets" / "bench-cli" / "bin" / "bench"
	# run-tests exits non-zero on a failed test only under CI; its report is read instead.
	env = {key: value for key, value in os.environ.items() if key != "CI"}
	result = subprocess.run([str(cli), *args], cwd=BENCH, capture_output=True, text=True, timeout=900, env=env)
	if check and result.returncode != 0:
		raise AssertionError(f"bench {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
	return result


def call(site: str, method: str, *args):
	"""A Frappe function's return value on `site`, read by a process of its own (as JSON)."""
	out = bench("--site", site, "execute", method, "--args", json.dumps(list(args))).stdout.strip()
	return json.loads(out.splitlines()[-1]) if out else None


def site_state(site: str) -> dict:
	defaults = call(site, "frappe.defaults.get_defaults")
	system = call(site, "frappe.get_single", "System Settings")
	website = call(site, "frappe.get_single", "Website Settings")
	return {
		"home_page": defaults.get("desktop:home_page"),
		"setup_complete": system.get("setup_complete"),
		"time_zone": system.get("time_zone"),
		"country": system.get("country"),
		"system_settings_modified": system.get("modified"),
		"disable_signup": website.get("disable_signup"),
	}


@pytest.fixture(scope="module")
def fresh_site():
	site = f"before-tests-{uuid.uuid4().hex[:6]}.localhost"
	password = (Path.home() / ".tg-tickets" / "db-admin-password").read_text().strip()
	admin = ["--db-root-username", os.environ.get("TG_DB_ADMIN_USER", "tg_tickets_admin"), "--db-root-password", password]
	bench("new-site", site, *admin, "--admin-password", "admin", "--install-app", "tg_tickets")
	bench("--site", site, "set-config", "allow_tests", "true")
	yield site
	bench("drop-site", site, *admin, "--no-backup", "--force", check=False)


def run_frappe_tests(site: str, *options) -> str:
	result = bench("--site", site, "run-tests", "--module", FRAPPE_MODULE, *options)
	return result.stdout + result.stderr


def test_run_tests_completes_the_setup_wizard_once(fresh_site):
	before = site_state(fresh_site)
	# A fresh site opens on the setup wizard: the state the hook is for.
	assert before["setup_complete"] == 0
	assert before["home_page"] == "setup-wizard"

	# Without the hooks (Frappe's own steps aside once tg_tickets is installed) Frappe's tests fail here.
	report = run_frappe_tests(fresh_site, "--skip-before-tests")
	assert "\nFAILED" in report, report[-3000:]
	assert site_state(fresh_site)["home_page"] == "setup-wizard"

	report = run_frappe_tests(fresh_site)
	assert "Ran " in report and "\nOK" in report, report[-3000:]
	prepared = site_state(fresh_site)
	assert prepared["setup_complete"] == 1
	assert prepared["home_page"] not in (None, "setup-wizard")
	assert prepared["time_zone"] and prepared["country"]
	assert prepared["disable_signup"] == 0

	# A prepared site is left as it is: no second wizard, System Settings not saved again.
	run_frappe_tests(fresh_site)
	assert site_state(fresh_site) == prepared
