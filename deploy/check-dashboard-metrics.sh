#!/usr/bin/env bash
# Checks that running services export every metric the Grafana dashboards query (deploy/expected-metrics.txt).
# Run it against a started platform after some traffic (meters with per-request tags appear on first use):
#   SEXTANT_ADMIN_KEY=... deploy/check-dashboard-metrics.sh                 # ./sextant up defaults: 127.0.0.1:8080-8084
#   SEXTANT_METRICS_HOST=10.0.0.5 deploy/check-dashboard-metrics.sh
#   SEXTANT_METRICS_PORT_OFFSET=10000 SEXTANT_METRICS_ONLY="gateway-service" deploy/check-dashboard-metrics.sh
# The gateway's /actuator/prometheus needs the admin key. Exit status 1 lists every missing name per service.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

host="${SEXTANT_METRICS_HOST:-127.0.0.1}"
offset="${SEXTANT_METRICS_PORT_OFFSET:-0}"
declare -A ports=([gateway-service]=8080 [inference-service]=8081 [retrieval-service]=8082 [ingestion-service]=8083
                  [structured-output-service]=8084)
for service in "${!ports[@]}"; do
  ports[$service]=$((ports[$service] + offset))
  # SEXTANT_METRICS_ONLY: a space-separated subset of services to check (the others are skipped, and say so).
  if [ -n "${SEXTANT_METRICS_ONLY:-}" ] && [[ " $SEXTANT_METRICS_ONLY " != *" $service "* ]]; then
    echo "skipping $service (not in SEXTANT_METRICS_ONLY)" >&2
    unset "ports[$service]"
  fi
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for service in "${!ports[@]}"; do
  auth=()
  if [ "$service" = gateway-service ] && [ -n "${SEXTANT_ADMIN_KEY:-}" ]; then
    auth=(-H "Authorization: Bearer $SEXTANT_ADMIN_KEY")
  fi
  if ! curl -fsS -m 10 "${auth[@]}" "http://$host:${ports[$service]}/actuator/prometheus" >"$tmp/$service.txt"; then
    echo "cannot scrape $service at http://$host:${ports[$service]}/actuator/prometheus" >&2
    : >"$tmp/$service.txt"
  fi
done

missing=0
while read -r name owner state _; do
  case "$name" in ''|'#'*) continue ;; esac
  case "$owner" in
    all) services=("${!ports[@]}") ;;
    db-services) services=(retrieval-service ingestion-service) ;;
    *) services=("$owner") ;;
  esac
  for service in "${services[@]}"; do
    [ -n "${ports[$service]:-}" ] || continue
    if ! grep -qE "^${name}(\{| )" "$tmp/$service.txt"; then
      echo "MISSING $service $name ($state)"
      missing=$((missing + 1))
    fi
  done
done < deploy/expected-metrics.txt

if [ "$missing" -gt 0 ]; then
  echo "$missing expected metric(s) missing (see deploy/expected-metrics.txt for the meter that should produce each)" >&2
  exit 1
fi
echo "every metric the dashboards query is exported"
