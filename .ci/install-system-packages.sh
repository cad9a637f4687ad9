#!/usr/bin/env bash
# Debian packages the tests need: chromium (headless browser tests), prometheus + promtool (metrics checks and a
# real scrape), Go with sprig, gojsonschema and ghodss/yaml (renders and validates the Helm chart without helm),
# kubectl (kustomize over rendered manifests). Installs only what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)   # bench: nginx as the reverse-proxy baseline
for pkg in golang-github-masterminds-sprig-dev golang-github-xeipuuv-gojsonschema-dev golang-github-ghodss-yaml-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "system packages present"
