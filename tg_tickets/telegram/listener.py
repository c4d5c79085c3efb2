"""The listener: the one Telethon client of the bot. It only normalises updates, stores them durably under
their unique key, commits and enqueues the inbox job (inbox.py); it never writes tickets or messages itself.

One listener per bot is active across hosts (a Redis lock with expiry, renewed while alive; a standby takes
over within LOCK_TTL + STANDBY_POLL seconds). Telethon's session (update state pts/qts/date/seq, peers, the
encrypted auth key) is kept in the database (telegram/session.py), so whichever listener holds the lock, on
any host, has `catch_up` fetch what was missed while offline; redelivered updates hit the unique key.
The listener also drains the outbox for the live transport. Credentials are never printed or logged.
"""

import asyncio
import json
import logging
import signal
import time

import frappe

from tg_tickets.telegram import credentials, gateway, locks, normalise
from tg_tickets.telegram.inbox import enqueue_processing
from tg_tickets.telegram.records import InboundRecord
from tg_tickets.tickets import bulk, outage, outage_rules

logger = logging.getLogger("tg_tickets.listener")

LOCK_TTL = 20  # seconds; renewed every LOCK_RENEW
LOCK_RENEW = 5
STANDBY_POLL = 3
SWEEP_EVERY = 30


class ListenerError(Exception):
	"""A reason the listener cannot run, worded for the operator (never containing a secret)."""


def redact(text: str, secrets_: list[str]) -> str:
	for secret in secrets_:
		if secret:
			text = text.replace(secret, "[redacted]")
	return text


class Inbox:
	"""Stores normalised records in the Telegram Update inbox; the unique key makes each store exactly-once."""

	FIELDS = ("update_key", "bot_id", "chat_id", "message_id", "kind", "status", "attempts", "payload")

	def store_many(self, records: list[InboundRecord]) -> set[str]:
		"""Inserts the records whose key is new, in one statement; returns the keys that were new."""
		if not records:
			return set()
		keys = [r.key for r in records]
		existing = set(frappe.db.sql_list("select update_key from `tabTelegram Update` where update_key in %s", (tuple(keys),)))
		fresh, seen = [], set()
		for record in records:
			if record.key in existing or record.key in seen:
				continue
			seen.add(record.key)
			fresh.append(record)
		# ON DUPLICATE KEY: a key stored concurrently since the check above stays a single row.
		bulk.insert_rows(
			"Telegram Update",
			self.FIELDS,
			[
				(r.key, str(r.bot_id), str(r.chat_id), str(r.message_id), r.kind, "Pending", 0,
				 json.dumps(r.to_payload(), ensure_ascii=False, default=str))
				for r in fresh
			],
			name_sql="nextval(`telegram_update_id_seq`)",
			update_on_duplicate=("update_key",),
		)
		return seen


def reset_db_connection() -> None:
	"""Rolls back; reconnects when the connection itself is gone (a long-running listener outlives many)."""
	try:
		frappe.db.rollback()
	except Exception:  # noqa: BLE001 - the connection is dead: open a new one
		try:
			frappe.db.close()
		except Exception:  # noqa: BLE001
			pass
		frappe.db.connect()


