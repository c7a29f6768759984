#!/usr/bin/env bash
# Installs the Debian packages the tests and CI need, once, on a fresh machine. Both `npm test`
# (its pretest step) and `.ci/run` call it, so a newcomer's `npm ci && npm test` gets what CI gets.
#   awscli              the AWS CLI smoke test (scripts/aws-cli-smoke.sh)
#   chromium            the browser tests (playwright-core drives Debian's Chromium; it downloads none)
#   curl                the shell custom runtime of test/custom-runtimes-and-images.test.ts
#   bubblewrap          the environment sandbox (docs/runtimes.md, Isolation)
#   python3             Python functions (python3.9 ... python3.13 run on it; docs/runtimes.md, Python)
#   python3-boto3       boto3 inside Python functions, when the python3 on PATH has none
#   default-jdk-headless  Java functions (java17, java21 run on the machine's JDK; javac builds the runtime client)
# As root with apt-get it installs what is missing; otherwise it stops and prints the exact command.
set -euo pipefail

missing=()
[ -x /usr/bin/aws ] || missing+=(awscli)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/curl ] || missing+=(curl)
[ -x /usr/bin/bwrap ] || missing+=(bubblewrap)
if ! command -v python3 >/dev/null 2>&1; then
  missing+=(python3 python3-boto3)
elif ! python3 -c 'import boto3' >/dev/null 2>&1 && [ "$(command -v python3)" = /usr/bin/python3 ]; then
  # Debian's boto3 serves Debian's python3 only; another python3 on PATH (pyenv) brings its own.
  missing+=(python3-boto3)
fi
{ command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1; } || missing+=(default-jdk-headless)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${missing[*]}. Install them first, then run the tests again:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "install-test-deps: installing ${missing[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; a failed install is retried once after an update.
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
