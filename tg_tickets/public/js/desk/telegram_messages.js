// Broadcast follow-up on the Telegram Message list: show recent incoming messages from the chats of a tagged
// segment, then open tickets one by one for the selected messages, each pre-linked to its chat.
// The doctype comes from the Telegram integration; this only uses its chat, direction, date and text fields.

frappe.listview_settings["Telegram Message"] = Object.assign(frappe.listview_settings["Telegram Message"] || {}, {
	add_fields: ["chat", "text", "direction"],
	onload(listview) {
		listview.page.add_inner_button(__("Broadcast follow-up"), () => segment_dialog(listview));
		if (tg_tickets.actions().create) {
			listview.page.add_actions_menu_item(__("Open tickets one by one"), () => open_tickets(listview), false);
		}
	},
});

function segment_dialog(listview) {
	const dialog = new frappe.ui.Dialog({
		title: __("Recent incoming messages from a segment"),
		fields: [
			{ fieldname: "tag", fieldtype: "Link", options: "Tag", label: __("Chat tag"), reqd: 1 },
			{ fieldname: "days", fieldtype: "Int", label: __("Received in the last N days"), default: 3, reqd: 1 },
		],
		primary_action_label: __("Show"),
		primary_action: ({ tag, days }) => {
			frappe
				.xcall("frappe.client.get_list", {
					doctype: "Linked Chat",
					filters: [["_user_tags", "like", `%${tag}%`]],
					pluck: "name",
					limit_page_length: 1000,
				})
				.then((chats) => {
					dialog.hide();
					const since = frappe.datetime.add_days(frappe.datetime.now_datetime(), -days);
					const meta = frappe.get_meta("Telegram Message");
					const has = (f) => meta && meta.fields.some((df) => df.fieldname === f);
					const filters = [["Telegram Message", "chat", "in", chats.length ? chats : ["-"]]];
					if (has("direction")) filters.push(["Telegram Message", "direction", "=", "Incoming"]);
					const date_field = ["telegram_date", "date"].find(has);
					if (date_field) filters.push(["Telegram Message", date_field, ">=", since]);
					listview.filter_area.clear(false).then(() => listview.filter_area.add(filters));
				});
		},
	});
	dialog.show();
}

function open_tickets(listview) {
	const selected = listview.get_checked_items();
	const queue = selected.filter((m) => m.chat);
	const next = () => {
		const message = queue.shift();
		if (!message) return listview.refresh();
		tg_tickets.new_ticket({
			chats: [{ name: message.chat, title: message.chat_title || message.chat }],
			values: { description: message.text || "" },
			on_created: next,
		});
	};
	next();
}
