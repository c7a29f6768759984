#!/usr/bin/env bash
# The core Lambda flow with the AWS CLI, unmodified, against a local zonesim cluster: create,
# invoke with a tail log, update configuration, list, an error on a missing function, delete.
# Usage: scripts/aws-cli-smoke.sh   (AWS_CLI=/path/to/aws to pick a CLI; run `npm ci` first)
set -euo pipefail
cd "$(dirname "$0")/.."

AWS=${AWS_CLI:-aws}
command -v "$AWS" >/dev/null || { echo "aws-cli smoke: no AWS CLI ($AWS); install Debian's awscli" >&2; exit 2; }
data=$(mktemp -d)
up_pid=
cleanup() {
  if [ -n "$up_pid" ]; then kill -INT "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

node packages/cli/bin/zonesim.js up --zones 2 --port 0 --data-dir "$data/cluster" >"$data/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 300); do
  grep -q 'Press Ctrl-C' "$data/up.log" && break
  kill -0 "$up_pid" 2>/dev/null || { cat "$data/up.log" >&2; exit 1; }
  sleep 0.1
done
url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$data/up.log" | head -1)
[ -n "$url" ] || { echo "aws-cli smoke: zonesim up did not start" >&2; cat "$data/up.log" >&2; exit 1; }
echo "aws-cli smoke: $("$AWS" --version 2>&1) against $url"

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
aws_lambda() { "$AWS" lambda --endpoint-url "$url" --output json "$@"; }
fail() { echo "aws-cli smoke: FAILED: $*" >&2; exit 1; }

node --input-type=module -e "
  import { buildZip } from '@zonesim/code';
  import { writeFileSync } from 'node:fs';
  writeFileSync('$data/function.zip', await buildZip({ 'index.mjs': 'export const handler = async (e) => { console.log(\"hello from the cli\"); return { hi: e.name }; };' }));
"

aws_lambda create-function --function-name smoke --runtime nodejs20.x --handler index.handler \
  --role arn:aws:iam::000000000000:role/smoke --zip-file "fileb://$data/function.zip" >"$data/create.json"
grep -q '"FunctionName": "smoke"' "$data/create.json" || fail "create-function: $(cat "$data/create.json")"

# CLI v2 base64-decodes --payload unless told the payload is raw; v1 sends it as is.
binary=()
if "$AWS" --version 2>&1 | grep -q '^aws-cli/2'; then binary=(--cli-binary-format raw-in-base64-out); fi
aws_lambda invoke --function-name smoke --payload '{"name":"cli"}' "${binary[@]}" --log-type Tail "$data/out.json" >"$data/invoke.json"
grep -q '"hi":"cli"' "$data/out.json" || fail "invoke result: $(cat "$data/out.json")"
log=$(node -e "const r=JSON.parse(require('fs').readFileSync('$data/invoke.json','utf8')); process.stdout.write(Buffer.from(r.LogResult,'base64').toString())")
grep -q 'hello from the cli' <<<"$log" || fail "tail log: $log"
grep -q 'REPORT RequestId' <<<"$log" || fail "tail log has no REPORT line: $log"

aws_lambda update-function-configuration --function-name smoke --timeout 7 --memory-size 256 >"$data/update.json"
grep -q '"Timeout": 7' "$data/update.json" || fail "update-function-configuration: $(cat "$data/update.json")"

aws_lambda list-functions >"$data/list.json"
grep -q '"FunctionName": "smoke"' "$data/list.json" || fail "list-functions: $(cat "$data/list.json")"

if aws_lambda get-function --function-name missing >"$data/missing.json" 2>"$data/missing.err"; then fail "get-function on a missing function succeeded"; fi
grep -q 'ResourceNotFoundException' "$data/missing.err" || fail "missing function error: $(cat "$data/missing.err")"

aws_lambda delete-function --function-name smoke
if aws_lambda get-function --function-name smoke >/dev/null 2>&1; then fail "the function survived delete-function"; fi

echo "aws-cli smoke: create, invoke with tail, update configuration, list, missing-function error, delete: all passed"
