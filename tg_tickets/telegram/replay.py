"""`bench --site SITE tg-tickets replay FILE`: captured updates through exactly the live listener's handler.

FILE holds one base64 TL object per line (Telethon's bytes(obj)): Updates / UpdatesCombined with their users
and chats, UpdateShortMessage / UpdateShortChatMessage, or a single update. A line that cannot be decoded is
reported with its number and the rest still runs. Never bypasses the inbox: processing is the RQ job's.
"""

import asyncio
import base64

from tg_tickets.telegram import normalise
from tg_tickets.telegram.listener import Listener


def offline_client(bot_id: int):
	"""A never-connected client: Telethon's dispatch and event builders run, nothing touches the network."""
	from telethon import TelegramClient
	from telethon.sessions import StringSession

	client = TelegramClient(StringSession(), 1, "0" * 32)
	client._mb_entity_cache.set_self_user(bot_id or 1, True, 0)
	return client


def decode_line(line: str):
	from telethon.extensions import BinaryReader

	blob = base64.b64decode(line.strip(), validate=True)
	with BinaryReader(blob) as reader:
		return reader.tgread_object()


async def replay_lines(lines, listener: Listener, client, report=print) -> dict:
	counts = {"processed": 0, "duplicate": 0, "failed": 0}
	numbers = []
	for number, line in enumerate(lines, start=1):
		if not line.strip():
			continue
		try:
			updates = normalise.unpack(decode_line(line))
		except Exception as error:  # noqa: BLE001 - any broken line is reported, the rest still runs
			counts["failed"] += 1
			report(f"line {number}: cannot decode ({type(error).__name__}: {error})")
			continue
		numbers.append(number)
		listener.token = number
		for update in updates:
			await client._dispatch_update(update)
		if not updates:
			listener.outcome(number, "ignored")
	listener.flush()
	for number in numbers:
		outcomes = listener.outcomes.pop(number, ["ignored"])
		if "failed" in outcomes:
			counts["failed"] += 1
			report(f"line {number}: update could not be stored")
		elif "new" in outcomes:
			counts["processed"] += 1
		elif "duplicate" in outcomes:
			counts["duplicate"] += 1
		else:
			counts["processed"] += 1  # understood, nothing to store (e.g. a typing notification)
	return counts


def replay_file(path: str, bot_id: int | None = None, batch_size: int = 200, report=print) -> dict:
	from tg_tickets.telegram import credentials

	bot_id = bot_id if bot_id is not None else (credentials.bot_id() or 0)
	listener = Listener(bot_id, batch_size=batch_size)
	client = offline_client(bot_id)
	listener.register(client)
	with open(path, encoding="ascii", errors="replace") as handle:
		return asyncio.run(replay_lines(handle, listener, client, report))
