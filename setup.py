from pathlib import Path

from setuptools import find_packages, setup

requirements = [
	line.strip()
	for line in Path(__file__).with_name("requirements.txt").read_text().splitlines()
	if line.strip() and not line.startswith("#")
]

setup(
	name="tg_tickets",
	version="0.1.0",
	description="Telegram-native helpdesk for the Frappe desk",
	author="tg_tickets",
	author_email="dev@tg-tickets.invalid",
	packages=find_packages(exclude=["tests", "tests.*", "benchmarks"]),
	zip_safe=False,
	include_package_data=True,
	install_requires=requirements,
	python_requires=">=3.10,<3.13",
)
