"""Inbound processing (RQ job): stored updates → Linked Chat, Telegram Message, ticket routing, intake.

Runs on rows of the Telegram Update inbox, in arrival order, each at most once: a row is marked Processed in
the same transaction as its effects, so a crash mid-batch leaves it Pending for the next run. Routing: a
ticket's forum topic → that ticket (agent reply, sent on to the customer); a private chat with an open
ticket → appended; a reply to a SOLVED ticket → reopened; no ticket → the bot intake form; General topic or
a group's main chat → flagged for agents. Never talks to Telegram: replies are queued in the outbox.
"""

import json

import frappe
from frappe.utils import add_to_date, convert_utc_to_system_timezone, get_datetime, now_datetime

from tg_tickets.telegram import intake
from tg_tickets.tickets.fields import CLOSED, SOLVED

BATCH = 500
OPEN_STATUSES = ("NEW", "OPEN", "PENDING", "BLOCKED")
# A transient failure (deadlock, lock wait, lost connection) is retried by the sweep with backoff
# (RETRY_BASE_SECONDS doubling up to RETRY_MAX_SECONDS) until MAX_PROCESS_ATTEMPTS; then, like any other
# failure, the row is Failed: listed for admins, who re-queue it with "Retry" once the cause is fixed.
MAX_PROCESS_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
FLAGGED_PREFIX = "tf:c:"  # "Create ticket" button under a flagged message (+ the message's 10-character name)


# --- the job ------------------------------------------------------------------------------------------


def process_pending(limit: int = BATCH, max_batches: int | None = None) -> dict:
	"""Processes Pending inbox rows until none is left; returns counts. Safe to run in parallel."""
	stats = {"processed": 0, "failed": 0}
	batches = 0
	while max_batches is None or batches < max_batches:
		frappe.db.commit()
		# Candidates by a plain read, then claimed by primary key: a locking range scan would take gap locks
		# that block the listener's inserts for the whole batch.
		candidates = frappe.db.sql_list(
			"""select name from `tabTelegram Update` where status = 'Pending'
			and (next_attempt_at is null or next_attempt_at <= %s) order by name limit %s""",
			(now_datetime(), limit),
		)
		if not candidates:
			break
		rows = frappe.db.sql(
			"""select name, payload, attempts from `tabTelegram Update` where name in %s and status = 'Pending'
			order by name for update skip locked""",
			(tuple(candidates),),
			as_dict=True,
		)
		if not rows:
			continue
		batches += 1
		records = [(row.name, json.loads(row.payload)) for row in rows]
		frappe.db.savepoint("tg_inbound_batch")
		try:
			try:
				context, done, failed = process_batch(records, fast=True)
			except TransactionLost:
				raise
			except Exception:  # noqa: BLE001 - the bulk path failed: redo the batch record by record
				traceback = frappe.get_traceback()
				rollback_to("tg_inbound_batch")
				frappe.log_error(title="Telegram inbound batch fell back to one by one", message=traceback)
				context, done, failed = process_batch(records, fast=False)
		except TransactionLost:
			# Nothing of this batch was kept and its rows are still Pending: the sweep runs them again a minute
			# from now, rather than this job spinning on a database that just dropped its transaction.
			frappe.db.rollback()
			frappe.log_error(title="Telegram inbound batch lost its transaction; left to the sweep")
			break
		now = now_datetime()
		if done:
			frappe.db.sql(
				"update `tabTelegram Update` set status = 'Processed', processed_at = %s, attempts = attempts + 1 where name in %s",
				(now, tuple(done)),
			)
		attempts_of = {row.name: row.attempts or 0 for row in rows}
		for name, error, transient in failed:
			attempts = attempts_of[name] + 1
			retry = transient and attempts < MAX_PROCESS_ATTEMPTS
			frappe.db.sql(
				"""update `tabTelegram Update` set attempts = %s, error = %s, status = %s, next_attempt_at = %s
				where name = %s""",
				(attempts, error, "Pending" if retry else "Failed",
				 add_to_date(now, seconds=retry_delay(attempts)) if retry else None, name),
			)
		context.flush()
		frappe.db.commit()
		stats["processed"] += len(done)
		stats["failed"] += len(failed)
		if len(failed) == len(rows):
			break  # only failing rows are left pending: the sweep retries them later
	return stats


