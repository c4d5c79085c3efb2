"""One host's listener for scripts/two-hosts: the real "one active listener per bot" logic of
tg_tickets/telegram/listener.py (ListenerLock, wait_until_active, renewal every LOCK_RENEW s) and its real update
handler (Listener: normalise → store under the unique key → commit → enqueue), on a never-connected Telethon client
(replay.offline_client, as the tests use).

Telegram's side is played through Redis, the way Telegram treats a bot's connection: updates wait in a feed list;
only the connected client — the lock holder — takes them, each into its own in-flight list until it is stored and
committed (Telegram keeps an update until the client acknowledges it); the listener that becomes active first gets
back what a dead one had taken but not stored. Usage (from a host's sites folder, with the bench's python):
    python two_hosts_listener.py SITE HOST_LABEL
"""

import asyncio
import os
import sys
import time

import frappe

FEED = "two_hosts:feed"
INFLIGHT = "two_hosts:inflight:"


def main(site: str, host: str) -> None:
	from tg_tickets.telegram import credentials, listener, normalise, replay

	frappe.init(site=site, sites_path=os.getcwd())
	frappe.connect()
	bot_id = credentials.bot_id()
	lock = listener.ListenerLock(bot_id)
	print(f"{host}: started, token {lock.token}", flush=True)
	listener.wait_until_active(lock, bot_id)
	print(f"{host}: ACTIVE at {time.time():.3f} token {lock.token}", flush=True)
	cache = frappe.cache
	feed, mine = cache.make_key(FEED), cache.make_key(INFLIGHT + lock.token)
	for key in cache.scan_iter(cache.make_key(INFLIGHT) + b"*"):  # unacknowledged by a listener that is gone
		if key != mine:
			moved = 0
			while cache.lmove(key, feed, "RIGHT", "LEFT"):
				moved += 1
			print(f"{host}: Telegram redelivers {moved} unacknowledged updates", flush=True)
	handler = listener.Listener(bot_id, keep_on_failure=True)
	client = replay.offline_client(bot_id)
	handler.register(client)

	async def keep_lock():
		while True:
			await asyncio.sleep(listener.LOCK_RENEW)
			if not lock.renew():
				print(f"{host}: lost the lock; stopping", flush=True)
				os._exit(3)

	async def serve():
		renewing = asyncio.create_task(keep_lock())
		loop = asyncio.get_running_loop()
		while not renewing.done():
			item = await loop.run_in_executor(None, lambda: cache.blmove(feed, mine, 1, "LEFT", "RIGHT"))
			if item is None:
				continue
			for update in normalise.unpack(replay.decode_line(item.decode())):
				await client._dispatch_update(update)  # as replay.py does: Telethon's own dispatch to the handler
			handler.flush()
			cache.lrem(mine, 1, item)  # acknowledged: stored and committed

	asyncio.run(serve())


if __name__ == "__main__":
	main(sys.argv[1], sys.argv[2])
