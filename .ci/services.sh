#!/usr/bin/env bash
# Install and start what the tests use: Debian's chromium (driven by Playwright) and a real
# PostgreSQL on loopback. Prints the export line for the test database URL.
set -euo pipefail

packages=(chromium postgresql)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
pg_ctlcluster "$version" "$cluster" start >&2 2>&1 || true
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 && break
    sleep 1
done

su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='modelvs'\"" | grep -q 1 \
    || su postgres -c "psql -q -c \"CREATE ROLE modelvs LOGIN CREATEDB PASSWORD 'modelvs'\""
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='modelvs_test'\"" | grep -q 1 \
    || su postgres -c "createdb -O modelvs modelvs_test"

echo "export MODELVS_TEST_POSTGRES_URL=postgresql+psycopg://modelvs:modelvs@127.0.0.1:5432/modelvs_test"
