#!/usr/bin/env bash
# scripts/kafka.sh: real Apache Kafka for evbench's integration tests and
# benchmarks, without Docker: a single node on 127.0.0.1:9092 (controller
# 9093), or a local cluster of combined broker+controller KRaft nodes on
# 127.0.0.1:19092, 29092, 39092 (controllers 19093, 29093, 39093) with a
# static quorum of every node.
#
#   scripts/kafka.sh up [--nodes N]  fetch Kafka (once), format fresh storage, start, wait until ready;
#                                     --nodes 3 starts the cluster and prints its bootstrap list
#   scripts/kafka.sh start [N]        start the single node (or cluster node N) keeping its data
#   scripts/kafka.sh restart [N]      stop then start, keeping the data
#   scripts/kafka.sh stop N           SIGTERM cluster node N (controlled shutdown), SIGKILL after 30 s
#   scripts/kafka.sh kill N           SIGKILL cluster node N (a crash)
#   scripts/kafka.sh pause N          SIGSTOP cluster node N (a long GC pause); resume N sends SIGCONT
#   scripts/kafka.sh down [--nodes N] stop everything this script started (--nodes 1: only the single
#                                     node; --nodes 3: only the cluster), by PID
#   scripts/kafka.sh status           every node: up, starting, paused or down; exit 0 when any is up
#   scripts/kafka.sh brokers          print the cluster's bootstrap list
#   scripts/kafka.sh fetch            only fetch the jars
#   scripts/kafka.sh libs             print the directory holding the jars (for java -cp 'DIR/*')
#
# The pinned version (Apache Kafka 4.1.1, log4j 2.24.3) is in scripts/kafka/pom.xml;
# Maven fetches it from Maven Central into a cache outside git:
#   EVBENCH_KAFKA_HOME (default $HOME/.cache/evbench/kafka-4.1.1)
#     libs/            the jars (broker, its dependencies, kafka-tools for the perf tools)
#     data/            the single node's KRaft storage (EVBENCH_KAFKA_DATA), formatted afresh on `up`
#     server.properties, broker.log, broker.pid   the single node's
#     cluster/         the cluster (EVBENCH_KAFKA_CLUSTER_HOME): nodes (its size), cluster.id and
#                      node-N/{data/,server.properties,broker.log,broker.pid} per node
# EVBENCH_KAFKA_PORT (default 9092) moves every port: the single node uses it
# and the next one; cluster node N uses N*10000 more (19092/19093 for node 1).
# Every process is tracked by its PID file and acted on by PID only.
# Needs Java 17+ and Maven. Idempotent: `up` when up and `down` when down succeed.
set -euo pipefail

KAFKA_VERSION=4.1.1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KHOME="${EVBENCH_KAFKA_HOME:-${HOME:-/root}/.cache/evbench/kafka-${KAFKA_VERSION}}"
LIBS="$KHOME/libs"
CHOME="${EVBENCH_KAFKA_CLUSTER_HOME:-$KHOME/cluster}"
HOST=127.0.0.1
BASE_PORT="${EVBENCH_KAFKA_PORT:-9092}"
MAX_NODES=5
READY_TIMEOUT="${EVBENCH_KAFKA_READY_TIMEOUT:-90}"
STOP_TIMEOUT=30

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

[[ "$BASE_PORT" =~ ^[0-9]+$ ]] && ((BASE_PORT >= 1024 && BASE_PORT + MAX_NODES * 10000 + 1 <= 65535)) ||
	die "EVBENCH_KAFKA_PORT=$BASE_PORT: want a port from 1024 to $((65534 - MAX_NODES * 10000))"

# node N sets the variables describing one node: 0 is the single node,
# 1..MAX_NODES the cluster's nodes.
node() {
	NODE="$1"
	if ((NODE == 0)); then
		NAME="broker"
		NHOME="$KHOME"
		DATA="${EVBENCH_KAFKA_DATA:-$KHOME/data}"
		PORT="$BASE_PORT"
		NODE_ID=1
	else
		NAME="node $NODE"
		NHOME="$CHOME/node-$NODE"
		DATA="$NHOME/data"
		PORT=$((NODE * 10000 + BASE_PORT))
		NODE_ID="$NODE"
	fi
	CPORT=$((PORT + 1))
	CONF="$NHOME/server.properties"
	LOG="$NHOME/broker.log"
	PIDFILE="$NHOME/broker.pid"
}

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