def process_batch(records: list[tuple], fast: bool):
	"""Handles the batch in order. The common case — a customer's message on an open ticket — is collected
	and inserted in one statement; everything else goes through `handle` one by one, in a savepoint."""
	context = BatchContext()
	if fast:
		context.prefetch([r for _, r in records])
	done, failed, bulk = [], [], []
	for name, record in records:
		if fast and context.is_plain_followup(record):
			bulk.append(record)
			context.seen_keys.add(message_key(record))
			done.append(name)
			continue
		context.insert_followups(bulk)
		bulk = []
		frappe.db.savepoint("tg_inbound_row")
		try:
			handle(record, context)
			done.append(name)
		except Exception as error:  # noqa: BLE001 - one bad update must not block the others
			rollback_to("tg_inbound_row")
			failed.append((name, f"{type(error).__name__}: {error}"[:1000], is_transient(error)))
			frappe.log_error(title="Telegram inbound update failed", message=frappe.get_traceback())
		if record.get("chat_id") is not None:
			context.dirty_chats.add(str(record["chat_id"]))
	context.insert_followups(bulk)
	return context, done, failed


class TransactionLost(Exception):
	"""The database rolled the whole transaction back (a deadlock victim, a lost connection): savepoints gone."""


def rollback_to(savepoint: str) -> None:
	try:
		frappe.db.rollback(save_point=savepoint)
	except Exception as error:  # noqa: BLE001 - the savepoint went with the transaction
		raise TransactionLost(str(error)) from error


def retry_delay(attempts: int) -> int:
	"""Seconds before the next try after `attempts` failed ones: 30 s, 1 min, 2 min, … at most an hour."""
	return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


def is_transient(error: BaseException) -> bool:
	"""Failures that may pass by themselves: the database or Redis was busy or unreachable. Anything else
	(a bug, data our rules refuse) would fail the same way again until someone fixes the cause."""
	import pymysql
	import redis

	transient = (
		frappe.QueryDeadlockError, frappe.QueryTimeoutError, pymysql.OperationalError, pymysql.InterfaceError,
		redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ConnectionError, TimeoutError,
	)
	return isinstance(error, transient) or isinstance(error.__cause__, transient)


def sweep() -> None:
	"""Scheduler (every minute): Redis may lose a job; the inbox does not. Re-enqueue what is left or due."""
	due = frappe.db.sql(
		"""select name from `tabTelegram Update` where status = 'Pending'
		and (next_attempt_at is null or next_attempt_at <= %s) limit 1""",
		(now_datetime(),),
	)
	if due:
		frappe.enqueue("tg_tickets.telegram.inbound.process_pending", queue="default")


def requeue_failed(names: list[str]) -> list[str]:
	"""Failed inbox rows back to Pending with a fresh count of attempts; processed after commit."""
	names = frappe.db.sql_list(
		"select name from `tabTelegram Update` where name in %s and status = 'Failed'", (tuple(names) or ("",),)
	)
	if names:
		frappe.db.sql(
			"""update `tabTelegram Update` set status = 'Pending', attempts = 0, next_attempt_at = null
			where name in %s and status = 'Failed'""",
			(tuple(names),),
		)
		frappe.enqueue("tg_tickets.telegram.inbound.process_pending", queue="default", enqueue_after_commit=True)
	return names


MESSAGE_COLUMNS = (
	"name", "creation", "modified", "owner", "modified_by", "docstatus", "idx", "direction", "message_kind", "ticket",
	"chat", "chat_id", "sender_id", "sender_name", "message_id", "topic_id", "reply_to_message_id", "telegram_date",
	"text", "media_type", "media_meta", "message_key", "is_agent_reply", "is_deleted", "flagged", "part", "attempts",
)


