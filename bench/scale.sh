#!/usr/bin/env bash
# Builds the benchmark module (Maven profile "bench") and runs one scale benchmark; see "Scale" in docs/benchmarks.md.
#   bench/scale.sh fanout    [--nodes 200] [--parallel 5,20] [--lost-parallel 20] [--agent-jvm '-XX:+UseSerialGC -XX:TieredStopAtLevel=1']
#   bench/scale.sh operator  [--policies 500] [--runs 20000] [--slots 2] [--schedule '* * * * *']
#   bench/scale.sh retention [--backups 2000] [--objects-per-backup 10] [--keep-last 10] [--threads 16]
# Needs Debian's swift (with s3api; the e2e fixture S3Server). Results go to bench/work/scale-<mode>-<time>.md.
# The cluster is the e2e LocalCluster on fabric8's mock API; BENCH_JAVA_OPTS=-Dosbackup.kubernetes=real puts it on kubelocal.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  mvn -B -q -Pbench -pl bench -am -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile="$PWD/bench/target/classpath.txt" -Dmdep.includeScope=runtime
fi
cp="bench/target/classes:$(cat bench/target/classpath.txt)"
exec java -Xmx${BENCH_HEAP:-2g} ${BENCH_JAVA_OPTS:-} -cp "$cp" io.osbackup.bench.ScaleBenchmark "$@"