# proc_state PID: the one-letter state from /proc/PID/stat (R, S, T, Z, ...),
# or nothing when there is no such process.
proc_state() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
	stat="${stat##*) }"
	echo "${stat%% *}"
}

# pid_alive PID: the process exists and is this node's broker (guards against
# a recycled PID: its command line must name kafka.Kafka and the node's config).
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

log_tail() {
	echo "---- last 60 lines of $LOG ----" >&2
	tail -n 60 "$LOG" >&2 2>/dev/null || true
	echo "----" >&2
}

# JVM options: a single node gets the 512 MB heap it always had; cluster
# nodes grow from 256 MB to 512 MB with fewer GC and compiler threads, so
# three of them (and the single node) fit two cores.
jvm_opts() {
	if ((NODE == 0)); then
		echo -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
	else
		echo -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:ParallelGCThreads=1 \
			-XX:ConcGCThreads=1 -XX:CICompilerCount=2 -XX:TieredStopAtLevel=1
	fi
}

jvm() {
	# shellcheck disable=SC2046
	java $(jvm_opts) -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
		-cp "$LIBS/*" "$@"
}

# write_conf NODES: the node's server.properties (NODES 0: the single node).
write_conf() {
	local nodes="$1" quorum rf=1 isr=1 extra="" i
	if ((nodes == 0)); then
		quorum="controller.quorum.bootstrap.servers=$HOST:$CPORT"
	else
		quorum="controller.quorum.voters="
		for ((i = 1; i <= nodes; i++)); do
			((i > 1)) && quorum+=","
			quorum+="$i@$HOST:$((i * 10000 + BASE_PORT + 1))"
		done
		rf=$((nodes < 3 ? nodes : 3))
		isr=$((rf < 2 ? rf : 2))
		# Few threads per node (three nodes share two cores); a dead node is
		# fenced after 6 s and dropped from the ISR within 10 s, so fault
		# tests recover in seconds rather than the defaults' 9 s and 30 s.
		extra="num.network.threads=2
num.io.threads=2
background.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
replica.lag.time.max.ms=10000"
	fi
	mkdir -p "$NHOME"
	sed -e "s#@LOG_DIRS@#$DATA#" -e "s#@NODE_ID@#$NODE_ID#" -e "s#@QUORUM@#$quorum#" \
		-e "s#@PORT@#$PORT#g" -e "s#@CPORT@#$CPORT#g" -e "s#@INTERNAL_RF@#$rf#" \
		-e "s#@INTERNAL_MIN_ISR@#$isr#" "$HERE/kafka/server.properties.in" |
		awk -v extra="$extra" '$0 == "@EXTRA@" { if (extra != "") print extra; next } { print }' >"$CONF"
}

# format CLUSTER_ID [--standalone]: fresh KRaft storage for the current node.
format() {
	rm -rf "$DATA"
	mkdir -p "$DATA"
	if ! jvm kafka.tools.StorageTool format "${@:2}" -t "$1" -c "$CONF" >>"$LOG" 2>&1; then
		log_tail
		die "formatting KRaft storage in $DATA failed"
	fi
}

