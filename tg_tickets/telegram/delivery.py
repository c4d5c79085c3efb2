"""Delivery: sends the outbox's queued rows to Telegram, after commit, in an RQ job (record transport) or in
the listener process (live transport, one asyncio task per chat).

Per chat in order (nothing overtakes a row waiting for its retry); within Telegram's rate limits, shared by
every worker and the listener through Redis; FloodWait and network errors retried with the same random_id (so
a retry never duplicates); each row ends Sent (with Telegram's id) or Failed (with the reason). Never retries
a permanent error; never sends inside a request's transaction.

The rule the listener's concurrent per-chat tasks rely on: they share one database connection, so NO
UNCOMMITTED WRITE MAY LIVE ACROSS AN `await`. Every write here is committed before the next await (sending,
sleeping for a rate-limit slot or a retry, waiting for a chat's lock); otherwise another chat's task would
commit it half-done or roll it back. tests/integration/test_telegram_delivery.py checks it at every await.
"""

import asyncio
import json
import time

import frappe
from frappe.utils import add_to_date, now_datetime

from tg_tickets.telegram import credentials, gateway, locks, topics
from tg_tickets.tickets import conversation, outage, outage_rules, realtime
from tg_tickets.tickets.outbox import MESSAGE

# Telegram's bot limits (telegram.md): ~1 message/s per chat, 20/min per group, ~30/s overall.
PER_CHAT_INTERVAL = 1.0
PER_GROUP_INTERVAL = 3.0
GLOBAL_INTERVAL = 1 / 30
MAX_INLINE_WAIT = 10.0  # longer waits are left to the retry sweep, so a worker is never parked for minutes
MAX_ATTEMPTS = 12
OUTBOX_LIST = "tg_tickets:outbox"
# One deliverer per chat (per-chat order). Renewed while delivering, so a deliverer that dies (a SIGKILLed
# worker) frees its chat within this TTL; a waiting job (lock_wait 30 s) then takes over. It was a fixed
# 300 s timeout: a killed worker held its chat's replies back for five minutes (scripts/fault-replay).
DELIVERY_LOCK_TTL = 15


# --- scheduling (after commit) ------------------------------------------------------------------------


def use_record_transport() -> bool:
	settings = frappe.get_cached_doc("Tickets Settings")
	return settings.transport == "record" or not credentials.are_configured()


def schedule_chats(chats) -> None:
	"""OUTBOX_QUEUED handler: the record transport delivers in an RQ job per chat; the live one in the
	listener, which takes chats from a Redis list."""
	chats = sorted({str(c) for c in chats})
	if not chats:
		return
	if use_record_transport():
		for chat in chats:
			frappe.enqueue(
				"tg_tickets.telegram.delivery.deliver_chat_job", queue="short", chat=chat, enqueue_after_commit=False
			)
	else:
		hand_to_listener(chats)


def deliver_chat_job(chat: str) -> None:
	"""RQ job: deliver a chat's queue through the record transport, or hand it to the listener.

	The recorder sends nothing to Telegram, so Telegram's rate limits do not apply to it; the live transport
	runs in the listener, one asyncio task per chat, so one chat's pacing never holds up another's.
	"""
	if use_record_transport():
		asyncio.run(deliver_chat(chat, gateway.RecordTransport(), RateLimiter(0, 0, 0)))
	else:
		hand_to_listener([chat])


def hand_to_listener(chats) -> None:
	"""The live listener takes chats from a Redis list. Frappe's RedisWrapper.rpush takes one value and adds
	the site prefix itself (the listener's blpop, which it does not wrap, adds it by hand)."""
	for chat in sorted(chats):
		frappe.cache.rpush(OUTBOX_LIST, chat)


def due_chats() -> list[str]:
	"""Chats with queued rows whose retry time has come."""
	return frappe.db.sql_list(
		"""select distinct chat from `tabTelegram Message` where direction = 'Outgoing' and status = 'Queued'
		and (next_attempt_at is null or next_attempt_at <= %s)""",
		(now_datetime(),),
	)


def retry_sweep() -> None:
	"""Scheduler (every minute): chats with queued rows whose retry time has come, and stale ones."""
	chats = frappe.db.sql_list(
		"""select distinct chat from `tabTelegram Message`
		where direction = 'Outgoing' and status = 'Queued'
		and (next_attempt_at is null or next_attempt_at <= %s) and modified < %s""",
		(now_datetime(), add_to_date(now_datetime(), seconds=-20)),
	)
	schedule_chats(chats)


# --- delivery -------------------------------------------------------------------------------------------


