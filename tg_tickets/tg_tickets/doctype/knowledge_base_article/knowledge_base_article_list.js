frappe.listview_settings["Knowledge Base Article"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colour = { Draft: "orange", Published: "green", Archived: "gray" }[doc.status] || "gray";
		return [__(doc.status), colour, "status,=," + doc.status];
	},
};
