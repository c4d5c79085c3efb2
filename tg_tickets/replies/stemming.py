"""Word stems for Russian and English text (customers write both, often mixed): what article suggestions match
on, so "refunds", "refunded" and "refund", or "возврат", "возврата" and "возвратом", are one word.

Each word is stemmed by its own script (Cyrillic → Russian Snowball, Latin → English Snowball); ё reads as е;
very common words, one-letter tokens and tokens over 40 letters are dropped. Pure: no Frappe, no I/O.
"""

import re
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"[^\W_]+", re.UNICODE)
CYRILLIC = re.compile(r"[\u0400-\u04ff]")

STOPWORDS = frozenset(
	"""a an and are as at be but by can do does for from has have how i if in is it its me my no not of on or our
	please so that the this to was we what when where which who why will with you your hi hello thanks thank
	и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от
	меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж
	вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без
	будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один
	почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после
	над больше тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед
	иногда лучше чуть том нельзя такой им более всегда конечно всю между здравствуйте привет спасибо пожалуйста""".split()
)

MAX_WORD = 40  # longer "words" are codes or pasted noise, not language

_RUSSIAN = snowballstemmer.stemmer("russian")
_ENGLISH = snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
	"""Lower-cased words (letters and digits), ё as е."""
	return [w.replace("ё", "е") for w in WORD.findall((text or "").lower())]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
	if word.isdigit():
		return word
	if CYRILLIC.search(word):
		return _RUSSIAN.stemWord(word)
	return _ENGLISH.stemWord(word)


def stems(text: str, limit: int | None = None) -> list[str]:
	"""Distinct stems of the text's meaningful words, in the order they first appear (at most `limit`)."""
	found: dict[str, None] = {}
	for word in words(text):
		if len(word) < 2 or len(word) > MAX_WORD or word in STOPWORDS:
			continue
		found.setdefault(stem(word), None)
		if limit and len(found) >= limit:
			break
	return list(found)
