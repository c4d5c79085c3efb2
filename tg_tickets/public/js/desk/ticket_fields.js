// Which Ticket fields the desk edits, and the assignee picker built from the members listed at boot.

const SERVER_MAINTAINED = new Set([
	"closed_at", "closed_by", "file_count", "comment_count", "last_comment", "status_rank", "priority_rank", "waiting_since", "held_since",
]);

// Editable data fields in form order, custom fields included; `chats` has its own picker.
export function editable_fields() {
	return frappe
		.get_meta("Ticket")
		.fields.filter(
			(df) =>
				!df.read_only &&
				!df.hidden &&
				!SERVER_MAINTAINED.has(df.fieldname) &&
				!frappe.model.no_value_type.includes(df.fieldtype)
		)
		.map((df) => Object.assign({}, df, assignee_override(df)));
}

export function custom_fields() {
	return editable_fields().filter((df) => df.is_custom_field);
}

function assignee_override(df) {
	if (df.fieldname !== "assigned_to") return {};
	const members = (frappe.boot.tg_tickets && frappe.boot.tg_tickets.members) || [];
	return {
		fieldtype: "Select",
		options: [{ label: __("Unassigned"), value: "" }].concat(
			members.map((m) => ({ label: m.full_name || m.name, value: m.name }))
		),
	};
}

export function is_closed(row) {
	return row && row.status === "CLOSED";
}
