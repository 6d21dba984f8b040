# Multi-stage build of the bursar binary; the runtime image runs as an unprivileged user.
# In a container, point DATABASE_URL at a PostgreSQL server (the private-cluster mode is for development).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bursar ./cmd/bursar

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/bursar --create-home bursar
COPY --from=build /out/bursar /usr/local/bin/bursar
USER bursar
WORKDIR /var/lib/bursar
ENV BURSAR_ADDR=:8080 BURSAR_DATA_DIR=/var/lib/bursar
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bursar"]
CMD ["serve"]