# new_cluster_id: what `StorageTool random-uuid` prints (16 random bytes,
# URL-safe base64 without padding), without starting a JVM for it.
new_cluster_id() {
	local cid
	cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c 1-22)"
	[[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a cluster id (got '$cid')"
	echo "$cid"
}

# launch: start the current node's JVM in its own session (it outlives this
# script) and record its PID at once. Sets LAUNCH_PID and LAUNCH_LOG_AT (the
# log's size before the start, so readiness is read from this start's lines).
launch() {
	[[ -f "$DATA/meta.properties" ]] ||
		die "$NAME: no formatted storage in $DATA (run 'scripts/kafka.sh up' first; 'up --nodes N' for a cluster)"
	if port_open "$PORT" || port_open "$CPORT"; then
		die "$NAME: port $PORT or $CPORT on $HOST is in use by a process this script did not start (no live $PIDFILE)"
	fi
	touch "$LOG"
	LAUNCH_LOG_AT="$(stat -c %s "$LOG")"
	# shellcheck disable=SC2046
	setsid java $(jvm_opts) -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
		-cp "$LIBS/*" kafka.Kafka "$CONF" >>"$LOG" 2>&1 </dev/null &
	LAUNCH_PID=$!
	echo "$LAUNCH_PID" >"$PIDFILE"
}

# started PID LOG_AT: 0 once this start logged "Kafka Server started" and the
# client port accepts connections (it opens only once the broker is unfenced).
started() {
	tail -c +"$(($2 + 1))" "$LOG" 2>/dev/null | grep -q "Kafka Server started" && port_open "$PORT"
}

# wait_ready PID LOG_AT: poll until the node is ready, it exits, or the
# deadline passes. A freshly launched PID is watched with kill -0 (and its
# /proc state, for a zombie) rather than its command line: between fork and
# exec the command line is still this script's, which is not an exit.
# Returns 0 when ready, 1 when it exited, 2 on timeout.
wait_ready() {
	local pid="$1" at="$2" deadline=$((SECONDS + READY_TIMEOUT))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$pid" 2>/dev/null || [[ "$(proc_state "$pid")" == Z ]]; then
			return 1
		fi
		if started "$pid" "$at"; then
			return 0
		fi
		sleep 0.25
	done
	return 2
}

# ready_or_die PID LOG_AT: wait_ready with the failure reported and the PID
# file removed only when the process is really gone (or stopped by us).
ready_or_die() {
	local rc=0
	wait_ready "$1" "$2" || rc=$?
	case $rc in
	0) return 0 ;;
	1)
		rm -f "$PIDFILE"
		log_tail
		die "$NAME exited during start-up (log: $LOG)"
		;;
	*)
		log_tail
		say "$NAME not ready after ${READY_TIMEOUT}s; stopping it"
		stop_pid "$1" || true
		rm -f "$PIDFILE"
		die "$NAME not ready after ${READY_TIMEOUT}s (log: $LOG)"
		;;
	esac
}

stop_pid() {
	local pid="$1"
	say "stopping $NAME (pid $pid, SIGTERM)"
	kill -TERM "$pid" 2>/dev/null || true
	kill -CONT "$pid" 2>/dev/null || true # a paused node must run to exit
}

# wait_gone PID: SIGKILL after STOP_TIMEOUT; fails if it survives that.
wait_gone() {
	local pid="$1" i
	for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	say "$NAME (pid $pid) still running after ${STOP_TIMEOUT}s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	die "$NAME (pid $pid) did not exit after SIGKILL"
}

describe() {
	local pid="$1"
	if [[ "$(proc_state "$pid")" == T ]]; then
		echo "paused (pid $pid, SIGSTOP; resume with 'scripts/kafka.sh resume $NODE')"
	elif port_open "$PORT"; then
		echo "up on $HOST:$PORT (pid $pid)"
	else
		echo "starting (pid $pid), not accepting connections on $HOST:$PORT yet"
	fi
}

cluster_size() {
	local n
	n="$(cat "$CHOME/nodes" 2>/dev/null || true)"
	[[ "$n" =~ ^[1-9]$ ]] || return 1
	echo "$n"
}

bootstrap() {
	local n="$1" i out=""
	for ((i = 1; i <= n; i++)); do
		((i > 1)) && out+=","
		out+="$HOST:$((i * 10000 + BASE_PORT))"
	done
	echo "$out"
}

# ---- the single node -------------------------------------------------------

up_single() {
	node 0
	local pid
	if pid="$(running_pid)"; then
		if port_open "$PORT"; then
			say "already up: Apache Kafka ${KAFKA_VERSION} on $HOST:$PORT (pid $pid)"
			return 0
		fi
		say "a broker (pid $pid) is starting; waiting for it"
		ready_or_die "$pid" 0
	else
		rm -f "$PIDFILE"
		if port_open "$PORT" || port_open "$CPORT"; then
			die "port $PORT or $CPORT on $HOST is in use by a process this script did not start (no live $PIDFILE); stop it or point tests at it with EVBENCH_KAFKA_BROKERS=$HOST:$PORT"
		fi
		need_java
		fetch
		mkdir -p "$KHOME"
		write_conf 0
		: >"$LOG"
		format "$(new_cluster_id)" --standalone
		say "starting Apache Kafka ${KAFKA_VERSION} (KRaft, broker+controller) on $HOST:$PORT, controller $HOST:$CPORT, data $DATA"
		launch
		ready_or_die "$LAUNCH_PID" "$LAUNCH_LOG_AT"
		pid="$LAUNCH_PID"
	fi
	say "up: Apache Kafka ${KAFKA_VERSION} on $HOST:$PORT (pid $pid, log $LOG)"
}

