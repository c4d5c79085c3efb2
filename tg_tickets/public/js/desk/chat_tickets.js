// On a Linked Chat's page: the tickets that reference the chat, and "Create ticket" pre-linked to it.
import { badges } from "./format";
import { server } from "./server";

const esc = badges.esc;

export function chat_tickets_panel(frm) {
	const chat = { name: frm.doc.name, title: frm.doc.title, username: frm.doc.username, photo: frm.doc.photo };
	if (tg_tickets.actions().create && !frm.is_new()) {
		frm.add_custom_button(__("Create ticket"), () =>
			tg_tickets.new_ticket({ chats: [chat], on_created: () => render_list(frm) })
		).addClass("btn-primary tg-create-ticket-from-chat");
	}
	if (!frm.is_new()) render_list(frm);
}

function render_list(frm) {
	const $wrapper = frm.fields_dict.tickets_html
		? frm.fields_dict.tickets_html.$wrapper
		: ensure_section(frm);
	$wrapper.html(`<div class="text-muted">${__("Loading tickets...")}</div>`);
	server.call("tg_tickets.api.chat.chat_tickets", { chat: frm.doc.name }).then((tickets) => {
		$wrapper.html(`<div class="tg-chat-tickets">
			<div class="tg-chat-tickets-head"><b>${__("Tickets")}</b>
				<span class="text-muted">(${frm.doc.ticket_count || tickets.length})</span></div>
			${
				tickets.length
					? `<table class="table table-sm"><tbody>${tickets
							.map(
								(t) => `<tr class="tg-chat-ticket" data-name="${esc(t.name)}">
								<td><a href="/app/ticket/${encodeURIComponent(t.name)}">${badges.ticket_id(t.name)}</a></td>
								<td>${esc(t.title)}</td><td>${badges.status(t.status)}</td>
								<td>${badges.priority(t.priority)}</td><td>${badges.user(t.assigned_to)}</td>
								<td class="text-muted">${frappe.datetime.comment_when(t.creation)}</td></tr>`
							)
							.join("")}</tbody></table>`
					: `<div class="text-muted">${__("No tickets reference this chat yet.")}</div>`
			}</div>`);
	});
}

function ensure_section(frm) {
	let $section = frm.$wrapper.find(".tg-chat-tickets-section");
	if (!$section.length) {
		$section = $(`<div class="tg-chat-tickets-section form-section card-section"></div>`);
		frm.layout.wrapper.append($section);
	}
	return $section;
}
