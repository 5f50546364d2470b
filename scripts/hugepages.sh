#!/usr/bin/env bash
# Reserves 2 MiB hugepages and mounts hugetlbfs (as root). Steer's tests do not
# need them; steerd on a real host and the benchmarks use them when present.
# usage: hugepages.sh [MIB]   (default 2048)
set -euo pipefail
mib=${1:-2048}
pages=$((mib / 2))
echo "$pages" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
got=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages; }
echo "2 MiB hugepages: $got reserved ($((got * 2)) MiB), hugetlbfs on /dev/hugepages"
[ "$got" -ge "$pages" ] || echo "warning: asked for $pages, the kernel gave $got (memory fragmented?)" >&2
