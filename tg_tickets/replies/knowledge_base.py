"""Knowledge base: articles (Draft / Published / Archived) with a public page for Published ones, their views
and "did this help?" votes, suggestions for a ticket, article links in replies, and the record of which
articles were sent on which ticket.

Suggestions match word stems (replies/stemming.py: Russian and English) through a FULLTEXT index on the
article's stored stems (title weighted three times), so their cost follows the words looked up, not the number
of articles; articles of the ticket's category rank higher. Never talks to Telegram; never commits.
"""

import re
from urllib.parse import unquote

import frappe
from frappe import _
from frappe.utils import get_url, now_datetime, strip_html_tags

from tg_tickets import permissions
from tg_tickets.replies import ranking, stemming
from tg_tickets.tickets import queries

DRAFT, PUBLISHED, ARCHIVED = "Draft", "Published", "Archived"
ROUTE_PREFIX = "articles"  # Frappe itself routes /kb/<category> to its Help Articles
FULLTEXT_INDEX = "search_stems_ft"
SUGGESTIONS = 5
QUERY_STEMS = 60
TITLE_REPEATS = 3  # the index holds the title's stems three times: title words find an article first
CANDIDATES = 50
# /articles/<slug> anywhere in a reply (with or without the site's address in front).
ARTICLE_LINK = re.compile(r"(?:https?://[^\s/\"'<>]+)?/" + ROUTE_PREFIX + r"/([\w-]+)", re.UNICODE)


# --- articles ---------------------------------------------------------------------------------------------


def before_save(doc) -> None:
	"""Status decides the page: Published pages are public (a route and a publication time on first
	publication), Draft and Archived ones are not reachable; the stems suggestions match are refreshed."""
	doc.title = (doc.title or "").strip()
	if not strip_html_tags(doc.body or "").strip():
		frappe.throw(_("The article's body is empty."), title=_("Empty body"))
	doc.published = 1 if doc.status == PUBLISHED else 0
	if doc.published and not doc.published_on:
		doc.published_on = now_datetime()
	doc.search_stems = index_text(doc.title, doc.category, doc.body)


def make_route(doc) -> str:
	"""articles/<title as a slug>, with the record's name added when another article has it already."""
	slug = frappe.website.utils.cleanup_page_name(doc.title or doc.name).replace("_", "-")[:100] or doc.name
	route = f"{ROUTE_PREFIX}/{slug}"
	if frappe.db.exists("Knowledge Base Article", {"route": route, "name": ("!=", doc.name)}):
		route = f"{route}-{doc.name}"
	return route


def index_text(title: str, category: str | None, body: str) -> str:
	title_stems = stemming.stems(title or "")
	return " ".join(title_stems * TITLE_REPEATS + stemming.stems(category or "") + stemming.stems(strip_html_tags(body or "")))


def ensure_fulltext_index() -> None:
	if not frappe.db.sql(
		"show index from `tabKnowledge Base Article` where Key_name = %s", (FULLTEXT_INDEX,)
	):
		frappe.db.sql_ddl(f"alter table `tabKnowledge Base Article` add fulltext index `{FULLTEXT_INDEX}` (search_stems)")


def article_url(route: str) -> str:
	return get_url("/" + route.strip("/"))


# --- the public page's counters -------------------------------------------------------------------------


def pages_public() -> bool:
	"""Article pages are public while the tickets feature is on (the site's switch and the owner's)."""
	return permissions.feature_enabled()


def published_by_route(route: str) -> str | None:
	route = (route or "").strip("/")
	if not pages_public():
		return None
	return frappe.db.get_value("Knowledge Base Article", {"route": route, "status": PUBLISHED}, "name") if route else None


def count_once(article: str, what: str, visitor: str, seconds: int) -> bool:
	"""A visitor's view or vote counts once per `seconds` (a reload or a double click is not a second one)."""
	key = f"tg_tickets:kb:{what}:{article}:{visitor}"
	if frappe.cache.get_value(key):
		return False
	frappe.cache.set_value(key, 1, expires_in_sec=seconds)
	return True


