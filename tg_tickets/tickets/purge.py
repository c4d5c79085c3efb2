"""Removing or anonymising tickets with everything that belongs to them — the operation retention and erasure
requests (tg_tickets/privacy/) call. It never commits: the caller commits one batch at a time.

What belongs to a ticket is read from the doctype meta, not listed here, so a table another domain adds later
(e.g. analytics' "Ticket Metrics") goes with its ticket without a line of code here:
- every Link field to Ticket: on Ticket itself (follow_up_of) and on fields other than a doctype's own
  `ticket` link (moved_from_ticket) the link is cleared; otherwise the row is the ticket's and is deleted;
- child tables of Ticket (Ticket Chat) by `parent`;
- every Dynamic Link pointing at Ticket (Comment, File, Version, Communication, ToDo, View Log, DocShare,
  Tag Link, Notification Log, ...);
- Frappe's Access Log (prints of the ticket), the search table, and the files on disk.
Frappe's `delete_doc` is not used: it copies each row into Deleted Document and enqueues a job per record.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import frappe

from tg_tickets.tickets import counters
from tg_tickets.tickets.search import SEARCH_TABLE

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


def dynamic_ticket_links() -> list[DynamicTicketLink]:
	"""Every Dynamic Link field on a stored doctype (any of them may point at a ticket)."""
	from frappe.model.dynamic_links import get_dynamic_links

	found = set()
	for df in get_dynamic_links():
		meta = frappe.get_meta(df.parent)
		if meta.issingle or meta.is_virtual:
			continue
		found.add(DynamicTicketLink(df.parent, df.options, df.fieldname))
	return sorted(found, key=lambda d: (d.doctype, d.name_field))


def child_tables() -> list[str]:
	return sorted({df.options for df in frappe.get_meta(TICKET).get_table_fields()})


def _in(names: list[str]) -> str:
	return ", ".join(frappe.db.escape(n) for n in names)


def _delete(counts: Counter, label: str, sql: str, values=None) -> None:
	frappe.db.sql(sql, values)
	counts[label] += frappe.db._cursor.rowcount if frappe.db._cursor else 0


def chats_of(names: list[str]) -> list[str]:
	return frappe.db.sql_list(
		f"select distinct chat from `tabTicket Chat` where parenttype = 'Ticket' and parent in ({_in(names)})"
	)


def delete_tickets(names: list[str]) -> Counter:
	"""Deletes the tickets and every row and file of theirs; returns rows removed per table (and "files on
	disk"). Rows are removed children first, the ticket rows last, each by an indexed column."""
	counts = Counter()
	if not names:
		return counts
	names = sorted(set(names))
	chats = chats_of(names)
	_remove_files(names, counts)
	for link in ticket_links():
		if link.owns_row:
			_delete(counts, link.doctype, f"delete from `tab{link.doctype}` where `{link.fieldname}` in ({_in(names)})")
		else:
			frappe.db.sql(
				f"update `tab{link.doctype}` set `{link.fieldname}` = null where `{link.fieldname}` in ({_in(names)})"
			)
	for link in dynamic_ticket_links():
		_delete(
			counts,
			link.doctype,
			f"delete from `tab{link.doctype}` where `{link.doctype_field}` = 'Ticket' and `{link.name_field}` in ({_in(names)})",
		)
	_delete(counts, "Access Log", f"delete from `tabAccess Log` where export_from = 'Ticket' and reference_document in ({_in(names)})")
	_delete(counts, SEARCH_TABLE, f"delete from `{SEARCH_TABLE}` where ticket in ({_in(names)})")
	for child in child_tables():
		_delete(counts, child, f"delete from `tab{child}` where parenttype = 'Ticket' and parent in ({_in(names)})")
	_delete(counts, TICKET, f"delete from `tabTicket` where name in ({_in(names)})")
	counters.refresh_chat_ticket_counts(chats)
	return counts


def _remove_files(names: list[str], counts: Counter) -> None:
	"""File rows of the tickets go with the Dynamic Link pass; the files on disk go here, unless another File
	row (Frappe shares one file between rows with the same content) still points at them."""
	files = frappe.db.sql(
		f"""select name, file_url, is_private from `tabFile` where attached_to_doctype = 'Ticket'
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
	chats = chats_of(names)
	_remove_files(names, counts)
	_delete(counts, "File", f"delete from `tabFile` where attached_to_doctype = 'Ticket' and attached_to_name in ({_in(names)})")
	_delete(counts, "Version", f"delete from `tabVersion` where ref_doctype = 'Ticket' and docname in ({_in(names)})")
	frappe.db.sql(
		f"""update `tabComment` set content = %s where reference_doctype = 'Ticket' and reference_name in ({_in(names)})
		and comment_type in ('Comment', 'Info', 'Edit', 'Attachment', 'Attachment Removed', 'Like', 'Label')""",
		(ANONYMISED,),
	)
	_delete(
		counts,
		"Telegram Message",
		f"""update `tabTelegram Message` set text = %s, previous_text = null, edit_history = null, sender_name = null,
		media_meta = null, attachments = null, payload = null where ticket in ({_in(names)})""",
		(ANONYMISED,),
	)
	frappe.db.sql(f"update `tabTicket Rating` set comment = null where ticket in ({_in(names)})")
	_delete(
		counts,
		TICKET,
		f"""update `tabTicket` set title = %(t)s, description = null, customer_email = null, customer_telegram_id = null,
		details = null, last_comment = null, rating_comment = null, close_reason = null, anonymised_at = %(now)s
		where name in ({_in(names)})""",
		{"t": ANONYMISED, "now": frappe.utils.now_datetime()},
	)
	frappe.db.sql(f"update `{SEARCH_TABLE}` set body = %s where ticket in ({_in(names)})", (ANONYMISED,))
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
	_delete(counts, "Telegram Intake Session", f"delete from `tabTelegram Intake Session` where chat in ({ids})")
	_delete(counts, "Telegram Session Entity", f"delete from `tabTelegram Session Entity` where entity_id in ({ids})")
	_delete(
		counts,
		"Telegram Update",
		f"delete from `tabTelegram Update` where chat_id in ({ids}) and status not in ('Queued', 'Processing')",
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
	_delete(
		counts,
		"Telegram Update",
		"""delete u from `tabTelegram Update` u join `tabTelegram Message` m
		on m.chat_id = u.chat_id and m.message_id = u.message_id
		where m.sender_id = %s and u.status not in ('Queued', 'Processing')""",
		(user_id,),
	)
	_delete(
		counts,
		"Telegram Message",
		"""update `tabTelegram Message` set text = %s, previous_text = null, edit_history = null, sender_name = null,
		sender_id = null, media_meta = null, attachments = null, payload = null where sender_id = %s""",
		(ANONYMISED, user_id),
	)
	_delete(
		counts,
		"Telegram Message",
		"""update `tabTelegram Message` set text = %s, previous_text = null, edit_history = null, sender_name = null,
		sender_id = null, media_meta = null, attachments = null, payload = null, chat = null, chat_id = null,
		message_key = concat('erased:', name) where chat = %s""",
		(ANONYMISED, user_id),
	)
	_delete(counts, "Ticket Rating", "update `tabTicket Rating` set comment = null, chat = null where chat = %s", (user_id,))
	frappe.db.sql("update `tabTicket` set customer_telegram_id = null where customer_telegram_id = %s", (user_id,))
	return counts


def delete_chat(chat: str) -> int:
	"""The Linked Chat row itself (after its tickets went): the customer's identity in the desk."""
	frappe.db.sql("delete from `tabTicket Chat` where chat = %s and parenttype != 'Ticket'", (chat,))
	frappe.db.sql("delete from `tabLinked Chat` where name = %s", (chat,))
	return frappe.db._cursor.rowcount if frappe.db._cursor else 0


def ensure_link_indexes() -> list[str]:
	"""Every Link column to Ticket gets an index, so that a purge batch's deletes and link clears read only
	their rows (an unindexed UPDATE would scan, and lock, a whole table). Returns what was added."""
	added = []
	for link in ticket_links():
		index = f"{link.fieldname}_index"
		if not frappe.db.sql(f"show index from `tab{link.doctype}` where Column_name = %s and Seq_in_index = 1", (link.fieldname,)):
			frappe.db.add_index(link.doctype, [link.fieldname], index)
			added.append(f"{link.doctype}.{link.fieldname}")
	return added
