#!/usr/bin/env bash
# Go benchmarks of the hot paths (make bench-go): decode + convert (native
# receiver), canonical view, pricing, attribute JSON, tokencost,
# reasoningchain, the SQLite and PostgreSQL writers (the latter next to a raw
# pgx CopyFrom of the same rows), the Go SDK. Writes the results between the
# "go" markers of docs/benchmarks.md unless BENCH_WRITE_DOC=0.
# PostgreSQL at BENCH_PG_DSN / 127.0.0.1:5432 is required (a fresh schema per
# run); BENCH_SKIP_PG=1 leaves it out.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GO=${GO:-go}
OUT=$(mktemp /tmp/agenttrace-gobench.XXXXXX)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)
$GO test -run '^$' -bench . -benchmem -benchtime 1s ./internal/canonical ./internal/pricing ./internal/storage \
	./internal/storage/sqlitestore ./receiver/agenttracereceiver ./processor/... ./sdk/go/... | tee "$OUT"
if [[ "${BENCH_SKIP_PG:-0}" != 1 ]]; then
	$GO test -run '^$' -bench 'Write' -benchmem -benchtime 20x ./internal/storage/postgres | tee -a "$OUT"
fi
if grep -q '^FAIL' "$OUT"; then
	echo "gobench: a benchmark failed; results in $OUT" >&2
	exit 1
fi
BLOCK=$OUT.md
{
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`make bench-go\` ($(($(date +%s) - T0)) s) on $(nproc) cores"
	echo "(\`$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)\`), $($GO env GOVERSION), load average $LOAD_BEFORE before"
	echo "→ $(cut -d' ' -f1-3 /proc/loadavg) after. One run each (\`-benchtime 1s\`; PostgreSQL \`-benchtime 20x\`)."
	echo
	echo '```'
	awk '/^pkg: / { sub("github.com/agenttrace/agenttrace/", "", $2); print "# " $2 } /^Benchmark/' "$OUT"
	echo '```'
} >"$BLOCK"
if [[ "${BENCH_WRITE_DOC:-1}" == 1 ]]; then
	doc=docs/benchmarks.md
	if grep -q "<!-- bench/gobench.sh:BEGIN go -->" "$doc"; then
		awk -v begin="<!-- bench/gobench.sh:BEGIN go -->" -v end="<!-- bench/gobench.sh:END go -->" -v file="$BLOCK" '
			$0 == begin { print; while ((getline line < file) > 0) print line; skip = 1; next }
			$0 == end { skip = 0 }
			!skip { print }' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
		echo "gobench: docs/benchmarks.md updated"
	else
		echo "gobench: marker missing in $doc; results in $BLOCK" >&2
	fi
fi