def add_to(article: str, field: str) -> None:
	# Counters only: no new modified time, no version row (the article itself did not change).
	frappe.db.sql(f"update `tabKnowledge Base Article` set `{field}` = `{field}` + 1 where name = %s", (article,))


# --- suggestions ----------------------------------------------------------------------------------------


def ticket_text(ticket) -> str:
	"""What a ticket is about: category, title, description and the customer's latest messages."""
	parts = [ticket.get("category") or "", ticket.get("title") or "", (ticket.get("description") or "")[:2000]]
	parts += queries.latest_customer_texts(ticket.name)
	return "\n".join(parts)


def suggest(ticket, draft: str = "", limit: int = SUGGESTIONS) -> list[dict]:
	"""Up to `limit` Published articles for the ticket. Only discriminating words are looked up (ranking.pick_terms:
	typed ones first, then the rarest); the FULLTEXT index finds the candidates, ranking.score orders them
	(inverse frequency, typed and title words weigh more, the category adds half); InnoDB's relevance only
	breaks ties (its figures shift with the index's history: deleted rows count until an OPTIMIZE)."""
	typed = stemming.stems(draft or "", limit=QUERY_STEMS)
	terms = stemming.stems(f"{draft or ''}\n{ticket_text(ticket)}", limit=QUERY_STEMS)
	frequency = stem_frequency(terms)
	total = article_count()
	lookup = ranking.pick_terms(typed, terms, frequency, total)
	weights = ranking.query_weights(typed, terms, ranking.inverse_frequency(frequency, total))
	category = ticket.get("category")
	rows = {}
	candidates = []
	if lookup:
		for row in frappe.db.sql(
			f"""select name, title, route, category, search_stems, match(search_stems) against (%(q)s) as relevance
			from `tabKnowledge Base Article`
			where status = 'Published' and match(search_stems) against (%(q)s)
			order by relevance desc limit {CANDIDATES}""",
			{"q": " ".join(lookup)},
			as_dict=True,
		):
			rows[row.name] = row
			found = ranking.score(weights, stemming.stems(row.title), (row.search_stems or "").split(),
				bool(category) and row.category == category)
			candidates.append((row.name, found, float(row.relevance)))
	best = [rows[name] for name in ranking.best(candidates, limit)]
	if len(best) < limit and category:
		known = {row.name for row in best}
		best += [
			row for row in frappe.db.sql(
				"""select name, title, route, category from `tabKnowledge Base Article`
				where status = 'Published' and category = %s order by views desc, published_on desc limit %s""",
				(category, int(limit)),
				as_dict=True,
			) if row.name not in known
		][: limit - len(best)]
	return [{"name": row.name, "title": row.title, "category": row.category, "url": article_url(row.route)} for row in best]


# --- how many articles hold each stem (Knowledge Base Stem) ---------------------------------------------


def stem_frequency(terms) -> dict[str, int]:
	terms = [t for t in terms if len(t) <= 140]
	if not terms:
		return {}
	return dict(frappe.db.sql("select name, articles from `tabKnowledge Base Stem` where name in %s", (tuple(terms),)))


def article_count() -> int:
	return frappe.db.count("Knowledge Base Article")


def count_stems(added, removed) -> None:
	"""Articles holding each stem: +1 for the stems an article gained, -1 for those it lost (atomic updates,
	so parallel saves add up)."""
	now = now_datetime()
	added = sorted({t for t in added if len(t) <= 140})
	removed = sorted({t for t in removed if len(t) <= 140})
	for start in range(0, len(added), 500):
		part = added[start:start + 500]
		frappe.db.sql(
			"insert into `tabKnowledge Base Stem` (name, articles, creation, modified, owner, modified_by, docstatus, idx) values "
			+ ", ".join(["(%s, 1, %s, %s, 'Administrator', 'Administrator', 0, 0)"] * len(part))
			+ " on duplicate key update articles = articles + 1",
			[value for term in part for value in (term, now, now)],
		)
	if removed:
		frappe.db.sql("update `tabKnowledge Base Stem` set articles = greatest(articles - 1, 0) where name in %s",
			(tuple(removed),))


