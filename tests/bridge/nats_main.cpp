// The NATS tests' main: Catch's session, then libnats closed and its threads joined before the
// process exits. Without that, a libnats thread still releasing a TLS connection (SSL_free from its
// garbage-collector thread) can run during OpenSSL's exit cleanup, which frees libcrypto's locks:
// CI saw a segfault in pthread_rwlock_unlock after all cases had passed (docs/bridge.md).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include <nats/nats.h>

int main(int argc, char *argv[]) {
    const int failed = Catch::Session().run(argc, argv);
    const natsStatus closed = nats_CloseAndWait(10000);
    if(closed != NATS_OK) {
        std::fprintf(stderr, "nats_CloseAndWait: %s\n", natsStatus_GetText(closed));
        return failed != 0 ? failed : 1;
    }
    return failed;
}
