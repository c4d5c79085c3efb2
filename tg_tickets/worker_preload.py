"""Warm RQ workers: the modules background jobs need, imported once in `bench worker` before it forks.

RQ's worker forks a fresh work horse for every job, and whatever a horse imports dies with it: every job paid
again for the database driver, Frappe's document machinery (a first document write imports the Notification
module, and with it requests, safe_exec, bs4, …) and our own job modules. Measured with 2 cores under load
(load average 10): a record-transport delivery job took 1.09 s, of which 578 module imports; an inbox job with
nothing to do 0.39 s. Imported in the worker before it forks, every horse inherits them: 0.40 s and 0.17 s.

Frappe gives apps no hook in the worker process before it forks, but the bench CLI imports every installed
app's `commands` module there (frappe.utils.bench_helper), so commands.py calls `preload()` when the command
is `worker` or `worker-pool`; no other bench command pays for it. Our modules are found from what workers run:
every dotted path in hooks.py and every doctype controller. A module that cannot be imported is skipped:
this is only a speed-up, a worker must start regardless. Like every worker, a code change needs a restart.
"""

import importlib
import pkgutil
import sys

WORKER_COMMANDS = ("worker", "worker-pool")

# What Frappe imports lazily on a job's first connection, query and document write.
FRAPPE_MODULES = (
	"frappe.database.mariadb.database",
	"frappe.database.query",
	"frappe.database.sequence",
	"frappe.utils.redis_wrapper",
	"frappe.model.document",
	"frappe.model.meta",
	"frappe.model.db_query",
	"frappe.model.naming",
	"frappe.permissions",
	"frappe.realtime",
	"frappe.recorder",
	"frappe.utils.logger",
	"frappe.utils.global_search",
	"frappe.utils.file_manager",
	"frappe.utils.safe_exec",
	"frappe.desk.form.document_follow",
	"frappe.email.doctype.notification.notification",
	"frappe.core.doctype.system_settings.system_settings",
	"frappe.core.doctype.version.version",
	"frappe.core.doctype.docfield.docfield",
	"frappe.core.doctype.docperm.docperm",
	"frappe.utils.nestedset",
)


def is_worker_command(argv: list[str]) -> bool:
	"""`bench worker …` runs `python -m frappe.utils.bench_helper frappe [--site S] worker …`."""
	return any(arg in WORKER_COMMANDS for arg in argv[1:])


def hooked_modules(hooks: dict) -> set[str]:
	"""The modules of every dotted path named in the app's hooks (doc events, scheduler jobs, permissions, …)."""
	modules = set()

	def visit(value):
		if isinstance(value, str):
			if value.startswith("tg_tickets.") and "." in value.removeprefix("tg_tickets.") and not value.endswith((".js", ".css")):
				modules.add(value.rsplit(".", 1)[0])
		elif isinstance(value, dict):
			for item in value.values():
				visit(item)
		elif isinstance(value, (list, tuple)):
			for item in value:
				visit(item)

	for name, value in hooks.items():
		if not name.startswith("_"):
			visit(value)
	return modules


def controller_modules() -> set[str]:
	from tg_tickets.tg_tickets import doctype

	return {f"{doctype.__name__}.{name}.{name}" for _, name, is_package in pkgutil.iter_modules(doctype.__path__) if is_package}


def app_modules() -> list[str]:
	from tg_tickets import hooks

	return sorted(hooked_modules(vars(hooks)) | controller_modules())


def preload() -> list[str]:
	"""Imports what jobs need; returns the modules that could not be imported."""
	skipped = []
	for name in (*FRAPPE_MODULES, *app_modules()):
		try:
			importlib.import_module(name)
		except Exception:  # noqa: BLE001 - a speed-up only: the job imports (and reports) it itself
			skipped.append(name)
	return skipped


def preload_if_worker(argv: list[str] | None = None) -> None:
	if is_worker_command(sys.argv if argv is None else argv):
		preload()
