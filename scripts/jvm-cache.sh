# Sourced by ./plinth: a start-up cache for the JVM, so that a command does not spend most of its
# first second loading, verifying and linking the same few thousand classes every time.
#
# JDK 25 and later get an ahead-of-time cache (JEP 483, 514, 515: classes loaded and linked, and
# method profiles); JDK 21 to 24 a dynamic class-data-sharing archive (classes parsed and
# verified). Either is made once per jar and JDK by a training run that reads the reader's test
# pages and PDFs, its output thrown away, before the command it was made for; nothing is printed.
#
# Where: beside the jar (server/target/plinth-<key>.aot or .jsa), or under
# ${XDG_CACHE_HOME:-~/.cache}/plinth/jvm when that folder is read-only.
# Invalidation: <key> hashes the jar's path, size and modification time, the JDK (its home and its
# release file) and the training flags, so a rebuilt jar or another JDK never meets an old cache;
# it gets a new one, and the caches of other keys are deleted then. (The JVM checks the jar's size
# and time as well, and runs without a cache that does not match.) A training run that fails
# leaves plinth-<key>.failed, so that it is not retried on every call. PLINTH_JVM_CACHE=off runs
# without a cache.

# Sets plinth_cache_flags to the flag that uses the cache for $1 (the jar), making the cache first
# if need be; empty when there is none. The other arguments are the flags the training runs with.
plinth_jvm_cache() {
  plinth_cache_flags=()
  [[ ${PLINTH_JVM_CACHE:-on} == off ]] && return 0
  local jar=$1; shift
  # Read with builtins only: this runs before every command, and each process started costs.
  local line release="" major=0
  if [[ -f $JAVA_HOME/release ]]; then
    while IFS= read -r line; do
      release+="$line;"
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then major=${BASH_REMATCH[1]}; fi
    done <"$JAVA_HOME/release"
  else
    major=$(plinth_java_major "$JAVA_HOME")
  fi
  local kind create use
  if (( major >= 25 )); then
    kind=aot create=-XX:AOTCacheOutput use=-XX:AOTCache
  else
    kind=jsa create=-XX:ArchiveClassesAtExit use=-XX:SharedArchiveFile
  fi
  local key dir=${jar%/*}
  key=$({ printf '%s\n' "$jar" "$JAVA_HOME" "$release" "$*"
          stat -c '%s %Y' "$jar" 2>/dev/null || stat -f '%z %m' "$jar"; } | cksum) || return 0
  key=${key%% *}
  if [[ ! -w $dir ]]; then
    dir=${XDG_CACHE_HOME:-$HOME/.cache}/plinth/jvm
    mkdir -p "$dir" 2>/dev/null && [[ -w $dir ]] || return 0
  fi
  local cache="$dir/plinth-$key.$kind"
  if [[ ! -f $cache && ! -f $cache.failed ]]; then
    plinth_jvm_train "$cache" "$create" "$jar" "$@"
  fi
  if [[ -f $cache ]]; then plinth_cache_flags=("$use=$cache"); fi
}

# Makes $1 with the flag $2 by a training run of the jar $3; the other arguments are JVM flags.
plinth_jvm_train() {
  local cache=$1 create=$2 jar=$3; shift 3
  local dir=${cache%/*} old inputs=() input tmp="$cache.$$.tmp" limit=()
  for old in "$dir"/plinth-*.aot "$dir"/plinth-*.jsa "$dir"/plinth-*.failed; do
    [[ -e $old && $old != "$cache" ]] && rm -f "$old"
  done
  # What a read touches: HTML of several kinds (code, tables, lists, CJK), PDFs, JSON output.
  for input in "$root"/reader/src/test/resources/pages/*.html \
      "$root"/reader/src/test/resources/pdf/{chromium-report,libreoffice-minutes}.pdf; do
    [[ -f $input ]] && inputs+=("$input")
  done
  (( ${#inputs[@]} > 0 )) || return 0
  command -v timeout >/dev/null 2>&1 && limit=(timeout 300)
  if "${limit[@]+"${limit[@]}"}" "$JAVA_HOME/bin/java" "$@" "$create=$tmp" -jar "$jar" \
      read "${inputs[@]}" --format json </dev/null >/dev/null 2>&1 && [[ -s $tmp ]]; then
    mv -f "$tmp" "$cache"
  else
    : >"$cache.failed" 2>/dev/null || true
  fi
  rm -f "$tmp" "$tmp.config"
}
