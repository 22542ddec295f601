#!/usr/bin/env bash
# Installs everything assay needs to build, run and test, from Debian 12's
# packages. Idempotent: a second run only checks that everything is there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev            # Asio (as_tuple) and Beast
  libcurl4-openssl-dev        # fetcher and SMTP/webhook delivery
  libre2-dev                  # rules
  librocksdb-dev              # storage
  libspdlog-dev libfmt-dev    # logging
  libxml2-dev                 # feed parsing
  libyaml-cpp-dev             # config and rule packs
  nlohmann-json3-dev          # JSON Feed, CLI and API output
  libcli11-dev                # command lines
  libssl-dev                  # HMAC-SHA256 for webhooks
  libsystemd-dev              # sd_notify
  zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-aiosmtpd    # test receivers
  nginx-light curl            # test and bench feed servers
  systemd                     # systemd-analyze checks of the unit file
  bash-completion man-db      # completion and man page tests
  clang-14 libclang-rt-14-dev # fuzzers
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# nginx-light's package starts a system nginx on port 80; assay's tests run
# their own instances and need none.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  systemctl stop nginx || true
fi
echo "install-deps: all dependencies present"
