"""Issue 12 benchmark: faster answers at 10,000 knowledge-base articles and 2,000 canned responses. Prints
figures; asserts nothing.

1. Suggestions (replies/knowledge_base.suggest) for a ticket with a 500-character description (Russian and
   English) and three customer messages, with and without what the agent is typing: p95 server-side.
2. The `/` picker (replies/responses.search) as a member of two teams, for the queries an agent types
   ("/", "/r", "/re", "/ref", ..., title words): p95 server-side, permission conditions included.
3. Filling a response with every placeholder (the fixed list and a custom ticket field): the pure rendering
   (replies/placeholders.render) and the whole fill with the ticket's lookups (replies/responses.fill).

    scripts/benchmark replies [--runs 300] [--reseed]
"""

import argparse
import itertools
import os
import random

from _site import connect, fmt, timed

ARTICLES = 10_000
RESPONSES = 2_000
TEAMS = [f"Replies Bench Team {i}" for i in range(10)]
AGENTS = [f"agent{i}@replies.bench" for i in range(20)]
MEMBER = AGENTS[0]
EN = """refund payment card invoice charge subscription renewal cancel account password login reset email code
delivery parcel order shipping customs address tracking return exchange warranty repair broken screen battery
update install app crash error export import report data backup privacy security verification phone number
price discount coupon bonus balance transfer bank receipt tax company contract support agent manager ticket
bot group channel message notification settings language profile photo upload download file limit storage
plan upgrade downgrade trial business family student gift voucher loyalty points level status premium""".split()
RU = """возврат оплата карта счет списание подписка продление отмена аккаунт пароль вход сброс почта код доставка
посылка заказ отправка таможня адрес отслеживание обмен гарантия ремонт экран батарея обновление установка
приложение ошибка выгрузка загрузка отчет данные копия безопасность проверка телефон номер цена скидка купон
бонус баланс перевод банк чек налог компания договор поддержка менеджер заявка бот группа канал сообщение
уведомление настройки язык профиль фото файл лимит хранилище тариф пробный подарок сертификат баллы статус""".split()
FILLER = """the a to of and in is for you your we our it this that with on can will be please if not have и в не
на что с по как это для""".split()
VOCABULARY = 20_000


def make_vocabulary():
	"""Words with Zipf frequencies, as in real text: function words most frequent, then the support words above
	spread over ranks 10-3,000 among 20,000 made-up Latin and Cyrillic words (a real knowledge base's vocabulary
	is tens of thousands of words; a small one would put every word in every article)."""
	rng = random.Random(99)
	latin = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
	cyrillic = [c + v for c in "бвгдзклмнпрстфх" for v in "аеиоуя"]
	made, seen = [], set(EN + RU + FILLER)
	while len(made) < VOCABULARY - len(seen):
		syllables = latin if rng.random() < 0.5 else cyrillic
		word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
		if word not in seen:
			seen.add(word)
			made.append(word)
	words = list(FILLER) + made
	for word in EN + RU:
		words.insert(rng.randint(10, 3000), word)
	weights = [1 / (rank + 1) ** 1.05 for rank in range(len(words))]
	return words, list(itertools.accumulate(weights))


WORDS, CUMULATIVE = make_vocabulary()


def sentence(rng, words=12):
	return " ".join(rng.choices(WORDS, cum_weights=CUMULATIVE, k=words))


def seed(frappe, reseed: bool):
	from tg_tickets.replies import knowledge_base, placeholders
	from tg_tickets.tickets.bulk import insert_rows
	from tests.factories import make_user

	if reseed:
		frappe.db.delete("Knowledge Base Article", {"title": ("like", "Bench %")})
		frappe.db.delete("Canned Response", {"title": ("like", "Bench %")})
		frappe.db.delete("Ticket", {"title": "Replies bench ticket"})
		frappe.db.commit()
	rng = random.Random(12)
	for user in AGENTS:
		if not frappe.db.exists("User", user):
			make_user(user, "Tickets Member")
	for t, team in enumerate(TEAMS):
		if not frappe.db.exists("Ticket Team", team):
			members = [AGENTS[(t * 2 + k) % len(AGENTS)] for k in range(4)]
			frappe.get_doc({"doctype": "Ticket Team", "team_name": team, "assignment_model": "Manual claim",
				"enabled": 1, "members": [{"user": u} for u in members]}).insert(ignore_permissions=True)
	if not frappe.db.exists("Custom Field", {"dt": "Ticket", "fieldname": "order_number"}):
		frappe.get_doc({"doctype": "Custom Field", "dt": "Ticket", "fieldname": "order_number", "label": "Order number",
			"fieldtype": "Data", "insert_after": "category"}).insert(ignore_permissions=True)
	frappe.db.commit()

	have = frappe.db.count("Knowledge Base Article", {"title": ("like", "Bench %")})
	if have < ARTICLES:
		rows = []
		for i in range(have, ARTICLES):
			title = f"Bench {sentence(rng, 5)} {i}"
			body = "<p>" + "</p><p>".join(sentence(rng, 25) for _ in range(6)) + "</p>"
			status = "Published" if i % 10 < 8 else ("Draft" if i % 10 == 8 else "Archived")
			rows.append((
				f"bench-kb-{i:05d}", title, None, status, 1 if status == "Published" else 0,
				f"articles/bench-{i:05d}" if status != "Draft" else None, body,
				knowledge_base.index_text(title, None, body),
			))
		insert_rows("Knowledge Base Article",
			("name", "title", "category", "status", "published", "route", "body", "search_stems"), rows, chunk=500)
		print(f"stems counted: {knowledge_base.rebuild_stem_counts()}")
		frappe.db.commit()
	have = frappe.db.count("Canned Response", {"title": ("like", "Bench %")})
	if have < RESPONSES:
		every = " ".join("{{" + name + "}}" for name in placeholders.FIXED) + " {{ticket.order_number}} "
		rows = []
		for i in range(have, RESPONSES):
			scope = ("Everyone", "Team", "Personal", "Personal")[i % 4]
			team = TEAMS[i % len(TEAMS)] if scope == "Team" else None
			owner = AGENTS[i % len(AGENTS)]
			shortcut = f"/{rng.choice(EN)}-{i}"
			key = f"{scope}:{team if scope == 'Team' else owner if scope == 'Personal' else ''}:{shortcut}"
			rows.append((f"bench-cr-{i:05d}", f"Bench {sentence(rng, 4)}", shortcut, scope, team, key,
				f"Hello <b>{every}</b>\n{sentence(rng, 30)}", owner))
		insert_rows("Canned Response", ("name", "title", "shortcut", "scope", "team", "scope_key", "body", "owner"), rows,
			chunk=500)
		frappe.db.commit()


