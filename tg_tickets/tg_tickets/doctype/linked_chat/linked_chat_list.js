// Linked Chat list: the Tickets column counts the tickets that reference each chat.
frappe.listview_settings["Linked Chat"] = {
	add_fields: ["ticket_count", "photo"],
	formatters: {
		ticket_count(value) {
			return `<span class="tg-ticket-count" title="${__("Tickets referencing this chat")}">${value || 0}</span>`;
		},
	},
};
