frappe.query_reports["Ticket Analytics"] = {
	filters: [
		{ fieldname: "period", label: __("Period"), fieldtype: "Select", options: ["Last 7 Days", "Last 30 Days", "Last 90 Days", "Last 12 Months", "Custom"], default: "Last 30 Days" },
		{ fieldname: "from_date", label: __("From"), fieldtype: "Date", depends_on: "eval:doc.period == 'Custom'" },
		{ fieldname: "to_date", label: __("To"), fieldtype: "Date", depends_on: "eval:doc.period == 'Custom'" },
		{ fieldname: "group_by", label: __("Group By"), fieldtype: "Select", options: ["", "Agent", "Team", "Category", "Priority", "Chat Type", "Week", "Day"] },
		{ fieldname: "team", label: __("Team"), fieldtype: "Link", options: "Ticket Team" },
		{ fieldname: "agent", label: __("Agent"), fieldtype: "Link", options: "User" },
		{ fieldname: "category", label: __("Category"), fieldtype: "Link", options: "Ticket Category" },
		{ fieldname: "priority", label: __("Priority"), fieldtype: "Select", options: ["", "LOW", "MEDIUM", "HIGH"] },
		{ fieldname: "chat_type", label: __("Chat"), fieldtype: "Select", options: ["", "Private", "Group", "Supergroup", "Channel"] },
	],
};
