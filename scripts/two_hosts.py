"""Two hosts, one database: two benches serve one site from one MariaDB and one Redis.

Run by scripts/two-hosts (never part of the test command) with the bench's python from bench A's sites folder, on
a dedicated site. Host A is the test bench; host B is a second bench directory (its own sites folder, config, logs
and ports; the same code and Python environment linked in, the site's files folder shared, as NFS would share it).
On each host, as a bench runs them: a web server (`frappe serve`), an RQ worker (`frappe worker`) and a listener
(scripts/two_hosts_listener.py: the real lock, standby and update handler on a never-connected Telethon client);
the scheduler on host A only. Then:
1. web: requests to each host's web server, and a ticket created through A read through B;
2. jobs: jobs enqueued once, taken from the shared queues by both hosts' workers;
3. listener: updates streamed to whichever listener holds the lock; the active one is SIGKILLed mid-stream; the
   standby takes over by itself. Prints updates stored / lost / duplicated and the takeover time;
4. scheduler: the minute job's runs (once a minute, though two hosts run workers).
Everything it created on the site is deleted at the end; host B's directory stays for inspection.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import frappe
import requests

import fault_replay  # scripts/: the same cleanup and polling as the fault replay
from fault_replay import capture_line, wait_until

BENCH_A = os.environ.get("TG_TICKETS_BENCH") or os.path.dirname(os.getcwd())
BENCH_B = os.environ.get("TG_TICKETS_BENCH_B") or BENCH_A.rstrip("/") + "-host-b"
SITE = os.environ.get("TG_TICKETS_SITE", "hosts.tg-tickets.localhost")
PORTS = {"A": int(os.environ.get("TG_HOSTS_PORT_A", 8310)), "B": int(os.environ.get("TG_HOSTS_PORT_B", 8311))}
CHAT_BASE = 9_400_000_000
TOKEN = "987654321:two-hosts-fake-token-for-a-bot-that-does-not-exist"
SCRIPTS = os.path.dirname(os.path.abspath(__file__))
T0 = time.monotonic()
STARTED: list[subprocess.Popen] = []


def say(text: str) -> None:
	print(f"[{time.monotonic() - T0:6.1f} s] {text}", flush=True)


def bench_dir(host: str) -> str:
	return BENCH_A if host == "A" else BENCH_B


def start(host: str, name: str, args: list[str]) -> subprocess.Popen:
	"""A process of `host`, started from that host's sites folder (its config, logs, ports)."""
	log = open(os.path.join(bench_dir(host), "logs", f"two-hosts-{name}-{host}.log"), "wb")
	process = subprocess.Popen(args, cwd=os.path.join(bench_dir(host), "sites"), stdout=log, stderr=subprocess.STDOUT,
							   start_new_session=True)
	process.log_path = log.name
	STARTED.append(process)
	return process


def frappe_command(host: str, *args) -> list[str]:
	return [os.path.join(bench_dir(host), "env", "bin", "python"), "-m", "frappe.utils.bench_helper", "frappe", "--site", SITE, *args]


def stop_all() -> None:
	for process in STARTED:
		if process.poll() is None:
			os.killpg(process.pid, signal.SIGTERM)
	for process in STARTED:
		try:
			process.wait(timeout=30)
		except subprocess.TimeoutExpired:
			os.killpg(process.pid, signal.SIGKILL)


# --- host B: a second bench directory on the same database and Redis ---------------------------------------------


