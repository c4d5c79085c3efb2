"""Ticket endpoints for the desk table and side sheet: create with staged comments and files, single-field
optimistic edits, the extras a table page shows (linked chats), and a ticket's comments.

All of them go through Frappe's permission checks (get_list, check_permission, insert/save); none ignores
permissions on the user's behalf.
"""

import frappe
from frappe import _
from frappe.model import no_value_fields

from tg_tickets.tickets import activity, events
from tg_tickets.tickets.fields import ROW_FIELDS
from tg_tickets.tickets.lifecycle import SERVER_MAINTAINED

CHATS_PER_PAGE_LIMIT = 500


def chats_of(ticket_names: list[str]) -> dict[str, list[dict]]:
	"""Linked chats per ticket, in the ticket's order, with what an avatar shows (for tickets the caller has
	already read through a permission-checked query)."""
	if not ticket_names:
		return {}
	links = frappe.get_all(
		"Ticket Chat",
		filters={"parenttype": "Ticket", "parentfield": "chats", "parent": ("in", ticket_names)},
		fields=["parent", "chat"],
		order_by="idx asc",
	)
	chat_names = list({link.chat for link in links})
	chats = {
		c.name: c
		for c in frappe.get_list(
			"Linked Chat", filters={"name": ("in", chat_names)},
			fields=["name", "title", "username", "chat_type", "photo"], limit=CHATS_PER_PAGE_LIMIT,
		)
	} if chat_names else {}
	out = {name: [] for name in ticket_names}
	for link in links:
		chat = chats.get(link.chat) or frappe._dict(name=link.chat, title=link.chat)
		out[link.parent].append(chat)
	return out


def ticket_row(doc) -> dict:
	"""What the table and the sheet show of one ticket, from a document the user may read."""
	row = {f: doc.get(f) for f in ROW_FIELDS if f in ("name", "owner", "creation", "modified") or doc.meta.has_field(f)}
	for df in doc.meta.fields:
		if df.get("is_custom_field") and df.fieldtype not in no_value_fields:
			value = doc.get(df.fieldname)
			row[df.fieldname] = [r.as_dict() for r in value] if isinstance(value, list) else value
	row["chats"] = chats_of([doc.name]).get(doc.name, [])
	return row


def _editable(doc, fieldname: str):
	df = doc.meta.get_field(fieldname)
	if not df or df.read_only or df.hidden or fieldname in SERVER_MAINTAINED or df.fieldtype in no_value_fields:
		frappe.throw(_("{0} cannot be edited here.").format(fieldname), frappe.ValidationError)
	return df


def _set_chats(doc, chat_names) -> None:
	chat_names = frappe.parse_json(chat_names) if isinstance(chat_names, str) else chat_names
	doc.set("chats", [{"chat": name} for name in (chat_names or []) if name])


@frappe.whitelist(methods=["POST"])
def set_field(name: str, fieldname: str, value=None) -> dict:
	"""One optimistic edit from the table or the side sheet; returns the saved row (or raises the server's reason)."""
	doc = frappe.get_doc("Ticket", name)
	doc.check_permission("write")
	df = _editable(doc, fieldname)
	if fieldname == "chats":
		_set_chats(doc, value)
	elif df.fieldtype in frappe.model.table_fields:
		doc.set(fieldname, frappe.parse_json(value) if isinstance(value, str) else value)
	else:
		doc.set(fieldname, value if value not in ("",) else None)
	doc.save()
	return ticket_row(doc)


@frappe.whitelist()
def get_row(name: str, opened=None) -> dict:
	"""A ticket's row for the table and side sheet; `opened` when the side sheet opens it (a view, audited)."""
	doc = frappe.get_doc("Ticket", name)
	doc.check_permission("read")
	if frappe.utils.cint(opened):
		events.emit(events.TICKET_VIEWED, doc.name, frappe.session.user, "Side sheet")
	return ticket_row(doc)


@frappe.whitelist(methods=["POST"])
def create_ticket(doc, staged_comments=None, files=None) -> dict:
	"""The new-ticket form: the ticket, its staged comments and its uploaded files in one transaction."""
	values = frappe.parse_json(doc) if isinstance(doc, str) else dict(doc or {})
	comments = frappe.parse_json(staged_comments) if isinstance(staged_comments, str) else (staged_comments or [])
	file_urls = [f for f in (frappe.parse_json(files) if isinstance(files, str) else (files or [])) if f]
	if len(file_urls) > activity.MAX_FILES_PER_TICKET:
		frappe.throw(_("A ticket may have at most {0} files.").format(activity.MAX_FILES_PER_TICKET), title=_("Too many files"))

	chat_names = values.pop("chats", None) or []
	for key in list(values):
		if key in SERVER_MAINTAINED or key in ("name", "owner", "creation", "modified", "doctype"):
			values.pop(key)
	ticket = frappe.get_doc({**values, "doctype": "Ticket"})
	_set_chats(ticket, [c.get("chat") if isinstance(c, dict) else c for c in chat_names])
	ticket.staged_comments = [c for c in comments if (c.get("content") if isinstance(c, dict) else c)]
	ticket.insert()  # checks create permission
	for file_url in file_urls:
		_attach_uploaded_file(ticket.name, file_url)
	ticket.reload()
	return ticket_row(ticket)


def _attach_uploaded_file(ticket_name: str, file_url: str) -> None:
	"""A file the user just uploaded (unattached) moves onto the ticket, under the ticket's file limits."""
	found = frappe.get_list(
		"File",
		filters={"file_url": file_url, "owner": frappe.session.user, "attached_to_name": ("is", "not set")},
		pluck="name", limit=1,
	)
	if not found:
		frappe.throw(_("Uploaded file {0} was not found.").format(file_url))
	file = frappe.get_doc("File", found[0])
	file.check_permission("write")
	file.attached_to_doctype = "Ticket"
	file.attached_to_name = ticket_name
	activity.before_file_insert(file)  # closed ticket, size and count limits
	file.save()
	activity.after_file_change(file)


@frappe.whitelist()
def list_extras(names) -> dict:
	"""Linked chats for the tickets on a table page, limited to tickets the user may see."""
	names = frappe.parse_json(names) if isinstance(names, str) else names
	names = list(names or [])[:100]
	visible = frappe.get_list("Ticket", filters={"name": ("in", names)}, pluck="name", limit=len(names)) if names else []
	return {"chats": chats_of(visible)}


@frappe.whitelist()
def comments(name: str) -> list[dict]:
	frappe.get_doc("Ticket", name).check_permission("read")
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": "Ticket", "reference_name": name, "comment_type": "Comment"},
		fields=["name", "content", "owner", "comment_email", "creation"],
		order_by="creation desc",
		limit=200,
	)


@frappe.whitelist(methods=["POST"])
def add_comment(name: str, content: str) -> dict:
	doc = frappe.get_doc("Ticket", name)
	doc.check_permission("read")
	if not (content or "").strip():
		frappe.throw(_("A comment needs some text."))
	comment = doc.add_comment("Comment", content)
	return comment.as_dict()
