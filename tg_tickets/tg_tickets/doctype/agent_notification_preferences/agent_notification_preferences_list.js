// Opening the list takes a user straight to their own preferences (made from the admins' defaults the first
// time); admins and owners, who may read everyone's, see the list.
frappe.listview_settings["Agent Notification Preferences"] = {
	onload() {
		if (tg_tickets.actions().manage_sla || frappe.session.user === "Administrator") return;
		frappe.xcall("tg_tickets.api.notify.my_preferences").then((name) =>
			frappe.set_route("Form", "Agent Notification Preferences", name)
		);
	},
};
