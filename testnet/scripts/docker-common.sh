# Sourced by docker-up.sh and docker-down.sh (they set MARKER): which dockerd is ours.
#
# The marker holds "pid start-time boot-id" of the dockerd docker-up.sh started. A pid alone could
# name another process after a crash or reboot; the start time (field 22 of /proc/<pid>/stat, clock
# ticks since boot) and the boot id together name one process only.

# Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses.
proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  awk '{ print $20 }' <<<"$stat"
}

boot_id() { cat /proc/sys/kernel/random/boot_id; }

marker_pid() { awk '{ print $1 }' "$MARKER" 2>/dev/null; }

write_marker() {
  local start
  start=$(proc_start "$1") || return 1
  echo "$1 $start $(boot_id)" >"$MARKER"
}

# The marker's pid is still the process we started (same start time, same boot).
marker_alive() {
  local pid start boot
  [[ -f $MARKER ]] || return 1
  read -r pid start boot <"$MARKER" || return 1
  [[ $pid =~ ^[0-9]+$ && -n $start && -n $boot ]] || return 1
  [[ $(boot_id) == "$boot" && $(proc_start "$pid") == "$start" ]]
}

# Our daemon: that process, and by now a dockerd (setsid execs it under the same pid).
ours_running() { marker_alive && [[ $(cat "/proc/$(marker_pid)/comm" 2>/dev/null) == dockerd ]]; }
