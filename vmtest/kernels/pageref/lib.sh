# shellcheck shell=bash
# Functions of build.sh, kept in a file of their own so the tests can call
# them one by one without downloading or building a kernel. Every function
# prints to stdout what a caller consumes and to stderr what a person reads.

# Root of the kernel cache, shared with the stock-kernel tier of vmtest:
# outside the repository so a fresh clone reuses what an earlier run built.
pr_cache_root() {
  printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/dax-refsim/kernels"
}

# A Debian version ("6.12.118-1~deb12u1", "1:2.3") as one path component:
# the characters Debian allows but a path or make would trip on become "_".
pr_sanitize_version() {
  printf '%s\n' "$1" | tr -c 'A-Za-z0-9.+\n-' '_'
}

# Where the built kernel of one Debian linux-source version lives.
pr_kernel_dir() {
  printf '%s/pageref-%s\n' "$(pr_cache_root)" "$(pr_sanitize_version "$1")"
}

# A kernel directory counts as built only when all three artefacts are there
# and the version file is complete (the directory is renamed into place after
# the version file is written, so an interrupted run never looks finished).
# With $2, the build must also come from the fragment of that sha256.
pr_is_built() {
  local dir=$1 sha=${2:-}
  [[ -s "$dir/bzImage" && -s "$dir/.config" && -s "$dir/version" ]] || return 1
  grep -q '^kernelrelease=.' "$dir/version" || return 1
  [[ -z "$sha" ]] || grep -qx "fragment_sha256=$sha" "$dir/version"
}

# The options a fragment sets, one "NAME VALUE" line each (NAME without the
# CONFIG_ prefix; VALUE "n" for "# CONFIG_X is not set"). A later line for
# the same symbol wins, as it does when kconfig reads the merged file.
# Anything else that is not a comment or blank is an error naming file:line.
pr_fragment_options() {
  local file=$1 line n=0 name value
  local -A seen=()
  local -a order=()
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    if [[ "$line" =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]]; then
      name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
      if [[ -z "$value" ]]; then
        echo "$file:$n:1: expected a value after CONFIG_$name=" >&2
        return 2
      fi
    elif [[ "$line" =~ ^\#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
      name=${BASH_REMATCH[1]} value=n
    elif [[ "$line" =~ ^[[:space:]]*(\#.*)?$ ]]; then
      continue
    else
      echo "$file:$n:1: expected CONFIG_NAME=value, '# CONFIG_NAME is not set', a comment or a blank line, got: $line" >&2
      return 2
    fi
    [[ -n "${seen[$name]+x}" ]] || order+=("$name")
    seen[$name]=$value
  done <"$file"
  for name in "${order[@]}"; do
    printf '%s %s\n' "$name" "${seen[$name]}"
  done
}

# Symbols the fragment allows to be absent from a kernel's Kconfig.
pr_fragment_optional() {
  sed -n 's/^# optional-symbol: \([A-Za-z0-9_]*\).*/\1/p' "$1"
}

# Whether the kernel tree at $1 defines Kconfig symbol $2.
pr_kconfig_defines() {
  local tree=$1 sym=$2
  grep -rqsE --include='Kconfig*' "^[[:space:]]*(menu)?config[[:space:]]+${sym}[[:space:]]*$" "$tree"
}

# Check a .config produced by olddefconfig against the fragment. Prints one
# line per option that did not survive ("CONFIG_X: wanted y, got not set")
# and returns 1 if there is any. An optional symbol the tree does not define
# is reported as a note on stderr and does not fail. $3 (the kernel tree) may
# be empty: then every symbol counts as defined (used by the tests).
pr_verify_config() {
  local fragment=$1 dotconfig=$2 tree=${3:-}
  local options optional name want got bad=0
  options=$(pr_fragment_options "$fragment") || return 2
  optional=" $(pr_fragment_optional "$fragment" | tr '\n' ' ') "
  while read -r name want; do
    [[ -n "$name" ]] || continue
    got=$(sed -n "s/^CONFIG_${name}=\\(.*\\)\$/\\1/p" "$dotconfig" | tail -n 1)
    [[ -n "$got" ]] || got=n
    [[ "$got" == "$want" ]] && continue
    if [[ -n "$tree" ]] && ! pr_kconfig_defines "$tree" "$name"; then
      if [[ "$optional" == *" $name "* ]]; then
        echo "note: CONFIG_$name is not defined by this kernel (optional in the fragment)" >&2
        continue
      fi
      echo "CONFIG_$name: wanted $want, got not set (this kernel's Kconfig does not define it)"
      bad=1
      continue
    fi
    if [[ "$got" == n ]]; then got="not set"; fi
    echo "CONFIG_$name: wanted $want, got $got"
    bad=1
  done <<<"$options"
  return "$bad"
}

# The host's Debian mirror: the repository that serves the host's own
# release (from apt's index targets), so no mirror is written into the code.
# DAX_REFSIM_DEBIAN_MIRROR overrides it.
pr_debian_mirror() {
  if [[ -n "${DAX_REFSIM_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "${DAX_REFSIM_DEBIAN_MIRROR%/}"
    return 0
  fi
  local codename
  codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(IDENTIFIER)' 2>/dev/null |
    awk -v c="$codename" '$2 == c && $3 == "Packages" { sub(/\/$/, "", $1); print $1; exit }'
}

# Suites searched through the private apt configuration for kernels the
# host's own suites do not carry (7.x: backports of the next stable, unstable).
pr_private_suites() {
  printf '%s\n' ${DAX_REFSIM_APT_SUITES:-trixie-backports sid}
}

# apt options that confine apt to the private directory $1: its own
# sources.list, lists, cache and state, no host sources.list.d, no host
# preferences, and an empty dpkg status so the host's installed packages play
# no part. One option per line (callers read them into an array).
pr_apt_args() {
  local d=$1
  printf '%s\n' \
    -o "Dir::Etc::SourceList=$d/sources.list" \
    -o "Dir::Etc::SourceParts=$d/sources.list.d" \
    -o "Dir::Etc::Preferences=$d/preferences" \
    -o "Dir::Etc::PreferencesParts=$d/preferences.d" \
    -o "Dir::State=$d/state" \
    -o "Dir::State::Lists=$d/lists" \
    -o "Dir::State::status=/dev/null" \
    -o "Dir::Cache=$d/cache" \
    -o "Acquire::Languages=none" \
    -o "APT::Sandbox::User=root"
}

# Write the private apt directory $1 for mirror $2 and the suites after it.
pr_apt_setup() {
  local d=$1 mirror=$2 suite
  shift 2
  mkdir -p "$d/sources.list.d" "$d/preferences.d" "$d/state" "$d/lists/partial" "$d/cache/archives/partial"
  : >"$d/preferences"
  {
    for suite in "$@"; do
      printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$mirror" "$suite"
    done
  } >"$d/sources.list.new"
  mv "$d/sources.list.new" "$d/sources.list"
}

# Newest version of package $1 in the apt view given by the remaining
# arguments (apt options), or nothing.
pr_newest_version() {
  local pkg=$1
  shift
  apt-cache "$@" madison "$pkg" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
    sort -V | tail -n 1
}

# Newest linux-source-X.Y series in an apt view, by series number.
pr_newest_series() {
  apt-cache "$@" pkgnames linux-source- 2>/dev/null |
    sed -n 's/^linux-source-\([0-9][0-9]*\.[0-9][0-9]*\)$/\1/p' | sort -V | tail -n 1
}