class BatchContext:
	"""What a batch reads once and writes once: chats, sessions, open tickets, known message keys;
	last_message_at per chat and one realtime event for the tickets that got messages."""

	def __init__(self):
		self.chats = {}
		self.last_message_at = {}
		self.tickets = set()
		self.dirty_chats = set()
		self.seen_keys = set()
		self.sessions = set()
		self.open_ticket = {}
		self.prefetched = False

	def prefetch(self, records: list[dict]) -> None:
		from tg_tickets.telegram.topics import topic_group

		self.prefetched = True
		self.mirroring = bool(topic_group())
		messages = [r for r in records if r.get("kind") in ("message", "edit") and r.get("chat_id") is not None]
		chat_ids = tuple({str(r["chat_id"]) for r in messages})
		if not chat_ids:
			return
		keys = tuple({message_key(r) for r in messages})
		self.seen_keys.update(frappe.db.sql_list("select message_key from `tabTelegram Message` where message_key in %s", (keys,)))
		for name, title, username, chat_type in frappe.db.sql(
			"select name, title, username, chat_type from `tabLinked Chat` where name in %s", (chat_ids,)
		):
			self.chats[name] = (title, username, chat_type)
		self.sessions.update(frappe.db.sql_list("select chat from `tabTelegram Intake Session` where chat in %s", (chat_ids,)))
		rows = frappe.db.sql(
			"""select c.chat, t.name, t.status from `tabTicket` t
			join `tabTicket Chat` c on c.parent = t.name and c.parenttype = 'Ticket' and c.parentfield = 'chats'
			where c.chat in %s and t.status != %s order by t.status = %s desc, t.creation""",
			(chat_ids, CLOSED, SOLVED),
		)
		for chat, ticket, status in rows:  # last one wins: open before SOLVED, newest last
			self.open_ticket[chat] = (ticket, status)

	def is_plain_followup(self, record: dict) -> bool:
		"""A customer's private message on an open ticket, in a known chat, and nothing else to do."""
		if record.get("kind") != "message" or record.get("outgoing") or record.get("chat_type") != "Private":
			return False
		chat = str(record["chat_id"])
		if chat in self.dirty_chats or chat in self.sessions or self.mirroring:
			return False
		if (record.get("text") or "").startswith("/") or message_key(record) in self.seen_keys:
			return False
		known = self.chats.get(chat)
		wanted = (record.get("chat_title") or chat, record.get("chat_username"), record.get("chat_type"))
		if known is None or known != wanted:
			return False
		ticket = self.open_ticket.get(chat)
		return ticket is not None and ticket[1] != SOLVED

	def insert_followups(self, records: list[dict]) -> None:
		if not records:
			return
		now = now_datetime()
		values = []
		for record in records:
			chat = str(record["chat_id"])
			ticket = self.open_ticket[chat][0]
			at = local_time(record.get("date"))
			values.append((
				frappe.generate_hash(length=10), now, now, "Administrator", "Administrator", 0, 0, "Incoming", "Message",
				ticket, chat, chat, str(record["sender_id"]) if record.get("sender_id") else None, record.get("sender_name"),
				record.get("message_id") or 0, record.get("topic_id") or 0, record.get("reply_to_msg_id") or 0, at,
				record.get("text") or "", record.get("media_type"), json.dumps(record["media"]) if record.get("media") else None,
				message_key(record), 0, 0, 0, 0, 0,
			))
			self.touch(chat, at, ticket)
		frappe.db.bulk_insert("Telegram Message", MESSAGE_COLUMNS, values)

	def touch(self, chat_id: str, at, ticket: str | None):
		if at and (chat_id not in self.last_message_at or at > self.last_message_at[chat_id]):
			self.last_message_at[chat_id] = at
		if ticket:
			self.tickets.add(ticket)

	def flush(self):
		if self.last_message_at:
			items = sorted(self.last_message_at.items())
			derived = " union all ".join(["select %s as name, %s as at"] * len(items))
			frappe.db.sql(
				f"""update `tabLinked Chat` l join ({derived}) v on v.name = l.name
				set l.last_message_at = greatest(ifnull(l.last_message_at, v.at), v.at)""",
				[x for pair in items for x in pair],
			)
		if self.tickets:
			# One event per batch (not one per message): the desk refreshes the timelines of these tickets.
			frappe.publish_realtime("tg_telegram_messages", {"tickets": sorted(self.tickets)}, after_commit=True)


