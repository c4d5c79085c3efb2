"""bench CLI: `bench --site SITE tg-tickets listen | replay FILE | status` (Frappe finds `commands` here)."""

import click
from frappe.commands import get_site, pass_context

from tg_tickets import worker_preload

# The bench CLI imports this module in every bench process, `bench worker` included: the one place an app can
# warm a worker before RQ forks a work horse per job (see worker_preload.py for the figures).
worker_preload.preload_if_worker()


@click.group("tg-tickets")
def tg_tickets():
	"""Telegram sync for tg_tickets."""


@tg_tickets.command("listen")
@pass_context
def listen(context):
	"""Run the bot's Telethon listener (one active per bot; others wait as standby)."""
	import logging

	import frappe

	from tg_tickets.telegram import listener

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
	try:
		listener.main()
	except listener.ListenerError as error:
		click.secho(str(error), fg="red", err=True)
		raise SystemExit(1)
	finally:
		frappe.destroy()


@tg_tickets.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--batch-size", default=200, show_default=True, help="Updates stored per commit")
@pass_context
def replay(context, file, batch_size):
	"""Feed captured updates (one base64 TL object per line) through the listener's handlers."""
	import frappe

	from tg_tickets.telegram import replay as replay_module

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		counts = replay_module.replay_file(file, batch_size=batch_size, report=lambda m: click.echo(m, err=True))
	finally:
		frappe.destroy()
	click.echo(f"processed: {counts['processed']}, duplicate: {counts['duplicate']}, failed: {counts['failed']}")


@tg_tickets.command("status")
@pass_context
def status(context):
	"""Which host's listener is active, whether Telegram answers, what waits (replies, inbox)."""
	import frappe

	from tg_tickets.telegram import health

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		found = health.report()
	finally:
		frappe.destroy()
	click.echo(f"transport: {found['transport']}  bot: {found['bot_id'] or '(no credentials)'}")
	click.echo(f"listener: {found['listener'] or 'NONE holds the lock'}")
	state = found["outage"]
	if state.get("active"):
		click.echo(f"outage: since {state['since']}, affected {', '.join(state['affected'])}: {state['reason']}")
	else:
		click.echo("outage: none (Telegram answers)")
	click.echo(f"queued replies: {found['queued_replies']}  inbox pending: {found['inbox_pending']}  inbox failed: {found['inbox_failed']}")


commands = [tg_tickets]
