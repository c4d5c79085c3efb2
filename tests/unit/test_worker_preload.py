"""Which processes preload job modules, and which modules (tg_tickets.worker_preload): plain pytest, no site."""

from tg_tickets import worker_preload


def test_only_the_worker_commands_preload():
	helper = "/bench/apps/frappe/frappe/utils/bench_helper.py"
	assert worker_preload.is_worker_command([helper, "frappe", "--site", "s.localhost", "worker", "--queue", "short"])
	assert worker_preload.is_worker_command([helper, "frappe", "worker-pool", "--num-workers", "2"])
	assert not worker_preload.is_worker_command([helper, "frappe", "--site", "s.localhost", "migrate"])
	assert not worker_preload.is_worker_command([helper, "frappe", "--site", "s.localhost", "tg-tickets", "listen"])
	assert not worker_preload.is_worker_command(["worker"])  # the program itself is not a command


def test_the_modules_of_every_dotted_path_in_the_hooks_are_preloaded_and_nothing_else():
	hooks = {
		"app_name": "tg_tickets",
		"app_include_js": "tg_tickets.bundle.js",
		"app_include_css": "tg_tickets.bundle.css",
		"after_install": "tg_tickets.install.after_install",
		"doc_events": {"Ticket": {"on_update": "tg_tickets.telegram.topics.on_ticket_update"}},
		"scheduler_events": {"cron": {"* * * * *": ["tg_tickets.sla.sweep.run"]}, "all": ["tg_tickets.telegram.inbox.sweep"]},
		"override_whitelisted_methods": {"frappe.desk.reportview.get": "tg_tickets.overrides.reportview.get"},
		"global_search_doctypes": {"Default": [{"doctype": "Ticket"}]},
		"_private": "tg_tickets.never.imported",
	}
	assert worker_preload.hooked_modules(hooks) == {
		"tg_tickets.install", "tg_tickets.telegram.topics", "tg_tickets.sla.sweep", "tg_tickets.telegram.inbox",
		"tg_tickets.overrides.reportview",
	}
