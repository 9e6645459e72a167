#!/bin/sh
# Builds the compiled workloads and the load generator into build/ (not committed).
set -eu
cd "$(dirname "$0")"
mkdir -p build/jvm
cc -O2 -Wall -Wextra -o build/loadgen loadgen/loadgen.c
cc -O2 -Wall -Wextra -o build/c-server c/server.c
(cd go && GOCACHE="${GOCACHE:-/tmp/hp-leak-corpus-gocache}" GO111MODULE=off go build -o ../build/go-server server.go)
javac -d build/jvm jvm/Server.java
