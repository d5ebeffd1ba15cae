// libFuzzer target: evbus::cache with evbus::wtinylfu (a fixed seed) against the invariants of any
// correct cache: which keys stay is the policy's (randomized) choice. Each input runs with the fixed
// window and with the adaptive one.
#include <evbus/cache/wtinylfu.hpp>

#include "cache_differential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    evbus::wtinylfu::config settings;
    settings.seed = 2024u;
    using cache = evbus::cache<evbus_fuzz::key, evbus_fuzz::value, evbus::wtinylfu>;
    const int fixed = evbus_fuzz::run_invariants<cache>(data, size, settings);
    settings.adaptive = true;
    return fixed | evbus_fuzz::run_invariants<cache>(data, size, settings);
}
