# Shared by the bench scripts (source it): memory choice and hugepage cleanup.

# Sets free_huge_mb, huge (true|false) and mem (EAL memory args): hugepages
# when at least 1 GiB of them is free, else --no-huge; HUGE=0 forces --no-huge.
bench_memory() {
  free_huge_mb=$(awk '/HugePages_Free/{f=$2} /Hugepagesize/{s=$2} END{print int(f*s/1024)}' /proc/meminfo)
  if [ "${HUGE:-auto}" = 0 ] || [ "$free_huge_mb" -lt 1024 ]; then
    huge=false; mem=(--no-huge -m 256)
  else
    huge=true; mem=(-m 256)
  fi
}

# remove_hugepage_files GLOB: an EAL's leftover hugepage files (GLOB is a
# file-prefix pattern, e.g. steer-sc-?1234), wherever hugetlbfs is mounted.
remove_hugepage_files() {
  local m
  for m in $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do rm -f "$m"/$1map_* 2> /dev/null || true; done
}
