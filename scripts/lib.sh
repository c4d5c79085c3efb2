# Shared by scripts/run and scripts/test: installs what is missing on a Debian/Ubuntu machine, creates
# (or reuses) a Frappe v15 bench run by a non-root system user, and links this checkout's app into it.
# Everything here is idempotent: a second run reuses the bench, the sites and the database user.
# shellcheck shell=bash

set -euo pipefail

CHECKOUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP=tg_tickets
FRAPPE_BRANCH="${FRAPPE_BRANCH:-version-15}"
DB_ADMIN_USER="${TG_DB_ADMIN_USER:-tg_tickets_admin}"

log() { printf '\033[1;34m[tg_tickets]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[tg_tickets] %s\033[0m\n' "$*" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi

# The bench CLI refuses root, so as root everything bench-related runs as a dedicated system user.
if [ "$(id -u)" = 0 ]; then
	BENCH_USER="${TG_BENCH_USER:-frappe}"
else
	BENCH_USER="$(id -un)"
fi

# Runs a shell snippet as the bench user, with the bench CLI on PATH and the TLS settings uv needs.
as_bench_user() {
	local home cli_path
	home="$(getent passwd "$BENCH_USER" | cut -d: -f6)"
	cli_path="$home/.tg-tickets/bench-cli/bin"
	local envs=(
		"HOME=$home"
		"USER=$BENCH_USER"
		"PATH=$cli_path:$home/.local/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
		"SSL_CERT_FILE=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
		"UV_SYSTEM_CERTS=1"
		"LANG=C.UTF-8"
		"CI=${CI:-}"
		"PYTHONUNBUFFERED=1"
	)
	# Pass through the variables the test harness reads.
	local name
	for name in $(compgen -e | grep -E '^(TG_|PYTEST_ADDOPTS$|FRAPPE_PATH$)' || true); do
		envs+=("$name=${!name}")
	done
	# Bytecode caching stays on: without it every forked RQ job recompiles Frappe (seconds per job).
	local unset_env=(-u PYTHONDONTWRITEBYTECODE)
	if [ "$(id -un)" = "$BENCH_USER" ]; then
		env "${unset_env[@]}" "${envs[@]}" bash -c "$1"
	elif [ "$(id -u)" = 0 ]; then
		runuser -u "$BENCH_USER" -- env "${unset_env[@]}" "${envs[@]}" bash -c "$1"
	else
		sudo -u "$BENCH_USER" env "${unset_env[@]}" "${envs[@]}" bash -c "$1"
	fi
}

have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
	log "installing system packages: $*"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

mariadb_running() { have mysqladmin && $SUDO mysqladmin ping --silent >/dev/null 2>&1 || [ -S /run/mysqld/mysqld.sock ]; }
redis_running() { have redis-cli && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

node_major() { have node && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Installs only what is missing: a machine that already runs MariaDB or Redis keeps using them.
ensure_system_packages() {
	local missing=()
	have git || missing+=(git)
	have crontab || missing+=(cron)
	have runuser || missing+=(util-linux)
	have pkg-config || missing+=(pkg-config)
	have curl || missing+=(curl)
	have rsync || missing+=(rsync)
	python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv python3-pip)
	[ -e /usr/include/python3*/Python.h ] 2>/dev/null || ls /usr/include/python3*/Python.h >/dev/null 2>&1 || missing+=(python3-dev)
	have mariadb || have mysql || missing+=(mariadb-server mariadb-client)
	have redis-server || redis_running || missing+=(redis-server)
	[ "$(node_major)" -ge 18 ] || missing+=(nodejs npm)
	[ "$(id -u)" = 0 ] || have sudo || die "run as root or install sudo"
	if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
	[ "$(node_major)" -ge 18 ] || die "Node 18+ is required (found $(node --version 2>/dev/null || echo none))"
	if ! have yarn || [ "$(yarn --version 2>/dev/null | cut -d. -f1)" != 1 ]; then
		log "installing yarn 1 (the registry's default yarn is 2.x, which Frappe v15 cannot use)"
		$SUDO npm install -g yarn@1.22.22 >/dev/null
	fi
	if ! mariadb_running; then
		log "starting MariaDB"
		$SUDO service mariadb start >/dev/null 2>&1 || $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
		for _ in $(seq 30); do mariadb_running && break; sleep 1; done
	fi
	if ! redis_running; then
		log "starting Redis"
		$SUDO service redis-server start >/dev/null 2>&1 || $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379
		for _ in $(seq 30); do redis_running && break; sleep 1; done
	fi
	redis_running || die "Redis does not answer on 127.0.0.1:6379"
	mariadb_running || die "MariaDB is not running"
	ensure_mariadb_settings
}

# Frappe needs utf8mb4 as the server default, and a buffer pool that holds a large ticket table's
# indexes; written once into a conf.d file, and the pool is also grown online if it is small.
ensure_mariadb_settings() {
	local dir conf
	for dir in /etc/mysql/mariadb.conf.d /etc/mysql/conf.d; do [ -d "$dir" ] && break; done
	conf="$dir/99-tg-tickets.cnf"
	if [ -d "$dir" ] && [ ! -f "$conf" ]; then
		log "configuring MariaDB for Frappe ($conf)"
		$SUDO tee "$conf" >/dev/null <<-'EOF'
		[mysqld]
		character-set-client-handshake = FALSE
		character-set-server = utf8mb4
		collation-server = utf8mb4_unicode_ci
		innodb_buffer_pool_size = 2G
		[mysql]
		default-character-set = utf8mb4
		EOF
	fi
	local pool
	pool="$($SUDO mysql -uroot -N -e 'select @@innodb_buffer_pool_size' 2>/dev/null || echo 0)"
	if [ "${pool:-0}" -lt 1073741824 ]; then
		$SUDO mysql -uroot -e 'set global innodb_buffer_pool_size = 2147483648' 2>/dev/null || true
	fi
	local charset
	charset="$($SUDO mysql -uroot -N -e 'select @@character_set_server' 2>/dev/null || echo unknown)"
	if [ "$charset" != utf8mb4 ] && [ "$charset" != unknown ]; then
		log "restarting MariaDB to apply utf8mb4"
		$SUDO service mariadb restart >/dev/null 2>&1 || {
			$SUDO mysqladmin shutdown >/dev/null 2>&1 || true
			sleep 2
			$SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
		}
		for _ in $(seq 60); do $SUDO mysqladmin ping --silent >/dev/null 2>&1 && break; sleep 1; done
	fi
}

ensure_bench_user() {
	if ! id "$BENCH_USER" >/dev/null 2>&1; then
		log "creating system user $BENCH_USER (the bench CLI refuses to run as root)"
		$SUDO useradd --create-home --shell /bin/bash "$BENCH_USER"
	fi
	BENCH_HOME="$(getent passwd "$BENCH_USER" | cut -d: -f6)"
	$SUDO mkdir -p "$BENCH_HOME/.tg-tickets"
	$SUDO chown "$BENCH_USER:" "$BENCH_HOME/.tg-tickets"
	$SUDO chmod 700 "$BENCH_HOME/.tg-tickets"
	# Browsers and the desk are served to the local machine, so the home needs traversal only.
	$SUDO chmod o+x "$BENCH_HOME"
}

ensure_bench_cli() {
	local cli="$BENCH_HOME/.tg-tickets/bench-cli"
	if [ ! -x "$cli/bin/bench" ]; then
		log "installing the bench CLI for $BENCH_USER"
		as_bench_user "python3 -m venv '$cli' && '$cli/bin/pip' install -q 'frappe-bench>=5.22,<6' uv"
	fi
}

# Frappe prompts for the MariaDB root password when it is empty, so bench gets its own admin account
# with a generated password, kept readable by the bench user only.
ensure_db_admin() {
	DB_ADMIN_PASSWORD_FILE="$BENCH_HOME/.tg-tickets/db-admin-password"
	if [ -n "${TG_DB_ROOT_USER:-}" ]; then
		DB_ADMIN_USER="$TG_DB_ROOT_USER"
		DB_ADMIN_PASSWORD="${TG_DB_ROOT_PASSWORD:?TG_DB_ROOT_PASSWORD must go with TG_DB_ROOT_USER}"
		return
	fi
	if $SUDO test -s "$DB_ADMIN_PASSWORD_FILE"; then
		DB_ADMIN_PASSWORD="$($SUDO cat "$DB_ADMIN_PASSWORD_FILE")"
		if mysql -u"$DB_ADMIN_USER" -p"$DB_ADMIN_PASSWORD" -h 127.0.0.1 -e 'select 1' >/dev/null 2>&1; then
			return
		fi
	fi
	DB_ADMIN_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
	log "creating MariaDB admin user $DB_ADMIN_USER for bench"
	$SUDO mysql -uroot <<-SQL || die "cannot reach MariaDB as root; set TG_DB_ROOT_USER and TG_DB_ROOT_PASSWORD"
	CREATE USER IF NOT EXISTS '$DB_ADMIN_USER'@'localhost' IDENTIFIED BY '$DB_ADMIN_PASSWORD';
	CREATE USER IF NOT EXISTS '$DB_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$DB_ADMIN_PASSWORD';
	ALTER USER '$DB_ADMIN_USER'@'localhost' IDENTIFIED BY '$DB_ADMIN_PASSWORD';
	ALTER USER '$DB_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$DB_ADMIN_PASSWORD';
	GRANT ALL PRIVILEGES ON *.* TO '$DB_ADMIN_USER'@'localhost' WITH GRANT OPTION;
	GRANT ALL PRIVILEGES ON *.* TO '$DB_ADMIN_USER'@'127.0.0.1' WITH GRANT OPTION;
	FLUSH PRIVILEGES;
	SQL
	printf '%s' "$DB_ADMIN_PASSWORD" | $SUDO tee "$DB_ADMIN_PASSWORD_FILE" >/dev/null
	$SUDO chown "$BENCH_USER:" "$DB_ADMIN_PASSWORD_FILE"
	$SUDO chmod 600 "$DB_ADMIN_PASSWORD_FILE"
}

# ensure_bench DIR REDIS_DB_BASE WEB_PORT SOCKETIO_PORT
ensure_bench() {
	BENCH_DIR="$1"
	local redis_db="$2" web_port="$3" socketio_port="$4"
	# A bench counts as made once bench init finished its yarn install (an init cut short, e.g. by another
	# init corrupting yarn's shared cache, leaves apps/frappe without node_modules: made again).
	if [ ! -f "$BENCH_DIR/apps/frappe/frappe/__init__.py" ] || [ ! -f "$BENCH_DIR/apps/frappe/node_modules/.yarn-integrity" ]; then
		local source_args=""
		if [ -n "${FRAPPE_PATH:-}" ]; then
			log "bench init from the local Frappe source $FRAPPE_PATH (branch $FRAPPE_BRANCH)"
			source_args="--frappe-path '$FRAPPE_PATH'"
			# A local source owned by another user is "dubious" to git; trust it explicitly.
			as_bench_user "git config --global --get-all safe.directory | grep -qxF '$FRAPPE_PATH/.git' \
				|| git config --global --add safe.directory '$FRAPPE_PATH/.git'; \
				git config --global --get-all safe.directory | grep -qxF '$FRAPPE_PATH' \
				|| git config --global --add safe.directory '$FRAPPE_PATH'"
		else
			log "bench init with Frappe $FRAPPE_BRANCH from its public repository"
		fi
		as_bench_user "rm -rf '$BENCH_DIR' && bench init --frappe-branch '$FRAPPE_BRANCH' $source_args \
			--python /usr/bin/python3 --skip-redis-config-generation --skip-assets --no-backups '$BENCH_DIR'"
	fi
	# Frappe 15.44 imports pkg_resources; setuptools 80 removed it.
	as_bench_user "cd '$BENCH_DIR' && (env/bin/python -c 'import pkg_resources' 2>/dev/null || uv pip install -q --python env/bin/python 'setuptools<80')"
	# The machine's Redis serves the bench (a database number each for cache and queue), so the
	# Procfile starts no Redis of its own and no asset watcher.
	as_bench_user "cd '$BENCH_DIR' && env/bin/python - <<'PY'
import json, os
path = 'sites/common_site_config.json'
conf = json.load(open(path)) if os.path.exists(path) else {}
conf.update({
    'redis_cache': 'redis://127.0.0.1:6379/$redis_db',
    'redis_queue': 'redis://127.0.0.1:6379/$((redis_db + 1))',
    'redis_socketio': 'redis://127.0.0.1:6379/$((redis_db + 1))',
    'webserver_port': $web_port,
    'socketio_port': $socketio_port,
})
json.dump(conf, open(path, 'w'), indent=1, sort_keys=True)
PY"
}

# Puts this checkout (never a stale copy) at apps/tg_tickets and installs it into the bench env.
link_checkout() {
	local target="$BENCH_DIR/apps/$APP"
	# pip's editable install writes egg-info into the app folder, so a link needs a writable checkout.
	if as_bench_user "test -w '$CHECKOUT' && test -r '$CHECKOUT/setup.py'"; then
		if [ "$(readlink "$target" 2>/dev/null)" != "$CHECKOUT" ]; then
			log "linking $CHECKOUT into the bench"
			as_bench_user "rm -rf '$target' && ln -s '$CHECKOUT' '$target'"
		fi
	else
		# The bench user cannot write this checkout (e.g. root's): mirror it exactly, on every run.
		log "mirroring $CHECKOUT into the bench (the bench user cannot write it in place)"
		[ -L "$target" ] && as_bench_user "rm -f '$target'"
		$SUDO mkdir -p "$target"
		$SUDO rsync -a --delete --exclude .git --exclude artifacts --exclude '*.pyc' --exclude __pycache__ --exclude '*.egg-info' --exclude /tg_tickets/public/dist "$CHECKOUT/" "$target/" 2>/dev/null \
			|| { $SUDO rm -rf "$target" && $SUDO cp -a "$CHECKOUT" "$target"; }
		$SUDO chown -R "$BENCH_USER:" "$target"
	fi
	as_bench_user "cd '$BENCH_DIR' && uv pip install -q --python env/bin/python -e apps/$APP \
		&& (grep -qx '$APP' sites/apps.txt || printf '\n$APP' >> sites/apps.txt) \
		&& sed -i '/^\s*$/d' sites/apps.txt"
}

build_assets() {
	if [ ! -f "$BENCH_DIR/sites/assets/assets.json" ] || [ "${TG_REBUILD_ASSETS:-0}" = 1 ]; then
		log "building desk assets (first run only)"
		as_bench_user "cd '$BENCH_DIR' && bench build"
	else
		as_bench_user "cd '$BENCH_DIR' && bench build --app $APP" >/dev/null
	fi
}

# ensure_site SITE: creates the site once, installs the app, and migrates on later runs.
ensure_site() {
	local site="$1"
	if [ ! -f "$BENCH_DIR/sites/$site/site_config.json" ]; then
		log "creating site $site"
		as_bench_user "cd '$BENCH_DIR' && bench new-site '$site' --db-root-username '$DB_ADMIN_USER' \
			--db-root-password '$DB_ADMIN_PASSWORD' --admin-password admin \
			--install-app $APP > 'logs/new-site-$site.log' 2>&1" \
			|| { tail -40 "$BENCH_DIR/logs/new-site-$site.log"; die "creating $site failed"; }
	else
		if ! as_bench_user "cd '$BENCH_DIR' && bench --site '$site' list-apps" 2>/dev/null | grep -q "^$APP"; then
			as_bench_user "cd '$BENCH_DIR' && bench --site '$site' install-app $APP" | grep -v 'Updating DocTypes' || true
		fi
		log "migrating $site"
		as_bench_user "cd '$BENCH_DIR' && bench --site '$site' migrate" >/dev/null
	fi
}

# prepare_bench BENCH_DIR_OVERRIDE DEFAULT_NAME REDIS_DB WEB_PORT SOCKETIO_PORT
prepare_bench() {
	ensure_system_packages
	ensure_bench_user
	ensure_bench_cli
	ensure_db_admin
	ensure_bench "${1:-$BENCH_HOME/$2}" "$3" "$4" "$5"
	link_checkout
}
