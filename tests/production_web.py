"""The live site served the way a production Frappe bench serves it: gunicorn workers running
frappe.app:application behind nginx, which serves /assets and public files from disk (long-cached) and
proxies /socket.io to the socketio server, using the nginx site template of the bench CLI. Opt-in for the
tests (TG_TEST_WEB_SERVER=production); the desk benchmark uses it by default."""

import json
import shutil
from pathlib import Path

GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4

NGINX_CONF = """daemon off;
worker_processes 1;
pid {run}/nginx.pid;
events {{ worker_connections 512; }}
http {{
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log off;
	client_body_temp_path {run}/client_body;
	proxy_temp_path {run}/proxy;
	fastcgi_temp_path {run}/fastcgi;
	uwsgi_temp_path {run}/uwsgi;
	scgi_temp_path {run}/scgi;
	upstream frappe {{ server unix:{socket} fail_timeout=0; }}
	server {{
		listen 127.0.0.1:{port};
		root {sites};
		proxy_buffer_size 128k;
		proxy_buffers 4 256k;
		proxy_busy_buffers_size 256k;
		location /assets {{
			try_files $uri =404;
			add_header Cache-Control "max-age=31536000";
		}}
		location ~ ^/protected/(.*) {{
			internal;
			try_files /{site}/$1 =404;
		}}
		location /socket.io {{
			proxy_http_version 1.1;
			proxy_set_header Upgrade $http_upgrade;
			proxy_set_header Connection "upgrade";
			proxy_set_header X-Frappe-Site-Name {site};
			proxy_set_header Origin $scheme://$http_host;
			proxy_set_header Host $host;
			proxy_pass http://127.0.0.1:{socketio_port};
		}}
		location / {{
			try_files /{site}/public/$uri @webserver;
		}}
		location @webserver {{
			proxy_http_version 1.1;
			proxy_set_header X-Forwarded-For $remote_addr;
			proxy_set_header X-Forwarded-Proto $scheme;
			proxy_set_header X-Frappe-Site-Name {site};
			proxy_set_header Host $host;
			proxy_set_header X-Use-X-Accel-Redirect True;
			proxy_read_timeout 120;
			proxy_redirect off;
			proxy_pass http://frappe;
		}}
		sendfile on;
		keepalive_timeout 15;
		client_max_body_size 50m;
		gzip on;
		gzip_comp_level 5;
		gzip_min_length 256;
		gzip_proxied any;
		gzip_vary on;
		gzip_types application/javascript application/json image/svg+xml text/css text/plain;
	}}
}}
"""


def description() -> str:
	return (
		f"production: gunicorn {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads (frappe.app:application, "
		"--preload) behind nginx (static /assets, /socket.io proxied)"
	)


def commands(bench: Path, site: str, port: int) -> dict[str, list[str]]:
	"""The web processes: gunicorn on a unix socket and nginx on the site's port."""
	nginx = shutil.which("nginx") or "/usr/sbin/nginx"
	if not Path(nginx).exists():
		raise RuntimeError("the production web mode needs nginx (apt-get install nginx)")
	run = bench / "logs" / f"test-nginx-{port}"
	for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
		(run / temp).mkdir(parents=True, exist_ok=True)
	socket = run / "gunicorn.sock"
	config = json.loads((bench / "sites" / "common_site_config.json").read_text())
	conf = run / "nginx.conf"
	conf.write_text(
		NGINX_CONF.format(
			run=run, socket=socket, port=port, sites=bench / "sites", site=site,
			socketio_port=config.get("socketio_port", 9000),
		)
	)
	return {
		"web": [
			str(bench / "env" / "bin" / "gunicorn"), "--bind", f"unix:{socket}",
			"--workers", str(GUNICORN_WORKERS), "--threads", str(GUNICORN_THREADS),
			"--timeout", "120", "--preload", "frappe.app:application",
		],
		"nginx": [nginx, "-p", str(run), "-c", str(conf), "-e", str(run / "error.log")],
	}
