"""Ticket-aware wrappers around Frappe's list endpoints (reportview get/get_list/get_count, sidebar group-by).

For any other doctype they call Frappe's own function unchanged. For Ticket they add two things the
stock list query lacks: a text-search pseudo filter (`["Ticket", "_search", "like", "words"]`) answered
through tickets/search.py, and natural order for status and priority (sorted by their rank columns).
Frappe's functions parse and validate the request's arguments (get_form_params); they are called with the
arguments rewritten on a copy (`_request_args`), the request's own form_dict stays as it was sent.
"""

import json
from contextlib import contextmanager

import frappe
from frappe.desk import listview as frappe_listview
from frappe.desk import reportview as frappe_reportview
from frappe.desk.reportview import compress, execute, get_form_params
from frappe.utils import cint, sbool

from tg_tickets.permissions import sees_only_own_and_team_tickets, teams_of
from tg_tickets.tickets.fields import natural_order_by
from tg_tickets.tickets.list_plan import answers_part_by_part, part_sql, visibility_parts
from tg_tickets.tickets.search import WALK_BUDGET_ROWS, WALK_MARGIN, Search, search_condition

SEARCH_FIELD = "_search"


def _pop_search(filters) -> tuple[list | dict | None, str | None]:
	"""The list- or dict-shaped filters without the search pseudo filter (a new object: the given one is
	left alone), and the search text."""
	if not filters:
		return filters, None
	if isinstance(filters, str):
		filters = json.loads(filters)
	text = None
	if isinstance(filters, dict):
		kept = dict(filters)
		if SEARCH_FIELD in kept:
			value = kept.pop(SEARCH_FIELD)
			text = value[-1] if isinstance(value, (list, tuple)) else value
		return kept, text
	kept = []
	for condition in filters:
		fieldname = condition[1] if len(condition) >= 4 else condition[0]
		if fieldname == SEARCH_FIELD:
			text = condition[-1]
		else:
			kept.append(condition)
	return kept, text


def _as_list(doctype: str, filters) -> list:
	if not filters:
		return []
	if isinstance(filters, dict):
		out = []
		for key, value in filters.items():
			if isinstance(value, (list, tuple)):
				out.append([doctype, key, value[0], value[1] if len(value) > 1 else None])
			else:
				out.append([doctype, key, "=", value])
		return out
	return list(filters)


@contextmanager
def _request_args(**changed):
	"""Frappe's reportview functions read the request's arguments (frappe.local.form_dict); inside this block
	they read a copy with `changed` applied, and the request's own arguments are back afterwards."""
	sent = frappe.local.form_dict
	frappe.local.form_dict = frappe._dict(sent, **changed)
	try:
		yield
	finally:
		frappe.local.form_dict = sent


def _ticket_changes() -> tuple[dict, str | None]:
	"""What the Ticket list changes in the request's arguments (the search pseudo filter out, status and
	priority in natural order), and the search text (None without one)."""
	form = frappe.local.form_dict
	filters, text = _pop_search(form.get("filters"))
	changed = {"filters": filters}
	if form.get("order_by"):
		changed["order_by"] = natural_order_by(form.order_by)
	search = str(text).strip("% ") if text else None
	return changed, (search or None)


def _ticket_args_and_search(for_count: bool = False, newest_first_walk: bool = False):
	"""Frappe's validated list arguments with natural order, and the parsed search (None without one).
	`newest_first_walk`: the caller can answer a newest-first page from the search table."""
	changed, text = _ticket_changes()
	with _request_args(**changed):
		args = get_form_params()
	newest_first = newest_first_walk and _is_newest_first(frappe.local.form_dict.get("order_by"))
	equal = _equalities(args.doctype, args.filters)
	search = Search(text, for_count=for_count, newest_first=newest_first, equal=equal) if text else None
	return args, (search or None)


def _equalities(doctype: str, filters) -> dict:
	"""The list's `column = value` filters on Ticket itself (column → value)."""
	equal = {}
	for condition in _as_list(doctype, filters):
		if not isinstance(condition, (list, tuple)) or len(condition) not in (3, 4):
			continue
		if len(condition) == 4 and condition[0] != doctype:
			continue
		column, operator, value = condition[-3:]
		if operator == "=" and isinstance(value, (str, int)) and not isinstance(value, bool):
			equal[column] = value
	return equal


def _is_newest_first(order_by: str | None) -> bool:
	normal = (order_by or "").replace("`", "").replace("tabTicket.", "").strip().lower()
	return normal in ("creation desc", "")


