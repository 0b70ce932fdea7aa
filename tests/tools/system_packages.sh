#!/usr/bin/env bash
# The system packages behind the emulator's data plane (a MariaDB server per Aurora cluster, an
# OpenVPN server per Client VPN endpoint, the mysql client for a developer's SQL session).
# As root with apt, installs what is missing; otherwise prints the one command that would.
set -euo pipefail
packages=(mariadb-server mariadb-client openvpn iproute2)
binaries=(mariadbd mariadb openvpn ip)
missing=()
for i in "${!binaries[@]}"; do
  name=${binaries[$i]}
  if ! command -v "$name" >/dev/null && ! test -x "/usr/sbin/$name" && ! test -x "/sbin/$name"; then
    missing+=("${packages[$i]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "the emulator's data plane needs: sudo apt-get install -y ${missing[*]}" >&2
fi
