#!/bin/sh
# Make the root file system of the offline base image with debootstrap.
#
#   sudo image/build-base.sh TARGET_DIR [MIRROR]
#
# TARGET_DIR must not exist yet or be empty.  Needs root and debootstrap; reaches
# only the Debian archive.  harness.host.image tars TARGET_DIR and `docker import`s it.
set -eu
target=$1
mirror=${2:-http://deb.debian.org/debian}
suite=bookworm
here=$(dirname "$0")
packages=$(grep -v '^#' "$here/debian-packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
debootstrap --variant=minbase --include="$packages" "$suite" "$target" "$mirror"
# What a container never needs: downloaded packages, package lists, manuals.
rm -rf "$target"/var/cache/apt/archives/*.deb "$target"/var/lib/apt/lists/* \
       "$target"/usr/share/man/* "$target"/usr/share/info/* "$target"/var/log/*
# The grader code is mounted here at run time (see harness/backends/docker.py).
mkdir -p "$target/opt/grader"
