"""Benchmark: inbound replay throughput and reply → transport latency, on the test site (not a test).

Run with the bench's python from the bench's sites folder, e.g.
  cd BENCH/sites && ../env/bin/python ../apps/tg_tickets/benchmarks/telegram_replay.py --site test.tg-tickets.localhost

1. Seeds 1,000 private chats with an open ticket each, writes 10,000 inbound messages (10 per chat) as real
   Telethon TL bytes (Updates containers with their users, base64 per line), starts ONE RQ worker, and
   replays the file through the listener's handler; the clock stops when the worker has processed every
   stored update into Telegram Messages. Prints messages/s.
2. Sends 200 agent replies (one per chat, so no rate limit applies) through tg_tickets.api.send_reply and
   measures the time from the call to the record transport's send (the Recorded Request row): p50/p95.
Everything it created is deleted at the end.
"""

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import frappe

CHAT_BASE = 9_100_000_000
# What customers write, in English and Russian, so that scoring (sentiment) costs what it costs in use.
CUSTOMER_TEXTS = [
	"Thanks, that fixed it!", "This is terrible, nothing works since yesterday", "Can you check my invoice please?",
	"Спасибо большое, всё отлично работает", "Опять не работает, это ужасно", "Подскажите, как сменить пароль?",
	"I am very disappointed with the service, this is the third time", "ok", "Хорошо, но очень медленно",
	"The app crashes when I open the settings page, please help", "Не могу войти в личный кабинет уже второй день!!!",
	"Great support, quick and friendly 👍",
]


