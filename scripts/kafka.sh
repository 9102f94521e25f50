#!/usr/bin/env bash
# scripts/kafka.sh: a real, single-node Apache Kafka broker (KRaft, broker and
# controller in one JVM) on 127.0.0.1:9092 (controller 127.0.0.1:9093) for
# evbench's integration tests and benchmarks, without Docker.
#
#   scripts/kafka.sh up       fetch Kafka (once), format fresh storage, start, wait until ready
#   scripts/kafka.sh down     SIGTERM the broker by PID, SIGKILL after 30 s
#   scripts/kafka.sh status   print whether it runs; exit 0 when up, 1 when down
#   scripts/kafka.sh fetch    only fetch the jars
#   scripts/kafka.sh libs     print the directory holding the jars (for java -cp 'DIR/*')
#
# The pinned version (Apache Kafka 4.1.1, log4j 2.24.3) is in scripts/kafka/pom.xml;
# Maven fetches it from Maven Central into a cache outside git:
#   EVBENCH_KAFKA_HOME (default $HOME/.cache/evbench/kafka-4.1.1)
#     libs/            the jars (broker, its dependencies, kafka-tools for the perf tools)
#     data/            KRaft storage, formatted afresh on every `up`
#     server.properties, broker.log, broker.pid
# Needs Java 17+ and Maven. Idempotent: `up` when up and `down` when down succeed.
set -euo pipefail

KAFKA_VERSION=4.1.1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KHOME="${EVBENCH_KAFKA_HOME:-${HOME:-/root}/.cache/evbench/kafka-${KAFKA_VERSION}}"
LIBS="$KHOME/libs"
DATA="${EVBENCH_KAFKA_DATA:-$KHOME/data}"
CONF="$KHOME/server.properties"
LOG="$KHOME/broker.log"
PIDFILE="$KHOME/broker.pid"
HOST=127.0.0.1
PORT=9092
CPORT=9093
READY_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

need_java() {
	command -v java >/dev/null 2>&1 ||
		die "java not found: Apache Kafka ${KAFKA_VERSION} needs Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)"
	local v major
	v="$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
	major="${v%%.*}"
	[[ "$major" == 1 ]] && major="$(echo "$v" | cut -d. -f2)"
	[[ "$major" =~ ^[0-9]+$ ]] || die "cannot read the Java version from 'java -version' (got '$v')"
	((major >= 17)) ||
		die "java $v is too old: Apache Kafka ${KAFKA_VERSION} needs Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)"
}

need_mvn() {
	command -v mvn >/dev/null 2>&1 ||
		die "mvn not found: Maven fetches Apache Kafka ${KAFKA_VERSION} from Maven Central (Debian: apt-get install maven)"
}

fetch() {
	if [[ -f "$LIBS/.complete-$KAFKA_VERSION" ]]; then
		return 0
	fi
	need_java
	need_mvn
	mkdir -p "$KHOME"
	local tmp="$KHOME/libs.tmp.$$"
	rm -rf "$tmp"
	say "fetching Apache Kafka ${KAFKA_VERSION} with Maven into $LIBS (about 55 MB, once)"
	if ! mvn -B -q -Dstyle.color=never -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
		-DoutputDirectory="$tmp" -DincludeScope=runtime; then
		rm -rf "$tmp"
		die "maven could not fetch Apache Kafka ${KAFKA_VERSION} (see the output above)"
	fi
	[[ -f "$tmp/kafka_2.13-${KAFKA_VERSION}.jar" && -f "$tmp/kafka-tools-${KAFKA_VERSION}.jar" ]] ||
		die "maven finished but kafka_2.13-${KAFKA_VERSION}.jar or kafka-tools-${KAFKA_VERSION}.jar is missing in $tmp"
	rm -rf "$LIBS"
	mv "$tmp" "$LIBS"
	touch "$LIBS/.complete-$KAFKA_VERSION"
}

# pid_alive PID: the process exists and is our broker (guards against a
# recycled PID: its command line must name kafka.Kafka and our config file).
pid_alive() {
	local pid="$1"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	[[ -r "/proc/$pid/cmdline" ]] || return 1
	local cmd
	cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
	[[ "$cmd" == *kafka.Kafka*"$CONF"* ]]
}

