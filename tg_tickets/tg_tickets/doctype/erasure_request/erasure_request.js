// Erasure Request (owners): carried out on demand, after a confirmation.
frappe.ui.form.on("Erasure Request", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.status === "Done") return;
		frm.add_custom_button(__("Erase now"), () =>
			frappe.confirm(__("Remove everything about Telegram user {0}? This cannot be undone.", [frm.doc.telegram_user_id]), () =>
				frappe.xcall("tg_tickets.api.privacy.erase_customer", { request: frm.doc.name }).then(() => frm.reload_doc())
			)
		);
	},
});
