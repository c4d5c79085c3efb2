"""Ticket-aware wrappers around Frappe's list endpoints (reportview get/get_count, sidebar group-by).

For any other doctype they call Frappe's own function unchanged. For Ticket they add two things the
stock list query lacks: a text-search pseudo filter (`["Ticket", "_search", "like", "words"]`) answered
through tickets/search.py, and natural order for status and priority (sorted by their rank columns).
"""

import json

import frappe
from frappe.desk import listview as frappe_listview
from frappe.desk import reportview as frappe_reportview
from frappe.desk.reportview import clean_params, compress, execute, get_form_params, validate_args
from frappe.model import default_fields, no_value_fields, optional_fields, table_fields
from frappe.utils import cint, sbool

from tg_tickets.tickets.fields import natural_order_by
from tg_tickets.tickets.search import WALK_BUDGET_ROWS, WALK_MARGIN, Search, search_condition

SEARCH_FIELD = "_search"


def _pop_search(filters) -> tuple[list | dict | None, str | None]:
	"""Removes the search pseudo filter from list- or dict-shaped filters; returns (filters, text)."""
	if not filters:
		return filters, None
	if isinstance(filters, str):
		filters = json.loads(filters)
	text = None
	if isinstance(filters, dict):
		if SEARCH_FIELD in filters:
			value = filters.pop(SEARCH_FIELD)
			text = value[-1] if isinstance(value, (list, tuple)) else value
		return filters, text
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


def _ticket_args(for_count: bool = False):
	"""Frappe's validated list arguments with our search condition and natural order applied."""
	args, search = _ticket_args_and_search(for_count)
	if search:
		args.filters = _as_list(args.doctype, args.filters) + [search.condition()]
	return args


def _ticket_args_and_search(for_count: bool = False, newest_first_walk: bool = False):
	"""Frappe's validated list arguments with natural order, and the parsed search (None without one).
	`newest_first_walk`: the caller can answer a newest-first page from the search table."""
	form = frappe.local.form_dict
	form.filters, text = _pop_search(form.get("filters"))
	args = get_form_params()
	newest_first = newest_first_walk and _is_newest_first(args.order_by)
	if args.order_by:
		args.order_by = natural_order_by(args.order_by)
	search = Search(str(text).strip("% "), for_count=for_count, newest_first=newest_first) if text else None
	return args, (search or None)


def _is_newest_first(order_by: str | None) -> bool:
	normal = (order_by or "").replace("`", "").replace("tabTicket.", "").strip().lower()
	return normal in ("creation desc", "")


def _execute_page(args, search):
	"""Runs the list query; a search walked in the search table is answered from its newest matches.

	The n newest matches, narrowed by the other filters, give the page exactly when they fill it (every
	match newer than the n-th is among them) or when there are no more matches. Otherwise the walk goes on
	for as many more matches as the other filters' share so far says the page needs; past WALK_BUDGET_ROWS
	matches the `tabTicket` condition answers instead."""
	filters = _as_list(args.doctype, args.filters)
	page_length = cint(args.page_length)
	if not search or not search.walks_search_table or not page_length:
		return execute(**{**args, "filters": filters + ([search.condition()] if search else [])})
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


def _is_ticket() -> bool:
	return frappe.local.form_dict.get("doctype") == "Ticket"


@frappe.whitelist()
@frappe.read_only()
def get():
	if not _is_ticket():
		return frappe_reportview.get()
	args, search = _ticket_args_and_search(newest_first_walk=True)
	return compress(_execute_page(args, search), args=args)


@frappe.whitelist()
@frappe.read_only()
def get_list():
	if not _is_ticket():
		return frappe_reportview.get_list()
	return _execute_page(*_ticket_args_and_search(newest_first_walk=True))


@frappe.whitelist()
@frappe.read_only()
def get_count() -> int:
	if not _is_ticket():
		return frappe_reportview.get_count()
	# A bounded count (the list's "1,000+") can stop early like a page; an exact one cannot.
	args = _ticket_args(for_count=not cint(frappe.local.form_dict.get("limit")))
	args.distinct = sbool(args.distinct)
	distinct = "distinct " if args.distinct else ""
	fieldname = f"{distinct}`tabTicket`.name"
	args.order_by = None
	args.limit = cint(args.limit)
	if args.limit:
		args.fields = [fieldname]
		partial_query = execute(**args, run=0)
		return frappe.db.sql(f"select count(*) from ( {partial_query} ) p")[0][0]
	args.fields = [f"count({fieldname}) as total_count"]
	return execute(**args)[0].get("total_count")


def first_page(order_by: str, page_length: int, with_comment_count: bool) -> dict:
	"""The unfiltered ticket list's first page as the desk's list request (reportview.get) would return it:
	same validation, permissions and natural order. It holds every standard and value field, so whatever
	field list the table asks for fits in it; the desk takes it when its own request would be the same."""
	meta = frappe.get_meta("Ticket")
	names = [f for f in default_fields if f != "doctype"]
	names += [f for f in optional_fields if f != "_seen" or meta.track_seen]
	names += [df.fieldname for df in meta.fields if df.fieldtype not in no_value_fields + table_fields and not df.is_virtual]
	fields = [f"`tabTicket`.`{name}`" for name in dict.fromkeys(names)]
	args = frappe._dict(
		doctype="Ticket", fields=list(fields), filters=[], order_by=order_by, start=0,
		page_length=page_length, with_comment_count=with_comment_count,
	)
	clean_params(args)
	validate_args(args)
	args.order_by = natural_order_by(args.order_by)
	return {
		"fields": fields, "order_by": order_by, "page_length": page_length,
		"with_comment_count": with_comment_count, "data": compress(execute(**args), args=args),
	}


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
