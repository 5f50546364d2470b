#!/usr/bin/env bash
# The install and the units (issue 11): `cmake --install` into a staging root
# places binaries, units, tmpfiles, examples and /etc/steerd/steerd.yaml, and
# never overwrites an operator's steerd.yaml; `systemd-analyze verify` passes
# on both units (their paths pointed into the staging root); the hardening
# exposure score stays at or below the README's figure; the installed
# steerd checks the installed default deployment.
# usage: units.sh BUILD_DIR MAX_EXPOSURE
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib.sh"
BUILD=${1:?}; MAX=${2:?}
root=$E2E_DIR/root
DESTDIR=$root cmake --install "$BUILD" > "$E2E_DIR/install.log" || { cat "$E2E_DIR/install.log"; fail "cmake --install"; }
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
for f in "$prefix/bin/steerd" "$prefix/bin/steerctl" "$prefix/bin/steer-trafgen" \
         "$prefix/lib/systemd/system/steerd.service" "$prefix/lib/systemd/system/steerd-hugepages.service" \
         "$prefix/lib/tmpfiles.d/steerd.conf" "$prefix/share/steer/configs/steering.yaml" /etc/steerd/steerd.yaml; do
  [ -e "$root$f" ] || fail "cmake --install did not place $f"
done
echo "# an operator's edit" >> "$root/etc/steerd/steerd.yaml"
DESTDIR=$root cmake --install "$BUILD" > /dev/null
grep -q "an operator's edit" "$root/etc/steerd/steerd.yaml" || fail "a second install overwrote /etc/steerd/steerd.yaml"

mkdir -p "$E2E_DIR/units"
for u in steerd.service steerd-hugepages.service; do
  sed -e "s|$prefix/|$root$prefix/|g" "$root$prefix/lib/systemd/system/$u" > "$E2E_DIR/units/$u"
done
grep -q "^Type=notify" "$E2E_DIR/units/steerd.service" || fail "steerd.service is not Type=notify"
grep -q "^WatchdogSec=" "$E2E_DIR/units/steerd.service" || fail "steerd.service has no WatchdogSec"
systemd-analyze verify "$E2E_DIR/units/steerd.service" "$E2E_DIR/units/steerd-hugepages.service" ||
  fail "systemd-analyze verify"
score=$(systemd-analyze security --offline=true "$E2E_DIR/units/steerd.service" 2>&1 |
  sed -n 's/.*Overall exposure level for steerd.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $score (at most $MAX)"
[ -n "$score" ] && awk -v s="$score" -v m="$MAX" 'BEGIN { exit !(s <= m) }' || fail "exposure $score is above $MAX"
# The default deployment the package installs is valid (the unit's ExecStartPre).
"$root$prefix/bin/steerd" --config "$root/etc/steerd/steerd.yaml" --check > "$E2E_DIR/check.txt" ||
  { cat "$E2E_DIR/check.txt"; fail "the installed steerd.yaml does not check"; }
echo "PASS units"
