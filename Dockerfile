# syntax=docker/dockerfile:1
# The one osbackup image: `osbackup operator ...` in the chart's Deployment, `osbackup agent` in every backup and
# restore Job the operator creates. Build from the repository root:
#   docker build -t ghcr.io/osbackup/osbackup:0.1.0 .
# charts-test DockerfileTest checks that the entry point, user and jar path agree with the Jobs and the chart.

# ---- Build: the shaded jar operator/target/osbackup-all.jar (Maven + Temurin JDK 17).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Every module's pom, so Maven can read the reactor; only the operator module is built.
COPY pom.xml ./
COPY operator/pom.xml operator/
COPY e2e/pom.xml e2e/
COPY charts-test/pom.xml charts-test/
COPY operator/src/main operator/src/main
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -DskipTests -pl operator -am package

# ---- Runtime: Temurin 17 JRE (Ubuntu) with the MariaDB client tools the agent runs (mariadb-dump, mariadb).
FROM eclipse-temurin:17-jre
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="osbackup" \
      org.opencontainers.image.description="Backs up and restores the control plane of an OpenStack cloud (MariaDB databases, node configuration, Swift rings) to S3: the operator and its Job agent." \
      org.opencontainers.image.source="https://github.com/osbackup/osbackup" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

RUN apt-get update \
 && apt-get install -y --no-install-recommends mariadb-client \
 && rm -rf /var/lib/apt/lists/* \
 && command -v mariadb-dump && command -v mariadb

# uid and gid 65532: the operator pod's runAsUser (chart) and that of the Jobs that do not read node files.
RUN groupadd --system --gid 65532 osbackup \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin osbackup

COPY --from=build /src/operator/target/osbackup-all.jar /opt/osbackup/osbackup.jar
# `osbackup <command>` runs the jar; the JVM also reads JAVA_TOOL_OPTIONS, which the chart and the Jobs set.
RUN printf '#!/bin/sh\nexec java -jar /opt/osbackup/osbackup.jar "$@"\n' > /usr/local/bin/osbackup \
 && chmod 0755 /usr/local/bin/osbackup

USER 65532:65532
WORKDIR /opt/osbackup
ENTRYPOINT ["osbackup"]
CMD ["--help"]
