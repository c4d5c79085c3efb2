"""The rating buttons' callback data, signed: pure, no Frappe import.

`cs:<ticket>:<cycle>:<score>:<signature>` where the signature is an HMAC-SHA256 (with the site's secret) of
ticket, cycle and score, cut to 16 base64url characters, so the whole stays within Telegram's 64 bytes. A
button made for one ticket (or one close of it: `cycle` counts its reopenings) verifies for that ticket and
cycle only; data made without the secret verifies for none.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac

PREFIX = "cs:"
SCORES = (1, 2, 3, 4, 5)
SIGNATURE_LENGTH = 16
MAX_DATA_BYTES = 64  # Telegram's limit for callback data


@dataclasses.dataclass(frozen=True)
class Rating:
	ticket: str
	cycle: int
	score: int


def signature(secret: bytes, ticket: str, cycle: int, score: int) -> str:
	digest = hmac.new(secret, f"{ticket}:{cycle}:{score}".encode(), hashlib.sha256).digest()
	return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_LENGTH]


def button_data(secret: bytes, ticket: str, cycle: int, score: int) -> str:
	if score not in SCORES:
		raise ValueError(f"a rating is 1 to 5, got {score!r}")
	data = f"{PREFIX}{ticket}:{cycle}:{score}:{signature(secret, ticket, cycle, score)}"
	if len(data.encode()) > MAX_DATA_BYTES:
		raise ValueError(f"callback data longer than {MAX_DATA_BYTES} bytes: {data!r}")
	return data


def buttons(secret: bytes, ticket: str, cycle: int) -> list[list[tuple[str, str]]]:
	"""One row: 1 ★ … 5 ★."""
	return [[(f"{score} ★", button_data(secret, ticket, cycle, score)) for score in SCORES]]


def is_rating(data: str) -> bool:
	return data.startswith(PREFIX)


def verify(secret: bytes, data: str) -> Rating | None:
	"""The rating the data carries when its signature holds; None for anything else."""
	if not is_rating(data):
		return None
	parts = data[len(PREFIX):].split(":")
	if len(parts) != 4:
		return None
	ticket, cycle, score, given = parts
	if not ticket or not cycle.isdigit() or not score.isdigit() or int(score) not in SCORES:
		return None
	if not hmac.compare_digest(given, signature(secret, ticket, int(cycle), int(score))):
		return None
	return Rating(ticket, int(cycle), int(score))
