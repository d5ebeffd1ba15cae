// A nats-server started by a test: 127.0.0.1, a free port (-p -1 --ports_file_dir), its own temporary
// directory (ports file, log, config, JetStream store), stopped by its PID. kill() sends SIGKILL and
// restart() starts it again on the same port, for fault tests; pause() (SIGSTOP) holds it mid-request.
#ifndef EVBUS_TESTS_BRIDGE_NATS_SERVER_HPP
#define EVBUS_TESTS_BRIDGE_NATS_SERVER_HPP

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace evbus_test {

#ifndef EVBUS_NATS_SERVER
#    define EVBUS_NATS_SERVER "/usr/sbin/nats-server"
#endif

/// Waits until pred() holds, up to a generous deadline; returns pred()'s last value (no timing asserted).
template<typename Pred>
bool wait_until(Pred pred, std::chrono::seconds deadline = std::chrono::seconds{10}) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while(!pred()) {
        if(std::chrono::steady_clock::now() > end) {
            return pred();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    return true;
}

/// Dispatches bus until pred() holds (or the generous deadline passes).
template<typename Bus, typename Pred>
bool dispatch_until(Bus &bus, Pred pred) {
    return wait_until([&] {
        bus.dispatch();
        return pred();
    });
}

class nats_server {
public:
    /// config: the text of a server configuration file (authorization and the like), or empty;
    /// jetstream: --js with a store in the server's own directory (kept across restart()).
    explicit nats_server(const std::string &config = {}, bool jetstream = false): jetstream_{jetstream} {
        char pattern[] = "/tmp/evbus_nats_XXXXXX";
        const char *made = ::mkdtemp(pattern);
        if(made == nullptr) {
            std::abort();
        }
        dir_ = made;
        if(!config.empty()) {
            config_ = dir_ + "/server.conf";
            std::ofstream{config_} << config;
        }
        start(-1);
    }

    nats_server(const nats_server &) = delete;
    nats_server &operator=(const nats_server &) = delete;

    ~nats_server() {
        stop(SIGTERM);
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    [[nodiscard]] int port() const noexcept { return port_; }
    [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] std::string url(const std::string &user, const std::string &password) const {
        return "nats://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port_);
    }

    /// SIGKILL, as a crash: no goodbye to the clients.
    void kill() { stop(SIGKILL); }

    /// SIGSTOP: the server stops reading and answering (a hung process); kill() or resume() after.
    void pause() {
        if(pid_ > 0) {
            ::kill(pid_, SIGSTOP);
        }
    }

    /// SIGCONT after pause().
    void resume() {
        if(pid_ > 0) {
            ::kill(pid_, SIGCONT);
        }
    }

    /// Starts the server again on the same port.
    void restart() { start(port_); }

private:
    void stop(int signal) {
        if(pid_ > 0) {
            ::kill(pid_, signal);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }

    void start(int port) {
        std::vector<std::string> args{
            EVBUS_NATS_SERVER,   "-a", "127.0.0.1", "-p", std::to_string(port), "--ports_file_dir", dir_, "-l",
            dir_ + "/server.log"};
        if(!config_.empty()) {
            args.emplace_back("-c");
            args.push_back(config_);
        }
        if(jetstream_) {
            args.emplace_back("--js");
            args.emplace_back("-sd");
            args.push_back(dir_ + "/jetstream");
        }
        std::vector<char *> argv;
        for(std::string &a: args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if(rc != 0) {
            std::abort();
        }
        // The server writes <dir>/nats-server_<pid>.ports once it listens: {"nats":["nats://127.0.0.1:N"],...}
        const std::string ports = dir_ + "/nats-server_" + std::to_string(pid_) + ".ports";
        const bool up = wait_until(
            [&] {
                std::ifstream in{ports};
                std::stringstream text;
                text << in.rdbuf();
                const std::string s = text.str();
                const std::size_t at = s.find("127.0.0.1:");
                if(at == std::string::npos) {
                    return false;
                }
                port_ = std::atoi(s.c_str() + at + 10);
                return port_ > 0;
            },
            std::chrono::seconds{15});
        if(!up) {
            std::abort();
        }
    }

    bool jetstream_;
    std::string dir_;
    std::string config_;
    pid_t pid_{-1};
    int port_{-1};
};

} // namespace evbus_test

#endif