def connect(site: str):
	frappe.init(site=site, sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")


def settings_for_benchmark():
	settings = frappe.get_single("Tickets Settings")
	previous = {k: settings.get(k) for k in ("enabled", "transport", "topic_group_chat")}
	settings.update({"enabled": 1, "transport": "record", "topic_group_chat": None})
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.db.commit()
	return previous


def seed(chats: int) -> list[tuple[str, str]]:
	pairs = []
	for n in range(chats):
		chat = str(CHAT_BASE + n)
		if not frappe.db.exists("Linked Chat", chat):
			frappe.get_doc({"doctype": "Linked Chat", "chat_id": chat, "title": f"Bench {n}", "chat_type": "Private"}).insert(
				ignore_permissions=True
			)
		ticket = frappe.get_doc({"doctype": "Ticket", "title": f"Bench ticket {n}", "status": "OPEN", "chats": [{"chat": chat}]})
		ticket.insert(ignore_permissions=True)
		pairs.append((chat, ticket.name))
	frappe.db.commit()
	return pairs


def write_capture(path: str, chats: int, per_chat: int) -> int:
	from telethon.tl import types

	now = datetime.now(timezone.utc).replace(microsecond=0)
	lines = 0
	with open(path, "w") as out:
		for round_ in range(per_chat):
			for n in range(chats):
				uid = CHAT_BASE + n
				user = types.User(id=uid, first_name="Bench", last_name=str(n), access_hash=uid)
				message = types.Message(id=round_ + 1, peer_id=types.PeerUser(uid), from_id=types.PeerUser(uid), date=now,
										message=f"{CUSTOMER_TEXTS[(round_ + n) % len(CUSTOMER_TEXTS)]} ({round_}/{n})")
				container = types.Updates(updates=[types.UpdateNewMessage(message=message, pts=1, pts_count=1)],
										  users=[user], chats=[], date=now, seq=0)
				out.write(base64.b64encode(bytes(container)).decode() + "\n")
				lines += 1
	return lines


def start_worker(site: str):
	bench = os.path.dirname(os.getcwd())
	cmd = [os.path.join(bench, "env", "bin", "python"), "-m", "frappe.utils.bench_helper", "frappe", "--site", site,
		   "worker", "--queue", "default,short"]
	log = open(os.path.join(bench, "logs", "benchmark-worker.log"), "ab")
	return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def pending_bench_updates(bot_id) -> int:
	return frappe.db.sql(
		"select count(*) from `tabTelegram Update` where status = 'Pending' and chat_id like %s", (f"{str(CHAT_BASE)[:3]}%",)
	)[0][0]


def cleanup(pairs):
	chats = tuple(c for c, _ in pairs) or ("",)
	tickets = tuple(t for _, t in pairs) or ("",)
	frappe.db.sql("delete from `tabTelegram Recorded Request` where chat_id in %s", (chats,))
	frappe.db.sql("delete from `tabTelegram Message` where chat in %s", (chats,))
	frappe.db.sql("delete from `tabTelegram Update` where chat_id in %s", (chats,))
	frappe.db.sql("delete from `tabTicket Chat` where parent in %s", (tickets,))
	frappe.db.sql("delete from `tabVersion` where ref_doctype = 'Ticket' and docname in %s", (tickets,))
	frappe.db.sql("delete from `tabTicket` where name in %s", (tickets,))
	frappe.db.sql("delete from `tabLinked Chat` where name in %s", (chats,))
	frappe.db.commit()


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", default=os.environ.get("TG_TICKETS_SITE", "test.tg-tickets.localhost"))
	parser.add_argument("--chats", type=int, default=1000)
	parser.add_argument("--per-chat", type=int, default=10)
	parser.add_argument("--replies", type=int, default=200)
	args = parser.parse_args()
	connect(args.site)
	from tg_tickets.telegram import credentials, replay

	previous = settings_for_benchmark()
	pairs = []
	worker = None
	try:
		t = time.perf_counter()
		pairs = seed(args.chats)
		print(f"seeded {len(pairs)} chats with an open ticket each in {time.perf_counter() - t:.1f} s")
		path = tempfile.mktemp(suffix=".b64")
		lines = write_capture(path, args.chats, args.per_chat)
		print(f"wrote {lines} captured updates (real TL bytes) to {path}")
		# The scorer alone (whichever domain answers CUSTOMER_TEXT_SENTIMENT), per message, on these texts.
		from tg_tickets.tickets import conversation

		texts = [f"{CUSTOMER_TEXTS[(r + n) % len(CUSTOMER_TEXTS)]} ({r}/{n})" for r in range(args.per_chat) for n in range(args.chats)]
		if hasattr(conversation, "customer_sentiments"):
			conversation.customer_sentiments(texts[:10])  # warm up
			t = time.perf_counter()
			conversation.customer_sentiments(texts)
			print(f"sentiment scoring alone: {(time.perf_counter() - t) / len(texts) * 1e6:.1f} µs a message "
				f"(load {os.getloadavg()[0]:.1f})")
		worker = start_worker(args.site)
		time.sleep(3)  # the worker is up before the clock starts

		start = time.perf_counter()
		counts = replay.replay_file(path, batch_size=200, report=lambda m: print(m, file=sys.stderr))
		stored = time.perf_counter() - start
		bot_id = credentials.bot_id() or 0
		while True:
			frappe.db.rollback()
			if pending_bench_updates(bot_id) == 0:
				break
			time.sleep(0.05)
		total = time.perf_counter() - start
		frappe.db.rollback()
		messages = frappe.db.sql(
			"select count(*) from `tabTelegram Message` where chat in %s and direction = 'Incoming' and ticket is not null",
			(tuple(c for c, _ in pairs),),
		)[0][0]
		print(f"replay: {counts}")
		print(f"listener side (decode, normalise, store, commit, enqueue): {lines / stored:.0f} updates/s ({stored:.1f} s)")
		print(f"end to end with one worker: {messages} messages on their tickets in {total:.1f} s = {messages / total:.0f} messages/s "
			f"(load {os.getloadavg()[0]:.1f})")

		latencies = []
		for chat, ticket in pairs[: args.replies]:
			begin = frappe.utils.now_datetime()  # site timezone, like the recorded row's creation
			result = frappe.call("tg_tickets.api.send_reply", ticket=ticket, message=f"Agent reply to {chat}")
			frappe.db.commit()
			name = result["messages"][0]
			deadline = time.monotonic() + 30
			while True:
				frappe.db.rollback()
				sent = frappe.db.get_value("Telegram Recorded Request", {"telegram_message": name}, "creation")
				if sent or time.monotonic() > deadline:
					break
				time.sleep(0.005)
			if sent:
				latencies.append((sent - begin).total_seconds())
		latencies.sort()
		p95 = latencies[int(len(latencies) * 0.95) - 1]
		print(f"reply → transport send over {len(latencies)} replies: p50 {statistics.median(latencies) * 1000:.0f} ms, "
			  f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
	finally:
		if worker:
			os.killpg(worker.pid, 15)
			worker.wait(timeout=30)
		cleanup(pairs)
		settings = frappe.get_single("Tickets Settings")
		settings.update(previous)
		settings.flags.ignore_permissions = True
		settings.save()
		frappe.db.commit()
		frappe.destroy()


if __name__ == "__main__":
	main()