def _execute_page(args, search):
	"""Runs the list query (Frappe's execute) with the search; a newest-first search is answered from its
	newest matches (walked in the search table or read through the word table).

	The n newest matches, narrowed by the other filters, give the page exactly when they fill it (every
	match newer than the n-th is among them) or when there are no more matches. Otherwise the walk goes on
	for as many more matches as the other filters' share so far says the page needs; past WALK_BUDGET_ROWS
	matches the `tabTicket` condition answers instead."""
	filters = _as_list(args.doctype, args.filters)
	page_length = cint(args.page_length)
	if not search.finds_newest_matches or not page_length:
		return execute(**{**args, "filters": filters + [search.condition()]})
	wanted = cint(args.start) + page_length
	names, last, batch = [], None, wanted
	while batch > 0:
		found = search.newest_matches(batch, older_than=last)
		names += [ticket for _, ticket in found]
		if not names:
			return []
		rows = execute(**{**args, "filters": filters + [["Ticket", "name", "in", names]]})
		if len(rows) >= page_length or len(found) < batch:
			return rows
		last = found[-1]
		kept = cint(args.start) + len(rows) if rows else 0  # matches that passed the other filters
		needed = (wanted - kept) * len(names) / max(kept, 1) * WALK_MARGIN
		batch = min(max(int(needed), batch), WALK_BUDGET_ROWS - len(names))
	return execute(**{**args, "filters": filters + [search.condition()]})


def _parts_to_read(args) -> list[str] | None:
	"""For a member under the visibility switch: its alternatives as SQL conditions when this page is answered
	part by part (tickets/list_plan.py), else None."""
	user = frappe.session.user
	parts = visibility_parts(user, teams_of(user))
	filters = _as_list(args.doctype, args.filters)
	plain_rows = not (args.group_by or args.or_filters or sbool(args.distinct)) and all(
		isinstance(f, (list, tuple)) and (len(f) < 4 or f[0] == args.doctype) for f in filters
	)
	meta = frappe.get_meta(args.doctype)
	order_by = args.order_by or f"{meta.sort_field} {meta.sort_order}"
	if not answers_part_by_part(order_by, parts, _page_window(args)[1], plain_rows):
		return None
	return [part_sql(part, "`tabTicket`", frappe.db.escape) for part in parts]


def _page_window(args) -> tuple[int, int]:
	"""(start, page length) as Frappe's DatabaseQuery reads them (start over limit_start; limit over page_length
	over limit_page_length); a length of 0 is no limit."""
	start = cint(args.start) or cint(args.limit_start)
	return start, cint(args.limit) or cint(args.page_length) or cint(args.limit_page_length)


_PART_MARKER = "'tg_tickets_list_part' = 'tg_tickets_list_part'"


def _page_part_by_part(args, parts: list[str]):
	"""The page as Frappe's list query would give it, read part by part: the `start + page_length` first rows
	of each alternative (each an index range in list order, under the same filters and permission condition)
	hold every row of the page, so the plain query restricted to them gives the same rows in the same order.
	One statement: Frappe's list query over the UNION ALL of each alternative's query (which Frappe builds).
	Their names are not fetched first and sent back as an IN list: MariaDB's index dives for 60 listed names
	under the permission condition's ORs took 5-7 ms of optimisation alone, against 1.9 ms for the whole
	statement (benchmarks/ticket_list.py --switch)."""
	filters = _as_list(args.doctype, args.filters)
	start, page_length = _page_window(args)
	window = {key: None for key in ("limit", "limit_start", "limit_page_length", "start", "page_length")}
	# Frappe builds the alternatives' query once, with a marker condition each alternative then takes the place
	# of (a build costs ~1 ms of Python: permission and field checks)
	source = execute(**{**args, **window, "filters": filters + [_PART_MARKER], "fields": ["`tabTicket`.`name`"],
		"page_length": start + page_length, "with_comment_count": False, "save_user_settings": False,
		"add_total_row": None, "run": 0})
	if source.count(_PART_MARKER) != 1:  # not built as expected: the plain query gives the same page
		return execute(**{**args, "filters": filters})
	union = " union all ".join(f"({source.replace(_PART_MARKER, f'({part})')})" for part in parts)
	return execute(**{**args, "filters": filters + [f"`tabTicket`.`name` in (select name from ({union}) page)"]})


def _is_ticket() -> bool:
	return frappe.local.form_dict.get("doctype") == "Ticket"


@frappe.whitelist()
@frappe.read_only()
def get():
	if not _is_ticket():
		return frappe_reportview.get()
	changed, text = _ticket_changes()
	if not text:
		with _request_args(**changed):
			parts = _parts_to_read(args := get_form_params()) if sees_only_own_and_team_tickets() else None
			if not parts:
				return frappe_reportview.get()
		return compress(_page_part_by_part(args, parts), args=args)
	args, search = _ticket_args_and_search(newest_first_walk=True)
	return compress(_execute_page(args, search), args=args)


