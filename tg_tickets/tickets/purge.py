"""Removing or anonymising tickets with everything that belongs to them — the operation retention and erasure
requests (tg_tickets/privacy/) call. It never commits: the caller commits one batch at a time.

What belongs to a ticket is read from the doctype meta, not listed here, so a table another domain adds later
(e.g. analytics' "Ticket Metrics") goes with its ticket without a line of code here:
- every Link field to Ticket: on Ticket itself (follow_up_of) and on fields other than a doctype's own
  `ticket` link (moved_from_ticket) the link is cleared; otherwise the row is the ticket's and is deleted;
- child tables of Ticket (Ticket Chat) by `parent`;
- every Dynamic Link pointing at Ticket (Comment, File, Version, Communication, ToDo, View Log, DocShare,
  Tag Link, Notification Log, ...);
- Frappe's Access Log (prints of the ticket), the search and word tables, and the files on disk.
Frappe's `delete_doc` is not used: it copies each row into Deleted Document and enqueues a job per record.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import frappe

from tg_tickets.tickets import counters, events
from tg_tickets.tickets.search import SEARCH_TABLE, WORD_TABLE, reindex_words

TICKET = "Ticket"
ANONYMISED = "[anonymised]"


@dataclass(frozen=True)
class TicketLink:
	doctype: str
	fieldname: str
	owns_row: bool  # True: the row is the ticket's (deleted with it); False: only the link is cleared


@dataclass(frozen=True)
class DynamicTicketLink:
	doctype: str
	doctype_field: str
	name_field: str


def ticket_links() -> list[TicketLink]:
	"""Every Link field to Ticket on a stored (non-single, non-virtual) doctype, standard or custom."""
	rows = frappe.db.sql(
		"""select f.parent as doctype, f.fieldname from `tabDocField` f join `tabDocType` d on d.name = f.parent
		where f.fieldtype = 'Link' and f.options = 'Ticket' and d.issingle = 0 and d.is_virtual = 0
		union
		select c.dt as doctype, c.fieldname from `tabCustom Field` c join `tabDocType` d on d.name = c.dt
		where c.fieldtype = 'Link' and c.options = 'Ticket' and d.issingle = 0 and d.is_virtual = 0""",
		as_dict=True,
	)
	links = []
	for row in sorted(rows, key=lambda r: (r.doctype, r.fieldname)):
		owns = row.doctype != TICKET and (row.fieldname == "ticket" or _is_required(row.doctype, row.fieldname))
		links.append(TicketLink(row.doctype, row.fieldname, owns))
	return links


def _is_required(doctype: str, fieldname: str) -> bool:
	field = frappe.get_meta(doctype).get_field(fieldname)
	return bool(field and field.reqd)


# Frappe's references to a document held in plain Data columns (no Dynamic Link to discover): the ones
# frappe.model.delete_doc.delete_dynamic_links clears, plus File and Access Log.
FRAPPE_REFERENCES = (
	DynamicTicketLink("Version", "ref_doctype", "docname"),
	DynamicTicketLink("File", "attached_to_doctype", "attached_to_name"),
	DynamicTicketLink("Notification Log", "document_type", "document_name"),
	DynamicTicketLink("Document Follow", "ref_doctype", "ref_docname"),
	DynamicTicketLink("Email Unsubscribe", "reference_doctype", "reference_name"),
	DynamicTicketLink("Access Log", "export_from", "reference_document"),
)


def dynamic_ticket_links() -> list[DynamicTicketLink]:
	"""Every Dynamic Link field on a stored doctype (any of them may point at a ticket), and Frappe's
	references in Data columns."""
	from frappe.model.dynamic_links import get_dynamic_links

	found = set(FRAPPE_REFERENCES)
	for df in get_dynamic_links():
		meta = frappe.get_meta(df.parent)
		if meta.issingle or meta.is_virtual:
			continue
		found.add(DynamicTicketLink(df.parent, df.options, df.fieldname))
	return sorted(found, key=lambda d: (d.doctype, d.name_field))


def delete_references(doctype: str, names: list[str], counts: Counter) -> None:
	"""Rows of any doctype that point at these documents of `doctype` by a (doctype, name) pair."""
	_delete_references(dynamic_ticket_links(), doctype, names, counts)


def _delete_references(references, doctype: str, names: list[str], counts: Counter) -> None:
	for link in references:
		_run(
			counts,
			link.doctype,
			f"""delete from `tab{link.doctype}` where `{link.doctype_field}` = {frappe.db.escape(doctype)}
			and `{link.name_field}` in ({_in(names)})""",
		)


def child_tables() -> list[str]:
	return sorted({df.options for df in frappe.get_meta(TICKET).get_table_fields()})


def _in(names: list[str]) -> str:
	return ", ".join(frappe.db.escape(n) for n in names)


def _run(counts: Counter, label: str, sql: str, values=None) -> None:
	"""Runs a DELETE or UPDATE and counts the rows it removed or changed under `label`."""
	frappe.db.sql(sql, values) if values is not None else frappe.db.sql(sql)
	counts[label] += frappe.db._cursor.rowcount if frappe.db._cursor else 0


def chats_of(names: list[str]) -> list[str]:
	return frappe.db.sql_list(
		f"select distinct chat from `tabTicket Chat` where parenttype = 'Ticket' and parent in ({_in(names)})"
	)


@dataclass(frozen=True)
class PurgePlan:
	"""What a purge touches, read once per run from the meta (reading it per batch cost ~0.3 s a batch)."""

	links: tuple[TicketLink, ...]
	# rows owned by a ticket's rows, one level down: (owned doctype, owner doctype, owner's ticket field)
	nested: tuple[tuple[TicketLink, str, str], ...]
	references: tuple[DynamicTicketLink, ...]
	children: tuple[str, ...]


def precise_ranges() -> None:
	"""Our IN lists name up to a batch of tickets. Past 200 values (MariaDB's eq_range_index_dive_limit)
	the optimizer estimates them from index statistics, and a link that is nearly always empty (follow_up_of,
	moved_from_ticket: cardinality 1-2) looks like it matches everything: the UPDATE clearing it scanned and
	locked all 300,000 ticket rows, 3 s a batch (measured, benchmarks/retention.py). Dives make it a range."""
	frappe.db.sql("set session eq_range_index_dive_limit = 0")


def make_plan() -> PurgePlan:
	"""The links to Ticket, and only the (doctype, name) reference columns that point at some ticket now: a
	Dynamic Link table that never held a ticket is not read in every batch."""
	links = tuple(ticket_links())
	nested = tuple(
		(field, link.doctype, link.fieldname) for link in links if link.owns_row for field in _links_to(link.doctype)
	)
	references = tuple(
		ref for ref in dynamic_ticket_links()
		if frappe.db.sql(f"select 1 from `tab{ref.doctype}` where `{ref.doctype_field}` = 'Ticket' limit 1")
	)
	return PurgePlan(links, nested, references, tuple(child_tables()))


def delete_tickets(names: list[str], plan: PurgePlan | None = None) -> Counter:
	"""Deletes the tickets and every row and file of theirs; returns rows removed per table (and "files on
	disk"). Rows are removed children first, the ticket rows last, each by an indexed column."""
	counts = Counter()
	if not names:
		return counts
	plan = plan or make_plan()
	precise_ranges()
	names = sorted(set(names))
	ticket_list = _in(names)
	events.emit(events.TICKETS_DELETING, names)
	counters.forget_tickets_in_chat_counts(names)
	_remove_files(names, counts)
	for field, owner, owner_field in plan.nested:
		owned = f"select name from `tab{owner}` where `{owner_field}` in ({ticket_list})"
		if field.owns_row:
			_run(counts, field.doctype, f"delete from `tab{field.doctype}` where `{field.fieldname}` in ({owned})")
		else:
			frappe.db.sql(f"update `tab{field.doctype}` set `{field.fieldname}` = null where `{field.fieldname}` in ({owned})")
	for link in plan.links:
		if link.owns_row:
			_run(counts, link.doctype, f"delete from `tab{link.doctype}` where `{link.fieldname}` in ({ticket_list})")
		else:
			frappe.db.sql(f"update `tab{link.doctype}` set `{link.fieldname}` = null where `{link.fieldname}` in ({ticket_list})")
	_delete_references(plan.references, TICKET, names, counts)
	_run(counts, SEARCH_TABLE, f"delete from `{SEARCH_TABLE}` where ticket in ({ticket_list})")
	_run(counts, WORD_TABLE, f"delete from `{WORD_TABLE}` where ticket in ({ticket_list})")
	_delete_frappe_traces(names, counts)
	for child in plan.children:
		_run(counts, child, f"delete from `tab{child}` where parenttype = 'Ticket' and parent in ({ticket_list})")
	_run(counts, TICKET, f"delete from `tabTicket` where name in ({ticket_list})")
	return counts


def _links_to(doctype: str) -> list[TicketLink]:
	rows = frappe.db.sql(
		"""select f.parent as doctype, f.fieldname, f.reqd from `tabDocField` f join `tabDocType` d on d.name = f.parent
		where f.fieldtype = 'Link' and f.options = %(dt)s and d.issingle = 0 and d.is_virtual = 0 and f.parent != %(dt)s
		union
		select c.dt as doctype, c.fieldname, c.reqd from `tabCustom Field` c join `tabDocType` d on d.name = c.dt
		where c.fieldtype = 'Link' and c.options = %(dt)s and d.issingle = 0 and d.is_virtual = 0 and c.dt != %(dt)s""",
		{"dt": doctype},
		as_dict=True,
	)
	own_field = frappe.scrub(doctype)
	return [
		TicketLink(r.doctype, r.fieldname, bool(r.reqd) or r.fieldname == own_field)
		for r in sorted(rows, key=lambda r: (r.doctype, r.fieldname))
		if r.doctype != TICKET
	]


def _delete_frappe_traces(names: list[str], counts: Counter) -> None:
	"""Copies Frappe keeps outside Dynamic Links: the awesome bar's global search index and users' route
	history (the desk's "recent" list of /app/ticket/<name>)."""
	_run(counts, "__global_search", f"delete from `__global_search` where doctype = 'Ticket' and name in ({_in(names)})")
	routes = ", ".join(frappe.db.escape(f"ticket/{n}") for n in names)
	_run(counts, "Route History", f"delete from `tabRoute History` where route in ({routes})")


def _remove_files(names: list[str], counts: Counter, doctype: str = TICKET) -> None:
	"""File rows of the tickets go with the Dynamic Link pass; the files on disk go here, unless another File
	row (Frappe shares one file between rows with the same content) still points at them."""
	files = frappe.db.sql(
		f"""select name, file_url, is_private from `tabFile` where attached_to_doctype = {frappe.db.escape(doctype)}
		and attached_to_name in ({_in(names)}) and ifnull(is_folder, 0) = 0 and ifnull(file_url, '') != ''""",
		as_dict=True,
	)
	if not files:
		return
	ours = [f.name for f in files]
	for file in files:
		shared = frappe.db.sql(
			f"select 1 from `tabFile` where file_url = %s and name not in ({_in(ours)}) limit 1", (file.file_url,)
		)
		if shared:
			continue
		path = file_path(file.file_url)
		if path and os.path.exists(path):
			os.remove(path)
			counts["files on disk"] += 1


def file_path(file_url: str) -> str | None:
	"""The file's path inside the site (None for a URL elsewhere)."""
	if file_url.startswith("/private/files/"):
		return frappe.get_site_path("private", "files", file_url.removeprefix("/private/files/"))
	if file_url.startswith("/files/"):
		return frappe.get_site_path("public", "files", file_url.removeprefix("/files/"))
	return None


def anonymise_tickets(names: list[str]) -> Counter:
	"""Removes what identifies the customer from the tickets — titles, descriptions, message texts, sender
	names, raw payloads, files (rows and disk), comments, history (Version rows keep old values), rating
	comments, the customers' private Linked Chats once none of their tickets keeps data — while the tickets'
	figures (status, dates, SLA, ratings, metrics) stay. Marks them anonymised; returns counts per table."""
	counts = Counter()
	names = sorted(set(names))
	if not names:
		return counts
	precise_ranges()
	chats = chats_of(names)
	_remove_files(names, counts)
	_run(counts, "File", f"delete from `tabFile` where attached_to_doctype = 'Ticket' and attached_to_name in ({_in(names)})")
	_run(counts, "Version", f"delete from `tabVersion` where ref_doctype = 'Ticket' and docname in ({_in(names)})")
	frappe.db.sql(
		f"""update `tabComment` set content = %s where reference_doctype = 'Ticket' and reference_name in ({_in(names)})
		and comment_type in ('Comment', 'Info', 'Edit', 'Attachment', 'Attachment Removed', 'Like', 'Label')""",
		(ANONYMISED,),
	)
	_run(
		counts,
		"Telegram Message",
		f"""update `tabTelegram Message` set text = %s, previous_text = null, edit_history = null, sender_name = null,
		media_meta = null, attachments = null, payload = null where ticket in ({_in(names)})""",
		(ANONYMISED,),
	)
	frappe.db.sql(f"update `tabTicket Rating` set comment = null where ticket in ({_in(names)})")
	# what the "record" transport kept of the replies sent (their payloads carry the texts)
	_run(
		counts,
		"Telegram Recorded Request",
		f"""delete r from `tabTelegram Recorded Request` r join `tabTelegram Message` m on m.name = r.telegram_message
		where m.ticket in ({_in(names)})""",
	)
	# e-mails with the customer (the backup channel) are the customer's words and address
	_run(
		counts,
		"Communication",
		f"delete from `tabCommunication` where reference_doctype = 'Ticket' and reference_name in ({_in(names)})",
	)
	_run(
		counts,
		TICKET,
		f"""update `tabTicket` set title = %(t)s, description = null, customer_email = null, customer_telegram_id = null,
		details = null, last_comment = null, rating_comment = null, close_reason = null, anonymised_at = %(now)s
		where name in ({_in(names)})""",
		{"t": ANONYMISED, "now": frappe.utils.now_datetime()},
	)
	frappe.db.sql(f"update `{SEARCH_TABLE}` set body = %s where ticket in ({_in(names)})", (ANONYMISED,))
	reindex_words(names)  # the words of the erased text go with it
	_delete_frappe_traces(names, counts)
	counts["Linked Chat"] += anonymise_chats(_chats_without_live_tickets(chats))
	return counts


def _chats_without_live_tickets(chats: list[str]) -> list[str]:
	"""Customers' private chats none of whose tickets still carries data (all anonymised)."""
	if not chats:
		return []
	return frappe.db.sql_list(
		f"""select c.name from `tabLinked Chat` c where c.name in ({_in(chats)}) and c.chat_type = 'Private'
		and not exists (select 1 from `tabTicket Chat` tc join `tabTicket` t on t.name = tc.parent
			where tc.chat = c.name and tc.parenttype = 'Ticket' and t.anonymised_at is null)"""
	)


def anonymise_chats(chats: list[str]) -> int:
	"""A private chat's name, username and photo go, with what the Telegram edge cached about the person
	(intake session, session entity: username, phone, name) and raw updates from the chat."""
	if not chats:
		return 0
	frappe.db.sql(
		f"update `tabLinked Chat` set title = %s, username = null, photo = null where name in ({_in(chats)})",
		(ANONYMISED,),
	)
	forget_telegram_users(chats)
	return len(chats)


def forget_telegram_users(user_ids: list[str]) -> Counter:
	"""What the Telegram edge keeps about these Telegram users outside tickets: the bot's intake session with
	them, Telethon's entity cache (username, phone, name) and the raw updates from their private chats."""
	counts = Counter()
	if not user_ids:
		return counts
	ids = _in(user_ids)
	_run(counts, "Telegram Intake Session", f"delete from `tabTelegram Intake Session` where chat in ({ids})")
	_run(counts, "Telegram Session Entity", f"delete from `tabTelegram Session Entity` where entity_id in ({ids})")
	_run(
		counts,
		"Telegram Update",
		f"delete from `tabTelegram Update` where chat_id in ({ids}) and status != 'Pending'",
	)
	return counts


def tickets_of_customer(user_id: str) -> list[str]:
	"""Tickets of a Telegram user: linked to their private chat, or where they wrote (groups)."""
	return sorted(
		set(frappe.db.sql_list("select parent from `tabTicket Chat` where chat = %s and parenttype = 'Ticket'", (user_id,)))
		| set(
			frappe.db.sql_list(
				"select distinct ticket from `tabTelegram Message` where sender_id = %s and ifnull(ticket, '') != ''",
				(user_id,),
			)
		)
	)


def erase_customer_messages(user_id: str) -> Counter:
	"""The user's own messages in any ticket (group chats included) and every message of their private chat
	lose text, name, ids, payload and files; the raw updates that carried them go; rating comments go."""
	counts = Counter()
	_run(
		counts,
		"Telegram Update",
		"""delete u from `tabTelegram Update` u join `tabTelegram Message` m
		on m.chat_id = u.chat_id and m.message_id = u.message_id
		where m.sender_id = %s and u.status != 'Pending'""",
		(user_id,),
	)
	_run(
		counts,
		"Telegram Message",
		"""update `tabTelegram Message` set text = %s, previous_text = null, edit_history = null, sender_name = null,
		sender_id = null, media_meta = null, attachments = null, payload = null where sender_id = %s""",
		(ANONYMISED, user_id),
	)
	_run(
		counts,
		"Telegram Message",
		"""update `tabTelegram Message` set text = %s, previous_text = null, edit_history = null, sender_name = null,
		sender_id = null, media_meta = null, attachments = null, payload = null, chat = null, chat_id = null,
		message_key = concat('erased:', name) where chat = %s""",
		(ANONYMISED, user_id),
	)
	_run(counts, "Ticket Rating", "update `tabTicket Rating` set comment = null, chat = null where chat = %s", (user_id,))
	frappe.db.sql("update `tabTicket` set customer_telegram_id = null where customer_telegram_id = %s", (user_id,))
	return counts


def delete_chat(chat: str) -> Counter:
	"""The Linked Chat row itself (after its tickets went), with its history, comments and files: the
	customer's identity in the desk."""
	counts = Counter()
	_remove_files([chat], counts, "Linked Chat")
	delete_references("Linked Chat", [chat], counts)
	_run(counts, "Ticket Chat", "delete from `tabTicket Chat` where chat = %s", (chat,))
	_run(counts, "Linked Chat", "delete from `tabLinked Chat` where name = %s", (chat,))
	return counts


def ensure_link_indexes() -> list[str]:
	"""Every Link column to Ticket gets an index, so that a purge batch's deletes and link clears read only
	their rows (an unindexed UPDATE would scan, and lock, a whole table). Returns what was added."""
	return [f"{link.doctype}.{link.fieldname}" for link in ticket_links() if ensure_index(link.doctype, [link.fieldname])]


def ensure_index(doctype: str, columns: list[str]) -> bool:
	"""Adds an index on `columns` unless one already starts with them; returns whether it added one."""
	table = f"tab{doctype}"
	if not frappe.db.table_exists(doctype):
		return False
	existing = {}
	for row in frappe.db.sql(f"show index from `{table}`", as_dict=True):
		existing.setdefault(row.Key_name, {})[row.Seq_in_index] = row.Column_name
	for parts in existing.values():
		if [parts.get(i + 1) for i in range(len(columns))] == columns:
			return False
	frappe.db.add_index(doctype, columns, "_".join(columns) + "_index")
	return True
