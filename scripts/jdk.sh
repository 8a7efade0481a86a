# Sourced by ./plinth and ./run-tests: picks a JDK >= 21 and makes sure Maven is there.
# Order: $JAVA_HOME, `java` on PATH, then the newest JDK under /usr/lib/jvm.

plinth_java_major() { # $1 = a JDK home; prints its major version, or 0
  local release="$1/release" version
  if [[ -f $release ]]; then
    version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  elif [[ -x $1/bin/java ]]; then
    version=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "${version:-0}"
}

plinth_find_jdk() {
  local candidate best="" best_major=0 major
  if [[ -n ${JAVA_HOME:-} ]] && (( $(plinth_java_major "$JAVA_HOME") >= 21 )); then
    echo "$JAVA_HOME"; return
  fi
  if command -v java >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    if (( $(plinth_java_major "$candidate") >= 21 )); then echo "$candidate"; return; fi
  fi
  for candidate in /usr/lib/jvm/*/; do
    candidate=${candidate%/}
    [[ -x $candidate/bin/java && -x $candidate/bin/javac ]] || continue
    major=$(plinth_java_major "$candidate")
    if (( major > best_major )); then best=$candidate; best_major=$major; fi
  done
  if (( best_major >= 21 )); then echo "$best"; return; fi
  echo "plinth: no JDK 21 or newer found (set JAVA_HOME, or install openjdk-21-jdk)" >&2
  return 1
}

plinth_need_maven() {
  command -v mvn >/dev/null 2>&1 && return
  echo "plinth: installing Maven with apt-get" >&2
  local sudo=""; (( EUID == 0 )) || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq maven >/dev/null
}

JAVA_HOME=$(plinth_find_jdk) || exit 1
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# plinth never phones home: ONNX Runtime and DJL are silenced before they load.
export ORT_DISABLE_TELEMETRY=1 OPT_OUT_TRACKING=true
# Maven itself warns about Unsafe on new JDKs; that noise is not ours.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
