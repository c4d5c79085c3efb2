"""The one lock primitive of the Telegram edge: Redis's lock as Frappe's cache hands it out (`frappe.cache.lock`,
redis-py's `Lock`: SET NX PX under a token; only the token's holder can reacquire or release it), held with a
short TTL that its holder renews while it is alive. A holder that dies (SIGKILL, a lost host) stops renewing,
so its lock frees itself within the TTL instead of blocking everyone for a long fixed timeout.

Used for "one active listener per bot" (listener.py) and "one deliverer per chat" (delivery). Never held
across a process boundary: the token lives in the Lock object.
"""

import asyncio
import contextlib
import os
import secrets

import frappe
from redis.exceptions import LockError
from redis.lock import Lock


def renewable_lock(name: str, ttl: float) -> Lock:
	"""A lock on `name` (prefixed with the site's cache prefix) that expires `ttl` seconds after its last renewal.

	thread_local=False: the listener renews from its event loop while executor threads do blocking work.
	"""
	return frappe.cache.lock(frappe.cache.make_key(name), timeout=ttl, thread_local=False)


def holder_token() -> str:
	"""A token that tells an operator which process holds a lock (host:pid:random)."""
	return f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(4)}"


def renew(lock: Lock) -> bool:
	"""Resets the TTL if this lock still holds it; False once it expired and someone else (or no one) holds it."""
	try:
		return lock.reacquire()
	except LockError:
		return False


def release(lock: Lock) -> None:
	"""Releases the lock if still held; an expired lock (taken over or gone) is left alone."""
	with contextlib.suppress(LockError):
		lock.release()


def holder(lock: Lock) -> str | None:
	value = lock.redis.get(lock.name)
	return value.decode() if isinstance(value, bytes) else value


async def keep_renewed(lock: Lock, every: float) -> None:
	"""Renews `lock` every `every` seconds until cancelled or the lock is lost (then returns)."""
	while True:
		await asyncio.sleep(every)
		if not renew(lock):
			return
