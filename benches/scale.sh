#!/usr/bin/env bash
# Replay at scale: an archive of EVENTS records (default 10 million, 99.9% read-only noise, S3
# layout, gzip) built by examples/make_corpus.rs from this repository's testdata/, replayed on
# every core with the full rule library; its wall time and peak RSS printed beside gunzip alone
# over the same archive, measured in the same run.
#
#   benches/scale.sh                 # 10M records; the archive is built once, cached
#   EVENTS=1000000 benches/scale.sh  # a smaller one
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-10000000}
CORPUS=${CORPUS:-$HOME/.cache/trailwarden-corpus/make_corpus-$EVENTS}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --quiet --release --no-default-features --features cli --example replay --example gunzip_only --example make_corpus
BIN=$TARGET/release/examples/replay
GUNZIP=$TARGET/release/examples/gunzip_only
if [ ! -d "$CORPUS" ]; then
    mkdir -p "$(dirname "$CORPUS")"
    rm -rf "$CORPUS.tmp"
    "$TARGET/release/examples/make_corpus" --events "$EVENTS" --noise 0.999 --out "$CORPUS.tmp"
    mv "$CORPUS.tmp" "$CORPUS"
fi
cores=$(nproc)
echo "archive: $CORPUS: $(find "$CORPUS" -name '*.json.gz' | wc -l) files, $(du -sh "$CORPUS" | cut -f1) gzip; $cores cores"
# Warm the page cache so both passes read from memory.
find "$CORPUS" -name '*.json.gz' -print0 | xargs -0 cat > /dev/null
for pass in 1 2; do
    echo "== gunzip alone (GNU zcat, $cores processes), pass $pass"
    /usr/bin/time -o "$TARGET/scale-time" -f '   %e s wall, %M KiB peak RSS (largest process), %P CPU' \
        sh -c "find '$CORPUS' -name '*.json.gz' -print0 | xargs -0 -P $cores -n 64 zcat > /dev/null"
    cat "$TARGET/scale-time"
    echo "== gunzip alone (libdeflate, replay's own reader, every core), pass $pass"
    /usr/bin/time -o "$TARGET/scale-time" -f '   %e s wall, %M KiB peak RSS, %P CPU' "$GUNZIP" "$CORPUS"
    cat "$TARGET/scale-time"
    echo "== replay, every rule, every core, pass $pass"
    /usr/bin/time -o "$TARGET/scale-time" -f '   %e s wall, %M KiB peak RSS, %P CPU' \
        "$BIN" --format jsonl --progress always "$CORPUS" > "$TARGET/scale-alerts.jsonl" 2> "$TARGET/scale-replay.log" \
        || { tail -20 "$TARGET/scale-replay.log"; exit 1; }
    cat "$TARGET/scale-time"
    # A small archive is replayed before the first progress line (every 5 s): no match is no error.
    { grep -E 'progress:' "$TARGET/scale-replay.log" || true; } | tail -2 | sed 's/^/   /'
    tail -3 "$TARGET/scale-replay.log" | sed 's/^/   /'
done
echo "per-rule summary of the last pass: $TARGET/scale-replay.log; alerts: $TARGET/scale-alerts.jsonl"
