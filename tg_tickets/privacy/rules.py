"""The privacy domain's decisions, pure (no Frappe): which tickets a retention policy selects, when a view
is a repeat of the last one, what a Version row says changed, and the audit trail's order. Never touches the
database; retention.py and audit.py apply these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

ACTIONS = ("Delete", "Anonymise")
# Only tickets that are over may be purged: an open ticket never matches a policy.
PURGEABLE_STATUSES = ("SOLVED", "CLOSED")
MAX_BATCH = 5000
VIEW_COLLAPSE_MINUTES = 5


class PolicyError(ValueError):
	"""A retention policy that cannot run as written; the message says what to fix."""


@dataclass(frozen=True)
class Selection:
	"""The tickets a policy selects at a moment: closed before `cutoff`, in one of `statuses`, optionally of a
	category and linked to a chat; an anonymising policy skips tickets it anonymised already."""

	action: str
	cutoff: datetime
	statuses: tuple[str, ...]
	category: str | None
	chat: str | None
	batch_size: int

	@property
	def skips_anonymised(self) -> bool:
		return self.action == "Anonymise"


def parse_statuses(text: str | None) -> tuple[str, ...]:
	"""'closed, SOLVED' → ('CLOSED', 'SOLVED') in the order of PURGEABLE_STATUSES; anything else is refused."""
	words = [w.strip().upper() for w in (text or "").replace(";", ",").split(",") if w.strip()]
	if not words:
		raise PolicyError("Name at least one status: CLOSED or SOLVED.")
	unknown = [w for w in words if w not in PURGEABLE_STATUSES]
	if unknown:
		raise PolicyError(
			f"Only tickets that are over can be purged: {', '.join(unknown)} is not one of {', '.join(PURGEABLE_STATUSES)}."
		)
	return tuple(s for s in PURGEABLE_STATUSES if s in words)


def selection(policy: dict, now: datetime) -> Selection:
	"""The policy's values (action, closed_for_days, statuses, category, chat, batch_size) → what it selects now."""
	action = policy.get("action")
	if action not in ACTIONS:
		raise PolicyError(f"The action must be one of {', '.join(ACTIONS)}.")
	days = policy.get("closed_for_days")
	if not isinstance(days, int) or isinstance(days, bool) or days < 1:
		raise PolicyError("Closed for more than (days) must be a whole number of days, at least 1.")
	batch = policy.get("batch_size")
	batch = 500 if batch is None else batch
	if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= MAX_BATCH:
		raise PolicyError(f"The batch size must be between 1 and {MAX_BATCH}.")
	return Selection(
		action=action,
		cutoff=now - timedelta(days=days),
		statuses=parse_statuses(policy.get("statuses")),
		category=policy.get("category") or None,
		chat=policy.get("chat") or None,
		batch_size=batch,
	)


def is_repeat_view(last_viewed_at: datetime | None, now: datetime, minutes: int = VIEW_COLLAPSE_MINUTES) -> bool:
	"""A view by the same user within `minutes` of their last recorded one is the same visit."""
	return last_viewed_at is not None and timedelta(0) <= now - last_viewed_at < timedelta(minutes=minutes)


def version_changes(data: str | dict | None) -> list[tuple[str, object, object]]:
	"""What a Version row records: (field, from, to) for changed fields, then rows added/removed in child
	tables as (table, None, row) / (table, row, None)."""
	if not data:
		return []
	values = json.loads(data) if isinstance(data, str) else data
	changes = [(field, old, new) for field, old, new in values.get("changed") or []]
	for table, row in values.get("added") or []:
		changes.append((table, None, _row_label(row)))
	for table, row in values.get("removed") or []:
		changes.append((table, _row_label(row), None))
	for table, _idx, name, row_changes in values.get("row_changed") or []:
		for field, old, new in row_changes:
			changes.append((f"{table}.{field}", old, new))
	return changes


def _row_label(row) -> object:
	if isinstance(row, dict):
		for key in ("chat", "name"):
			if row.get(key):
				return row[key]
	return row


@dataclass(frozen=True)
class AuditEntry:
	at: datetime
	kind: str  # "view", "change", "print", "export", "download"
	user: str
	ticket: str | None
	detail: str


def merge_trail(*sources: list[AuditEntry], limit: int | None = None) -> list[AuditEntry]:
	"""One trail, newest first (ties: the kind, then the user, so the order is stable)."""
	entries = sorted(
		(e for source in sources for e in source), key=lambda e: (e.at, e.kind, e.user), reverse=True
	)
	return entries[:limit] if limit is not None else entries


def describe_change(field: str, old, new) -> str:
	def shown(value):
		return "—" if value in (None, "") else str(value)

	return f"{field}: {shown(old)} → {shown(new)}"