def after_save(doc) -> None:
	before = doc.get_doc_before_save()
	old = set((before.search_stems or "").split()) if before else set()
	new = set((doc.search_stems or "").split())
	if old != new:
		count_stems(new - old, old - new)


def after_delete(doc) -> None:
	count_stems((), set((doc.search_stems or "").split()))


def rebuild_stem_counts() -> int:
	"""Counts every stem again from the stored articles (after a bulk import); returns how many stems."""
	counts: dict[str, int] = {}
	last = ""
	while True:
		batch = frappe.db.sql(
			"select name, search_stems from `tabKnowledge Base Article` where name > %s order by name limit 1000", (last,)
		)
		if not batch:
			break
		for name, stems in batch:
			for term in set((stems or "").split()):
				counts[term] = counts.get(term, 0) + 1
			last = name
	frappe.db.delete("Knowledge Base Stem")
	now = now_datetime()
	items = sorted((t, n) for t, n in counts.items() if len(t) <= 140)
	for start in range(0, len(items), 1000):
		part = items[start:start + 1000]
		frappe.db.sql(
			"insert into `tabKnowledge Base Stem` (name, articles, creation, modified, owner, modified_by, docstatus, idx) values "
			+ ", ".join(["(%s, %s, %s, %s, 'Administrator', 'Administrator', 0, 0)"] * len(part)),
			[value for term, n in part for value in (term, n, now, now)],
		)
	return len(items)


# --- article links in replies ---------------------------------------------------------------------------


def linked_articles(message: str) -> list[str]:
	"""The articles a reply links to (each once); a link to an article that is not Published is refused."""
	found = []
	# a pasted address may be percent-encoded (/articles/%D0%BA%D0%B0%D0%BA-…): the route is the decoded one
	for slug in ARTICLE_LINK.findall(unquote(message or "")):
		route = f"{ROUTE_PREFIX}/{slug}"
		article = frappe.db.get_value("Knowledge Base Article", {"route": route}, ["name", "title", "status"], as_dict=True)
		if not article:
			frappe.throw(_("The reply links to /{0}, which is no article of the knowledge base.").format(route),
				title=_("Unknown article"))
		if article.status != PUBLISHED:
			frappe.throw(
				_("The article «{0}» is {1}, not Published: customers cannot open it. Publish it or remove the link.").format(
					article.title, _(article.status)
				),
				title=_("Article not published"),
			)
		if article.name not in found:
			found.append(article.name)
	return found


def published_article(name: str):
	if not name or not frappe.db.exists("Knowledge Base Article", name):
		frappe.throw(_("Knowledge base article {0} does not exist.").format(name or ""), frappe.DoesNotExistError)
	article = frappe.db.get_value("Knowledge Base Article", name, ["name", "title", "route", "status"], as_dict=True)
	if article.status != PUBLISHED:
		frappe.throw(
			_("The article «{0}» is {1}, not Published: customers cannot open it.").format(article.title, _(article.status)),
			title=_("Article not published"),
		)
	return article


def record_sent(ticket: str, articles, how: str, agent: str, message: str | None) -> None:
	"""The ticket keeps which articles were sent, how, by whom and when (in the reply's transaction)."""
	for article in dict.fromkeys(articles or []):
		frappe.get_doc({
			"doctype": "Knowledge Base Article Send", "ticket": ticket, "article": article, "how": how,
			"agent": agent, "sent_at": now_datetime(), "telegram_message": message,
		}).insert(ignore_permissions=True)


def sent_on(ticket: str) -> list[dict]:
	"""The articles sent on a ticket, newest first (the reply box lists them)."""
	return frappe.db.sql(
		"""select s.article, a.title, s.how, s.agent, s.sent_at from `tabKnowledge Base Article Send` s
		join `tabKnowledge Base Article` a on a.name = s.article
		where s.ticket = %s order by s.sent_at desc limit 20""",
		(ticket,),
		as_dict=True,
	)