class RateLimiter:
	"""Reserves send slots in Redis so every worker and the listener share Telegram's limits."""

	SCRIPT = """
	local now = tonumber(ARGV[1]); local interval = tonumber(ARGV[2])
	local nxt = tonumber(redis.call('get', KEYS[1]) or '0')
	local t = math.max(now, nxt)
	redis.call('set', KEYS[1], string.format('%.6f', t + interval), 'PX', math.ceil((t + interval - now) * 1000) + 1000)
	return string.format('%.6f', t - now)
	"""

	def __init__(self, per_chat=PER_CHAT_INTERVAL, per_group=PER_GROUP_INTERVAL, overall=GLOBAL_INTERVAL):
		self.per_chat, self.per_group, self.overall = per_chat, per_group, overall

	def reserve(self, chat_id: str, now: float | None = None) -> float:
		now = time.time() if now is None else now
		waits = [self._reserve(f"chat:{chat_id}", self.per_chat, now), self._reserve("all", self.overall, now)]
		if str(chat_id).startswith("-"):
			waits.append(self._reserve(f"group:{chat_id}", self.per_group, now))
		return max(waits)

	def _reserve(self, key: str, interval: float, now: float) -> float:
		if interval <= 0:
			return 0.0
		key = frappe.cache.make_key(f"tg_tickets:rate:{key}")
		return float(frappe.cache.eval(self.SCRIPT, 1, key, repr(now), repr(interval)))


def queued_rows(chat: str):
	return frappe.db.sql(
		"""select name, next_attempt_at from `tabTelegram Message`
		where chat = %s and direction = 'Outgoing' and status = 'Queued'
		order by creation, part, name limit 50""",
		(chat,),
		as_dict=True,
	)


def build_request(row) -> dict:
	payload = json.loads(row.payload) if row.payload else {}
	method = {
		"Message": "send_message", "Topic Create": "create_topic", "Topic Close": "close_topic",
		"Topic Reopen": "reopen_topic", "Topic Delete": "delete_topic", "Callback Answer": "answer_callback",
		"Message Edit": "edit_message",
	}[row.message_kind or MESSAGE]
	request = {
		"method": method, "chat_id": row.chat_id or row.chat, "text": row.text or "", "random_id": row.random_id,
		"topic_id": row.topic_id, "reply_to_message_id": row.reply_to_message_id, "message_name": row.name,
		"buttons": payload.get("buttons"), "title": payload.get("title"), "query_id": payload.get("query_id"),
		"entities": payload.get("entities"),
	}
	if payload.get("edit_of"):
		# The edited message was queued before this edit in the same chat, so it has been sent by now.
		request["message_id"] = frappe.db.get_value("Telegram Message", payload["edit_of"], "message_id") or None
	if payload.get("into_topic") and row.ticket and not row.topic_id:
		request["topic_id"] = frappe.db.get_value("Ticket", row.ticket, "topic_id") or None
	if row.attachments:
		from frappe.utils.file_manager import get_file_path

		request["files"] = [get_file_path(name) for name in json.loads(row.attachments)]
	return request


async def deliver_chat(chat: str, transport, limiter: RateLimiter | None = None, lock_wait: float = 30.0) -> int:
	"""Sends the chat's queued rows in order; returns how many ended Sent. Safe to run twice at once."""
	chat = str(chat)
	limiter = limiter or RateLimiter()
	lock = locks.renewable_lock(f"tg_tickets:deliver:{chat}", DELIVERY_LOCK_TTL)
	deadline = time.monotonic() + lock_wait
	while not lock.acquire(blocking=False):
		if time.monotonic() > deadline:
			return 0  # another worker owns this chat; it drains the queue, the sweep covers the rest
		await asyncio.sleep(0.05)
	renewing = asyncio.create_task(locks.keep_renewed(lock, DELIVERY_LOCK_TTL / 3))  # across long awaits
	sent = 0
	try:
		frappe.db.commit()  # a fresh snapshot: see rows committed since this transaction began
		while True:
			rows = queued_rows(chat)
			if not rows:
				break
			progressed = False
			for head in rows:
				if not locks.renew(lock):
					return sent  # stalled past the TTL and the chat was taken over: its new deliverer goes on
				if head.next_attempt_at and head.next_attempt_at > now_datetime():
					# Order per chat: nothing overtakes a message that is waiting for its retry.
					return sent
				outcome = await deliver_row(head.name, transport, limiter)
				if outcome == "later":
					return sent
				sent += outcome == "sent"
				progressed = True
			if not progressed:
				break
	finally:
		renewing.cancel()
		locks.release(lock)  # an expired lock is left alone: the rows' states are the truth
	return sent


