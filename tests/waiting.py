"""Waiting for what other processes (RQ workers, the web server, the listener) do: one poll loop for all tests."""

import asyncio
import time


def wait_until(condition, timeout: float = 30, message: str = "the condition never held", interval: float = 0.2):
	"""Polls `condition()` until it returns something truthy, and returns that. Between polls the test's
	transaction is rolled back, so each poll reads what other processes committed since (MariaDB's
	REPEATABLE READ would keep showing the first snapshot)."""
	import frappe

	deadline = time.monotonic() + timeout
	while True:
		value = condition()
		if value:
			return value
		assert time.monotonic() < deadline, f"{message} (waited {timeout:g} s)"
		time.sleep(interval)
		frappe.db.rollback()


async def wait_until_async(condition, timeout: float = 30, message: str = "the condition never held", interval: float = 0.1):
	"""`wait_until` inside an event loop: other tasks (the listener's) run while it waits."""
	import frappe

	deadline = time.monotonic() + timeout
	while True:
		value = condition()
		if value:
			return value
		assert time.monotonic() < deadline, f"{message} (waited {timeout:g} s)"
		await asyncio.sleep(interval)
		frappe.db.rollback()
