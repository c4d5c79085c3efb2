"""The inbox job (RQ): stored Telegram updates → our records, each at most once, in arrival order.

Works on rows of the Telegram Update inbox: a row is marked Processed in the same transaction as its effects,
so a crash mid-batch leaves it Pending for the next run; a minute sweep re-enqueues what a lost job left.
What each record means for tickets is `routes.py`'s business; this module only claims, batches, retries and
records outcomes. Never talks to Telegram.
"""

import json

import frappe
from frappe.utils import add_to_date, now_datetime

from tg_tickets.telegram import routes
from tg_tickets.telegram.records import InboundRecord

BATCH = 500
# A transient failure (deadlock, lock wait, lost connection) is retried by the sweep with backoff
# (RETRY_BASE_SECONDS doubling up to RETRY_MAX_SECONDS) until MAX_PROCESS_ATTEMPTS; then, like any other
# failure, the row is Failed: listed for admins, who re-queue it with "Retry" once the cause is fixed.
MAX_PROCESS_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600


def enqueue_processing(after_commit: bool = False) -> None:
	frappe.enqueue("tg_tickets.telegram.inbox.process_pending", queue="default", enqueue_after_commit=after_commit)


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
		records = [(row.name, InboundRecord.from_payload(json.loads(row.payload))) for row in rows]
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


def process_batch(records: list[tuple[str, InboundRecord]], fast: bool):
	"""Handles the batch in order. The common case — a customer's message on an open ticket — is collected
	and inserted in one statement; everything else goes through `routes.handle` one by one, in a savepoint."""
	context = routes.BatchContext()
	if fast:
		context.prefetch([r for _, r in records])
	done, failed, bulk = [], [], []
	for name, record in records:
		if fast and context.is_plain_followup(record):
			bulk.append(record)
			context.seen_keys.add(record.message_key)
			done.append(name)
			continue
		context.insert_followups(bulk)
		bulk = []
		frappe.db.savepoint("tg_inbound_row")
		try:
			routes.handle(record, context)
			done.append(name)
		except Exception as error:  # noqa: BLE001 - one bad update must not block the others
			rollback_to("tg_inbound_row")
			failed.append((name, f"{type(error).__name__}: {error}"[:1000], is_transient(error)))
			frappe.log_error(title="Telegram inbound update failed", message=frappe.get_traceback())
		if record.chat_id is not None:
			context.dirty_chats.add(str(record.chat_id))
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
		enqueue_processing()


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
		enqueue_processing(after_commit=True)
	return names