class Listener:
	"""The update handler shared by the live client and the replay command.

	`batch_size=1` (live): every update is stored and committed before the next one is handled. Replay
	buffers `batch_size` updates per commit (one multi-row insert) and calls `flush()` at the end. A failed
	store is retried with the whole uncommitted buffer, so a deadlock or a lost connection loses nothing.
	Outcomes per update (new / duplicate / ignored / failed) are known at flush; `token` tags them (replay
	uses line numbers).
	"""

	STORE_ATTEMPTS = 4

	def __init__(self, bot_id: int, batch_size: int = 1, enqueue=enqueue_processing, keep_on_failure: bool = False):
		self.bot_id = bot_id
		# Live: an update that cannot be stored is kept and retried until the database is back (Telethon
		# would not redeliver it). Replay: it is reported, and the file can be replayed again.
		self.keep_on_failure = keep_on_failure
		self.batch_size = batch_size
		self.enqueue = enqueue
		self.inbox = Inbox()
		self.buffer: list[tuple[object, list[InboundRecord]]] = []
		self.stats = {"new": 0, "duplicate": 0, "ignored": 0, "failed": 0}
		self.outcomes: dict[object, list[str]] = {}
		self.token = None

	def register(self, client) -> None:
		from telethon import events

		client.add_event_handler(self.on_update, events.Raw())

	async def on_update(self, update) -> None:
		"""Telethon calls this for every update; it must never raise (a raised update is not redelivered)."""
		self.handle(update, self.token)
		delay = 1.0
		while self.keep_on_failure and len(self.buffer) >= self.batch_size:
			await asyncio.sleep(delay)
			delay = min(delay * 2, 60.0)
			self.flush()

	def outcome(self, token, result: str) -> None:
		self.stats[result] += 1
		if token is not None:  # live updates have no token: nothing to keep per update
			self.outcomes.setdefault(token, []).append(result)

	def handle(self, update, token=None) -> None:
		try:
			records = normalise.normalise(update, self.bot_id)
		except Exception as error:  # noqa: BLE001 - malformed input is logged and skipped
			logger.warning("skipped a malformed %s: %s", type(update).__name__, error)
			self.outcome(token, "failed")
			return
		if not records:
			logger.debug("ignored an update of type %s", type(update).__name__)
			self.outcome(token, "ignored")
			return
		self.buffer.append((token, records))
		if len(self.buffer) >= self.batch_size:
			self.flush()

	def flush(self) -> None:
		if not self.buffer:
			return
		records = [r for _, rs in self.buffer for r in rs]
		for attempt in range(1, self.STORE_ATTEMPTS + 1):
			try:
				new = self.inbox.store_many(records)
				frappe.db.commit()
				break
			except Exception:  # noqa: BLE001 - deadlock or lost connection: retry the whole uncommitted buffer
				reset_db_connection()
				if attempt == self.STORE_ATTEMPTS:
					if self.keep_on_failure:
						logger.exception("could not store %d updates; retrying", len(self.buffer))
						return
					logger.exception("could not store %d updates", len(self.buffer))
					for token, _ in self.buffer:
						self.outcome(token, "failed")
					self.buffer = []
					return
				time.sleep(0.1 * attempt)
		for token, rs in self.buffer:
			self.outcome(token, "new" if any(r.key in new for r in rs) else "duplicate")
		self.buffer = []
		if new:
			try:
				self.enqueue()
			except Exception:  # noqa: BLE001 - stored and committed: the inbox sweep enqueues it later
				logger.exception("could not enqueue the inbound job; the sweep will")


class ListenerLock:
	"""The bot's "one active listener" lock: the renewable Redis lock of telegram/locks.py (redis-py's Lock from
	frappe.cache, the same primitive delivery uses); the token names the host and process holding it."""

	def __init__(self, bot_id: int, ttl: int = LOCK_TTL):
		self.lock = locks.renewable_lock(f"tg_tickets:listener:{bot_id}", ttl)
		self.token = locks.holder_token()

	def acquire(self) -> bool:
		return self.lock.acquire(blocking=False, token=self.token)

	def renew(self) -> bool:
		return locks.renew(self.lock)

	def release(self) -> None:
		locks.release(self.lock)

	def holder(self) -> str | None:
		return locks.holder(self.lock)


def make_client(creds: dict, bot_id: int):
	"""The live client: its session (auth key, update state, peers) lives in the database, so a standby on
	another host catches up from where the previous listener stopped; flood waits surfaced to us."""
	from telethon import TelegramClient

	from tg_tickets.telegram.session import DatabaseSession

	return TelegramClient(
		DatabaseSession(bot_id), creds["api_id"], creds["api_hash"],
		catch_up=True, flood_sleep_threshold=0, raise_last_call_error=True, request_retries=3,
	)


async def start_client(client, creds: dict) -> None:
	"""Logs the bot in; any error is re-raised with the credentials redacted."""
	try:
		await client.start(bot_token=creds["bot_token"])
	except Exception as error:  # noqa: BLE001 - re-raised as a redacted ListenerError
		message = redact(f"{type(error).__name__}: {error}", [creds["bot_token"], creds["api_hash"]])
		report_failure(error, message)
		raise ListenerError(f"Telegram refused the bot login ({message}). Check the bot token in Tickets Settings.") from None
	outage.report(outage_rules.OK, ["inbound"])


