"""When Telegram counts as down, and when as back (pure: no Frappe, no clock; tests/unit/test_outage_rules.py).

The Telegram edge reports what it sees as signals; `observe` folds each into the health state and says which
areas (inbound, outbound, topics) went down or came back. One failure is noise (Telethon and delivery retry
it): an area goes down after FAILURES_TO_OPEN Telegram-wide failures in a row with no success between, at once
when Telegram refuses the bot's authorization or a single FloodWait is LONG_FLOOD_WAIT or longer, and when no
listener has held the lock for LISTENER_GRACE seconds (a standby takes over well within that). Short flood
waits are Telegram's normal pacing and count for nothing. Any successful request clears what a failure caused;
only a listener holding the lock again clears what its absence caused.
"""

AREAS = ("inbound", "outbound", "topics")
FAILURES_TO_OPEN = 3
COUNTED_FLOOD_WAIT = 10  # seconds: a wait that pushes replies to the retry sweep
LONG_FLOOD_WAIT = 300
LISTENER_GRACE = 30  # seconds without any listener holding the lock (takeover takes at most 23 s)

# signal kinds
NETWORK = "network"  # connection refused, reset, timed out
SERVER = "server"  # Telegram answered 5xx
FLOOD = "flood"  # FloodWait (seconds given)
AUTH = "auth"  # the bot's token or session was refused
LISTENER_MISSING = "listener_missing"
LISTENER_PRESENT = "listener_present"
OK = "ok"  # a request Telegram accepted

LISTENER_CAUSE = "listener"


def empty_state() -> dict:
	return {"areas": {}, "failures": {}, "listener_missing_since": None}


def is_down(state: dict, area: str | None = None) -> bool:
	areas = state.get("areas") or {}
	return area in areas if area else bool(areas)


def down_since(state: dict) -> float | None:
	times = [a["since"] for a in (state.get("areas") or {}).values()]
	return min(times) if times else None


def observe(state: dict, kind: str, now: float, areas=(), seconds: float = 0, reason: str = "") -> tuple[dict, list, list]:
	"""Folds one signal into `state` (not modified; a new state is returned) → (state, opened, closed): the
	areas that went down and those that came back with this signal, each in AREAS order."""
	areas_down = {name: dict(value) for name, value in (state.get("areas") or {}).items()}
	failures = dict(state.get("failures") or {})
	missing_since = state.get("listener_missing_since")
	before = set(areas_down)
	signal_areas = [a for a in AREAS if a in set(areas)]

	def open_(names, cause, why):
		for name in names:
			if name not in areas_down:
				areas_down[name] = {"since": now, "cause": cause, "reason": why}

	if kind == OK:
		failures = {}
		for name in list(areas_down):
			if areas_down[name]["cause"] != LISTENER_CAUSE:
				del areas_down[name]
	elif kind == LISTENER_PRESENT:
		missing_since = None
		for name in list(areas_down):
			if areas_down[name]["cause"] == LISTENER_CAUSE:
				del areas_down[name]
	elif kind == LISTENER_MISSING:
		if missing_since is None:
			missing_since = now
		if now - missing_since >= LISTENER_GRACE:
			open_(AREAS, LISTENER_CAUSE, reason or "no Telegram listener is running")
	elif kind == AUTH:
		open_(AREAS, AUTH, reason or "Telegram refused the bot's authorization")
	elif kind in (NETWORK, SERVER) or (kind == FLOOD and seconds >= COUNTED_FLOOD_WAIT):
		for name in signal_areas:
			failures[name] = failures.get(name, 0) + 1
			if failures[name] >= FAILURES_TO_OPEN or (kind == FLOOD and seconds >= LONG_FLOOD_WAIT):
				open_([name], kind, reason)
	else:
		return state, [], []

	new_state = {"areas": areas_down, "failures": failures, "listener_missing_since": missing_since}
	after = set(areas_down)
	return new_state, [a for a in AREAS if a in after - before], [a for a in AREAS if a in before - after]
