#!/bin/sh
# Runs the shared feed-conformance checker against `assay parse --json`.
# Usage: conformance_check.sh SHARED_DIR ASSAY_BINARY
# Exits 77 (ctest SKIP_RETURN_CODE) when the shared folder is absent.
shared="$1"
assay="$2"
if [ ! -f "$shared/tools/check_feeds.py" ] || [ ! -d "$shared/conformance/feeds" ]; then
  echo "skipped: $shared/conformance/feeds not found (the shared folder sits beside the checkout)"
  exit 77
fi
exec /usr/bin/python3 "$shared/tools/check_feeds.py" \
  --cmd "$assay parse --json" \
  --corpus "$shared/conformance/feeds" \
  --min-pass 0.98 --jobs 2
