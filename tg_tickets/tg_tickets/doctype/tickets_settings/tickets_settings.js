// Tickets Settings: "Test connection" logs the bot in on a session of its own and says precisely what is wrong
// (token, topic group membership, admin rights, topics); the outcome is kept in the Connection section.
frappe.ui.form.on("Tickets Settings", {
	refresh(frm) {
		if (!tg_tickets.actions().manage_sla) return; // admins and owners
		frm.add_custom_button(__("Test connection"), () => {
			if (frm.is_dirty()) {
				frappe.msgprint(__("Save the settings first: the test uses what is saved."));
				return;
			}
			frappe.call({
				method: "tg_tickets.api.telegram.test_connection",
				freeze: true,
				freeze_message: __("Asking Telegram…"),
				callback: (r) => {
					const ok = r.message.status === "OK";
					frappe.msgprint({
						title: ok ? __("Telegram connection works") : __("Telegram connection fails"),
						indicator: ok ? "green" : "red",
						message: frappe.utils.escape_html(r.message.message),
					});
					frm.reload_doc();
				},
			});
		});
	},
});