running_pid() {
	[[ -f "$PIDFILE" ]] || return 1
	local pid
	pid="$(cat "$PIDFILE" 2>/dev/null || true)"
	pid_alive "$pid" || return 1
	echo "$pid"
}

port_open() {
	timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

ready() {
	grep -q "Kafka Server started" "$LOG" 2>/dev/null && port_open "$PORT"
}

log_tail() {
	echo "---- last 60 lines of $LOG ----" >&2
	tail -n 60 "$LOG" >&2 2>/dev/null || true
	echo "----" >&2
}

jvm() {
	java -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
		-cp "$LIBS/*" "$@"
}

stop_pid() {
	local pid="$1"
	say "stopping broker (pid $pid, SIGTERM)"
	kill -TERM "$pid" 2>/dev/null || true
	local i
	for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	say "broker (pid $pid) still running after ${STOP_TIMEOUT}s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	die "broker (pid $pid) did not exit after SIGKILL"
}

up() {
	local pid
	if pid="$(running_pid)"; then
		if ready; then
			say "already up: Apache Kafka ${KAFKA_VERSION} on $HOST:$PORT (pid $pid)"
			return 0
		fi
		say "a broker (pid $pid) is starting; waiting for it"
	else
		rm -f "$PIDFILE"
		if port_open "$PORT" || port_open "$CPORT"; then
			die "port $PORT or $CPORT on $HOST is in use by a process this script did not start (no live $PIDFILE); stop it or point tests at it with EVBENCH_KAFKA_BROKERS=$HOST:$PORT"
		fi
		need_java
		fetch
		mkdir -p "$KHOME"
		rm -rf "$DATA"
		mkdir -p "$DATA"
		sed -e "s#@LOG_DIRS@#$DATA#" "$HERE/kafka/server.properties.in" >"$CONF"
		: >"$LOG"
		local cid
		cid="$(jvm kafka.tools.StorageTool random-uuid 2>>"$LOG" | tail -n 1)"
		[[ -n "$cid" ]] || { log_tail; die "could not generate a cluster id"; }
		if ! jvm kafka.tools.StorageTool format --standalone -t "$cid" -c "$CONF" >>"$LOG" 2>&1; then
			log_tail
			die "formatting KRaft storage in $DATA failed"
		fi
		say "starting Apache Kafka ${KAFKA_VERSION} (KRaft, broker+controller) on $HOST:$PORT, controller $HOST:$CPORT, data $DATA"
		# setsid: the broker outlives this script and the shell that ran it.
		setsid java -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
			-Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
			-cp "$LIBS/*" kafka.Kafka "$CONF" >>"$LOG" 2>&1 </dev/null &
		pid=$!
		echo "$pid" >"$PIDFILE"
	fi
	local deadline=$((SECONDS + READY_TIMEOUT))
	while ((SECONDS < deadline)); do
		if ! pid_alive "$pid"; then
			rm -f "$PIDFILE"
			log_tail
			die "the broker exited during start-up (log: $LOG)"
		fi
		if ready; then
			say "up: Apache Kafka ${KAFKA_VERSION} on $HOST:$PORT (pid $pid, log $LOG)"
			return 0
		fi
		sleep 0.25
	done
	log_tail
	say "not ready after ${READY_TIMEOUT}s; stopping it"
	stop_pid "$pid" || true
	rm -f "$PIDFILE"
	die "broker not ready after ${READY_TIMEOUT}s (log: $LOG)"
}

down() {
	local pid
	if ! pid="$(running_pid)"; then
		rm -f "$PIDFILE"
		say "already down"
		return 0
	fi
	stop_pid "$pid"
	rm -f "$PIDFILE"
	say "down"
}

status() {
	local pid
	if pid="$(running_pid)"; then
		if ready; then
			say "up: Apache Kafka ${KAFKA_VERSION} on $HOST:$PORT (pid $pid)"
		else
			say "starting (pid $pid), not accepting connections on $HOST:$PORT yet"
		fi
		return 0
	fi
	say "down"
	return 1
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
fetch) fetch && say "jars in $LIBS" ;;
libs) fetch >&2 && echo "$LIBS" ;;
*)
	echo "usage: $0 up|down|status|fetch|libs" >&2
	exit 2
	;;
esac
