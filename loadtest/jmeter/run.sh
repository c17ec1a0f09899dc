#!/usr/bin/env bash
# Runs a JMeter plan non-GUI on Debian's JMeter 2.13 (apt-get install jmeter), which
# otherwise fails every plan with an XStream ForbiddenClassException and exits 0.
#
#   loadtest/jmeter/run.sh -n -t loadtest/jmeter/seckill.jmx -JVOUCHER_ID=42 [-JTHREADS=...]
#
# It starts JMeter through XStreamAllowJMeter.java (next to this script), run from
# source by java: the shim allow-lists org.apache.jmeter.** and
# org.apache.jorphan.** in SaveService's XStream instances and calls JMeter's own
# NewDriver with the arguments given here. Afterwards it fails (exit 1) when the log
# shows that the plan did not load or run, since JMeter itself exits 0 then.
# A real JMeter 5 needs none of this: `jmeter -n -t seckill.jmx -JVOUCHER_ID=42`.
#
# JMETER_HOME (default /usr/share/jmeter), JMETER_LOG (default ./jmeter.log).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
home="${JMETER_HOME:-/usr/share/jmeter}"
log="${JMETER_LOG:-$PWD/jmeter.log}"
launcher_jar="$home/bin/ApacheJMeter.jar"
if [[ ! -f "$launcher_jar" ]]; then
  echo "run.sh: no JMeter at $home (apt-get install jmeter, or set JMETER_HOME)" >&2
  exit 2
fi
rm -f "$log"
status=0
# Java 11+ runs a source file directly (jdk.compiler ships in Debian's JRE): no javac, no build step.
java ${JVM_ARGS:-} -Djmeter.home="$home" -cp "$launcher_jar" "$here/XStreamAllowJMeter.java" -j "$log" "$@" &
java_pid=$!
# Stopped (SIGTERM, Ctrl-C), stop JMeter too rather than leave it running.
trap 'kill "$java_pid" 2>/dev/null; wait "$java_pid"; exit 143' TERM INT
wait "$java_pid" || status=$?
trap - TERM INT
if [[ $status -ne 0 ]]; then exit "$status"; fi
if grep -q -e 'ForbiddenClassException' -e 'Error in NonGUIDriver' "$log"; then
  echo "run.sh: JMeter did not run the plan, see $log:" >&2
  grep -m 5 -e 'ForbiddenClassException' -e 'Error in NonGUIDriver' "$log" >&2
  exit 1
fi
if grep -q 'Could not read file header line' "$log"; then
  echo "run.sh: JMeter could not read the tokens file (-JTOKENS; a relative path is relative to the plan's folder), see $log" >&2
  exit 1
fi
if grep -q -E 'Summariser: summary = +0 in' "$log"; then
  echo "run.sh: JMeter sent no request (0 samples), see $log" >&2
  exit 1
fi
