#!/usr/bin/env bash
# Installs the Debian packages the tests and CI need, once, on a fresh machine. Both `npm test`
# (its pretest step) and `.ci/run` call it, so a newcomer's `npm ci && npm test` gets what CI gets.
#   awscli      the AWS CLI smoke test (scripts/aws-cli-smoke.sh)
#   chromium    the browser tests (playwright-core drives Debian's Chromium; it downloads none)
#   curl        the shell custom runtime of test/custom-runtimes-and-images.test.ts
#   bubblewrap  the environment sandbox (docs/runtimes.md, Isolation)
# Without root or apt-get it installs nothing and says what is missing: the tests that need a
# missing program then fail or skip, naming it.
set -euo pipefail

missing=()
[ -x /usr/bin/aws ] || missing+=(awscli)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/curl ] || missing+=(curl)
[ -x /usr/bin/bwrap ] || missing+=(bubblewrap)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${missing[*]}; install them with your package manager (root and apt-get are needed to do it here)" >&2
  exit 0
fi
echo "install-test-deps: installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; a failed install is retried once after an update.
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
