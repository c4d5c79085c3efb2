// The listener's inbox for admins: Failed rows stand out and can be re-queued with "Retry".
const UPDATE_COLOURS = { Pending: "orange", Processed: "green", Failed: "red" };

frappe.listview_settings["Telegram Update"] = {
	add_fields: ["status", "attempts", "error", "next_attempt_at"],
	get_indicator(doc) {
		const label = doc.status === "Pending" && doc.next_attempt_at ? __("Retrying") : __(doc.status);
		return [label, UPDATE_COLOURS[doc.status] || "gray", `status,=,${doc.status}`];
	},
	onload(listview) {
		listview.page.add_inner_button(__("Failed"), () =>
			listview.filter_area.clear(false).then(() => listview.filter_area.add([["Telegram Update", "status", "=", "Failed"]]))
		);
		listview.page.add_actions_menu_item(__("Retry"), () => {
			const names = listview.get_checked_items(true);
			if (!names.length) return;
			retry_updates(names).then(() => listview.refresh());
		}, false);
	},
};

function retry_updates(names) {
	return frappe
		.xcall("tg_tickets.api.telegram.retry_failed_updates", { names })
		.then((r) => frappe.show_alert({ message: __("{0} update(s) queued again", [r.requeued.length]), indicator: "green" }));
}
