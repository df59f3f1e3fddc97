#!/usr/bin/env bash
# Builds the benchmark (Maven profile "bench") and runs it; see docs/benchmarks.md.
#   bench/run.sh [--instances 95000] [--runs 3] [--scenarios floor,agent-gzip,agent-zstd,guide-gzip,agent-none]
# Needs Debian's mariadb-server, swift (with s3api) and time packages. The generated database is cached in
# bench/work/ (about 2.5 GB); results are written to bench/work/results-<time>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Pbench -pl bench -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile="$PWD/bench/target/classpath.txt" -Dmdep.includeScope=runtime
cp="bench/target/classes:$(cat bench/target/classpath.txt)"
exec java -Xmx1g ${BENCH_JAVA_OPTS:-} -cp "$cp" io.osbackup.bench.DumpBenchmark "$@"
