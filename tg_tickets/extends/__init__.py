"""Code that changes other apps' (Frappe's) doctypes, fenced off here and named so."""