# start_node: start the current node keeping its data (no-op when running).
start_node() {
	local pid
	if pid="$(running_pid)"; then
		say "$NAME already running: $(describe "$pid")"
		return 0
	fi
	rm -f "$PIDFILE"
	need_java
	fetch
	[[ -f "$CONF" ]] || die "$NAME: no $CONF (run 'scripts/kafka.sh up' first)"
	say "starting $NAME on $HOST:$PORT keeping its data ($DATA)"
	launch
}

start_single() {
	node 0
	start_node
	if [[ -n "${LAUNCH_PID:-}" ]]; then
		ready_or_die "$LAUNCH_PID" "$LAUNCH_LOG_AT"
	fi
	say "up: Apache Kafka ${KAFKA_VERSION} on $HOST:$PORT (pid $(cat "$PIDFILE"), log $LOG)"
}

stop_node() {
	local pid
	if pid="$(running_pid)"; then
		stop_pid "$pid"
		wait_gone "$pid"
		say "$NAME stopped"
	else
		say "$NAME already down"
	fi
	rm -f "$PIDFILE"
}

# ---- the cluster -------------------------------------------------------------

up_cluster() {
	local n="$1" i pid any="" pids=() ats=() todo=()
	((n >= 1 && n <= MAX_NODES)) || die "--nodes $n: want 1 to $MAX_NODES"
	local have
	if have="$(cluster_size)"; then
		for ((i = 1; i <= have; i++)); do
			node "$i"
			running_pid >/dev/null && any=1
		done
		if [[ -n "$any" && "$have" != "$n" ]]; then
			die "a $have-node cluster is running; 'scripts/kafka.sh down --nodes $have' first"
		fi
	fi
	need_java
	fetch
	mkdir -p "$CHOME"
	if [[ -z "$any" ]]; then
		# Nothing runs: fresh storage for every node, one cluster id.
		for ((i = 1; i <= n; i++)); do
			node "$i"
			if port_open "$PORT" || port_open "$CPORT"; then
				die "$NAME: port $PORT or $CPORT on $HOST is in use by a process this script did not start"
			fi
		done
		rm -rf "$CHOME"/node-*
		echo "$n" >"$CHOME/nodes"
		node 1
		mkdir -p "$NHOME"
		: >"$LOG"
		local cid
		cid="$(new_cluster_id)"
		echo "$cid" >"$CHOME/cluster.id"
		# One JVM per node formats its storage; in parallel, as each takes seconds.
		local fpids=()
		for ((i = 1; i <= n; i++)); do
			node "$i"
			write_conf "$n"
			: >"$LOG"
			(format "$cid") &
			fpids+=($!)
		done
		for i in "${!fpids[@]}"; do
			wait "${fpids[$i]}" || die "formatting node $((i + 1)) failed (see above)"
		done
		say "starting a $n-node Apache Kafka ${KAFKA_VERSION} cluster (KRaft, each node broker+controller), data in $CHOME"
	fi
	for ((i = 1; i <= n; i++)); do
		node "$i"
		LAUNCH_PID=""
		start_node
		if [[ -n "$LAUNCH_PID" ]]; then
			todo+=("$i")
			pids+=("$LAUNCH_PID")
			ats+=("$LAUNCH_LOG_AT")
		fi
	done
	local k
	for k in "${!todo[@]}"; do
		node "${todo[$k]}"
		ready_or_die "${pids[$k]}" "${ats[$k]}"
	done
	for ((i = 1; i <= n; i++)); do
		node "$i"
		pid="$(running_pid)" || die "$NAME is not running"
		port_open "$PORT" || ready_or_die "$pid" 0
		say "$NAME: $(describe "$pid")"
	done
	say "up: $n-node cluster; bootstrap $(bootstrap "$n")"
}

# node_arg N: check N names a node of the cluster and select it.
node_arg() {
	local n
	n="$(cluster_size)" || die "no cluster (start one with 'scripts/kafka.sh up --nodes 3')"
	[[ "${1:-}" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= n)) || die "node '${1:-}': want 1 to $n"
	node "$1"
}

# signal_node STOP|CONT WHAT: pause or resume the node, returning once the
# kernel shows it stopped (state T) or running again.
signal_node() {
	local sig="$1" what="$2" pid i st
	pid="$(running_pid)" || die "$NAME is not running"
	kill -"$sig" "$pid"
	for ((i = 0; i < 100; i++)); do
		st="$(proc_state "$pid")"
		[[ "$sig" == STOP && "$st" == T ]] && break
		[[ "$sig" == CONT && "$st" != T ]] && break
		sleep 0.05
	done
	say "$NAME (pid $pid): $what"
}

