#!/usr/bin/env bash
# Build a CONFIG_DEBUG_PAGE_REF kernel for the page_ref tier of vmtest from
# Debian's linux-source-<series> package: tinyconfig + dax-trace.config,
# olddefconfig, a check that every fragment option survived, bzImage. The
# result goes to the kernel cache (see README.md); a second run finds it
# there and does nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

usage() {
  cat <<'EOF'
usage: build.sh [--jobs N] [--refresh] [--print-dir] <series>

  <series>     a linux-source series: 6.1, 6.12, 7.3, ... or "newest" (the
               highest series any searched suite carries)
  --jobs N     make -j N (default: the number of CPUs)
  --refresh    update the private apt lists before resolving the version
  --print-dir  only print the cache directory the build would use, and
               whether it is built; download and build nothing

environment:
  DAX_REFSIM_PAGEREF_DEBVER  build this exact Debian version of the package
  DAX_REFSIM_APT_SUITES      suites of the private apt view (default
                             "trixie-backports sid")
  DAX_REFSIM_DEBIAN_MIRROR   mirror for the private view (default: the one
                             the host's apt uses for its own release)
  XDG_CACHE_HOME             cache root (default ~/.cache)
EOF
}

# Everything runs inside main, which bash parses whole before running it:
# editing this file while a build is under way cannot change what the
# running build does next.
main() {
jobs=$(nproc 2>/dev/null || echo 2)
refresh=0
print_dir=0
series=
while (($#)); do
  case $1 in
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --jobs=*) jobs=${1#--jobs=}; shift ;;
    --refresh) refresh=1; shift ;;
    --print-dir) print_dir=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "build.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [[ -z "$series" ]] || { echo "build.sh: one series only, got '$series' and '$1'" >&2; exit 2; }
       series=$1; shift ;;
  esac
done
if [[ -z "$series" ]]; then usage >&2; exit 2; fi
if [[ "$series" != newest && ! "$series" =~ ^[0-9]+\.[0-9]+$ ]]; then
  echo "build.sh: expected a series like 6.12 or \"newest\", got '$series'" >&2
  exit 2
fi

root=$(pr_cache_root)
fragment="$here/dax-trace.config"
fragment_sha=$(sha256sum "$fragment" | cut -d' ' -f1)
aptdir="$root/apt"
mapfile -t private_args < <(pr_apt_args "$aptdir")

# The private apt view: created (and its lists fetched) on first use only, so
# a later run with everything cached touches no network.
private_ready() {
  if [[ $refresh == 1 || ! -s "$aptdir/sources.list" ]] ||
     ! compgen -G "$aptdir/lists/*Packages*" >/dev/null; then
    local mirror
    mirror=$(pr_debian_mirror)
    if [[ -z "$mirror" ]]; then
      echo "build.sh: cannot tell the host's Debian mirror; set DAX_REFSIM_DEBIAN_MIRROR" >&2
      exit 1
    fi
    mapfile -t suites < <(pr_private_suites)
    echo "private apt view: ${suites[*]} (lists in $aptdir)" >&2
    pr_apt_setup "$aptdir" "$mirror" "${suites[@]}"
    apt-get "${private_args[@]}" -q update >&2
    refresh=0
  fi
}

report_built() {
  local dir=$1
  if [[ $print_dir == 1 ]]; then
    printf '%s\n' "$dir"
    if pr_is_built "$dir" "$fragment_sha"; then echo "built" >&2; else echo "not built" >&2; fi
    exit 0
  fi
  if pr_is_built "$dir" "$fragment_sha"; then
    echo "already built: $(sed -n 's/^package=//p' "$dir/version") $(sed -n 's/^debian_version=//p' "$dir/version") in $dir ($(sed -n 's/^kernelrelease=//p' "$dir/version")); nothing to do"
    exit 0
  fi
}

# A pinned version names its cache directory without asking apt anything.
if [[ -n "${DAX_REFSIM_PAGEREF_DEBVER:-}" ]]; then
  report_built "$(pr_kernel_dir "$DAX_REFSIM_PAGEREF_DEBVER")"
fi

# Resolve the series and the exact version, and which apt view has it: the
# host's own lists first (no private view needed for the host's suites).
view=host
if [[ "$series" == newest ]]; then
  private_ready
  host_series=$(pr_newest_series)
  priv_series=$(pr_newest_series "${private_args[@]}")
  series=$(printf '%s\n%s\n' "$host_series" "$priv_series" | sed '/^$/d' | sort -V | tail -n 1)
  [[ -n "$series" ]] || { echo "build.sh: no linux-source-X.Y package in any searched suite" >&2; exit 1; }
  [[ "$series" == "$host_series" ]] || view=private
  echo "newest series: $series" >&2
fi
pkg="linux-source-$series"
version=${DAX_REFSIM_PAGEREF_DEBVER:-}
if [[ $view == host ]]; then
  newest=$(pr_newest_version "$pkg")
  if [[ -z "$newest" || ( -n "$version" && -z "$(apt-cache madison "$pkg" 2>/dev/null | awk -F'|' -v v="$version" '{gsub(/ /,"",$2)} $2==v')" ) ]]; then
    view=private
  elif [[ -z "$version" ]]; then
    version=$newest
  fi
fi
if [[ $view == private ]]; then
  private_ready
  if [[ -z "$version" ]]; then
    version=$(pr_newest_version "$pkg" "${private_args[@]}")
  fi
  if [[ -z "$version" ]]; then
    echo "build.sh: no $pkg in the host's suites nor in: $(pr_private_suites | tr '\n' ' ')" >&2
    exit 1
  fi
fi
apt_args=()
[[ $view == host ]] || apt_args=("${private_args[@]}")

dir=$(pr_kernel_dir "$version")
report_built "$dir"
if [[ -e "$dir/version" ]]; then
  echo "rebuilding $pkg $version: $dir was built from another dax-trace.config" >&2
fi

for tool in gcc make flex bison bc perl xz dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (apt-get install build-essential flex bison bc libelf-dev libssl-dev)" >&2; exit 1; }
done
[[ -e /usr/include/libelf.h ]] || { echo "build.sh: libelf.h is missing (apt-get install libelf-dev; objtool needs it)" >&2; exit 1; }

# 1. The package, downloaded once into the cache.
srcdir="$root/src"
mkdir -p "$srcdir"
deb=$(compgen -G "$srcdir/${pkg}_$(printf '%s' "$version" | sed 's/:/%3a/')_all.deb" || true)
if [[ -z "$deb" ]]; then
  echo "downloading $pkg $version ($view apt view)" >&2
  (cd "$srcdir" && apt-get "${apt_args[@]}" -q download "$pkg=$version" >&2)
  deb=$(compgen -G "$srcdir/${pkg}_*$(printf '%s' "${version#*:}")_all.deb" | head -n 1)
  [[ -n "$deb" ]] || { echo "build.sh: apt-get download left no $pkg .deb in $srcdir" >&2; exit 1; }
fi

# 2. The tree, unpacked once (kept for incremental rebuilds when the
#    fragment changes; remove $root/build to reclaim the space).
tree="$root/build/$(pr_sanitize_version "$pkg-$version")"
if [[ ! -e "$tree/.dax-refsim-unpacked" ]]; then
  echo "unpacking $deb into $tree" >&2
  rm -rf "$tree"
  mkdir -p "$tree"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" | tar -xJ -C "$tree" --strip-components=1
  touch "$tree/.dax-refsim-unpacked"
fi

# 3. Configure and check.
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
start=$(date +%s)
export KBUILD_BUILD_USER=dax-refsim KBUILD_BUILD_HOST=vmtest
log "configuring $pkg $version: tinyconfig + $(basename "$fragment")"
make -C "$tree" -s tinyconfig >&2
(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null)
make -C "$tree" -s olddefconfig >&2
if ! missing=$(pr_verify_config "$fragment" "$tree/.config" "$tree"); then
  echo "build.sh: these options of $(basename "$fragment") did not survive olddefconfig on $pkg $version:" >&2
  printf '  %s\n' "$missing" >&2
  exit 1
fi
log "all fragment options present after olddefconfig"

# 4. Build. nice: the machine is shared, a kernel build should yield.
log "make -j$jobs bzImage"
nice -n 10 make -C "$tree" -j"$jobs" bzImage >&2
release=$(make -C "$tree" -s kernelrelease)
end=$(date +%s)

# 5. Store: bzImage and .config first, the version file last, then one rename.
tmp="$dir.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$tree/arch/x86/boot/bzImage" "$tmp/bzImage"
cp "$tree/.config" "$tmp/.config"
{
  echo "package=$pkg"
  echo "debian_version=$version"
  echo "apt_view=$view"
  echo "kernelrelease=$release"
  echo "fragment_sha256=$fragment_sha"
  echo "build_seconds=$((end - start))"
  echo "make_jobs=$jobs"
  echo "built_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$tmp/version"
rm -rf "$dir"
mv "$tmp" "$dir"
log "built $pkg $version ($release) in $((end - start)) s: $dir"
echo "$dir"
}

main "$@"
exit
