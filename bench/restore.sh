#!/usr/bin/env bash
# Builds the benchmark (Maven profile "bench") and runs the restore benchmark; see "Restore" in docs/benchmarks.md.
#   bench/restore.sh [--runs 2] [--scenarios client,client-gzip,agent-fresh,agent-replace,agent-verify,gunzip]
#                    [--work bench/work]   (also agent-fresh-zstd, agent-replace-zstd)
# Needs Debian's mariadb-server, swift (with s3api) and time packages, and the data set bench/run.sh generated and
# keeps in bench/work/mariadb-v1-104000 (about 2 GB). Each restore goes into a fresh server under
# bench/work/restore-run/ (about 2 GB each, deleted after use); results go to bench/work/restore-results-<time>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  mvn -B -q -Pbench -pl bench -am -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile="$PWD/bench/target/classpath.txt" -Dmdep.includeScope=runtime
fi
cp="bench/target/classes:$(cat bench/target/classpath.txt)"
exec java -Xmx1g ${BENCH_JAVA_OPTS:-} -cp "$cp" io.osbackup.bench.RestoreBenchmark "$@"
