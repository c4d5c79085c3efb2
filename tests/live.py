"""Runs the test bench's processes (web, socketio, RQ worker, scheduler tick on demand) for tests that
talk to the site like a user would: REST clients and the browser."""

import os
import signal
import subprocess
import time
from pathlib import Path

import requests

WEB_PORT = int(os.environ.get("TG_TEST_WEB_PORT", "8100"))
# "dev": `frappe serve` (werkzeug, one process, static files from Python); "production": gunicorn behind nginx
# (tests/production_web.py).
WEB_SERVERS = ("dev", "production")
WEB_SERVER = os.environ.get("TG_TEST_WEB_SERVER", "dev")


class LiveSite:
	def __init__(self, site: str, processes: list[subprocess.Popen], url: str, web_server: str):
		self.site = site
		self.processes = processes
		self.url = url
		self.web_server = web_server

	@classmethod
	def start(cls, site: str, web_server: str | None = None) -> "LiveSite":
		web_server = web_server or WEB_SERVER
		if web_server not in WEB_SERVERS:
			raise ValueError(f"unknown web server {web_server!r}; one of {', '.join(WEB_SERVERS)}")
		bench = Path(os.environ["TG_TICKETS_BENCH"])
		logs = bench / "logs"
		logs.mkdir(exist_ok=True)
		python = str(bench / "env" / "bin" / "python")
		frappe_cli = [python, "-m", "frappe.utils.bench_helper", "frappe", "--site", site]
		commands = {
			"worker": frappe_cli + ["worker", "--queue", "short,default,long"],  # short first, as a production short worker
			"socketio": ["node", str(bench / "apps" / "frappe" / "socketio.js")],
		}
		if web_server == "dev":
			commands["web"] = frappe_cli + ["serve", "--port", str(WEB_PORT), "--noreload"]
			# DEV_SERVER=1 makes the desk page point the browser at socketio's own port (no proxy in
			# front), which realtime updates in the browser tests need.
			env = {**os.environ, "DEV_SERVER": "1"}
		else:
			from tests import production_web

			commands.update(production_web.commands(bench, site, WEB_PORT))
			# nginx proxies /socket.io as in production; Frappe runs without its dev-server shortcuts.
			env = {k: v for k, v in os.environ.items() if k != "DEV_SERVER"}
		processes = []
		for name, cmd in commands.items():
			log = open(logs / f"test-{name}.log", "ab")
			processes.append(
				subprocess.Popen(
					cmd, cwd=bench / "sites", stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
				)
			)
		url = f"http://127.0.0.1:{WEB_PORT}"
		live = cls(site, processes, url, web_server)
		live.wait_until_up()
		return live

	def wait_until_up(self, timeout: float = 60):
		deadline = time.time() + timeout
		while time.time() < deadline:
			try:
				if requests.get(self.url + "/api/method/ping", timeout=2).ok:
					return
			except requests.RequestException:
				pass
			time.sleep(0.3)
		self.stop()
		raise RuntimeError(f"the test web server did not answer on {self.url}")

	def describe(self) -> str:
		if self.web_server == "dev":
			return "dev: frappe serve (werkzeug, one process; static files from Python)"
		from tests import production_web

		return production_web.description()

	def stop(self):
		for process in self.processes:
			try:
				os.killpg(process.pid, signal.SIGTERM)
			except ProcessLookupError:
				pass
		for process in self.processes:
			try:
				process.wait(timeout=10)
			except subprocess.TimeoutExpired:
				os.killpg(process.pid, signal.SIGKILL)

	def session(self, user: str, password: str) -> "ApiClient":
		client = ApiClient(self.url)
		client.login(user, password)
		return client


class ApiClient(requests.Session):
	"""A logged-in REST client: the way integrations and the desk reach the server."""

	def __init__(self, base_url: str):
		super().__init__()
		self.base_url = base_url

	def login(self, user: str, password: str):
		response = self.post(self.base_url + "/api/method/login", data={"usr": user, "pwd": password})
		response.raise_for_status()

	def call(self, method: str, http="POST", **params):
		url = f"{self.base_url}/api/method/{method}"
		if http == "GET":
			return self.get(url, params=params)
		return self.post(url, json=params)

	def resource(self, doctype: str, name: str | None = None) -> str:
		return f"{self.base_url}/api/resource/{doctype}" + (f"/{name}" if name else "")
