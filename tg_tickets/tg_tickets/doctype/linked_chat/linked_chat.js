// A chat's page: its tickets and "Create ticket" pre-linked to it (widgets in the tg_tickets bundle).
frappe.ui.form.on("Linked Chat", {
	refresh(frm) {
		tg_tickets.chat_tickets_panel(frm);
	},
});
