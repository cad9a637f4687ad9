#!/usr/bin/env bash
# The build steps of the container image, kept out of the Dockerfile so that a test can run them without
# Docker (test/chart/image-build.test.ts runs `all` into a temp dir and starts the result).
#
#   scripts/build-image.sh deps    SRC OUT   production node_modules in OUT (lockfile only: a cacheable layer)
#   scripts/build-image.sh compile SRC       dev dependencies and `tsc` in SRC (produces SRC/dist)
#   scripts/build-image.sh app     SRC OUT   copy the runtime files (package.json, bin/, dist/src/) into OUT
#   scripts/build-image.sh all     SRC OUT   the three above, in that order
#
# OUT is the whole application tree of the final image: it needs only `node`, no compiler and no npm.
# Native addons (better-sqlite3) are compiled from source here, against the Node headers of the Node that
# will run them (the build and final stages share one base image), so this step needs python3, make and g++;
# the final stage copies the result and has no toolchain. npm settings come from the environment as usual
# (npm_config_nodedir, npm_config_offline, ...).
set -euo pipefail

usage() { sed -n '2,10p' "$0" >&2; exit 2; }

# Production dependencies only, with install scripts off (no package runs code at install time), then the
# one addon that needs its native build (build_from_source: never download a prebuilt binary).
deps() {
  local src=$1 out=$2
  mkdir -p "$out"
  cp "$src/package.json" "$src/package-lock.json" "$out/"
  (cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm_config_build_from_source=true npm rebuild better-sqlite3 --no-audit --no-fund)
  # The addon's build leaves objects, a static library and the SQLite amalgamation behind: not needed to run.
  local addon="$out/node_modules/better-sqlite3"
  rm -rf "$addon/build/Release/obj" "$addon/build/Release/obj.target" "$addon/build/Release/.deps" \
    "$addon/build/Release/test_extension.node" "$addon/build/Release/sqlite3.a" "$addon/build/deps" \
    "$addon/deps" "$addon/src"
  # npm's cache is not part of the image.
  rm -rf "$out/.npm"
}

# Dev dependencies (TypeScript, @types) with scripts off, then the compiler. `npm ci` alone would run the
# `prepare` script, which compiles; doing it in two steps keeps the dependency layer cacheable.
compile() {
  local src=$1
  (cd "$src" && npm ci --ignore-scripts --no-audit --no-fund && npm run build)
}

app() {
  local src=$1 out=$2
  mkdir -p "$out/dist"
  cp "$src/package.json" "$out/"
  rm -rf "$out/bin" "$out/dist/src"
  cp -R "$src/bin" "$out/bin"
  cp -R "$src/dist/src" "$out/dist/src"
  # Source maps stay (stack traces point at the TypeScript); compiled tests never ship.
  rm -rf "$out/dist/test" "$out/dist/bench" "$out/dist/.tsbuildinfo"
  # Smoke check: the tree starts with nothing but node.
  (cd "$out" && node bin/gatehouse.js --version)
}

[ $# -ge 2 ] || usage
cmd=$1; src=$(cd "$2" && pwd)
case "$cmd" in
  deps)    [ $# -eq 3 ] || usage; deps "$src" "$3" ;;
  compile) [ $# -eq 2 ] || usage; compile "$src" ;;
  app)     [ $# -eq 3 ] || usage; app "$src" "$3" ;;
  all)     [ $# -eq 3 ] || usage; compile "$src"; deps "$src" "$3"; app "$src" "$3" ;;
  *) usage ;;
esac