# --- one record ---------------------------------------------------------------------------------------


def handle(record: dict, context: BatchContext | None = None) -> None:
	context = context or BatchContext()
	kind = record.get("kind")
	if kind == "message":
		handle_message(record, context)
	elif kind == "edit":
		handle_edit(record, context)
	elif kind == "delete":
		handle_delete(record, context)
	elif kind == "callback":
		handle_callback(record, context)
	# "service" (topic created/edited, members joined) needs nothing: topic ids come from our own requests.


def local_time(value):
	return convert_utc_to_system_timezone(get_datetime(value)).replace(tzinfo=None) if value else now_datetime()


def ensure_chat(record: dict, context: BatchContext) -> str:
	"""Creates the Linked Chat on first contact and keeps its title, username and type current."""
	chat_id = str(record["chat_id"])
	wanted = (record.get("chat_title") or chat_id, record.get("chat_username"), record.get("chat_type") or "Private")
	if context.chats.get(chat_id) == wanted:
		return chat_id
	current = frappe.db.get_value("Linked Chat", chat_id, ["title", "username", "chat_type"])
	if current is None:
		frappe.get_doc({
			"doctype": "Linked Chat", "chat_id": chat_id, "title": wanted[0], "username": wanted[1],
			"chat_type": wanted[2], "last_message_at": local_time(record.get("date")),
		}).insert(ignore_permissions=True)
	else:
		title = wanted[0] if record.get("chat_title") and record["chat_title"] != chat_id else current[0]
		values = {"title": title, "username": wanted[1] or current[1], "chat_type": wanted[2]}
		if tuple(values.values()) != tuple(current):
			frappe.db.set_value("Linked Chat", chat_id, values, update_modified=False)
	context.chats[chat_id] = wanted
	return chat_id


def message_key(record: dict) -> str:
	return f"{record['bot_id']}:{record['chat_id']}:{record['message_id']}"


def flag_for_agents(message_name: str, chat: str, reason: str) -> None:
	frappe.publish_realtime(
		"tg_flagged_message", {"message": message_name, "chat": chat, "reason": reason}, after_commit=True
	)


def insert_message(record: dict, context: BatchContext, **values) -> str:
	"""The Incoming Telegram Message row (a fast insert: no validation hooks, the inbox already deduplicated)."""
	doc = frappe.get_doc({
		"doctype": "Telegram Message",
		"direction": "Outgoing" if record.get("outgoing") else "Incoming",
		"message_kind": "Message",
		"chat": str(record["chat_id"]),
		"chat_id": str(record["chat_id"]),
		"sender_id": str(record["sender_id"]) if record.get("sender_id") else None,
		"sender_name": record.get("sender_name"),
		"message_id": record.get("message_id"),
		"topic_id": record.get("topic_id"),
		"reply_to_message_id": record.get("reply_to_msg_id"),
		"telegram_date": local_time(record.get("date")),
		"text": record.get("text") or "",
		"media_type": record.get("media_type"),
		"media_meta": json.dumps(record["media"]) if record.get("media") else None,
		"message_key": message_key(record),
		**values,
	})
	doc.set_new_name()
	doc.set_user_and_timestamp()
	doc.db_insert()
	context.touch(doc.chat, doc.telegram_date, doc.ticket)
	return doc.name


