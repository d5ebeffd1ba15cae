#ifndef EVBUS_CONFIG_HPP
#define EVBUS_CONFIG_HPP

/// @file
/// @brief Compile-time switches (EVBUS_*) and the error-reporting hook shared by every module.

#include <atomic>
#include <cstdio>
#include <cstdlib>

/// @def EVBUS_HAS_EXCEPTIONS
/// @brief 1 when exceptions are enabled; 0 under -fno-exceptions, where evbus errors abort.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#    define EVBUS_HAS_EXCEPTIONS 1
#else
#    define EVBUS_HAS_EXCEPTIONS 0
#endif

#if EVBUS_HAS_EXCEPTIONS
#    include <stdexcept>
#endif

/// @def EVBUS_TSAN
/// @brief 1 under ThreadSanitizer (evbus then avoids the fences TSan does not model), else 0.
#if defined(__SANITIZE_THREAD__)
#    define EVBUS_TSAN 1
#elif defined(__has_feature)
#    if __has_feature(thread_sanitizer)
#        define EVBUS_TSAN 1
#    endif
#endif
#ifndef EVBUS_TSAN
#    define EVBUS_TSAN 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#    define EVBUS_LIKELY(x) __builtin_expect(!!(x), 1)
#    define EVBUS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#    define EVBUS_COLD __attribute__((noinline, cold))
#    define EVBUS_ALWAYS_INLINE __attribute__((always_inline)) inline
#    define EVBUS_FLATTEN __attribute__((flatten))
#else
#    define EVBUS_LIKELY(x) (x)
#    define EVBUS_UNLIKELY(x) (x)
#    define EVBUS_COLD
#    define EVBUS_ALWAYS_INLINE inline
#    define EVBUS_FLATTEN
#endif

/// @def EVBUS_TRY
/// @brief `try`, or with -fno-exceptions a block that always runs: one body for both builds.
/// @def EVBUS_CATCH
/// @brief `catch(...)`, or with -fno-exceptions a block that never runs.
/// @def EVBUS_RETHROW
/// @brief `throw;` inside an EVBUS_CATCH block; nothing with -fno-exceptions.
#if EVBUS_HAS_EXCEPTIONS
#    define EVBUS_TRY try
#    define EVBUS_CATCH catch(...)
#    define EVBUS_RETHROW throw
#else
#    define EVBUS_TRY if(true)
#    define EVBUS_CATCH if(false)
#    define EVBUS_RETHROW (void)0
#endif

/// @def EVBUS_DEBUG_CHECKS
/// @brief 1 to check misuse that costs time on a hot path (two threads on one side of an spsc
/// lane); defaults to 1 without NDEBUG, 0 with it. Define it the same in every translation unit.
#ifndef EVBUS_DEBUG_CHECKS
#    ifdef NDEBUG
#        define EVBUS_DEBUG_CHECKS 0
#    else
#        define EVBUS_DEBUG_CHECKS 1
#    endif
#endif

namespace evbus {

/// @brief Error codes reported by evbus for misuse and bad input.
enum class errc {
    invalid_argument = 1, ///< a null handler, zero capacity, non-positive duration and the like
    no_responder,         ///< request() for a query type nobody responds to
    duplicate_responder,  ///< respond() for a query type that already has a responder
    closed,               ///< an operation that needs an open bus was called after close()
    timeout,              ///< a blocking operation ran out of time
    /// a get_or_put() factory asked for the key it is computing, on its own thread (a recursive update)
    recursive_computation,
    io_error,     ///< a file could not be opened, written or synced (the message carries the OS's reason)
    format_error, ///< a file that is not what it should be: not a journal, a newer format version
};

/// @brief Human-readable name of an error code.
[[nodiscard]] constexpr const char *to_string(errc code) noexcept {
    switch(code) {
    case errc::invalid_argument:
        return "invalid_argument";
    case errc::no_responder:
        return "no_responder";
    case errc::duplicate_responder:
        return "duplicate_responder";
    case errc::closed:
        return "closed";
    case errc::timeout:
        return "timeout";
    case errc::recursive_computation:
        return "recursive_computation";
    case errc::io_error:
        return "io_error";
    case errc::format_error:
        return "format_error";
    }
    return "unknown";
}

#if EVBUS_HAS_EXCEPTIONS
/// @brief Exception thrown for misuse and bad input when exceptions are enabled.
class error: public std::logic_error {
public:
    /// @brief Builds an error carrying a code and a message.
    error(errc code, const char *message): std::logic_error{message}, code_{code} {}

    /// @brief The error code.
    [[nodiscard]] errc code() const noexcept { return code_; }

private:
    errc code_;
};
#endif

/// @brief Signature of the hook that receives errors in -fno-exceptions builds.
using error_handler = void (*)(errc code, const char *message) noexcept;

namespace detail {

inline void default_error_handler(errc code, const char *message) noexcept {
    std::fprintf(stderr, "evbus: fatal error (%s): %s\n", to_string(code), message);
    std::fflush(stderr);
}

inline std::atomic<error_handler> &error_hook() noexcept {
    static std::atomic<error_handler> hook{&default_error_handler};
    return hook;
}

/// Reports misuse: throws evbus::error, or (without exceptions) calls the error
/// handler and aborts when it returns.
[[noreturn]] inline void raise(errc code, const char *message) {
#if EVBUS_HAS_EXCEPTIONS
    throw error{code, message};
#else
    error_hook().load(std::memory_order_acquire)(code, message);
    std::abort();
#endif
}

/// Reports a failed EVBUS_ASSERT: prints the message with where it failed, then aborts.
[[noreturn]] EVBUS_COLD inline void assert_failed(const char *message, const char *file, int line) noexcept {
    std::fprintf(stderr, "evbus: assertion failed: %s (%s:%d)\n", message, file, line);
    std::fflush(stderr);
    std::abort();
}

} // namespace detail

/// @brief Installs the hook that sees errors before abort() in -fno-exceptions builds; returns the previous one.
/// A null pointer restores the default (print to stderr). The hook may exit or longjmp; if it returns, evbus aborts.
inline error_handler set_error_handler(error_handler handler) noexcept {
    return detail::error_hook().exchange(handler ? handler : &detail::default_error_handler);
}

} // namespace evbus

/// @brief Checks a precondition: raises evbus::errc::invalid_argument with a message when it does not hold.
#define EVBUS_EXPECT(cond, message)                                                                                    \
    do {                                                                                                               \
        if(EVBUS_UNLIKELY(!(cond))) {                                                                                  \
            ::evbus::detail::raise(::evbus::errc::invalid_argument, message);                                          \
        }                                                                                                              \
    } while(false)

/// @brief Checks an invariant that misuse breaks, when EVBUS_DEBUG_CHECKS is 1: prints the message
/// (which names the misuse) and aborts when it does not hold; compiles to nothing otherwise.
#if EVBUS_DEBUG_CHECKS
#    define EVBUS_ASSERT(cond, message)                                                                                \
        do {                                                                                                           \
            if(EVBUS_UNLIKELY(!(cond))) {                                                                              \
                ::evbus::detail::assert_failed(message, __FILE__, __LINE__);                                           \
            }                                                                                                          \
        } while(false)
#else
#    define EVBUS_ASSERT(cond, message) ((void)0)
#endif

#endif
