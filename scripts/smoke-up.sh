#!/usr/bin/env bash
# Proves the run command as a newcomer would use it: './sextant up' brings all five services to ready, the
# gateway answers, and './sextant down' stops them. Exit code 0 only if every check passed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
passed=0; failed=0
check() { # name, command...
  local name="$1"; shift
  if "$@" >/dev/null 2>&1; then echo "  ok    $name"; passed=$((passed+1)); else echo "  FAIL  $name"; failed=$((failed+1)); fi
}
trap './sextant down >/dev/null 2>&1' EXIT
export SEXTANT_API_KEY="smoke-$(date +%s)-$RANDOM" SEXTANT_ADMIN_KEY="smoke-admin-$(date +%s)-$RANDOM"
if ./sextant up --no-build; then
  for port in 8080 8081 8082 8083 8084; do
    check "service on :$port ready" curl -fsS -m 5 "http://127.0.0.1:$port/actuator/health/readiness"
    check "service on :$port exports Prometheus metrics" curl -fsS -m 5 -H "Authorization: Bearer $SEXTANT_ADMIN_KEY" \
      "http://127.0.0.1:$port/actuator/prometheus"
  done
  check "gateway links page" curl -fsS -m 5 "http://127.0.0.1:8080/"
  check "gateway refuses a request without a key" bash -c \
    '[ "$(curl -s -o /dev/null -w "%{http_code}" -m 5 http://127.0.0.1:8080/v1/models)" = 401 ]'
  check "the default model answers through the gateway" bash -c \
    'curl -fsS -m 60 -H "Authorization: Bearer $SEXTANT_API_KEY" -H "Content-Type: application/json" \
       -d "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"temperature\":0}" \
       http://127.0.0.1:8080/v1/completions | grep -q "\"finish_reason\""'
  check "embeddings answer through the gateway" bash -c \
    'curl -fsS -m 60 -H "Authorization: Bearer $SEXTANT_API_KEY" -H "Content-Type: application/json" \
       -d "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello\"}" http://127.0.0.1:8080/v1/embeddings | grep -q "\"embedding\""'
  check "a collection is created through the gateway" bash -c \
    'curl -fsS -m 30 -H "Authorization: Bearer $SEXTANT_API_KEY" -H "Content-Type: application/json" \
       -d "{\"name\":\"smoke$RANDOM\",\"embeddingModel\":\"all-minilm-l6-v2\",\"dimension\":384}" \
       http://127.0.0.1:8080/v1/collections >/dev/null'
  check "a document ingested through the gateway is found by search and cited by RAG" "$ROOT/scripts/smoke-rag.sh"
else
  echo "  FAIL  ./sextant up"; failed=$((failed+1))
fi
./sextant down >/dev/null 2>&1
check "all services stopped" bash -c '! (exec 3<>/dev/tcp/127.0.0.1/8081) 2>/dev/null'
echo "smoke-up: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