def handle_message(record: dict, context: BatchContext) -> None:
	chat = ensure_chat(record, context)
	if frappe.db.exists("Telegram Message", {"message_key": message_key(record)}):
		return  # stored under another inbox key earlier (e.g. an edit seen before the message)
	from tg_tickets.telegram.topics import topic_group

	chat_type = record.get("chat_type")
	if record.get("outgoing"):
		insert_message(record, context)
	elif chat_type == "Private":
		handle_private(record, chat, context)
	elif chat == topic_group():
		handle_topic_group(record, chat, context)
	else:
		handle_group(record, chat, context)


def open_ticket_for_chat(chat: str) -> tuple[str, str] | None:
	"""The chat's most recent open ticket, else its most recent SOLVED one: (name, status)."""
	row = frappe.db.sql(
		"""select t.name, t.status from `tabTicket` t
		join `tabTicket Chat` c on c.parent = t.name and c.parenttype = 'Ticket' and c.parentfield = 'chats'
		where c.chat = %s and t.status != %s
		order by t.status = %s, t.creation desc limit 1""",
		(chat, CLOSED, SOLVED),
	)
	return (row[0][0], row[0][1]) if row else None


def handle_private(record: dict, chat: str, context: BatchContext) -> None:
	text = (record.get("text") or "").strip()
	if text.split(" ")[0].split("@")[0].lower() == "/status":
		insert_message(record, context)
		send_status(chat)
		return
	session = frappe.db.get_value("Telegram Intake Session", chat, "state")
	if session is not None:
		insert_message(record, context)
		run_intake(chat, record, {"text": record.get("text") or ""}, json.loads(session or "null"), context)
		return
	found = open_ticket_for_chat(chat)
	if found:
		ticket, status = found
		if status == SOLVED:
			reopen(ticket)
		insert_message(record, context, ticket=ticket)
		from tg_tickets.telegram import topics

		topics.mirror_customer_message(ticket, record.get("sender_name"), record.get("text") or f"[{record.get('media_type')}]")
		return
	insert_message(record, context)
	run_intake(chat, record, {"text": record.get("text") or ""}, None, context)


def reopen(ticket: str) -> None:
	"""A customer's reply to a SOLVED ticket reopens it rather than opening a new one."""
	doc = frappe.get_doc("Ticket", ticket)
	doc.status = "OPEN"
	doc.flags.ignore_permissions = True
	doc.save()


def handle_topic_group(record: dict, chat: str, context: BatchContext) -> None:
	from tg_tickets.telegram import topics
	from tg_tickets.telegram.normalise import GENERAL_TOPIC_ID
	from tg_tickets.telegram.outbound import customer_chats, queue_message

	topic_id = record.get("topic_id")
	ticket = topics.ticket_for_topic(chat, topic_id) if topic_id and topic_id != GENERAL_TOPIC_ID else None
	if not ticket:
		reason = "Posted in the General topic" if topic_id in (None, GENERAL_TOPIC_ID) else "Posted in a topic without a ticket"
		reason = f"{reason}: move it to a ticket or create one"
		name = insert_message(record, context, flagged=1, flag_reason=reason)
		flag_for_agents(name, chat, reason)
		# In the agents' own group the bot offers the fix in place (not in customer groups: too noisy there).
		queue_message(
			chat, "This message is outside a ticket's topic. Move it to a ticket from the desk, or:",
			reply_to_message_id=record.get("message_id"), topic_id=topic_id if topic_id != GENERAL_TOPIC_ID else None,
			buttons=[[("Create ticket", f"{FLAGGED_PREFIX}{name}")]],
		)
		return
	agent = frappe.db.get_value("Telegram Agent", {"telegram_user_id": str(record.get("sender_id"))}, "user")
	insert_message(record, context, ticket=ticket, is_agent_reply=1, agent=agent)
	doc = frappe.get_doc("Ticket", ticket)
	if doc.status == CLOSED:
		return  # the topic is closed with the ticket; a late post is kept but not sent to the customer
	for customer_chat in customer_chats(doc):
		queue_message(customer_chat, record.get("text") or "", ticket=ticket, is_agent_reply=1, agent=agent)


