"""Faults with real processes: SIGKILL the listener and RQ workers mid-stream and count what was lost or doubled.

Run by scripts/fault-replay (never part of the test command) with the bench's python from the bench's sites
folder, on a dedicated site. Everything runs as separate OS processes started the way a bench starts them:
- the listener is `bench --site S tg-tickets replay /dev/stdin`: the live listener's handler (Listener) on a
  never-connected Telethon client, fed real TL bytes by this script, which plays Telegram;
- workers are `bench --site S worker --queue default,short` (RQ, one forked work horse per job).

0. Cold start: one stored update, then a freshly started worker; prints the time until it is processed.
1. Inbound: 10,000 captured updates (900 chats with an open ticket, 100 new chats through the bot intake),
   streamed at --rate updates/s. The listener and a worker (its busy work horse and the worker itself) are
   SIGKILLed twice each mid-stream and restarted. After a listener restart Telegram redelivers from the
   session's last saved update state, which lags behind what was stored (Telethon saves it periodically):
   this script redelivers from REDELIVERY_LAG updates before the first update the killed listener had not
   stored. Prints updates in / messages stored / lost / duplicated.
2. Agent replies: --replies replies queued through the reply endpoint, delivered by workers through the record
   transport (the fake at the Telegram edge); a worker is SIGKILLed mid-delivery twice. Prints sent /
   duplicated at the transport / lost.
Like Frappe's scheduler would (the inbox sweep, the outbox retry sweep), this script re-enqueues the job for
work left behind by a killed worker once nothing has moved for STALL_SECONDS; it prints how often it had to.
Everything it created is deleted at the end.
"""

import argparse
import base64
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import frappe

# The entry points this script touches (everything else is processes and CLI commands).
PROCESS_PENDING = "tg_tickets.telegram.inbox.process_pending"
DELIVER_CHAT_JOB = "tg_tickets.telegram.delivery.deliver_chat_job"
SEND_REPLY = "tg_tickets.api.send_reply"

CHAT_BASE = 9_300_000_000
REDELIVERY_LAG = 300
STALL_SECONDS = 10
BENCH = os.environ.get("TG_TICKETS_BENCH") or os.path.dirname(os.getcwd())
SITE = os.environ.get("TG_TICKETS_SITE", "faults.tg-tickets.localhost")
T0 = time.monotonic()


def say(text: str) -> None:
	print(f"[{time.monotonic() - T0:6.1f} s] {text}", flush=True)


def bench_command(*args) -> list[str]:
	return [os.path.join(BENCH, "env", "bin", "python"), "-m", "frappe.utils.bench_helper", "frappe", "--site", SITE, *args]


def log_file(name: str):
	return open(os.path.join(BENCH, "logs", f"fault-replay-{name}.log"), "ab")


def children(pid: int) -> list[int]:
	out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
	return [int(p) for p in out.split()]


class Worker:
	"""`bench worker`: RQ's worker process, which forks a work horse (its own session) for every job."""

	count = 0

	def __init__(self):
		Worker.count += 1
		self.number = Worker.count
		self.started = time.monotonic()
		self.process = subprocess.Popen(
			bench_command("worker", "--queue", "default,short"), stdout=log_file("workers"), stderr=subprocess.STDOUT,
			start_new_session=True,
		)

	def horse(self) -> int | None:
		horses = children(self.process.pid)
		return horses[0] if horses else None

	def kill(self) -> int | None:
		"""SIGKILL to the busy work horse and to the worker (a crashed host, the OOM killer)."""
		horse = self.horse()
		for pid in filter(None, (horse, self.process.pid)):
			try:
				os.kill(pid, signal.SIGKILL)
			except ProcessLookupError:
				pass
		self.process.wait()
		return horse

	def stop(self) -> None:
		if self.process.poll() is None:
			os.killpg(self.process.pid, signal.SIGTERM)  # RQ's warm shutdown: the current job finishes
			try:
				self.process.wait(timeout=60)
			except subprocess.TimeoutExpired:
				self.kill()


