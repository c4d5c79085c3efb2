// Broadcast follow-up on the Telegram Message list: show recent incoming messages from the chats of a tagged
// segment, then open tickets one by one for the selected messages, each pre-linked to its chat.
// Flagged messages (posted outside any ticket) are marked and can be moved to a ticket or made into one.
import { move_messages, tickets_from_messages } from "./message_actions";

const DELIVERY_COLOURS = { Queued: "orange", Sent: "green", Failed: "red" };

frappe.listview_settings["Telegram Message"] = Object.assign(frappe.listview_settings["Telegram Message"] || {}, {
	add_fields: ["chat", "text", "direction", "flagged", "is_deleted", "status", "ticket"],
	get_indicator(doc) {
		if (doc.flagged) return [__("Flagged: needs a ticket"), "red", "flagged,=,1"];
		if (doc.is_deleted) return [__("Deleted"), "gray", "is_deleted,=,1"];
		if (doc.direction === "Outgoing" && doc.status) {
			return [__(doc.status), DELIVERY_COLOURS[doc.status] || "gray", `status,=,${doc.status}`];
		}
		return [__(doc.direction || "Incoming"), "blue", `direction,=,${doc.direction || "Incoming"}`];
	},
	onload(listview) {
		listview.page.add_inner_button(__("Broadcast follow-up"), () => segment_dialog(listview));
		const actions = tg_tickets.actions();
		if (actions.create) {
			listview.page.add_actions_menu_item(__("Open tickets one by one"), () => open_tickets(listview), false);
		}
		if (actions.write) {
			listview.page.add_inner_button(__("Flagged messages"), () =>
				listview.filter_area.clear(false).then(() => listview.filter_area.add([["Telegram Message", "flagged", "=", 1]]))
			);
			listview.page.add_actions_menu_item(__("Move to ticket"), () => move_selected(listview), false);
			if (actions.create) {
				listview.page.add_actions_menu_item(__("Create a ticket from each"), () => tickets_from_selected(listview), false);
			}
		}
	},
});

function move_selected(listview) {
	const names = listview.get_checked_items(true);
	if (names.length) after(move_messages(names), listview);
}

function tickets_from_selected(listview) {
	const names = listview.get_checked_items(true);
	if (names.length) after(tickets_from_messages(names), listview);
}

function after(action, listview) {
	action
		.catch((error) => frappe.msgprint({ message: error.message, indicator: "red", title: __("Not done") }))
		.finally(() => listview.refresh());
}

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
					fields: ["name"],
					filters: [["_user_tags", "like", `%${tag}%`]],
					limit_page_length: 1000,
				})
				.then((rows) => {
					const chats = rows.map((r) => r.name);
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
