// The full Ticket form: the same rules as the side sheet (closed = read-only except status; controls only
// for what the role may do) and chat avatars that lead back to each chat.
frappe.ui.form.on("Ticket", {
	setup(frm) {
		// Frappe's New Email writes to the customer's address (the backup channel during a Telegram outage)
		frm.email_field = "customer_email";
	},
	refresh(frm) {
		const actions = tg_tickets.actions();
		const closed = frm.doc.status === "CLOSED" && !frm.is_new();
		frm.meta.fields.forEach((df) => {
			if (frappe.model.no_value_type.includes(df.fieldtype) && df.fieldtype !== "Table MultiSelect") return;
			if (df.read_only) return;
			frm.set_df_property(df.fieldname, "read_only", (closed && df.fieldname !== "status") || !actions.write ? 1 : 0);
		});
		if (!actions.write && !frm.is_new()) frm.disable_save();
		frm.set_intro(closed ? __("This ticket is closed and read-only. Change its status to reopen it.") : "");
		render_chat_links(frm);
		render_conversation(frm);
		render_audit(frm, actions);
		if (!frm.is_new() && tg_tickets.lifecycle.can_escalate(frm.doc)) {
			frm.add_custom_button(__("Escalate"), () => tg_tickets.lifecycle.escalate(frm.doc.name).then(() => frm.reload_doc(), () => {}));
		}
	},
});

// The same conversation and reply box as the side sheet's Telegram tab (canned responses, suggestions).
function render_conversation(frm) {
	if (frm.is_new()) return;
	const $wrapper = frm.fields_dict.telegram_conversation.$wrapper;
	if (!frm.tg_conversation || !$.contains(document, frm.tg_conversation.$el.get(0))) {
		$wrapper.empty();
		frm.tg_conversation = new tg_tickets.Conversation({
			$parent: $wrapper,
			on_error: (message) => {
				$wrapper.find(".tg-form-reply-error").remove();
				if (message) $(`<div class="alert alert-danger tg-form-reply-error" role="alert"></div>`).text(message).prependTo($wrapper);
			},
			on_ticket_created: () => {},
		});
	}
	frm.tg_conversation.show(frm.doc.name);
}

function render_chat_links(frm) {
	const chats = (frm.doc.chats || []).map((row) => ({ name: row.chat, title: row.chat }));
	if (!chats.length || frm.is_new()) return;
	frappe.xcall("tg_tickets.api.ticket.get_row", { name: frm.doc.name }).then((row) => {
		frm.dashboard.clear_headline();
		frm.dashboard.set_headline(`<span class="tg-form-chats">${__("Chats")}: ${tg_tickets.badges.chats(row.chats, 10)}</span>`);
	});
}

// The Audit tab (admins and owners): who opened the ticket, who changed what, prints and exports. The server
// refuses the trail to anyone else; the tab is hidden for them.
function render_audit(frm, actions) {
	const may_read = !frm.is_new() && (actions.role === "Tickets Admin" || actions.role === "Tickets Owner");
	frm.toggle_display("audit_tab", may_read);
	frm.toggle_display("audit_html", may_read);
	if (!may_read) return;
	const $wrapper = frm.fields_dict.audit_html.$wrapper;
	frappe.xcall("tg_tickets.api.privacy.ticket_audit", { ticket: frm.doc.name }).then((rows) => {
		const label = { view: __("Viewed"), change: __("Changed"), print: __("Printed"), export: __("Exported") };
		const body = rows.map((r) => `<tr class="tg-audit-row" data-kind="${r.kind}">
			<td>${frappe.datetime.str_to_user(r.at)}</td><td>${label[r.kind] || r.kind}</td>
			<td>${frappe.utils.escape_html(r.user || "")}</td><td>${frappe.utils.escape_html(r.detail || "")}</td></tr>`);
		$wrapper.html(`<table class="table table-sm tg-audit"><thead><tr><th>${__("When")}</th><th>${__("What")}</th>
			<th>${__("Who")}</th><th>${__("Details")}</th></tr></thead><tbody>${body.join("") ||
			`<tr><td colspan="4">${__("Nothing recorded yet.")}</td></tr>`}</tbody></table>`);
	}, () => $wrapper.empty());
}
