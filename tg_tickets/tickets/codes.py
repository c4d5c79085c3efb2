"""Ticket IDs: 3 uppercase letters and at least 3 digits (shown as #DSA312), random, never sequential.

26³·10³ ≈ 17.6 M codes of six characters: at 1 M tickets a random code is free ~94 % of the time, so a
few retries keep IDs at six characters; only after repeated collisions does a code grow a digit.
Uniqueness itself is the primary key's job: the controller retries the insert on a duplicate.
"""

import secrets
import string

LETTERS = string.ascii_uppercase
MIN_DIGITS = 3
ATTEMPTS_PER_LENGTH = 4


def random_code(digits: int = MIN_DIGITS) -> str:
	letters = "".join(secrets.choice(LETTERS) for _ in range(3))
	number = "".join(secrets.choice(string.digits) for _ in range(digits))
	return letters + number


def digits_for_attempt(attempt: int) -> int:
	"""Attempt 0..3 → 3 digits, 4..7 → 4 digits, ..."""
	return MIN_DIGITS + attempt // ATTEMPTS_PER_LENGTH


def new_code(exists, attempt_offset: int = 0) -> str:
	"""A code for which `exists(code)` is false, trying short codes first."""
	attempt = attempt_offset
	while True:
		code = random_code(digits_for_attempt(attempt))
		if not exists(code):
			return code
		attempt += 1