def make_host_b() -> None:
	os.makedirs(os.path.join(BENCH_B, "logs"), exist_ok=True)
	os.makedirs(os.path.join(BENCH_B, "sites", SITE, "logs"), exist_ok=True)
	for shared in ("apps", "env"):  # the same code and environment (a deploy would install the same versions)
		link = os.path.join(BENCH_B, shared)
		if not os.path.lexists(link):
			os.symlink(os.path.join(BENCH_A, shared), link)
	sites_a, sites_b = os.path.join(BENCH_A, "sites"), os.path.join(BENCH_B, "sites")
	for name in ("apps.txt", "apps.json"):
		if os.path.exists(os.path.join(sites_a, name)):
			shutil.copy(os.path.join(sites_a, name), os.path.join(sites_b, name))
	config = json.load(open(os.path.join(sites_a, "common_site_config.json")))
	config["webserver_port"] = PORTS["B"]  # its own port; the same db_host and redis_* (one MariaDB, one Redis)
	# RQ queues are named after the bench ("<bench id>:short"); by default the id is the bench's path, which differs
	# per host: every host must name the same bench id, or its workers listen to queues nobody fills.
	config["bench_id"] = frappe.utils.get_bench_id()
	json.dump(config, open(os.path.join(sites_b, "common_site_config.json"), "w"), indent=1)
	if not os.path.lexists(os.path.join(sites_b, "assets")):
		os.symlink(os.path.join(sites_a, "assets"), os.path.join(sites_b, "assets"))
	shutil.copy(os.path.join(sites_a, SITE, "site_config.json"), os.path.join(sites_b, SITE, "site_config.json"))
	for folder in ("public", "private"):  # uploaded files: shared storage
		link = os.path.join(sites_b, SITE, folder)
		if not os.path.lexists(link):
			os.symlink(os.path.join(sites_a, SITE, folder), link)


# --- the site -------------------------------------------------------------------------------------------------


def connect() -> None:
	frappe.init(site=SITE, sites_path=os.getcwd())
	frappe.connect()
	frappe.set_user("Administrator")
	if not frappe.conf.get("tg_sla_benchmark_site"):
		sys.exit(f"{SITE} is not marked as a benchmark site (tg_sla_benchmark_site): refusing to seed and delete there")


def configure() -> None:
	settings = frappe.get_single("Tickets Settings")
	settings.update({"enabled": 1, "transport": "record", "topic_group_chat": None, "api_id": 12345,
					 "api_hash": "0123456789abcdef0123456789abcdef", "bot_token": TOKEN})
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.db.set_single_value("System Settings", "enable_scheduler", 1)
	frappe.db.commit()


def our_chats(count: int) -> tuple[str, ...]:
	return tuple(str(CHAT_BASE + n) for n in range(count))


def cleanup(chats: tuple[str, ...]) -> None:
	fault_replay.cleanup(chats, tuple(frappe.db.sql_list("select name from `tabTicket` where title like 'Two hosts %%'")))
	for key in ("two_hosts:feed",):
		frappe.cache.delete(frappe.cache.make_key(key))
	for key in frappe.cache.scan_iter(frappe.cache.make_key("two_hosts:inflight:") + b"*"):
		frappe.cache.delete(key)


def jobs_ok(process) -> int:
	with open(process.log_path, errors="replace") as handle:
		return sum(1 for line in handle if "Job OK" in line and JOB_ID in line)


# --- the phases -----------------------------------------------------------------------------------------------


def web_phase(requests_per_host: int) -> None:
	served = {}
	for host, port in PORTS.items():
		url = f"http://127.0.0.1:{port}/api/method/ping"
		served[host] = sum(1 for _ in range(requests_per_host) if requests.get(url, headers={"Host": SITE}, timeout=30).ok)
	admin_password = frappe.conf.get("admin_password") or "admin"
	sessions = {}
	for host, port in PORTS.items():
		session = requests.Session()
		session.headers["Host"] = SITE
		session.post(f"http://127.0.0.1:{port}/api/method/login", data={"usr": "Administrator", "pwd": admin_password}).raise_for_status()
		sessions[host] = session
	made = sessions["A"].post(f"http://127.0.0.1:{PORTS['A']}/api/resource/Ticket", json={"title": "Two hosts: made on A"})
	made.raise_for_status()
	name = made.json()["data"]["name"]
	read = sessions["B"].get(f"http://127.0.0.1:{PORTS['B']}/api/resource/Ticket/{name}")
	say(f"web: requests served  host A {served['A']}/{requests_per_host}  host B {served['B']}/{requests_per_host}; "
		f"ticket #{name} created through A, read through B: {'yes' if read.ok and read.json()['data']['title'] == 'Two hosts: made on A' else 'NO'}")


