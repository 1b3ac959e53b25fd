# usher in a container: a static binary in an image that holds nothing
# else but CA certificates and an empty state directory, run as a user
# that is not root. docs/operations.md ("Containers") walks through it;
# e2e/deploy_test.go builds the binary with deploy/build.sh, as below, and
# serves a push from a root file system holding exactly what the COPY
# lines of the final stage put there.
#
#   docker build -t usher --build-arg VERSION=$(git describe --tags --always) .

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN VERSION="$VERSION" sh deploy/build.sh /out/usher && mkdir -p /out/state

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/usher /usr/local/bin/usher
COPY --from=build --chown=65532:65532 /out/state /var/lib/usher
USER 65532:65532
WORKDIR /var/lib/usher
ENV USHER_LISTEN=0.0.0.0:8080
ENV USHER_DATABASE=sqlite:/var/lib/usher/usher.db
EXPOSE 8080
VOLUME ["/var/lib/usher"]
ENTRYPOINT ["/usr/local/bin/usher"]
CMD ["serve", "--config", "/etc/usher/usher.yaml"]
