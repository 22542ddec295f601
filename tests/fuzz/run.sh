#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60). The corpus
# grows in build/fuzz/corpus/<target>/, seeded from the committed seeds in
# tests/fuzz/corpus/<target>/ (and, for the feed parser, the shared
# conformance feeds when ../shared is beside the checkout). A crash leaves
# crash-* in the working directory and makes the script fail; once fixed,
# keep it as a regression seed in tests/fuzz/corpus/<target>/.
#   CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -G Ninja \
#     -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASSAY_FUZZ=ON -DASSAY_WERROR=OFF
#   cmake --build build/fuzz && tests/fuzz/run.sh 600
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
status=0
for target in feed_parser_fuzzer date_url_fuzzer; do
  extra=()
  if [ "$target" = feed_parser_fuzzer ] && [ -d ../shared/conformance/feeds ]; then
    extra=(../shared/conformance/feeds)
  fi
  work=build/fuzz/corpus/$target
  mkdir -p "$work"
  echo "== $target for ${seconds}s"
  if ! build/fuzz/tests/fuzz/$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=262144 "$work" tests/fuzz/corpus/$target "${extra[@]}" > "$work.log" 2>&1; then
    status=1
  fi
  grep -E 'DONE|SUMMARY|ERROR' "$work.log" | tail -3
done
exit $status
