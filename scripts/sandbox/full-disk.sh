# shellcheck shell=bash
# A disk that fills up, for the fault tests (issue 14): a 4 MiB tmpfs at .sandbox/full owned by
# the sandbox user, its own mount so "No space left on device" hits nothing else.
# Sourced by lib.sh; start.sh calls mount_full_disk and stop.sh umount_full_disk. By hand, on a
# running sandbox: sudo bash scripts/sandbox/full-disk.sh mount|umount
FULL_DISK_SIZE=4m

mount_full_disk() {
  local dir="$SB/full"
  mkdir -p "$dir"
  if ! mountpoint -q "$dir"; then
    mount -t tmpfs -o "size=$FULL_DISK_SIZE,mode=0755,uid=$(id -u "$SANDBOX_USER"),gid=$(id -g "$SANDBOX_USER")" remote-hpc-full "$dir" ||
      die "cannot mount the full-disk tmpfs at $dir"
    log "full-disk tmpfs ($FULL_DISK_SIZE) mounted at $dir"
  fi
}

umount_full_disk() {
  if mountpoint -q "$SB/full"; then umount "$SB/full" || log "could not unmount $SB/full"; fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
  require_root
  case ${1:-mount} in
    mount) mount_full_disk ;;
    umount) umount_full_disk ;;
    *) die "usage: $0 mount|umount" ;;
  esac
  exit 0
fi
