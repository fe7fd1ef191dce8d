# The llmotel collector image used by docker-compose.yml: built with collector/build.sh, the same
# script the native stack uses, then copied onto a small base that has wget for health checks.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY collector/ collector/
RUN bash collector/build.sh > /tmp/build.out && cp "$(tail -n 1 /tmp/build.out)" /llmotelcol

FROM alpine:3.22
COPY --from=build /llmotelcol /usr/local/bin/llmotelcol
ENTRYPOINT ["/usr/local/bin/llmotelcol"]
