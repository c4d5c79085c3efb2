"""Outage mode: whether Telegram answers us, as the desk shows it.

The Telegram edge reports what it sees (`report`: a request failed for a Telegram-wide reason, one succeeded,
the listener is missing or present); outage_rules.py (pure) decides when that makes inbound, outbound or topics
down. The working state lives in Redis (one key, changed under a lock, read without one on the hot path of a
successful send); each outage is also a *Telegram Outage* record (since when, what was affected, why, until
when) so the banner and the history survive a restart. On the first area down: the record, a desk notification
to every admin and owner (once per outage) and a realtime event for the banner; on the last area back: the
record is closed, queued replies are made due at once and announced again (OUTBOX_QUEUED), so the transport
sends them in their order; the delivery module's random_id keeps every one from going out twice.
"""

import json
import time

import frappe
from frappe import _
from redis.exceptions import LockError
from frappe.utils import add_to_date, now_datetime

from tg_tickets import permissions
from tg_tickets.tickets import events, outage_rules

STATE_KEY = "tg_tickets:telegram_health"
LOCK_KEY = "tg_tickets:telegram_health_lock"
DOCTYPE = "Telegram Outage"
STATUS_EVENT = "tg_telegram_status"
QUEUED_KEY = "tg_tickets:telegram_queued_replies"
QUEUED_SECONDS = 10
AREA_LABELS = {"inbound": "inbound", "outbound": "outbound", "topics": "topics"}


def _load() -> dict:
	# Redis itself, not get_value: its per-request copy would keep the long-running listener on a stale state.
	raw = frappe.cache.get(frappe.cache.make_key(STATE_KEY))
	if raw:
		return json.loads(raw)
	state = _state_from_record()
	_save(state)
	return state


def _state_from_record() -> dict:
	"""Redis lost its key (flushed, restarted): the open record still says what is down and since when."""
	state = outage_rules.empty_state()
	record = active_record()
	if record:
		since = record.started_at.timestamp()
		for area in outage_rules.AREAS:
			if record.get(area):
				state["areas"][area] = {"since": since, "cause": record.cause or outage_rules.NETWORK, "reason": record.reason}
	return state


def _save(state: dict) -> None:
	frappe.cache.set(frappe.cache.make_key(STATE_KEY), json.dumps(state))


def active_record():
	name = frappe.db.get_value(DOCTYPE, {"status": "Active"}, "name", order_by="creation desc")
	return frappe.get_doc(DOCTYPE, name) if name else None


def report(kind: str, areas=(), seconds: float = 0, reason: str = "", now: float | None = None) -> bool:
	"""One observation of the Telegram edge; returns whether any of `areas` (or anything, if none given) is
	down afterwards. Commits what it writes (the caller commits its own work before reporting: delivery's rule
	that no uncommitted write lives across an await)."""
	now = time.time() if now is None else now
	state = _load()
	unchanged, _opened, _closed = outage_rules.observe(state, kind, now, areas, seconds, reason)
	if unchanged == state:
		return _any_down(state, areas)  # the hot path: a send that succeeds while all is well
	try:
		with frappe.cache.lock(frappe.cache.make_key(LOCK_KEY), timeout=10, blocking_timeout=10):
			state = _load()
			state, opened, closed = outage_rules.observe(state, kind, now, areas, seconds, reason)
			_save(state)
			if opened or closed:
				_record_change(state, opened, closed, kind, reason)
				frappe.db.commit()
	except LockError:  # another process holds it for long: this observation is dropped, the next one counts
		frappe.log_error(title="Telegram outage state busy", message=f"dropped a {kind} observation")
		return _any_down(state, areas)
	if closed and not outage_rules.is_down(state):
		_release_queued_replies()
	return _any_down(state, areas)


def _any_down(state: dict, areas) -> bool:
	return any(outage_rules.is_down(state, a) for a in areas) if areas else outage_rules.is_down(state)