def bench_ticket(frappe):
	from tests.factories import make_chat

	name = frappe.db.get_value("Ticket", {"title": "Replies bench ticket"})
	if name:
		return frappe.get_doc("Ticket", name)
	rng = random.Random(5)
	chat = make_chat("Анна Customer", username="anna_customer", chat_id="790000001")
	description = ""
	while len(description) < 500:
		description += sentence(rng, 6) + ". "
	ticket = frappe.get_doc({"doctype": "Ticket", "title": "Replies bench ticket", "description": description[:500],
		"chats": [{"chat": chat}], "customer_telegram_id": chat, "team": TEAMS[0], "order_number": "A-17"})
	ticket.insert(ignore_permissions=True)
	for i in range(3):
		frappe.get_doc({"doctype": "Telegram Message", "direction": "Incoming", "message_kind": "Message",
			"ticket": ticket.name, "chat": chat, "chat_id": chat, "text": sentence(rng, 15), "message_key": f"bench:{ticket.name}:{i}",
			"message_id": 900 + i}).insert(ignore_permissions=True)
	frappe.db.commit()
	return ticket


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--runs", type=int, default=300)
	parser.add_argument("--reseed", action="store_true")
	args = parser.parse_args()
	frappe = connect()
	from tg_tickets.replies import knowledge_base, placeholders, responses
	from tests.factories import set_settings

	set_settings(enabled=1, members_can_edit_tickets=1)  # the feature on, as on a site in use
	frappe.db.commit()
	seed(frappe, args.reseed)
	ticket = bench_ticket(frappe)
	published = frappe.db.count("Knowledge Base Article", {"status": "Published"})
	print(f"articles: {frappe.db.count('Knowledge Base Article')} ({published} Published), "
		f"canned responses: {frappe.db.count('Canned Response')}; load average {os.getloadavg()}")
	print(f"ticket: {len(ticket.description)}-character description, "
		f"{len(knowledge_base.ticket_text(ticket))} characters of text to match")

	rng = random.Random(3)
	drafts = [""] + [sentence(rng, rng.randint(1, 8)) for _ in range(49)]
	knowledge_base.suggest(ticket)  # warm: the stemmer's cache and MariaDB's buffer pool, as a running site has them
	suggestions = timed(lambda i: knowledge_base.suggest(ticket, drafts[i % len(drafts)]), args.runs)
	print(f"1. suggestions (up to 5 of {published} Published)      {fmt(suggestions)}")
	sample = knowledge_base.suggest(ticket)
	print("   e.g.", [s["title"][:40] for s in sample])

	frappe.set_user(MEMBER)
	queries = ["", "/", "/r", "/re", "/ref", "/refund", "/refund-1", "/c", "/ca", "/car", "/card", "/p", "/pa",
		"/pas", "/pass", "/password", "/zz", "/d", "/de", "/del", "оплат", "Bench", "x"]

	def pick(i):
		frappe.local.cache = {}  # each request reads the member's teams again
		return responses.search(queries[i % len(queries)])

	picker = timed(pick, args.runs)
	print(f"2. picker filtering (member, {RESPONSES} responses)        {fmt(picker)}")
	print(f"   e.g. '/ref' → {len(responses.search('/ref'))} shown")
	frappe.set_user("Administrator")

	response = frappe.get_doc("Canned Response", frappe.db.get_value("Canned Response", {"title": ("like", "Bench %")}))
	values = responses.ticket_values(ticket, MEMBER)
	pure = timed(lambda i: placeholders.render(response.body, values), args.runs)
	print(f"3a. rendering every placeholder (pure)              {fmt(pure)}   (p95 {pure['p95'] * 1000:.0f} µs)")
	filled = timed(lambda i: responses.fill(response, ticket, MEMBER), args.runs)
	print(f"3b. filling for the ticket (lookups + rendering)    {fmt(filled)}")
	print("   missing:", responses.fill(response, ticket, MEMBER)["missing"])
	print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
	main()
