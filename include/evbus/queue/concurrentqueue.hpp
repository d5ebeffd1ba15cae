#ifndef EVBUS_QUEUE_CONCURRENTQUEUE_HPP
#define EVBUS_QUEUE_CONCURRENTQUEUE_HPP

/// @file
/// @brief The one place evbus includes moodycamel::ConcurrentQueue from, whatever the install layout.

#if defined(__GNUC__) && !defined(__clang__)
#    pragma GCC diagnostic push
// GCC 12 warns inside enqueue_bulk; the warning is a false positive in moodycamel's code.
#    pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

#if __has_include(<concurrentqueue/moodycamel/concurrentqueue.h>) // upstream install, prefix/include
#    include <concurrentqueue/moodycamel/concurrentqueue.h>
#elif __has_include(<moodycamel/concurrentqueue.h>) // upstream install, via its CMake target
#    include <moodycamel/concurrentqueue.h>
#elif __has_include(<concurrentqueue/concurrentqueue.h>) // Debian's libconcurrentqueue-dev
#    include <concurrentqueue/concurrentqueue.h>
#else // add_subdirectory / FetchContent: the header sits at the repository root
#    include <concurrentqueue.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
#    pragma GCC diagnostic pop
#endif

#endif
