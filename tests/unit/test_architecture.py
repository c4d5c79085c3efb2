"""The dependency rule, read from the source (no Frappe needed): tickets/ and permissions.py are the ground;
sibling domains import the ground only, never each other; doctype controllers never reach into telegram/;
no module imports another that (directly or not) imports it back, lazy imports included; no guarded imports
between our own packages; every dotted path hooks.py declares names a function that exists.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tg_tickets"
GROUND = {"tickets", "permissions"}
SIBLINGS = {"telegram", "sla", "routing", "replies", "onboarding", "lifecycle", "notify", "analytics", "privacy"}
CONTROLLERS = "tg_tickets.tg_tickets.doctype"
HUB_DOCTYPES = {"ticket", "ticket_chat", "linked_chat", "ticket_category", "ticket_category_detail", "tickets_settings"}


def module_name(path: Path, root: Path = PACKAGE) -> str:
	parts = path.relative_to(root.parent).with_suffix("").parts
	return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(tree: ast.AST, module: str, is_package: bool) -> set[str]:
	"""Every tg_tickets module this source imports, at module level or inside functions."""
	found = set()
	for node in ast.walk(tree):
		if isinstance(node, ast.Import):
			found.update(alias.name for alias in node.names)
		elif isinstance(node, ast.ImportFrom):
			base = node.module or ""
			if node.level:
				anchor = module.split(".") if is_package else module.split(".")[:-1]
				anchor = anchor[: len(anchor) - (node.level - 1)]
				base = ".".join(anchor + ([base] if base else []))
			found.add(base)
			found.update(f"{base}.{alias.name}" for alias in node.names)
	return {name for name in found if name == "tg_tickets" or name.startswith("tg_tickets.")}


def load_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
	"""module → the tg_tickets modules it imports (names that are attributes resolve to their module)."""
	sources = {module_name(p, root): p for p in root.rglob("*.py")}
	graph = {}
	for module, path in sources.items():
		names = imports_of(ast.parse(path.read_text()), module, path.name == "__init__.py")
		resolved = set()
		for name in names:
			while name and name not in sources:
				name = name.rpartition(".")[0]
			if name and name != module and name != "tg_tickets":
				resolved.add(name)
		graph[module] = resolved
	return graph


def domain(module: str) -> str:
	parts = module.split(".")
	if module.startswith(CONTROLLERS):
		return "controller"
	return parts[1] if len(parts) > 1 else "tg_tickets"


def forbidden_arrows(graph: dict[str, set[str]]) -> list[str]:
	wrong = []
	for module, targets in sorted(graph.items()):
		source = domain(module)
		for target in sorted(targets):
			into = domain(target)
			if source in SIBLINGS and into in SIBLINGS and into != source:
				wrong.append(f"{module} → {target}: sibling domains talk through tickets/ and hooks.py events")
			elif source in GROUND and into not in GROUND:
				wrong.append(f"{module} → {target}: the ground (tickets/, permissions.py) imports no domain above it")
			elif source == "controller" and into == "telegram":
				wrong.append(f"{module} → {target}: a doctype controller never reaches into telegram/")
			elif source == "controller" and module.split(".")[4] in HUB_DOCTYPES and into not in GROUND:
				wrong.append(f"{module} → {target}: the hub's doctypes delegate to tickets/ only")
	return wrong


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
	"""Strongly connected components with more than one module (Tarjan)."""
	index, low, stack, on_stack, found = {}, {}, [], set(), []

	def visit(node):
		index[node] = low[node] = len(index)
		stack.append(node)
		on_stack.add(node)
		for nxt in graph.get(node, ()):
			if nxt not in index:
				visit(nxt)
				low[node] = min(low[node], low[nxt])
			elif nxt in on_stack:
				low[node] = min(low[node], index[nxt])
		if low[node] == index[node]:
			component = []
			while True:
				member = stack.pop()
				on_stack.discard(member)
				component.append(member)
				if member == node:
					break
			if len(component) > 1:
				found.append(sorted(component))

	for node in sorted(graph):
		if node not in index:
			visit(node)
	return found


def guarded_imports(root: Path = PACKAGE) -> list[str]:
	"""`try: import tg_tickets.x … except ImportError` (or find_spec on our own modules) hides a cycle or a
	missing module; both must fail loudly instead."""
	found = []
	for path in root.rglob("*.py"):
		tree = ast.parse(path.read_text())
		for node in ast.walk(tree):
			if isinstance(node, ast.Try) and any(
				isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers
			):
				if imports_of(ast.Module(body=node.body, type_ignores=[]), module_name(path, root), False):
					found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
			if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("tg_tickets."):
				parent_calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and node in n.args]
				if any(getattr(c.func, "attr", "") == "find_spec" for c in parent_calls):
					found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
	return found


def test_sibling_domains_the_ground_and_controllers_keep_the_dependency_rule():
	assert forbidden_arrows(load_graph()) == []


def test_no_import_cycle_between_modules_lazy_imports_included():
	assert cycles(load_graph()) == []


def test_no_guarded_imports_between_our_own_packages():
	assert guarded_imports() == []


def test_the_checks_catch_what_they_are_for(tmp_path):
	"""The checks above would fail on a tree that breaks the rule (so their passing means something)."""
	package = tmp_path / "tg_tickets"
	for folder in ("tickets", "telegram", "sla", "tg_tickets/doctype/ticket", "tg_tickets/doctype/telegram_agent"):
		(package / folder).mkdir(parents=True)
	(package / "__init__.py").write_text("")
	(package / "permissions.py").write_text("")
	(package / "tickets" / "hub.py").write_text("from tg_tickets.sla import clock\n")
	(package / "telegram" / "outbound.py").write_text("def f():\n    from tg_tickets.sla import tracking\n")
	(package / "telegram" / "topics.py").write_text("def g():\n    from tg_tickets.telegram import outbound\n")
	(package / "telegram" / "a.py").write_text("from tg_tickets.telegram import topics\n")
	(package / "telegram" / "b.py").write_text("from . import a\n")
	(package / "telegram" / "__init__.py").write_text("")
	(package / "sla" / "clock.py").write_text("")
	(package / "sla" / "tracking.py").write_text("try:\n    from tg_tickets.telegram import a\nexcept ImportError:\n    a = None\n")
	(package / "tg_tickets" / "doctype" / "ticket" / "ticket.py").write_text("from tg_tickets.sla import tracking\n")
	(package / "tg_tickets" / "doctype" / "telegram_agent" / "telegram_agent.py").write_text(
		"def on_update():\n    from tg_tickets.telegram.outbound import f\n"
	)
	(package / "telegram" / "outbound.py").write_text(
		"def f():\n    from tg_tickets.sla import tracking\n    from tg_tickets.telegram import topics\n"
	)
	graph = load_graph(package)
	wrong = "\n".join(forbidden_arrows(graph))
	assert "tg_tickets.tickets.hub → tg_tickets.sla.clock" in wrong
	assert "tg_tickets.telegram.outbound → tg_tickets.sla.tracking" in wrong
	assert "tg_tickets.sla.tracking → tg_tickets.telegram.a" in wrong
	assert "tg_tickets.tg_tickets.doctype.telegram_agent.telegram_agent → tg_tickets.telegram.outbound" in wrong
	assert "tg_tickets.tg_tickets.doctype.ticket.ticket → tg_tickets.sla.tracking" in wrong
	# outbound ↔ topics, and through the guarded import sla.tracking → telegram.a → topics → outbound → sla.tracking
	assert cycles(graph) == [
		["tg_tickets.sla.tracking", "tg_tickets.telegram.a", "tg_tickets.telegram.outbound", "tg_tickets.telegram.topics"]
	]
	assert guarded_imports(package) == ["tg_tickets/sla/tracking.py:1"]
	assert graph["tg_tickets.telegram.b"] == {"tg_tickets.telegram", "tg_tickets.telegram.a"}  # relative import resolved


def hook_paths(tree: ast.AST) -> list[str]:
	return [
		node.value
		for node in ast.walk(tree)
		if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("tg_tickets.")
		and not node.value.endswith((".js", ".css"))
	]


@pytest.mark.parametrize("path", hook_paths(ast.parse((PACKAGE / "hooks.py").read_text())))
def test_every_path_hooks_py_declares_exists(path):
	module, _, attribute = path.rpartition(".")
	source = PACKAGE.parent / (module.replace(".", "/") + ".py")
	if not source.exists():
		source = PACKAGE.parent / module.replace(".", "/") / "__init__.py"
	assert source.exists(), f"{path}: no module {module}"
	tree = ast.parse(source.read_text())
	defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
	defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
	assert attribute in defined, f"{path}: {module} defines no {attribute}"


def test_every_ticket_save_handler_is_considered_by_the_bulk_close():
	"""The bulk close (tickets/bulk_close.py) stands in for a Ticket save only while every handler a save runs is
	declared covered (its domain reacts to tg_tickets_on_tickets_closed_by_system instead, or does nothing on a
	system close); a new handler left out would silently send auto-close back to a save per ticket."""
	hooks = {
		target.id: ast.literal_eval(node.value)
		for node in ast.parse((PACKAGE / "hooks.py").read_text()).body if isinstance(node, ast.Assign)
		for target in node.targets
		if isinstance(target, ast.Name) and target.id in ("doc_events", "tg_tickets_covered_by_bulk_close")
	}
	ticket = hooks["doc_events"]["Ticket"]
	handlers = set()
	for event in ("before_validate", "validate", "before_save", "on_update", "on_change"):
		found = ticket.get(event) or []
		handlers.update([found] if isinstance(found, str) else found)
	assert handlers and handlers - set(hooks["tg_tickets_covered_by_bulk_close"]) == set()