kill_node() {
	local pid
	pid="$(running_pid)" || die "$NAME is not running"
	kill -KILL "$pid"
	local i
	for ((i = 0; i < 100; i++)); do
		pid_alive "$pid" || break
		sleep 0.05
	done
	pid_alive "$pid" && die "$NAME (pid $pid) survived SIGKILL"
	rm -f "$PIDFILE"
	say "$NAME (pid $pid) killed (SIGKILL); its data is kept: 'scripts/kafka.sh start $NODE'"
}

start_cluster_node() {
	start_node
	if [[ -n "${LAUNCH_PID:-}" ]]; then
		ready_or_die "$LAUNCH_PID" "$LAUNCH_LOG_AT"
	fi
	say "$NAME: $(describe "$(cat "$PIDFILE")")"
}

# ---- everything --------------------------------------------------------------

# down_all WHICH: stop the single node (1), the cluster (cluster) or both
# (all). SIGTERM goes to every node first, so a cluster shuts down together
# rather than losing its quorum one node at a time.
down_all() {
	local which="$1" sel=() i pid pids=() nodes=()
	[[ "$which" != cluster ]] && sel+=(0)
	if [[ "$which" != 1 ]]; then
		local n
		if n="$(cluster_size)"; then
			for ((i = 1; i <= n; i++)); do sel+=("$i"); done
		fi
	fi
	for i in "${sel[@]}"; do
		node "$i"
		if pid="$(running_pid)"; then
			stop_pid "$pid"
			pids+=("$pid")
			nodes+=("$i")
		else
			rm -f "$PIDFILE"
		fi
	done
	local k
	for k in "${!pids[@]}"; do
		node "${nodes[$k]}"
		wait_gone "${pids[$k]}"
		rm -f "$PIDFILE"
	done
	if ((${#pids[@]} == 0)); then
		say "already down"
	else
		say "down"
	fi
}

status() {
	local any=1 pid i n
	node 0
	if pid="$(running_pid)"; then
		say "broker: $(describe "$pid")"
		any=0
	else
		say "broker: down"
	fi
	if n="$(cluster_size)"; then
		for ((i = 1; i <= n; i++)); do
			node "$i"
			if pid="$(running_pid)"; then
				say "$NAME: $(describe "$pid")"
				any=0
			else
				say "$NAME: down"
			fi
		done
		say "cluster bootstrap: $(bootstrap "$n")"
	fi
	return $any
}

nodes_flag() {
	case "${1:-}" in
	"") echo "" ;;
	--nodes) [[ "${2:-}" =~ ^[0-9]+$ ]] || die "--nodes wants a number"; echo "$2" ;;
	--nodes=*) [[ "${1#--nodes=}" =~ ^[0-9]+$ ]] || die "--nodes wants a number"; echo "${1#--nodes=}" ;;
	*) die "unknown argument '$1'" ;;
	esac
}

usage() {
	echo "usage: $0 up [--nodes N] | down [--nodes N] | start [N] | restart [N] | stop N | kill N | pause N | resume N | status | brokers | fetch | libs" >&2
	exit 2
}

cmd="${1:-}"
shift || true
case "$cmd" in
up)
	n="$(nodes_flag "$@")"
	if [[ -z "$n" || "$n" == 1 ]]; then up_single; else up_cluster "$n"; fi
	;;
down)
	n="$(nodes_flag "$@")"
	if [[ -z "$n" ]]; then down_all all; elif [[ "$n" == 1 ]]; then down_all 1; else down_all cluster; fi
	;;
start)
	if [[ -z "${1:-}" ]]; then start_single; else node_arg "$1"; start_cluster_node; fi
	;;
restart)
	if [[ -z "${1:-}" ]]; then
		node 0
		stop_node
		start_single
	else
		node_arg "$1"
		stop_node
		start_cluster_node
	fi
	;;
stop) node_arg "${1:-}"; stop_node ;;
kill) node_arg "${1:-}"; kill_node ;;
pause) node_arg "${1:-}"; signal_node STOP "paused (SIGSTOP)" ;;
resume) node_arg "${1:-}"; signal_node CONT "resumed (SIGCONT)" ;;
status) status ;;
brokers)
	n="$(cluster_size)" || die "no cluster (start one with 'scripts/kafka.sh up --nodes 3')"
	bootstrap "$n"
	;;
fetch) fetch && say "jars in $LIBS" ;;
libs) fetch >&2 && echo "$LIBS" ;;
*) usage ;;
esac