def handle_group(record: dict, chat: str, context: BatchContext) -> None:
	"""Other groups: a reply to a ticket's message joins that ticket; anything else is flagged."""
	ticket = None
	if record.get("reply_to_msg_id"):
		ticket = frappe.db.get_value(
			"Telegram Message", {"chat": chat, "message_id": record["reply_to_msg_id"]}, "ticket"
		)
	if ticket:
		insert_message(record, context, ticket=ticket)
		return
	reason = "Posted in a group outside a ticket: move it to a ticket or create one"
	flag_for_agents(insert_message(record, context, flagged=1, flag_reason=reason), chat, reason)


def handle_edit(record: dict, context: BatchContext) -> None:
	"""An edit keeps the previous text (and the whole history); an edit of an unseen message stores it."""
	key = message_key(record)
	current = frappe.db.get_value(
		"Telegram Message", {"message_key": key}, ["name", "text", "edit_history", "ticket"], as_dict=True
	)
	if current is None:
		handle_message(dict(record, kind="message"), context)
		return
	history = json.loads(current.edit_history or "[]")
	history.append({"text": current.text, "replaced_at": record.get("edit_date")})
	frappe.db.set_value("Telegram Message", current.name, {
		"previous_text": current.text, "text": record.get("text") or "", "edit_history": json.dumps(history, ensure_ascii=False),
		"edited_at": local_time(record.get("edit_date")),
	})
	if current.ticket:
		context.tickets.add(current.ticket)


def handle_delete(record: dict, context: BatchContext) -> None:
	"""Deleted messages are marked, never erased. Chat 0: private/basic-group ids are unique per account."""
	filters = {"message_id": record["message_id"], "direction": "Incoming"}
	if record.get("chat_id"):
		filters["chat"] = str(record["chat_id"])
	else:
		filters["chat"] = ["not like", "-100%"]
	for name, ticket in frappe.get_all("Telegram Message", filters=filters, fields=["name", "ticket"], as_list=True):
		frappe.db.set_value("Telegram Message", name, {"is_deleted": 1, "deleted_at": now_datetime()})
		if ticket:
			context.tickets.add(ticket)


def handle_callback(record: dict, context: BatchContext) -> None:
	from tg_tickets.telegram.outbound import queue_message

	chat = ensure_chat(record, context)
	queue_message(chat, "", kind="Callback Answer", extra={"query_id": record["query_id"]})
	data = record.get("data") or ""
	if data.startswith(FLAGGED_PREFIX):
		message = data.removeprefix(FLAGGED_PREFIX)
		if frappe.db.get_value("Telegram Message", message, "flagged"):
			ticket = ticket_from_message(message)
			queue_message(chat, f"Ticket #{ticket} created from this message.", reply_to_message_id=record.get("callback_message_id"))
		return
	if not data.startswith(intake.PREFIX):
		return
	session = frappe.db.get_value("Telegram Intake Session", chat, "state")
	if session is None:
		queue_message(chat, "This form has expired. Send a message to start a new request.")
		return
	run_intake(chat, record, {"data": data}, json.loads(session or "null"), context)


# --- intake ---------------------------------------------------------------------------------------------


def categories() -> list[dict]:
	rows = frappe.get_all("Ticket Category", filters={"enabled": 1}, fields=["name"], order_by="sort_order asc, name asc")
	details = frappe.get_all(
		"Ticket Category Detail",
		filters={"parenttype": "Ticket Category"},
		fields=["parent", "label", "pattern", "error_message"],
		order_by="idx asc",
	)
	by_parent = {}
	for d in details:
		by_parent.setdefault(d.parent, []).append({"label": d.label, "pattern": d.pattern, "error_message": d.error_message})
	return [{"name": r.name, "details": by_parent.get(r.name, [])} for r in rows]


