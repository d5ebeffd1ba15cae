// Hit ratio of every evbus policy, and of the offline optimum (Belady: evict the key whose next
// request is farthest), on traces in the LIRS format (one key per line; `*` and empty lines are
// markers, not requests; gzip or plain), at the cache sizes given, as CSV on stdout:
//   trace,size,policy,hits,requests,hit_ratio
// Each request is a get, then a put on a miss (a cold start, as Caffeine's simulator replays).
//   hit_ratio TRACE SIZE[,SIZE...] [TRACE SIZE[,SIZE...]]...
//   hit_ratio --zipf FILE KEYS ALPHA REQUESTS SEED   writes a Zipf trace (benchmarks/zipf.hpp) to FILE
// benchmarks/hit_ratio.sh runs it next to Caffeine on the same files and sizes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/lfu.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/sieve.hpp>
#include <evbus/cache/wtinylfu.hpp>
#include "zipf.hpp"

namespace {

std::vector<std::uint64_t> read_trace(const std::string &path) {
    // gzip -cdf passes plain files through unchanged.
    const std::string command = "gzip -cdf '" + path + "'";
    FILE *in = popen(command.c_str(), "r");
    if(in == nullptr) {
        std::fprintf(stderr, "hit_ratio: cannot run %s\n", command.c_str());
        std::exit(2);
    }
    std::vector<std::uint64_t> keys;
    char line[256];
    while(std::fgets(line, sizeof line, in) != nullptr) {
        if(line[0] == '*' || line[0] == '\n' || line[0] == '\r' || line[0] == '\0') {
            continue;
        }
        keys.push_back(std::strtoull(line, nullptr, 10));
    }
    if(pclose(in) != 0 || keys.empty()) {
        std::fprintf(stderr, "hit_ratio: no requests read from %s\n", path.c_str());
        std::exit(2);
    }
    return keys;
}

template<typename Cache, typename... Args>
std::uint64_t replay(const std::vector<std::uint64_t> &trace, std::size_t size, Args... args) {
    Cache cache{size, args...};
    for(const auto key: trace) {
        if(!cache.get(key)) {
            cache.put(key, key);
        }
    }
    return cache.stats().hits;
}

// Belady's MIN: on a miss with the cache full, evict the resident key requested farthest in the future.
std::uint64_t optimal(const std::vector<std::uint64_t> &trace, std::size_t size) {
    constexpr std::size_t never = std::numeric_limits<std::size_t>::max();
    std::vector<std::size_t> next_use(trace.size());
    std::unordered_map<std::uint64_t, std::size_t> upcoming;
    for(std::size_t i = trace.size(); i-- > 0;) {
        const auto it = upcoming.find(trace[i]);
        next_use[i] = it == upcoming.end() ? never : it->second;
        upcoming[trace[i]] = i;
    }
    std::set<std::pair<std::size_t, std::uint64_t>> by_next_use; // (next request, key), farthest last
    std::unordered_map<std::uint64_t, std::size_t> resident;     // key -> its entry's next request
    std::uint64_t hits = 0;
    for(std::size_t i = 0; i < trace.size(); ++i) {
        const std::uint64_t key = trace[i];
        if(const auto it = resident.find(key); it != resident.end()) {
            ++hits;
            by_next_use.erase({it->second, key});
            it->second = next_use[i];
            by_next_use.insert({next_use[i], key});
            continue;
        }
        if(resident.size() == size) {
            const auto farthest = std::prev(by_next_use.end());
            resident.erase(farthest->second);
            by_next_use.erase(farthest);
        }
        resident[key] = next_use[i];
        by_next_use.insert({next_use[i], key});
    }
    return hits;
}

std::vector<std::size_t> parse_sizes(const char *text) {
    std::vector<std::size_t> sizes;
    for(const char *at = text; *at != '\0';) {
        char *end = nullptr;
        sizes.push_back(std::strtoull(at, &end, 10));
        at = *end == ',' ? end + 1 : end;
        if(sizes.back() == 0u) {
            std::fprintf(stderr, "hit_ratio: bad size list '%s'\n", text);
            std::exit(2);
        }
    }
    return sizes;
}

std::string base_name(const std::string &path) {
    std::string name = path.substr(path.find_last_of('/') + 1u);
    for(const char *suffix: {".gz", ".trace", ".txt"}) {
        const std::string s{suffix};
        if(name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
            name.erase(name.size() - s.size());
        }
    }
    return name;
}

} // namespace

int main(int argc, char **argv) {
    if(argc == 7 && std::string{argv[1]} == "--zipf") {
        const auto trace =
            evbus_bench::zipf_trace(std::strtoull(argv[3], nullptr, 10), std::strtod(argv[4], nullptr),
                                    std::strtoull(argv[5], nullptr, 10), std::strtoull(argv[6], nullptr, 10));
        FILE *out = std::fopen(argv[2], "w");
        if(out == nullptr) {
            std::fprintf(stderr, "hit_ratio: cannot write %s\n", argv[2]);
            return 2;
        }
        for(const auto key: trace) {
            std::fprintf(out, "%llu\n", static_cast<unsigned long long>(key));
        }
        return std::fclose(out) == 0 ? 0 : 2;
    }
    if(argc < 3 || argc % 2 == 0) {
        std::fprintf(stderr, "usage: hit_ratio TRACE SIZE[,SIZE...] [TRACE SIZE[,SIZE...]]...\n"
                             "       hit_ratio --zipf FILE KEYS ALPHA REQUESTS SEED\n");
        return 2;
    }
    using key = std::uint64_t;
    evbus::wtinylfu::config adaptive;
    adaptive.adaptive = true;
    std::printf("trace,size,policy,hits,requests,hit_ratio\n");
    for(int arg = 1; arg + 1 < argc; arg += 2) {
        const auto trace = read_trace(argv[arg]);
        const std::string name = base_name(argv[arg]);
        for(const std::size_t size: parse_sizes(argv[arg + 1])) {
            const std::pair<const char *, std::uint64_t> rows[] = {
                {"lru", replay<evbus::cache<key, key, evbus::lru>>(trace, size)},
                {"lfu", replay<evbus::cache<key, key, evbus::lfu>>(trace, size)},
                {"sieve", replay<evbus::cache<key, key, evbus::sieve>>(trace, size)},
                {"wtinylfu", replay<evbus::cache<key, key, evbus::wtinylfu>>(trace, size)},
                {"wtinylfu_adaptive", replay<evbus::cache<key, key, evbus::wtinylfu>>(trace, size, adaptive)},
                {"optimal", optimal(trace, size)},
            };
            for(const auto &[policy, hits]: rows) {
                std::printf("%s,%zu,%s,%llu,%zu,%.4f\n", name.c_str(), size, policy,
                            static_cast<unsigned long long>(hits), trace.size(),
                            static_cast<double>(hits) / static_cast<double>(trace.size()));
            }
        }
    }
    return 0;
}