class ListenerProcess:
	"""`bench --site S tg-tickets replay /dev/stdin`: the listener's handler, fed by this script."""

	def __init__(self, batch_size: int):
		self.output = tempfile.NamedTemporaryFile(prefix="fault-listener-", suffix=".out", delete=False)
		self.process = subprocess.Popen(
			bench_command("tg-tickets", "replay", "/dev/stdin", "--batch-size", str(batch_size)),
			stdin=subprocess.PIPE, stdout=self.output, stderr=log_file("listener"), start_new_session=True,
		)

	def send(self, lines: list[str]) -> bool:
		try:
			self.process.stdin.write("".join(lines).encode())
			self.process.stdin.flush()
			return True
		except BrokenPipeError:
			return False

	def kill(self) -> None:
		self.process.kill()
		self.process.wait()

	def finish(self) -> str:
		self.process.stdin.close()
		self.process.wait(timeout=300)
		with open(self.output.name) as handle:
			return handle.read().strip().splitlines()[-1] if os.path.getsize(self.output.name) else "(no output)"


# --- the site ---------------------------------------------------------------------------------------------


def connect():
	frappe.init(site=SITE, sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")
	if not frappe.conf.get("tg_sla_benchmark_site"):
		sys.exit(f"{SITE} is not marked as a benchmark site (tg_sla_benchmark_site): refusing to seed and delete there")


def settings_for_faults() -> dict:
	settings = frappe.get_single("Tickets Settings")
	previous = {k: settings.get(k) for k in ("enabled", "transport", "topic_group_chat")}
	settings.update({"enabled": 1, "transport": "record", "topic_group_chat": None})
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.db.commit()
	return previous


def restore_settings(previous: dict) -> None:
	settings = frappe.get_single("Tickets Settings")
	settings.update(previous)
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.db.commit()


def our_chats(count: int) -> tuple[str, ...]:
	return tuple(str(CHAT_BASE + n) for n in range(count))


def cleanup(chats: tuple[str, ...], tickets: tuple[str, ...] = ()) -> None:
	"""Deletes what a run made: the chats' rows and their tickets (and `tickets` besides)."""
	tickets += tuple(frappe.db.sql_list("select distinct parent from `tabTicket Chat` where chat in %s", (chats,)))
	tickets = tickets or ("",)
	frappe.db.sql("delete from `tabTelegram Recorded Request` where chat_id in %s", (chats,))
	frappe.db.sql("delete from `tabTelegram Message` where chat in %s", (chats,))
	frappe.db.sql("delete from `tabTelegram Update` where chat_id in %s", (chats,))
	frappe.db.sql("delete from `tabTelegram Intake Session` where chat in %s", (chats,))
	frappe.db.sql("delete from `tabTicket Chat` where parent in %s", (tickets,))
	for table in ("SLA Notification", "Ticket Status Log"):
		frappe.db.sql(f"delete from `tab{table}` where ticket in %s", (tickets,))
	frappe.db.sql("delete from `tabVersion` where ref_doctype = 'Ticket' and docname in %s", (tickets,))
	frappe.db.sql("delete from `tabTicket` where name in %s", (tickets,))
	frappe.db.sql("delete from `tabLinked Chat` where name in %s", (chats,))
	frappe.db.commit()


def seed(chats: tuple[str, ...]) -> dict[str, str]:
	tickets = {}
	for n, chat in enumerate(chats):
		frappe.get_doc({"doctype": "Linked Chat", "chat_id": chat, "title": f"Fault {n}", "chat_type": "Private"}).insert(
			ignore_permissions=True
		)
		ticket = frappe.get_doc({"doctype": "Ticket", "title": f"Fault ticket {n}", "status": "OPEN", "chats": [{"chat": chat}]})
		tickets[chat] = ticket.insert(ignore_permissions=True).name
	frappe.db.commit()
	return tickets


def capture_line(chat: str, message_id: int, text: str) -> str:
	from telethon.tl import types

	now = datetime.now(timezone.utc).replace(microsecond=0)
	uid = int(chat)
	user = types.User(id=uid, first_name="Fault", last_name=chat[-4:], access_hash=uid)
	message = types.Message(id=message_id, peer_id=types.PeerUser(uid), from_id=types.PeerUser(uid), date=now, message=text)
	container = types.Updates(updates=[types.UpdateNewMessage(message=message, pts=1, pts_count=1)], users=[user],
							  chats=[], date=now, seq=0)
	return base64.b64encode(bytes(container)).decode() + "\n"


def wait_until(condition, timeout: float, poll: float = 0.2):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		frappe.db.rollback()
		value = condition()
		if value:
			return value
		time.sleep(poll)
	return None


def enqueue(method: str, **kwargs) -> None:
	frappe.enqueue(method, queue="short" if method == DELIVER_CHAT_JOB else "default", enqueue_after_commit=False, **kwargs)


# --- 0. cold start ------------------------------------------------------------------------------------------


def cold_start(chat: str) -> Worker:
	from tg_tickets.telegram import replay

	path = tempfile.mktemp(suffix=".b64")
	with open(path, "w") as handle:
		handle.write(capture_line(chat, 1, "first update for a cold worker"))
	replay.replay_file(path, batch_size=1, report=lambda m: None)  # stored and enqueued, no worker yet
	os.unlink(path)
	frappe.db.commit()
	worker = Worker()
	done = wait_until(lambda: frappe.db.exists("Telegram Message", {"chat": chat, "direction": "Incoming"}), 120, poll=0.02)
	elapsed = time.monotonic() - worker.started
	say(f"cold start: a freshly started worker processed its first update {elapsed:.2f} s after it was started"
		+ ("" if done else " (NOT processed within 120 s)"))
	return worker


# --- 1. inbound ---------------------------------------------------------------------------------------------


def inbound(args, ticket_chats, intake_chats, workers: list[Worker]) -> dict:
	from tg_tickets.telegram import credentials

	bot_id = credentials.bot_id() or 0
	chats = ticket_chats + intake_chats
	per_chat = args.updates // len(chats)
	lines, keys = [], []
	for round_ in range(per_chat):
		for chat in chats:
			lines.append(capture_line(chat, round_ + 1, f"message {round_} from chat {chat}"))
			keys.append(f"{bot_id}:{chat}:{round_ + 1}:message")
	total = len(lines)
	say(f"inbound: {total} captured updates (real TL bytes), {len(ticket_chats)} chats with an open ticket, "
		f"{len(intake_chats)} new chats through the bot intake; streaming at {args.rate}/s")

	plan = [(int(total * 0.2), "listener"), (int(total * 0.35), "worker"), (int(total * 0.6), "listener"),
			(int(total * 0.8), "worker")]
	listener = ListenerProcess(args.batch_size)
	delivered, position, kills, redelivered = 0, 0, [], 0
	chunk = 10
	start = time.monotonic()
	while position < total:
		if plan and position >= plan[0][0]:
			what = plan[0][1]
			if what == "listener":
				plan.pop(0)
				listener.kill()
				frappe.db.rollback()
				stored = set(frappe.db.sql_list("select update_key from `tabTelegram Update` where chat_id in %s", (chats,)))
				first_missing = next((i for i, key in enumerate(keys) if key not in stored), total)
				resume = max(0, first_missing - REDELIVERY_LAG)
				say(f"SIGKILL listener after {position} updates sent to it ({len(stored & set(keys))} stored); "
					f"restarted, Telegram redelivers from update {resume}")
				kills.append("listener")
				redelivered += position - resume
				position = resume
				listener = ListenerProcess(args.batch_size)
			else:
				busy = next((w for w in workers if w.horse()), None)
				if busy is not None:
					plan.pop(0)
					horse = busy.kill()
					workers.remove(busy)
					workers.append(Worker())
					say(f"SIGKILL worker {busy.number} (pid {busy.process.pid}) and its busy work horse (pid {horse}) "
						f"after {position} updates; worker {Worker.count} started")
					kills.append("worker")
		batch = lines[position:position + chunk]
		if not listener.send(batch):
			say("the listener died on its own; restarting it")
			listener = ListenerProcess(args.batch_size)
			continue
		position += len(batch)
		delivered += len(batch)
		ahead = start + delivered / args.rate - time.monotonic()
		if ahead > 0:
			time.sleep(ahead)
	say(f"stream done: {delivered} updates handed to the listener ({redelivered} redelivered after its restarts)")
	say(f"last listener: {listener.finish()}")

	while plan:  # a worker kill that found no busy horse during the stream happens now, while work is pending
		busy = wait_until(lambda: next((w for w in workers if w.horse()), None), 30, poll=0.01)
		plan.pop(0)
		if busy:
			horse = busy.kill()
			workers.remove(busy)
			workers.append(Worker())
			say(f"SIGKILL worker {busy.number} and its busy work horse (pid {horse}) after the stream; restarted")
			kills.append("worker")

	def pending():
		return frappe.db.sql("select count(*) from `tabTelegram Update` where chat_id in %s and status = 'Pending'", (chats,))[0][0]

	resweeps = drain(pending, lambda: enqueue(PROCESS_PENDING), args.drain_timeout)
	frappe.db.rollback()
	expected = {(chat, str(round_ + 1)) for round_ in range(per_chat) for chat in chats}
	found = frappe.db.sql(
		"""select chat, message_id, count(*), sum(ticket is not null) from `tabTelegram Message`
		where direction = 'Incoming' and chat in %s group by chat, message_id""",
		(chats,),
	)
	stored = {(chat, str(mid)): (n, on_ticket) for chat, mid, n, on_ticket in found}
	lost = len(expected - set(stored))
	duplicated = sum(n - 1 for n, _ in stored.values())
	on_tickets = sum(1 for (chat, _), (n, on_ticket) in stored.items() if chat in set(ticket_chats) and on_ticket)
	inbox = dict(frappe.db.sql("select status, count(*) from `tabTelegram Update` where chat_id in %s group by status", (chats,)))
	say(f"inbox rows by status: {inbox}; the inbox job had to be re-enqueued {resweeps} times (the scheduler's sweep)")
	print(f"INBOUND  kills: listener {kills.count('listener')}, worker {kills.count('worker')} | updates in: {total} "
		  f"(+{redelivered} redelivered) | messages stored: {len(set(stored) & expected)} | lost: {lost} | "
		  f"duplicated: {duplicated} | on their open ticket: {on_tickets}/{len(ticket_chats) * per_chat}", flush=True)
	return {"lost": lost, "duplicated": duplicated}


def queues_idle() -> bool:
	"""No job waiting in the queues this script uses (the scheduler's sweeps do not look, but they run a minute apart)."""
	from frappe.utils.background_jobs import get_queue

	return all(get_queue(name).count == 0 for name in ("default", "short"))


def drain(left, resweep, timeout: float) -> int:
	"""Waits until left() is 0; re-enqueues (as the scheduler's sweep would) when nothing moved for STALL_SECONDS."""
	deadline = time.monotonic() + timeout
	last, since, resweeps = None, time.monotonic(), 0
	while time.monotonic() < deadline:
		frappe.db.rollback()
		now_left = left()
		if now_left == 0:
			return resweeps
		if now_left != last:
			last, since = now_left, time.monotonic()
		elif time.monotonic() - since > STALL_SECONDS and queues_idle():
			resweep()
			frappe.db.commit()
			resweeps += 1
			since = time.monotonic()
		time.sleep(0.2)
	say(f"gave up waiting after {timeout:.0f} s: {last} left")
	return resweeps


# --- 2. agent replies ---------------------------------------------------------------------------------------


def in_flight(names: list[str]) -> bool:
	"""A reply whose attempt is committed and which is not Sent yet: a work horse is delivering it right now."""
	return bool(frappe.db.sql(
		"select 1 from `tabTelegram Message` where name in %s and status = 'Queued' and attempts > 0 limit 1", (tuple(names),)
	))


def replies(args, tickets: dict[str, str], workers: list[Worker]) -> dict:
	per_ticket = 2
	targets = list(tickets.items())[: args.replies // per_ticket]
	total = len(targets) * per_ticket
	say(f"replies: {total} agent replies ({per_ticket} each on {len(targets)} tickets) through {SEND_REPLY}")
	plan = [int(total * 0.3), int(total * 0.65)]
	names, kills, last_kill = [], 0, None
	n = 0
	for round_ in range(per_ticket):
		for chat, ticket in targets:
			result = frappe.call(SEND_REPLY, ticket=ticket, message=f"reply {round_} to {chat}")
			frappe.db.commit()  # after commit: the delivery job is enqueued
			names += result["messages"]
			n += 1
			if plan and n >= plan[0]:
				busy = wait_until(lambda: in_flight(names) and next((w for w in workers if w.horse()), None), 20, poll=0.005)
				if busy is not None:
					plan.pop(0)
					horse = busy.kill()
					workers.remove(busy)
					workers.append(Worker())
					kills += 1
					last_kill = time.monotonic()
					say(f"SIGKILL worker {busy.number} and its busy work horse (pid {horse}) mid-delivery after {n} "
						f"replies queued; worker {Worker.count} started")
	chats = tuple(tickets)
	while plan:
		busy = wait_until(lambda: next((w for w in workers if w.horse()), None), 30, poll=0.005)
		plan.pop(0)
		if busy:
			horse = busy.kill()
			workers.remove(busy)
			workers.append(Worker())
			kills += 1
			last_kill = time.monotonic()
			say(f"SIGKILL worker {busy.number} and its busy work horse (pid {horse}) mid-delivery after queueing; restarted")

	def queued():
		return frappe.db.sql("select count(*) from `tabTelegram Message` where name in %s and status = 'Queued'", (tuple(names),))[0][0]

	def resweep():
		for (chat,) in frappe.db.sql(
			"select distinct chat from `tabTelegram Message` where name in %s and status = 'Queued'", (tuple(names),)
		):
			enqueue(DELIVER_CHAT_JOB, chat=chat)

	resweeps = drain(queued, resweep, args.drain_timeout)
	drained = time.monotonic()
	wait_until(queues_idle, 300)  # the jobs left behind are no-ops now; let them go before the workers stop
	frappe.db.rollback()
	status = dict(frappe.db.sql("select status, count(*) from `tabTelegram Message` where name in %s group by status", (tuple(names),)))
	recorded = frappe.db.sql(
		"""select telegram_message, count(*), count(distinct random_id) from `tabTelegram Recorded Request`
		where method = 'send_message' and chat_id in %s and telegram_message in %s group by telegram_message""",
		(chats, tuple(names)),
	)
	at_transport = {name: (count, random_ids) for name, count, random_ids in recorded}
	duplicated = sum(count - 1 for count, _ in at_transport.values())
	lost = len(set(names) - set(at_transport))
	retried = frappe.db.sql("select count(*) from `tabTelegram Message` where name in %s and attempts > 1", (tuple(names),))[0][0]
	say(f"replies by status: {status}; {retried} needed more than one attempt (a re-send after a kill keeps its "
		f"random_id; the transport refuses a random_id it has, as Telegram does); delivery job re-enqueued {resweeps} times "
		f"(the scheduler's retry sweep)" + (f"; all delivered {drained - last_kill:.1f} s after the last kill" if last_kill else ""))
	print(f"REPLIES  kills: worker {kills} | replies queued: {len(names)} | sent at the transport: {len(at_transport)} | "
		  f"duplicated at the transport: {duplicated} | lost: {lost}", flush=True)
	return {"lost": lost, "duplicated": duplicated}


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--updates", type=int, default=10_000)
	parser.add_argument("--replies", type=int, default=1_000)
	parser.add_argument("--rate", type=float, default=400, help="updates per second fed to the listener")
	parser.add_argument("--batch-size", type=int, default=25, help="the listener's updates per commit")
	parser.add_argument("--workers", type=int, default=2)
	parser.add_argument("--drain-timeout", type=float, default=420)
	args = parser.parse_args()
	if args.updates < 1_000:
		# the stream gives each of the 1,000 chats the same number of updates: fewer than one each would be none
		parser.error("--updates must be at least 1000 (one update for each of the 1,000 chats)")
	connect()
	chats = our_chats(1_001)
	ticket_chats, intake_chats, cold_chat = chats[:900], chats[900:1000], chats[1000]
	cleanup(chats)
	previous = settings_for_faults()
	workers: list[Worker] = []
	failed = True
	try:
		say(f"site {SITE}; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
		workers.append(cold_start(cold_chat))
		workers += [Worker() for _ in range(args.workers - 1)]
		tickets = seed(ticket_chats)
		say(f"seeded {len(tickets)} chats with an open ticket each")
		results = [inbound(args, ticket_chats, intake_chats, workers), replies(args, tickets, workers)]
		failed = any(r["lost"] or r["duplicated"] for r in results)
	finally:
		for worker in workers:
			worker.stop()
		cleanup(chats)
		restore_settings(previous)
		say(f"cleaned up; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
		frappe.destroy()
	sys.exit(1 if failed else 0)


if __name__ == "__main__":
	main()