def _record_change(state: dict, opened: list, closed: list, kind: str, reason: str) -> None:
	record = active_record()
	if record is None and opened:
		since = outage_rules.down_since(state)
		record = frappe.get_doc({
			"doctype": DOCTYPE, "status": "Active", "started_at": _datetime(since),
			"cause": kind, "reason": (reason or "")[:500],
		})
		for area in opened:
			record.set(area, 1)
		record.insert(ignore_permissions=True)
		_notify_admins(record)
	elif record is not None:
		for area in opened:
			record.set(area, 1)
		if reason and opened:
			record.reason = reason[:500]
		if not outage_rules.is_down(state):
			record.status = "Resolved"
			record.ended_at = now_datetime()
		record.save(ignore_permissions=True)
	frappe.cache.delete(frappe.cache.make_key(QUEUED_KEY))
	frappe.publish_realtime(STATUS_EVENT, {}, after_commit=True)


def _datetime(timestamp: float):
	return add_to_date(now_datetime(), seconds=timestamp - time.time())


def _notify_admins(record) -> None:
	"""One desk notification (the bell; Frappe e-mails it to users who want that) per admin and owner."""
	subject = _("Telegram is not answering since {0} ({1}): replies are queued and go out once it is back.").format(
		frappe.utils.format_datetime(record.started_at, "HH:mm"), record.reason or _("no reason given")
	)
	for user in admins():
		frappe.get_doc({
			"doctype": "Notification Log", "for_user": user, "type": "Alert", "subject": frappe.utils.escape_html(subject),
			"document_type": DOCTYPE, "document_name": record.name, "from_user": "Administrator",
		}).insert(ignore_permissions=True)


def admins() -> list[str]:
	return frappe.db.sql_list(
		"""select distinct u.name from `tabUser` u join `tabHas Role` r on r.parent = u.name and r.parenttype = 'User'
		where u.enabled = 1 and u.name not in ('Guest', 'Administrator') and r.role in %s order by u.name""",
		((permissions.ADMIN, permissions.OWNER),),
	)


def _release_queued_replies() -> None:
	"""Telegram answers again: every queued row is due now and its chat announced, so the transport sends each
	chat's rows in their order instead of waiting for each row's backoff."""
	chats = frappe.db.sql_list(
		"""select distinct chat from `tabTelegram Message` where direction = 'Outgoing' and status = 'Queued'"""
	)
	if not chats:
		return
	frappe.db.sql(
		"""update `tabTelegram Message` set next_attempt_at = null
		where direction = 'Outgoing' and status = 'Queued' and next_attempt_at is not null"""
	)
	frappe.db.commit()
	events.emit(events.OUTBOX_QUEUED, sorted(chats))


def queued_replies() -> int:
	return frappe.db.count("Telegram Message", {"direction": "Outgoing", "status": "Queued", "is_agent_reply": 1})


def status() -> dict:
	"""What the desk's banner shows: since when, what is affected, why, how many replies wait."""
	record = active_record()
	if record is None:
		return {"active": False}
	return {
		"active": True,
		"name": record.name,
		"since": str(record.started_at),
		"affected": [a for a in outage_rules.AREAS if record.get(a)],
		"reason": record.reason,
		"queued_replies": queued_replies_shown(),
	}


def queued_replies_shown() -> int:
	"""The banner's count, shared by every open desk for a few seconds (each refreshes every 30 s while an
	outage lasts; the count reads the whole outbox)."""
	key = frappe.cache.make_key(QUEUED_KEY)
	cached = frappe.cache.get(key)
	if cached is not None:
		return int(cached)
	count = queued_replies()
	frappe.cache.set(key, count, ex=QUEUED_SECONDS)
	return count


def reset() -> None:
	"""Forgets the working state (tests; an admin after fixing the cause by hand). Open records stay open
	until Telegram answers."""
	frappe.cache.delete(frappe.cache.make_key(STATE_KEY))
