#!/usr/bin/env bash
# Reproduces the README's benchmark table: builds release binaries, then measures smsim against a
# minimal hyper server on loopback. Pass --smoke for a quick functional run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p smsim -p smsim-bench
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
exec target/release/smsim-bench "$@"
