# Sourced by the infra/podman scripts: podman with the settings this kind of machine needs.
# - runc: crun refuses cgroup v1 ("hybrid mode"), which these machines run.
# - build/run/create get fixed ulimits: raising them is refused ("setrlimit: operation not permitted").
# PREPCAST_PODMAN_RUNTIME and PREPCAST_PODMAN_ULIMITS override both (e.g. on a host where crun works).
PREPCAST_PODMAN_RUNTIME=${PREPCAST_PODMAN_RUNTIME:-runc}
PREPCAST_PODMAN_ULIMITS=${PREPCAST_PODMAN_ULIMITS:---ulimit nofile=1024:1024 --ulimit nproc=1024:1024}
pm() {
  case "${1:-}" in
    build|run|create)
      local sub=$1; shift
      # shellcheck disable=SC2086
      podman --runtime "$PREPCAST_PODMAN_RUNTIME" "$sub" $PREPCAST_PODMAN_ULIMITS "$@" ;;
    *) podman --runtime "$PREPCAST_PODMAN_RUNTIME" "$@" ;;
  esac
}
