"""Code that changes how other apps' (Frappe's) endpoints behave, fenced off here and named so."""
