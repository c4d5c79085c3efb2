// Retention Policy (owners): a dry run shows the count first; "Run now" queues the run the nightly job does.
frappe.ui.form.on("Retention Policy", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Dry run"), () =>
			frappe.xcall("tg_tickets.api.privacy.retention_dry_run", { policy: frm.doc.name }).then((r) => {
				frappe.msgprint(__("{0} tickets would be {1} now.", [r.count, frm.doc.action === "Delete" ? __("deleted") : __("anonymised")]));
				frm.reload_doc();
			})
		);
		frm.add_custom_button(__("Run now"), () =>
			frappe.confirm(__("Apply this policy now? Deleted data cannot be restored."), () =>
				frappe.xcall("tg_tickets.api.privacy.retention_run_now", { policy: frm.doc.name }).then(() =>
					frappe.show_alert({ message: __("Queued: see Retention Run for the record."), indicator: "green" })
				)
			)
		);
		frm.add_custom_button(__("Runs"), () => frappe.set_route("List", "Retention Run", { policy: frm.doc.name }));
	},
});