def jobs_phase(workers: dict, count: int) -> None:
	before = {host: jobs_ok(process) for host, process in workers.items()}
	run = frappe.generate_hash(length=6)
	for n in range(count):
		frappe.enqueue("frappe.utils.now", queue="short", enqueue_after_commit=False, job_id=f"{JOB_ID}{run}-{n}")
	frappe.db.commit()
	done = wait_until(lambda: sum(jobs_ok(p) - before[h] for h, p in workers.items()) >= count, 300, poll=0.5)
	per_host = {host: jobs_ok(process) - before[host] for host, process in workers.items()}
	say(f"jobs: {count} enqueued once; processed by host A's worker {per_host['A']}, by host B's worker {per_host['B']}"
		+ ("" if done else " (NOT all processed within 300 s)"))


def active_listener(listeners: dict) -> tuple[str, float] | None:
	for host, process in listeners.items():
		with open(process.log_path, errors="replace") as handle:
			for line in handle:
				found = re.search(r"ACTIVE at ([0-9.]+)", line)
				if found and process.poll() is None:
					return host, float(found.group(1))
	return None


def listener_phase(listeners: dict, updates: int, chats: tuple[str, ...], rate: float) -> None:
	from tg_tickets.telegram import credentials

	bot_id = credentials.bot_id()
	first = wait_until(lambda: active_listener(listeners), 60)
	if not first:
		say("listener: no listener became active within 60 s")
		return
	say(f"listener: host {first[0]} is active, the other is standby")
	feed = frappe.cache.make_key("two_hosts:feed")
	lines, keys = [], []
	for n in range(updates):
		chat = chats[n % len(chats)]
		message_id = n // len(chats) + 1
		lines.append(capture_line(chat, message_id, f"message {message_id} from {chat}"))
		keys.append(f"{bot_id}:{chat}:{message_id}:message")
	kill_at, killed_at, takeover = updates // 3, None, None
	for n, line in enumerate(lines):
		frappe.cache.rpush("two_hosts:feed", line)  # RedisWrapper.rpush adds the site prefix
		if n == kill_at:
			wait_until(lambda: frappe.cache.llen("two_hosts:feed") < 20, 30, poll=0.05)  # it is busy storing
			host, _since = active_listener(listeners)
			os.killpg(listeners[host].pid, signal.SIGKILL)
			listeners[host].wait()
			killed_at = time.time()
			killed_host = host
			say(f"listener: SIGKILL to host {host}'s active listener after {n + 1} updates were sent")
		time.sleep(1 / rate)
		if killed_at and takeover is None:
			now_active = active_listener({h: p for h, p in listeners.items() if p.poll() is None})
			if now_active and now_active[1] > killed_at:
				takeover = (now_active[0], now_active[1] - killed_at)
	if takeover is None:
		now_active = wait_until(lambda: (lambda a: a if a and a[1] > killed_at else None)(active_listener(listeners)), 60)
		takeover = (now_active[0], now_active[1] - killed_at) if now_active else None
	say("listener: " + (f"host {takeover[0]} took over {takeover[1]:.1f} s after the SIGKILL (limit 30 s)"
						if takeover else "NO takeover within 60 s"))
	listeners[f"{killed_host} (restarted)"] = start(killed_host, "listener-restarted", listener_command(killed_host))
	say(f"listener: host {killed_host}'s listener restarted (supervisor's autorestart): it waits as standby")
	stored = wait_until(lambda: (frappe.db.sql("select count(distinct update_key) from `tabTelegram Update` where update_key in %s",
											   (tuple(keys),))[0][0] >= len(keys)) or None, 120)
	rows, distinct = frappe.db.sql("select count(*), count(distinct update_key) from `tabTelegram Update` where update_key in %s",
								   (tuple(keys),))[0]
	wait_until(lambda: frappe.db.count("Telegram Update", {"update_key": ("in", keys), "status": "Pending"}) == 0, 300, poll=1)
	messages = frappe.db.sql("""select count(*), count(distinct chat, message_id) from `tabTelegram Message`
		where direction = 'Incoming' and chat in %s""", (chats,))[0]
	say(f"listener: updates sent {len(keys)}, stored {distinct} (lost {len(keys) - distinct}, duplicated {rows - distinct}); "
		f"messages {messages[0]} (duplicated {messages[0] - messages[1]})" + ("" if stored else " — NOT all stored within 120 s"))


