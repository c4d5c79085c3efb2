// The tg_tickets desk bundle: shared widgets for the ticket table, side sheet, new-ticket form and chat views.
// Doctype views (ticket_list.js, ticket.js, linked_chat.js) stay next to their doctypes and call into
// window.tg_tickets, which this bundle fills.
import { badges } from "./desk/format";
import { sla_ticker } from "./desk/sla_ticker";
import { server } from "./desk/server";
import { ticket_store } from "./desk/ticket_store";
import { SideSheet } from "./desk/side_sheet";
import { Conversation } from "./desk/conversation";
import { new_ticket } from "./desk/new_ticket";
import { attach_ticket_table, reload_ticket_table, row_fields, ticket_table_refreshed } from "./desk/ticket_table";
import { chat_tickets_panel } from "./desk/chat_tickets";
import { move_messages, tickets_from_messages } from "./desk/message_actions";
import "./desk/telegram_messages";
import { availability, can_claim, claim, mount_queue_dashboard, open_filtered } from "./desk/routing";
import { can_escalate, escalate } from "./desk/escalate";
import { outage_banner } from "./desk/outage_banner";

frappe.provide("tg_tickets");

Object.assign(tg_tickets, {
	badges,
	server,
	store: ticket_store,
	sheet: new SideSheet(),
	// The ticket's Telegram conversation and reply box (the side sheet's tab; the full form mounts its own).
	Conversation,
	new_ticket,
	attach_ticket_table,
	ticket_table_refreshed,
	row_fields,
	chat_tickets_panel,
	move_messages,
	tickets_from_messages,
	// Routing: the navbar's availability, Claim, and the queue dashboard (mounted by the workspace's block).
	routing: { availability, can_claim, claim, mount_queue_dashboard, open_filtered },
	// Lifecycle: an agent's Escalate with its reason (side sheet and full form).
	lifecycle: { can_escalate, escalate },
	// Reloads the open ticket table (e.g. with a ticket just created).
	reload_table() {
		if (window.cur_list && cur_list.doctype === "Ticket") reload_ticket_table(cur_list);
	},
	actions() {
		return (frappe.boot.tg_tickets && frappe.boot.tg_tickets.actions) || {};
	},
});

sla_ticker.start();
// Outage mode: the banner on every desk page while Telegram is not answering.
tg_tickets.outage_banner = outage_banner;
$(() => setTimeout(() => outage_banner.mount(), 0));
