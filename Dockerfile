# Palabre in a container: a static binary on a distroless base, run as a
# non-root user, with no shell or package manager in the image. Templates,
# assets and migrations are embedded in the binary. See docs/operations.md.
#
#   docker build -t palabre --build-arg VERSION=$(git describe --always) .
#   docker compose up        (compose.yaml: Palabre and PostgreSQL)

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first: they change less often than the code, and stay cached.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/palabre .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/palabre /palabre
# Inside a container the server listens on every interface; publish the
# port, or put a reverse proxy in front (deploy/nginx.conf).
ENV PALABRE_LISTEN=0.0.0.0:8080 \
    PALABRE_LOG_FORMAT=json
EXPOSE 8080
USER nonroot:nonroot
# No shell in the image: the binary checks itself (GET /readyz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/palabre", "healthcheck"]
ENTRYPOINT ["/palabre"]
CMD ["serve"]
