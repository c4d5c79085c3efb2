frappe.query_reports["Knowledge Base Article Effect"] = {
	filters: [
		{ fieldname: "status", label: __("Status"), fieldtype: "Select", options: ["", "Draft", "Published", "Archived"] },
	],
};
