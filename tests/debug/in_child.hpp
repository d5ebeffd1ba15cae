#ifndef EVBUS_TESTS_DEBUG_IN_CHILD_HPP
#define EVBUS_TESTS_DEBUG_IN_CHILD_HPP

// Runs a misuse in a forked child, so that the parent can check that it aborted and what it said.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <functional>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace evbus_debug_test {

struct outcome {
    bool aborted;
    int exit_code;
    std::string err;
};

/// Runs body in a child process; returns how it ended and what it wrote to stderr.
inline outcome in_child(const std::function<void()> &body) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if(pid == 0) {
        std::signal(SIGABRT, SIG_DFL); // not Catch's handler: the parent checks how the child ended
        ::dup2(fds[1], STDERR_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        body();
        std::_Exit(0);
    }
    ::close(fds[1]);
    std::string err;
    char buffer[512];
    for(ssize_t got; (got = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
        err.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return {WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
}

} // namespace evbus_debug_test

#endif
