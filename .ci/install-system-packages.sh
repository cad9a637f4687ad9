#!/usr/bin/env bash
# Debian packages the tests need: chromium (headless browser tests), prometheus + promtool (metrics checks and a
# real scrape), nginx/caddy/haproxy (forward-auth and differential tests), Go (an upstream on net/http) with sprig, gojsonschema and ghodss/yaml (renders and validates the Helm chart without helm),
# kubectl (kustomize over rendered manifests). Installs only what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)   # bench baseline; forward-auth tests (auth_request)
command -v caddy >/dev/null 2>&1 || need+=(caddy)       # forward-auth tests (forward_auth)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)           # benchmarks in closed loop
command -v python3 >/dev/null 2>&1 || need+=(python3)   # differential tests: an upstream on Python's http.server
command -v curl >/dev/null 2>&1 || need+=(curl)         # test/docs: the documented curl commands are run
command -v jq >/dev/null 2>&1 || need+=(jq)             # test/docs: docs/api.md's walkthrough pipes into jq
# go-jose, PyJWT and cryptography: test/signing/verification-snippets.test.ts runs docs/signed-identity.md's Go and
# Python verification snippets against real assertions.
for pkg in golang-github-masterminds-sprig-dev golang-github-xeipuuv-gojsonschema-dev golang-github-ghodss-yaml-dev \
    golang-gopkg-square-go-jose.v2-dev python3-jwt python3-cryptography; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "system packages present"
