#!/usr/bin/env bash
# Run .clusterfuzzlite/build.sh outside docker, the way ClusterFuzzLite's builder runs it:
#   scripts/build-clusterfuzzlite-local.sh [--npm-ci] [OUT]   (default OUT: .fuzz-out/clusterfuzzlite)
#
# - $SRC/futex-fuzz is a temporary copy of the files `COPY .` would take from a checkout (tracked
#   and untracked-but-not-ignored files), with node_modules linked from this tree, so build.sh
#   is told to skip `npm ci` (FUTEX_FUZZ_SKIP_NPM_CI=1); with --npm-ci build.sh installs its own
#   (slower, needs the registry, and $OUT then holds a full copy of node_modules);
# - build.sh is copied to $SRC/build.sh and run from $SRC/futex-fuzz with bash -eu;
# - compile_javascript_fuzzer is a stand-in on PATH following the image helper's convention
#   (oss-fuzz infra/base-images/base-builder/compile_javascript_fuzzer): arguments PROJECT
#   TARGET_JS [JAZZER_ARGS...]; copies $SRC/PROJECT to $OUT/PROJECT once, then writes the
#   executable $OUT/<basename TARGET_JS .js> that runs PROJECT's jazzer.js CLI on TARGET_JS with
#   JAZZER_ARGS and $JAZZERJS_EXTRA_ARGS, and its own arguments after `--` (libFuzzer's).
#
# OUT must be empty or absent; the default one is emptied first. Prints OUT's listing at the end.
# Then e.g. `OUT/all -runs=1000` or `OUT/all -runs=0 DIR` runs a target as ClusterFuzzLite would.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
npm_ci=
if [ "${1:-}" = --npm-ci ]; then npm_ci=1; shift; fi
default_out="$root/.fuzz-out/clusterfuzzlite"
out=${1:-$default_out}
if [ "$out" = "$default_out" ]; then rm -rf "$out"; fi
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "build-clusterfuzzlite-local: $out is not empty" >&2
  exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

base=$(mktemp -d "${TMPDIR:-/tmp}/ff-cflite-XXXXXX")
trap 'rm -rf "$base"' EXIT
src="$base/src"
mkdir -p "$src/futex-fuzz" "$base/work" "$base/bin"

# the checkout as docker's `COPY . $SRC/futex-fuzz` would see it
(cd "$root" && git ls-files -z -co --exclude-standard) |
  while IFS= read -r -d '' f; do
    if [ -f "$root/$f" ]; then
      mkdir -p "$src/futex-fuzz/$(dirname "$f")"
      cp -p "$root/$f" "$src/futex-fuzz/$f"
    fi
  done
skip_npm_ci=
if [ -z "$npm_ci" ]; then
  ln -s "$root/node_modules" "$src/futex-fuzz/node_modules"
  skip_npm_ci=1
fi
cp "$root/.clusterfuzzlite/build.sh" "$src/build.sh"

cat > "$base/bin/compile_javascript_fuzzer" <<'HELPER'
#!/bin/bash -eu
# stand-in for base-builder-javascript's compile_javascript_fuzzer (same arguments and output)
project=$1
target_js=$2
shift 2
jazzer_args="$*"
if [ ! -d "$OUT/$project" ]; then cp -r "$SRC/$project" "$OUT/$project"; fi
name=$(basename -s .js "$target_js")
cat > "$OUT/$name" <<WRAPPER
#!/bin/bash
# LLVMFuzzerTestOneInput (the marker the image's build checks look for in a fuzz target)
project_dir=\$(dirname "\$0")/$project
\$project_dir/node_modules/@jazzer.js/core/dist/cli.js \$project_dir/$target_js $jazzer_args \$JAZZERJS_EXTRA_ARGS -- \$@
WRAPPER
chmod +x "$OUT/$name"
HELPER
chmod +x "$base/bin/compile_javascript_fuzzer"

echo "== build.sh (SRC=$src OUT=$out)"
(
  cd "$src/futex-fuzz"
  SRC="$src" OUT="$out" WORK="$base/work" PATH="$base/bin:$PATH" FUTEX_FUZZ_SKIP_NPM_CI=$skip_npm_ci bash -eu "$src/build.sh"
)
echo "== $out"
ls -l "$out"
