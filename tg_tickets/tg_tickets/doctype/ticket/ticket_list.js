// The Ticket list is the agents' ticket table; the widgets live in the tg_tickets desk bundle.
frappe.listview_settings["Ticket"] = {
	hide_name_column: true,
	// The fields a row shows besides the list view's own (the server's list, shipped in boot, and the
	// custom fields); read each time the list sets up its fields.
	get add_fields() {
		return tg_tickets.row_fields();
	},
	primary_action() {
		tg_tickets.new_ticket({ on_created: () => tg_tickets.reload_table() });
	},
	onload(listview) {
		tg_tickets.attach_ticket_table(listview);
	},
	refresh(listview) {
		if (!tg_tickets.actions().create) listview.page.clear_primary_action();
		tg_tickets.ticket_table_refreshed(listview);
	},
};