def run_intake(chat: str, record: dict, event: dict, state: dict | None, context: BatchContext) -> None:
	from tg_tickets.telegram.outbound import queue_message

	if state is None:
		event = dict(event)
	outcome = intake.advance(state, event, categories())
	if state is None and outcome.state is not None:
		outcome.state["first_contact_at"] = str(local_time(record.get("date")))
		outcome.state["customer_telegram_id"] = str(record.get("sender_id") or chat)
	if outcome.wants_status:
		send_status(chat)
	if outcome.ticket:
		ticket = create_ticket(chat, state or {}, outcome.ticket)
		queue_message(chat, f"Thank you! Your ticket #{ticket} has been created. We will answer here.", ticket=ticket)
	for reply in outcome.replies:
		queue_message(chat, reply.text, buttons=reply.buttons or None)
	save_session(chat, outcome.state)


def save_session(chat: str, state: dict | None) -> None:
	exists = frappe.db.exists("Telegram Intake Session", chat)
	if state is None:
		if exists:
			frappe.delete_doc("Telegram Intake Session", chat, ignore_permissions=True, force=True)
		return
	if exists:
		frappe.db.set_value("Telegram Intake Session", chat, "state", json.dumps(state, ensure_ascii=False))
	else:
		frappe.get_doc({"doctype": "Telegram Intake Session", "chat": chat, "state": json.dumps(state, ensure_ascii=False)}).insert(
			ignore_permissions=True
		)


def create_ticket(chat: str, state: dict, form: dict) -> str:
	description = (form.get("description") or "").strip()
	title = description.splitlines()[0][:140] if description else f"{form.get('category') or 'Support'} request"
	details = form.get("details") or {}
	ticket = frappe.get_doc({
		"doctype": "Ticket",
		"title": title,
		"status": "NEW",
		"priority": form.get("priority") or "MEDIUM",
		"category": form.get("category"),
		"description": description,
		"details": "\n".join(f"{k}: {v}" for k, v in details.items()) or None,
		"chats": [{"chat": chat}],
		"customer_telegram_id": state.get("customer_telegram_id") or chat,
		"first_contact_at": state.get("first_contact_at"),
	})
	ticket.insert(ignore_permissions=True)
	# The conversation that led to the ticket belongs to it.
	frappe.db.sql(
		"update `tabTelegram Message` set ticket = %s where chat = %s and ticket is null and creation >= %s",
		(ticket.name, chat, state.get("first_contact_at") or ticket.creation),
	)
	return ticket.name


def send_status(chat: str) -> None:
	from tg_tickets.telegram.outbound import queue_message

	rows = frappe.db.sql(
		"""select t.name, t.title, t.status from `tabTicket` t
		join `tabTicket Chat` c on c.parent = t.name and c.parenttype = 'Ticket'
		where c.chat = %s and t.status != %s order by t.creation desc limit 20""",
		(chat, CLOSED),
		as_dict=True,
	)
	if not rows:
		queue_message(chat, "You have no open tickets. Send a message to open one.")
		return
	lines = [f"#{r.name} · {r.title} — {r.status}" for r in rows]
	queue_message(chat, "Your open tickets:\n" + "\n".join(lines))


def ticket_from_message(message: str, title: str | None = None) -> str:
	"""A new ticket from a (flagged) message: its text as description, its sender's chat linked; the
	message moves to the ticket. Callers check permissions (the desk endpoint) or act as the bot."""
	doc = frappe.get_doc("Telegram Message", message)
	text = (doc.text or "").strip()
	chats = [doc.chat]
	if doc.sender_id and doc.sender_id != doc.chat and frappe.db.exists("Linked Chat", doc.sender_id):
		chats.insert(0, doc.sender_id)
	ticket = frappe.get_doc({
		"doctype": "Ticket",
		"title": (title or (text.splitlines()[0] if text else f"Message from {doc.sender_name or doc.chat}"))[:140],
		"description": text,
		"chats": [{"chat": c} for c in chats],
		"customer_telegram_id": doc.sender_id,
		"first_contact_at": doc.telegram_date,
	}).insert(ignore_permissions=True)
	frappe.db.set_value("Telegram Message", doc.name, {
		"moved_from_ticket": doc.ticket, "ticket": ticket.name, "flagged": 0, "flag_reason": None,
	})
	return ticket.name
