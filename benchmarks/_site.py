"""Shared by the benchmark scripts: connect to the benchmark site and time things."""

import os
import statistics
import sys
import time
from pathlib import Path

# the app's checkout root, so `import tests.factories`-style helpers and `tg_tickets` resolve
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def connect():
	import frappe

	frappe.init(site=os.environ["TG_TICKETS_SITE"], sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")
	return frappe


def timed(fn, runs: int) -> dict:
	"""Runs fn(i) `runs` times; returns p50/p95/max in milliseconds."""
	samples = []
	for i in range(runs):
		start = time.perf_counter()
		fn(i)
		samples.append((time.perf_counter() - start) * 1000)
	return summary(samples)


def summary(samples: list[float]) -> dict:
	"""p50/p95/max of samples in milliseconds."""
	samples = sorted(samples)
	return {
		"p50": statistics.median(samples),
		"p95": samples[max(0, int(round(0.95 * len(samples))) - 1)],
		"max": samples[-1],
	}


def fmt(stats: dict) -> str:
	return f"p50 {stats['p50']:8.1f} ms   p95 {stats['p95']:8.1f} ms   max {stats['max']:8.1f} ms"


def load() -> str:
	"""The machine's load average (1, 5, 15 min), printed beside figures: the machine is shared."""
	return "load " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def rows_read(frappe, fn) -> int:
	"""Index entries and rows MariaDB read for one call of fn (its session Handler_read_* counters): the work a
	query does, whatever the machine's load."""

	def counters() -> int:
		return sum(int(value) for _, value in frappe.db.sql("show session status like 'Handler_read%%'"))

	before = counters()
	fn()
	return counters() - before
