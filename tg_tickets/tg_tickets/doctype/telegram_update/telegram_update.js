// A failed inbox row: its error, and "Retry" for admins (the server checks the role).
frappe.ui.form.on("Telegram Update", {
	refresh(frm) {
		if (frm.doc.status !== "Failed") return;
		frm.dashboard.set_headline(__("Processing failed {0} times: {1}", [frm.doc.attempts, frappe.utils.escape_html(frm.doc.error || "")]), "red");
		frm.add_custom_button(__("Retry"), () =>
			frappe
				.xcall("tg_tickets.api.telegram.retry_failed_updates", { names: [frm.doc.name] })
				.then(() => frm.reload_doc())
		);
	},
});