def report_failure(error: Exception, message: str) -> None:
	"""The listener could not log in or lost Telegram: outage mode hears it (a refused token at once, network
	errors after a few in a row); `message` is already redacted."""
	translated = gateway.classify(error, 1)
	if isinstance(translated, gateway.RetryLater) and translated.kind:
		outage.report(translated.kind, ["inbound"], reason=f"listener: {message}"[:500])


async def drain_outbox(client, stop: asyncio.Event) -> None:
	"""Delivers the chats that RQ jobs and requests hand to the live transport (Redis list)."""
	from tg_tickets.telegram import delivery, gateway

	transport = gateway.TelegramTransport(client)
	cache = frappe.cache
	key = cache.make_key(delivery.OUTBOX_LIST)
	active: dict[str, asyncio.Task] = {}
	loop = asyncio.get_running_loop()
	last_sweep = 0.0
	while not stop.is_set():
		item = await loop.run_in_executor(None, lambda: cache.blpop(key, timeout=1))
		chats = []
		if item:
			chats.append(item[1].decode() if isinstance(item[1], bytes) else item[1])
		if time.monotonic() - last_sweep > SWEEP_EVERY:
			last_sweep = time.monotonic()
			chats += delivery.due_chats()
			frappe.db.commit()
		for chat in chats:
			task = active.get(chat)
			if task is None or task.done():
				active[chat] = asyncio.create_task(delivery.deliver_chat(chat, transport))


async def keep_lock(lock: ListenerLock, client, stop: asyncio.Event) -> None:
	while not stop.is_set():
		await asyncio.sleep(LOCK_RENEW)
		if not lock.renew():
			logger.error("lost the listener lock (another listener took over); stopping")
			stop.set()
			await client.disconnect()


async def run(bot_id: int, creds: dict, lock: ListenerLock) -> None:
	client = make_client(creds, bot_id)
	listener = Listener(bot_id, keep_on_failure=True)
	listener.register(client)
	await start_client(client, creds)
	logger.info("listening as bot %s", bot_id)
	stop = asyncio.Event()
	# supervisor stops with SIGTERM: disconnect cleanly so the lock is released and a standby starts at once.
	for sig in (signal.SIGTERM, signal.SIGINT):
		asyncio.get_running_loop().add_signal_handler(sig, lambda: (stop.set(), asyncio.ensure_future(client.disconnect())))
	tasks = [asyncio.create_task(keep_lock(lock, client, stop)), asyncio.create_task(drain_outbox(client, stop))]
	try:
		await client.catch_up()
		await client.run_until_disconnected()
	except Exception as error:  # noqa: BLE001 - reported, then re-raised: supervisor restarts the listener
		report_failure(error, redact(f"{type(error).__name__}: {error}", [creds["bot_token"], creds["api_hash"]]))
		raise
	finally:
		stop.set()
		for task in tasks:
			task.cancel()
		await client.disconnect()


def wait_until_active(lock: ListenerLock, bot_id: int, poll: float = STANDBY_POLL) -> None:
	"""Standby until this process holds the bot's lock: the active listener renews it every LOCK_RENEW s; once
	it dies the lock expires within LOCK_TTL and the first standby to poll takes it (at most LOCK_TTL + poll)."""
	announced = False
	while not lock.acquire():
		if not announced:
			logger.info("standby: another listener holds the lock for bot %s", bot_id)
			print(f"standby: another listener is active for bot {bot_id}; taking over when it stops", flush=True)
			announced = True
		time.sleep(poll)


def main() -> None:
	"""`bench --site SITE tg-tickets listen`: waits as standby until it holds the lock, then listens."""
	creds = credentials.bot_credentials()
	if not creds:
		raise ListenerError(
			"Telegram credentials are not set: fill API ID, API hash and Bot token in Tickets Settings "
			"(the record transport keeps the app working without them)."
		)
	bot_id = credentials.bot_id()
	if not bot_id:
		raise ListenerError("The bot token in Tickets Settings is not a valid bot token (expected 123456:ABC…).")
	lock = ListenerLock(bot_id)
	wait_until_active(lock, bot_id)
	print(f"listener active for bot {bot_id}", flush=True)
	outage.report(outage_rules.LISTENER_PRESENT)
	try:
		asyncio.run(run(bot_id, creds, lock))
	finally:
		lock.release()
