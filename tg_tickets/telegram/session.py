"""Telethon's session of a bot, kept in the site's database instead of a SQLite file on one host.

Whichever listener holds the bot's lock, on whatever host, loads the last saved update state (pts/qts/date/seq
of the account, pts per channel) and the peers seen so far, so `catch_up` fetches what was missed while the
previous listener was down. The auth key is stored encrypted (Frappe's Password storage); nothing here logs
it. Only the lock holder may use a bot's session (Telegram kills a key used by two connections at once).

Telethon calls `save()` after login, every minute from its keepalive loop and on disconnect; writes go only
for what changed. Update state is saved as Telethon has *received* it, not as we have stored it: handlers
must stay idempotent (the inbox's unique key), exactly as with Telethon's own SQLite session.
"""

import base64
import json
import os
from datetime import datetime, timezone

import frappe
from frappe.utils import now_datetime
from frappe.utils.password import get_decrypted_password, remove_encrypted_password, set_encrypted_password
from telethon.crypto import AuthKey
from telethon.sessions import MemorySession
from telethon.tl import types

from tg_tickets.tickets import bulk

SESSION = "Telegram Session"
ENTITY = "Telegram Session Entity"


class DatabaseSession(MemorySession):
	"""A Telethon MemorySession that loads from and saves to the Telegram Session doctypes."""

	def __init__(self, bot_id: int | str):
		super().__init__()
		self.bot_id = str(bot_id)
		self._rows: dict[int, tuple] = {}  # marked peer id → (id, hash, username, phone, name)
		self._unsaved_rows: set[int] = set()
		self._saved_header = None
		self._saved_states = None
		self._load()

	# --- loading ------------------------------------------------------------------------------------

	def _load(self) -> None:
		row = frappe.db.get_value(SESSION, self.bot_id, ["dc_id", "server_address", "port", "update_state"], as_dict=True)
		if not row:
			return
		if row.dc_id:
			self._dc_id, self._server_address, self._port = row.dc_id, row.server_address, row.port
		key = get_decrypted_password(SESSION, self.bot_id, "auth_key", raise_exception=False)
		self._auth_key = AuthKey(data=base64.b64decode(key)) if key else None
		for entity_id, (pts, qts, date, seq) in json.loads(row.update_state or "{}").items():
			self._update_states[int(entity_id)] = types.updates.State(
				pts=pts, qts=qts, date=datetime.fromtimestamp(date, tz=timezone.utc), seq=seq, unread_count=0
			)
		self._saved_header = self._header()
		self._saved_states = self._states_json()

	# --- Telethon's Session interface ---------------------------------------------------------------

	def process_entities(self, tlo) -> None:
		for row in self._entities_to_rows(tlo):
			if self._rows.get(row[0]) != row:
				self._rows[row[0]] = row
				self._unsaved_rows.add(row[0])

	def get_entity_rows_by_id(self, id, exact=True):
		from telethon import utils
		from telethon.tl.types import PeerChannel, PeerChat, PeerUser

		ids = [id] if exact else [utils.get_peer_id(p(id)) for p in (PeerUser, PeerChat, PeerChannel)]
		for marked in ids:
			if marked in self._rows:
				return self._rows[marked][:2]
		return self._find("entity_id", [str(i) for i in ids])

	def get_entity_rows_by_username(self, username):
		found = next((r[:2] for r in self._rows.values() if r[2] == username), None)
		return found or self._find("username", [username])

	def get_entity_rows_by_phone(self, phone):
		found = next((r[:2] for r in self._rows.values() if r[3] == phone), None)
		return found or self._find("phone", [phone])

	def get_entity_rows_by_name(self, name):
		found = next((r[:2] for r in self._rows.values() if r[4] == name), None)
		return found or self._find("display_name", [name])

	def save(self) -> None:
		"""Writes what changed since the last save, and commits (the listener's transaction holds nothing else
		between its own commits)."""
		header, states = self._header(), self._states_json()
		if header != self._saved_header or states != self._saved_states:
			values = {
				"dc_id": self._dc_id, "server_address": self._server_address, "port": self._port,
				"update_state": states, "saved_at": now_datetime(), "saved_by": f"{os.uname().nodename}:{os.getpid()}",
			}
			if frappe.db.exists(SESSION, self.bot_id):
				frappe.db.set_value(SESSION, self.bot_id, values, update_modified=False)
			else:
				frappe.get_doc({"doctype": SESSION, "bot_id": self.bot_id, **values}).db_insert()
			if self._auth_key is not None:
				set_encrypted_password(SESSION, self.bot_id, base64.b64encode(self._auth_key.key).decode(), "auth_key")
			else:
				remove_encrypted_password(SESSION, self.bot_id, "auth_key")
		if self._unsaved_rows:
			self._save_rows([self._rows[i] for i in sorted(self._unsaved_rows)])
		frappe.db.commit()
		self._saved_header, self._saved_states = header, states
		self._unsaved_rows.clear()

	def delete(self) -> None:
		"""Log-out: the key and everything the session knew are gone."""
		remove_encrypted_password(SESSION, self.bot_id, "auth_key")
		frappe.db.delete(ENTITY, {"bot_id": self.bot_id})
		frappe.db.delete(SESSION, {"name": self.bot_id})
		frappe.db.commit()
		super().delete()

	# --- storage ------------------------------------------------------------------------------------

	def _header(self) -> tuple:
		return (self._dc_id, self._server_address, self._port, self._auth_key.key if self._auth_key else None)

	def _states_json(self) -> str:
		return json.dumps(
			{
				str(entity_id): [s.pts, s.qts, int(s.date.timestamp()) if s.date else 0, s.seq]
				for entity_id, s in sorted(self._update_states.items())
			}
		)

	def _find(self, column: str, values: list):
		row = frappe.db.sql(
			f"select entity_id, access_hash, username, phone, display_name from `tab{ENTITY}` "
			f"where bot_id = %s and `{column}` in %s limit 1",
			(self.bot_id, tuple(values)),
		)
		if not row:
			return None
		entity_id, access_hash, username, phone, name = row[0]
		self._rows[int(entity_id)] = (int(entity_id), int(access_hash or 0), username, phone, name)
		return int(entity_id), int(access_hash or 0)

	def _save_rows(self, rows: list[tuple]) -> None:
		bulk.insert_rows(
			ENTITY,
			("name", "bot_id", "entity_id", "access_hash", "username", "phone", "display_name"),
			[
				(f"{self.bot_id}:{entity_id}", self.bot_id, str(entity_id), str(access_hash), username, phone, name)
				for entity_id, access_hash, username, phone, name in rows
			],
			update_on_duplicate=("access_hash", "username", "phone", "display_name", "modified"),
		)