JOB_ID = "two-hosts-job-"
MINUTE_JOB = "scheduled_job::tg_tickets.telegram.health.check_listener)"


def minute_job_runs(workers: dict) -> dict[str, list[str]]:
	"""Per host, the minutes (HH:MM) in which its worker finished the scheduler's minute job."""
	runs = {}
	for host, process in workers.items():
		with open(process.log_path, errors="replace") as handle:
			runs[host] = [line[11:16] for line in handle if "Job OK" in line and MINUTE_JOB in line]
	return runs


def scheduler_phase(workers: dict) -> None:
	wait_until(lambda: sum(len(r) for r in minute_job_runs(workers).values()) >= 2, 150, poll=2)
	runs = minute_job_runs(workers)
	minutes = sorted(m for r in runs.values() for m in r)
	twice = sorted({m for m in minutes if minutes.count(m) > 1})
	say(f"scheduler (host A only): the minute job health.check_listener ran {len(minutes)} times "
		f"(host A's worker {len(runs['A'])}, host B's worker {len(runs['B'])}) in minutes {', '.join(minutes) or '-'}; "
		f"twice in a minute: {', '.join(twice) if twice else 'never'}")


def listener_command(host: str) -> list[str]:
	return [os.path.join(bench_dir(host), "env", "bin", "python"), os.path.join(SCRIPTS, "two_hosts_listener.py"), SITE, host]


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
	parser.add_argument("--requests", type=int, default=100, help="web requests per host")
	parser.add_argument("--jobs", type=int, default=200)
	parser.add_argument("--updates", type=int, default=1500)
	parser.add_argument("--chats", type=int, default=150)
	parser.add_argument("--rate", type=float, default=100, help="updates per second from 'Telegram'")
	args = parser.parse_args()
	connect()
	chats = our_chats(args.chats)
	cleanup(chats)
	configure()
	make_host_b()
	say(f"host A: {BENCH_A} (port {PORTS['A']}); host B: {BENCH_B} (port {PORTS['B']}); one MariaDB "
		f"({frappe.conf.db_host or 'localhost'}), one Redis ({frappe.conf.redis_queue})")
	try:
		for host, port in PORTS.items():
			start(host, "web", frappe_command(host, "serve", "--port", str(port), "--noreload"))
		workers = {host: start(host, "worker", frappe_command(host, "worker", "--queue", "default,short")) for host in PORTS}
		start("A", "scheduler", frappe_command("A", "schedule"))
		listeners = {"A": start("A", "listener", listener_command("A"))}
		wait_until(lambda: active_listener(listeners), 60)
		listeners["B"] = start("B", "listener", listener_command("B"))
		for port in PORTS.values():
			wait_until(lambda port=port: _answers(port), 120, poll=0.5)
		web_phase(args.requests)
		jobs_phase(workers, args.jobs)
		listener_phase(listeners, args.updates, chats, args.rate)
		scheduler_phase(workers)
	finally:
		drain_queues()
		stop_all()
		cleanup(chats)
		say(f"logs: {BENCH_A}/logs/two-hosts-*-A.log, {BENCH_B}/logs/two-hosts-*-B.log")


def drain_queues() -> None:
	"""The hosts' workers finish what is queued (the inbox enqueues a job per stored batch), so the bench's other
	sites' workers do not inherit this run's leftovers."""
	from frappe.utils.background_jobs import get_queue

	queues = [get_queue(name) for name in ("default", "short")]
	wait_until(lambda: all(queue.count == 0 for queue in queues), 300, poll=1)


def _answers(port: int) -> bool:
	try:
		return requests.get(f"http://127.0.0.1:{port}/api/method/ping", headers={"Host": SITE}, timeout=5).ok
	except requests.RequestException:
		return False


if __name__ == "__main__":
	main()
