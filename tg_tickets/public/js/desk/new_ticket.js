// The new-ticket form: title, description, linked chats, priority, status, assignee, date, up to the file
// limit, custom fields and comments staged to be posted with the ticket, all created in one server call.
import { badges } from "./format";
import { server } from "./server";
import { ChatPicker } from "./chat_picker";
import { custom_fields } from "./ticket_fields";

const esc = badges.esc;

// Resolves with the dialog once the Ticket's fields (custom ones included) are known on this page.
export function new_ticket(options = {}) {
	return frappe.model.with_doctype("Ticket").then(() => make_dialog(options));
}

function make_dialog({ chats = [], values = {}, on_created } = {}) {
	const boot = frappe.boot.tg_tickets || {};
	const members = boot.members || [];
	const max_files = boot.max_files || 3;
	const staged = [];
	const file_fields = Array.from({ length: max_files }, (_, i) => ({
		fieldname: `file_${i + 1}`,
		fieldtype: "Attach",
		label: __("File {0}", [i + 1]),
	}));
	const extra = custom_fields().map((df) => Object.assign({}, df, { reqd: df.reqd }));

	const dialog = new frappe.ui.Dialog({
		title: __("New Ticket"),
		size: "large",
		fields: [
			{ fieldname: "title", fieldtype: "Data", label: __("Title"), reqd: 1 },
			{ fieldname: "chats_html", fieldtype: "HTML", label: __("Linked Chats") },
			{ fieldtype: "Column Break" },
			{
				fieldname: "priority",
				fieldtype: "Select",
				label: __("Priority"),
				options: boot.priorities || ["LOW", "MEDIUM", "HIGH"],
				default: boot.default_priority || "MEDIUM",
			},
			{
				fieldname: "status",
				fieldtype: "Select",
				label: __("Status"),
				options: boot.statuses || [],
				default: boot.default_status || "OPEN",
			},
			{
				fieldname: "assigned_to",
				fieldtype: "Select",
				label: __("Assign To"),
				options: [{ label: __("Unassigned"), value: "" }].concat(
					members.map((m) => ({ label: m.full_name || m.name, value: m.name }))
				),
			},
			{ fieldname: "date", fieldtype: "Date", label: __("Date") },
			{ fieldtype: "Section Break" },
			{ fieldname: "description", fieldtype: "Text", label: __("Description") },
			{ fieldtype: "Section Break", label: __("Files"), collapsible: 0 },
			...file_fields.flatMap((f, i) => (i ? [{ fieldtype: "Column Break" }, f] : [f])),
			...(extra.length ? [{ fieldtype: "Section Break", label: __("More fields") }, ...extra] : []),
			{ fieldtype: "Section Break", label: __("Comments") },
			{
				fieldname: "comment",
				fieldtype: "Small Text",
				label: __("Comment to post with the ticket"),
			},
			{
				fieldname: "stage_comment",
				fieldtype: "Button",
				label: __("Stage comment"),
				click: () => {
					// What the box shows now: the control's own value follows typing only after a debounce.
					const text = (dialog.fields_dict.comment.get_input_value() || "").trim();
					if (!text) return;
					staged.push(text);
					dialog.set_value("comment", "");
					render_staged();
				},
			},
			{ fieldname: "staged_html", fieldtype: "HTML" },
		],
		primary_action_label: __("Create"),
		primary_action: (data) => submit(data),
	});

	Object.entries(values).forEach(([k, v]) => dialog.set_value(k, v));
	const picker = new ChatPicker({ parent: dialog.fields_dict.chats_html.$wrapper, chats });
	dialog.fields_dict.chats_html.$wrapper.prepend(`<label class="control-label">${__("Linked Chats")}</label>`);
	dialog.$wrapper.addClass("tg-new-ticket");

	function render_staged() {
		dialog.fields_dict.staged_html.$wrapper.html(
			staged.length
				? `<ul class="tg-staged-comments">${staged
						.map((text, i) => `<li class="tg-staged-comment">${esc(text)}
							<a href="#" data-index="${i}" class="tg-unstage">${__("remove")}</a></li>`)
						.join("")}</ul>`
				: ""
		);
	}
	dialog.fields_dict.staged_html.$wrapper.on("click", ".tg-unstage", (e) => {
		e.preventDefault();
		staged.splice(Number($(e.currentTarget).data("index")), 1);
		render_staged();
	});

	function submit(data) {
		// A comment typed but not staged yet is posted too: nothing the agent wrote is lost.
		const comments = staged.concat((data.comment || "").trim() ? [data.comment.trim()] : []);
		const doc = {
			title: data.title,
			description: data.description,
			priority: data.priority,
			status: data.status,
			assigned_to: data.assigned_to || null,
			date: data.date || null,
			chats: picker.names(),
		};
		extra.forEach((df) => (doc[df.fieldname] = data[df.fieldname]));
		const files = file_fields.map((f) => data[f.fieldname]).filter(Boolean);
		dialog.disable_primary_action();
		server
			.call("tg_tickets.api.ticket.create_ticket", {
				doc: JSON.stringify(doc),
				staged_comments: JSON.stringify(comments.map((c) => frappe.utils.escape_html(c))),
				files: JSON.stringify(files),
			})
			.then((row) => {
				dialog.hide();
				frappe.show_alert({ message: __("Ticket #{0} created", [row.name]), indicator: "green" });
				on_created && on_created(row);
			})
			.catch((error) => frappe.show_alert({ message: error.message, indicator: "red" }, 8))
			.finally(() => dialog.enable_primary_action());
	}

	dialog.show();
	return dialog;
}