async def deliver_row(name: str, transport, limiter: RateLimiter) -> str:
	"""One row until Sent, Failed, or a retry time beyond MAX_INLINE_WAIT ("later"). Every write is committed
	before the next `await` (see the module's rule)."""
	while True:
		row = frappe.get_doc("Telegram Message", name)
		if row.status != "Queued":
			return "skipped"
		wait = limiter.reserve(row.chat)
		if wait > 0:
			await asyncio.sleep(wait)
		attempt = (row.attempts or 0) + 1
		frappe.db.set_value("Telegram Message", name, {"attempts": attempt, "next_attempt_at": None}, update_modified=False)
		frappe.db.commit()  # the attempt (and the random_id, stored at queueing) is durable before sending
		try:
			if row.message_kind == MESSAGE and json.loads(row.payload or "{}").get("into_topic"):
				await topics.ensure_topic_for_delivery(row.ticket, transport)
			request = build_request(row)
			result = await transport.execute(request, attempt)
		except gateway.RetryLater as retry:
			telegram_down = report_failure(transport, row, retry)
			if attempt >= MAX_ATTEMPTS and not telegram_down:
				mark_failed(name, f"gave up after {attempt} attempts: {retry.reason}")
				return "failed"
			frappe.db.set_value("Telegram Message", name, {
				"next_attempt_at": add_to_date(now_datetime(), seconds=retry.seconds), "failure_reason": retry.reason,
			}, update_modified=False)
			frappe.db.commit()
			if telegram_down:
				return "later"  # the next attempt comes from the sweep, or at once when Telegram is back
			if retry.seconds > MAX_INLINE_WAIT:
				return "later"
			await asyncio.sleep(retry.seconds)
			continue
		except gateway.TopicGone:
			topics.forget_topic(row.ticket)
			frappe.db.commit()
			if attempt >= MAX_ATTEMPTS:
				mark_failed(name, "the ticket's topic keeps disappearing")
				return "failed"
			continue
		except gateway.AlreadyDone:
			mark_sent(row, {})
			return "sent"
		except gateway.PermanentFailure as failure:
			mark_failed(name, str(failure))
			return "failed"
		except Exception as error:  # noqa: BLE001 - unknown errors are retried with backoff, then failed
			frappe.db.rollback()
			frappe.log_error(title="Telegram delivery error", message=f"{name}: {type(error).__name__}: {error}")
			frappe.db.set_value("Telegram Message", name, {
				"next_attempt_at": add_to_date(now_datetime(), seconds=gateway.network_backoff(attempt)),
				"failure_reason": f"{type(error).__name__}: {error}"[:500],
			}, update_modified=False)
			if attempt >= MAX_ATTEMPTS:
				mark_failed(name, f"{type(error).__name__}: {error}")
				return "failed"
			frappe.db.commit()
			return "later"
		mark_sent(row, result)
		if getattr(transport, "name", None) == "telegram":
			outage.report(outage_rules.OK, [area_of(row)])
		return "sent"


def area_of(row) -> str:
	return "topics" if (row.message_kind or MESSAGE).startswith("Topic") else "outbound"


def report_failure(transport, row, retry) -> bool:
	"""Telegram-wide failures (network, server, long FloodWaits, a refused token) are reported to outage mode;
	returns whether Telegram counts as down for this row: then the row stays Queued, however many attempts it
	took, and goes out once Telegram answers."""
	if getattr(transport, "name", None) != "telegram" or not retry.kind:
		return False
	return outage.report(retry.kind, [area_of(row)], seconds=retry.seconds, reason=retry.reason)


def mark_sent(row, result: dict) -> None:
	sent_at = now_datetime()
	values = {"status": "Sent", "sent_at": sent_at, "failure_reason": None, "next_attempt_at": None}
	if result.get("message_id"):
		values["message_id"] = result["message_id"]
	if result.get("topic_id"):
		values["topic_id"] = result["topic_id"]
	frappe.db.set_value("Telegram Message", row.name, values)
	topics.after_sent(row, result)
	frappe.db.commit()
	if row.is_agent_reply and row.ticket:
		conversation.agent_reply_sent(row.ticket, sent_at)
	if row.ticket:
		realtime.notify_message_status(row.ticket, row.name, "Sent")


def mark_failed(name: str, reason: str) -> None:
	frappe.db.set_value("Telegram Message", name, {"status": "Failed", "failure_reason": reason[:1000], "next_attempt_at": None})
	frappe.db.commit()
	ticket = frappe.db.get_value("Telegram Message", name, "ticket")
	if ticket:
		realtime.notify_message_status(ticket, name, "Failed")
