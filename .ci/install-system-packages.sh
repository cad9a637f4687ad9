#!/usr/bin/env bash
# Debian packages the tests need: chromium (headless browser tests), prometheus + promtool (metrics checks and a
# real scrape), Go with sprig (renders the Helm chart without helm). Installs only what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v go >/dev/null 2>&1 || need+=(golang-go)
dpkg -s golang-github-masterminds-sprig-dev >/dev/null 2>&1 || need+=(golang-github-masterminds-sprig-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "system packages present"
