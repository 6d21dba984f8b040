#!/usr/bin/env bash
# Cold start and idle memory of `bursar serve`, and the time of CLI commands (docs/PERFORMANCE.md, "Cold start and
# idle memory"): builds this checkout's binary and, with BASE=<git ref>, a baseline from that ref, migrates a scratch
# database, and runs scripts/startup on them interleaved, RUNS rounds. DATABASE_URL names any database on a
# PostgreSQL server where the scratch database STARTUP_DB (default bursar_startup) may be created; it is dropped
# at the end. Usage: make startup [BASE=<ref>] [STARTUP_RUNS=11], or DATABASE_URL=… scripts/startup.sh
set -euo pipefail
RUNS=${RUNS:-11}
BASE=${BASE:-}
DB=${STARTUP_DB:-bursar_startup}
: "${DATABASE_URL:?set DATABASE_URL to a database on the server where $DB may be created}"
admin_url=$DATABASE_URL
# The scratch database's URL: admin_url with its database name replaced.
export DATABASE_URL
DATABASE_URL=$(sed -E "s#^([a-z]+://[^/]*)/[^?]*#\1/$DB#" <<<"$admin_url")
tmp=$(mktemp -d)
cleanup() {
	psql "$admin_url" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"
export BURSAR_DATA_DIR=$tmp/data BURSAR_SECRET_KEY=${BURSAR_SECRET_KEY:-$(openssl rand -hex 32)}

go build -o "$tmp/startup" ./scripts/startup
go build -o "$tmp/head" ./cmd/bursar
bins=("head=$tmp/head")
if [ -n "$BASE" ]; then
	mkdir "$tmp/base-src"
	git archive "$BASE" | tar -x -C "$tmp/base-src"
	(cd "$tmp/base-src" && go build -o "$tmp/base" ./cmd/bursar)
	bins=("base=$tmp/base" "${bins[@]}")
fi
psql "$admin_url" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
for b in "${bins[@]}"; do
	"${b#*=}" migrate up >/dev/null 2>&1
done
echo "$(date -u +%F) $(nproc) CPUs, $(go version | cut -d' ' -f3), $(psql "$admin_url" -tAc 'SHOW server_version'), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$tmp/startup" -runs "$RUNS" "${bins[@]}"