@frappe.whitelist()
@frappe.read_only()
def get_list():
	if not _is_ticket():
		return frappe_reportview.get_list()
	changed, text = _ticket_changes()
	if not text:
		with _request_args(**changed):
			parts = _parts_to_read(args := get_form_params()) if sees_only_own_and_team_tickets() else None
			if not parts:
				return frappe_reportview.get_list()
		return _page_part_by_part(args, parts)
	return _execute_page(*_ticket_args_and_search(newest_first_walk=True))


@frappe.whitelist()
@frappe.read_only()
def get_count() -> int:
	if not _is_ticket():
		return frappe_reportview.get_count()
	changed, text = _ticket_changes()
	if not text:
		with _request_args(**changed):
			return frappe_reportview.get_count()
	# A bounded count (the list's "1,000+") can stop early like a page; an exact one cannot.
	args, search = _ticket_args_and_search(for_count=not cint(frappe.local.form_dict.get("limit")))
	return _count_matches(args, search)


def _count_matches(args, search: Search) -> int:
	"""Tickets matching the search and the other filters, through Frappe's list query. Frappe's get_count
	takes its filters from the request only, where a SQL condition such as the search's is refused; so the
	count is asked here, the same way: a bounded count reads at most `limit` names."""
	filters = _as_list(args.doctype, args.filters) + [search.condition()]
	name = f"{'distinct ' if sbool(args.distinct) else ''}`tabTicket`.name"
	query = {**args, "filters": filters, "order_by": None}
	limit = cint(args.limit)
	if limit:
		return len(execute(**{**query, "fields": [name], "limit": limit, "as_list": True}))
	return execute(**{**query, "fields": [f"count({name}) as total_count"]})[0].get("total_count")


@frappe.whitelist()
def get_group_by_count(doctype: str, current_filters: str, field: str) -> list[dict]:
	if doctype != "Ticket":
		return frappe_listview.get_group_by_count(doctype, current_filters, field)
	if field != "assigned_to" and not frappe.get_meta(doctype).has_field(field):
		frappe.throw(frappe._("Field {0} does not belong to Ticket").format(field))
	filters, text = _pop_search(frappe.parse_json(current_filters))
	filters = _as_list(doctype, filters)
	condition = search_condition(str(text).strip("% "), for_count=True) if text else None
	if condition:
		filters.append(condition)
	multiselect = multiselect_link(field)
	if multiselect:
		return multiselect_counts(filters, *multiselect)
	if field == "assigned_to":
		# Our assignee is a field, not Frappe's ToDo-based assignment.
		rows = frappe.get_list(
			"Ticket", filters=filters, fields=["assigned_to as name", "count(*) as count"],
			group_by="assigned_to", order_by="count desc", limit=50,
		)
		names = [r.name for r in rows if r.name]
		full_names = dict(frappe.get_all("User", {"name": ("in", names)}, ["name", "full_name"], as_list=True)) if names else {}
		for r in rows:
			r.title = full_names.get(r.name) or r.name
		return rows
	return frappe.get_list(
		"Ticket", filters=filters, fields=[f"`{field}` as name", "count(*) as count"],
		group_by=field, order_by="count desc", limit=50,
	)


def multiselect_link(field: str) -> tuple[str, str, str] | None:
	"""(child doctype, link field, linked doctype) of a Table MultiSelect field of Ticket (the linked chats
	or a workspace's own multiselect), or None for any other field."""
	df = frappe.get_meta("Ticket").get_field(field)
	if not df or df.fieldtype != "Table MultiSelect":
		return None
	link = next((f for f in frappe.get_meta(df.options).fields if f.fieldtype == "Link"), None)
	return (df.options, link.fieldname, link.options) if link else None


def multiselect_counts(filters: list, child: str, link_field: str, linked_doctype: str) -> list[dict]:
	"""Tickets per linked value, through the child table (a ticket counts once per value)."""
	rows = frappe.get_list(
		"Ticket", filters=filters,
		fields=[f"`tab{child}`.`{link_field}` as name", "count(distinct `tabTicket`.`name`) as count"],
		group_by=f"`tab{child}`.`{link_field}`", order_by="count desc", limit=50,
	)
	rows = [r for r in rows if r.name]
	title_field = frappe.get_meta(linked_doctype).title_field
	titles = {}
	if rows and title_field and title_field != "name":
		titles = dict(frappe.get_all(linked_doctype, {"name": ("in", [r.name for r in rows])}, ["name", title_field], as_list=True))
	for r in rows:
		r.title = titles.get(r.name) or r.name
	return rows
