// A Telegram message's form: a flagged one (posted outside any ticket) says so and offers the fixes;
// any message can be moved to another ticket. The server checks the rights (tg_tickets.api.telegram).
frappe.ui.form.on("Telegram Message", {
	refresh(frm) {
		if (frm.doc.flagged) {
			frm.dashboard.set_headline(
				__("Flagged: {0}", [frappe.utils.escape_html(frm.doc.flag_reason || __("posted outside any ticket"))]),
				"red"
			);
		}
		const actions = tg_tickets.actions();
		if (!actions.write || frm.doc.message_kind !== "Message") return;
		frm.add_custom_button(frm.doc.ticket ? __("Move to another ticket") : __("Move to a ticket"), () =>
			tg_tickets.move_messages([frm.doc.name], { exclude: frm.doc.ticket }).then(
				() => frm.reload_doc(),
				(error) => frappe.msgprint(error.message)
			)
		);
		if (frm.doc.flagged && actions.create) {
			frm.add_custom_button(__("Create ticket"), () =>
				tg_tickets.tickets_from_messages([frm.doc.name]).then(
					() => frm.reload_doc(),
					(error) => frappe.msgprint(error.message)
				)
			);
		}
	},
});
