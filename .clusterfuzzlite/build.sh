#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of the jazzer.js targets (runs in base-builder-javascript with
# $SRC, $OUT and $WORK set and the image's compile_javascript_fuzzer on PATH).
#
# For each fuzz target fuzz/<t>.ts (a module exporting fuzz()) it leaves in $OUT:
#   <t>                   the image helper's wrapper: runs the jazzer.js CLI on dist/fuzz/<t>.js
#                         from the copy of this tree in $OUT/futex-fuzz, libFuzzer flags after --
#   <t>.options           libFuzzer options ClusterFuzz reads: -use_value_profile=1, as
#                         `futex-fuzz fuzz` runs it (kernel state reaches libFuzzer through it)
#   <t>_seed_corpus.zip   corpus/seeds + corpus/conformance programs of the target's event set,
#                         byte-encoded (scripts/export-seed-corpus.ts)
#   <t>.dict              the event dictionary of the same programs (libFuzzer -dict words that
#                         are whole encoded events; src/fuzzing/dictionary.ts)
#
# Outside docker: scripts/build-clusterfuzzlite-local.sh (stand-in helper, temporary $SRC).
# FUTEX_FUZZ_SKIP_NPM_CI=1 keeps an existing node_modules instead of running npm ci.
cd "$SRC/futex-fuzz"
echo "build.sh: node $(node --version), npm $(npm --version)"

if [ -n "${FUTEX_FUZZ_SKIP_NPM_CI:-}" ] && [ -d node_modules ]; then
  echo "build.sh: FUTEX_FUZZ_SKIP_NPM_CI is set and node_modules exists: no npm ci"
else
  npm ci --no-audit --no-fund
fi
npm run build

# the fuzz targets: the fuzz/*.ts modules that export fuzz() (not target.ts and other helpers)
targets=()
for f in $(grep -lE '^export (const|function|async function) fuzz\b' fuzz/*.ts); do
  targets+=("$(basename "$f" .ts)")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "build.sh: no fuzz target in fuzz/" >&2
  exit 1
fi

for t in "${targets[@]}"; do
  # --sync: the targets are synchronous. jazzer.js's own bug detectors (command injection, path
  # traversal, ...) cannot fire in a simulator and cost ~25% of the throughput: the regex '.'
  # disables them all, and has no glob character for the helper's unquoted wrapper line.
  # --includes: only the simulator is instrumented, as `futex-fuzz fuzz` does (JAZZER_FLAGS in
  # src/fuzzing/jazzer.ts; docs/instrumentation-costs.md).
  compile_javascript_fuzzer futex-fuzz "dist/fuzz/$t.js" --sync --disable_bug_detectors=. \
    --includes /src/kernel/ --includes /src/sanitizers/ --includes /src/exec/
  printf '[libfuzzer]\nuse_value_profile = 1\n' > "$OUT/$t.options"
done

node dist/scripts/export-seed-corpus.js --out "$OUT" "${targets[@]}"
