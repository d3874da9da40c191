# Finding a JDK 21+, shared by the ./drover launcher and ./bench/run. Source it, then call find_java,
# which prints the home of the best JDK 21+ (JAVA_HOME when it is one, else the newest found), or nothing.
# Bash only; defines functions and nothing else.

java_major() {  # prints the major version of the java binary $1, or nothing
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}') || return 0
  printf '%s' "${v%%.*}"
}

find_java() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  local d
  for d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /Library/Java/JavaVirtualMachines/*/Contents/Home \
           "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$d" ] && candidates+=("$d")
  done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  local best="" best_v=0 home v
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] || continue
    v=$(java_major "$home/bin/java")
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [ -n "${JAVA_HOME:-}" ] && [ "$home" = "$JAVA_HOME" ] && [ "$v" -ge 21 ]; then best="$home"; break; fi
    if [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$home"; best_v="$v"; fi
  done
  printf '%s' "$best"
}

no_java_message() {  # $1: the program name to prefix
  echo "$1: no JDK 21 or newer found (looked at JAVA_HOME, /usr/lib/jvm, /usr/java, /opt, ~/.sdkman)." >&2
  echo "$1: install one (e.g. 'apt-get install openjdk-21-jdk-headless') or set JAVA_HOME to it." >&2
}
