#ifndef EVBUS_CORE_PUBLISHER_HPP
#define EVBUS_CORE_PUBLISHER_HPP

/// @file
/// @brief evbus::publisher: a handle that may publish only the event types it names.

#include <chrono>
#include <cstddef>
#include <iterator>
#include <type_traits>
#include <utility>

#include "bus.hpp"
#include "diagnostics.hpp"

namespace evbus {

/// @brief Publishes to a bus, restricted at compile time to Events.
template<typename Bus, typename... Events>
class basic_publisher {
    static_assert(sizeof...(Events) > 0u, "evbus::publisher: name at least one event type");

    template<typename Event>
    static constexpr bool allowed = (std::is_same_v<std::remove_cv_t<std::remove_reference_t<Event>>, Events> || ...);

public:
    /// @brief Bus type published to.
    using bus_type = Bus;

    /// @brief Binds to a bus, which must outlive the publisher; takes a producer token for post().
    explicit basic_publisher(Bus &target): bus_{&target}, token_{target.make_producer_token()} {}

    /// @brief Not a constructor: reports that another bus type needs basic_publisher<that bus, Events...>.
    template<typename Threading>
    explicit basic_publisher(basic_bus<Threading> &target): basic_publisher{detail::failed_build_value<Bus &>()} {
        static_assert(std::is_same_v<basic_bus<Threading>, Bus>,
                      "evbus::basic_publisher<Bus, Events...>: this bus is not a Bus (evbus::publisher<Events...> "
                      "takes an evbus::bus); name the bus type, e.g. evbus::basic_publisher<evbus::st_bus, Events...> "
                      "for an evbus::st_bus");
        (void)target;
    }

    /// @brief Publishes synchronously; returns how many handlers were called.
    template<typename Event>
    std::size_t publish(Event &&event) {
        static_assert(allowed<Event>, "evbus::publisher: this event type is not in the publisher's list");
        return bus_->publish(std::forward<Event>(event));
    }

    /// @brief Queues the event through this publisher's producer token; false when rejected.
    /// A publisher posts from one thread at a time (give each producer thread its own).
    template<typename Event>
    bool post(Event &&event) {
        static_assert(allowed<Event>, "evbus::publisher: this event type is not in the publisher's list");
        return bus_->post(token_, std::forward<Event>(event));
    }

    /// @brief post() that waits at most timeout for room in a full overflow_policy::block queue,
    /// through this publisher's token (so it keeps its order with the publisher's other posts).
    template<typename Event, typename Rep, typename Period>
    bool post_for(Event &&event, std::chrono::duration<Rep, Period> timeout) {
        static_assert(allowed<Event>, "evbus::publisher: this event type is not in the publisher's list");
        return bus_->post_for(token_, std::forward<Event>(event), timeout);
    }

    /// @brief Queues [first, last) in order through this publisher's token; returns how many were accepted.
    template<typename ForwardIt>
    std::size_t post_bulk(ForwardIt first, ForwardIt last) {
        static_assert(allowed<typename std::iterator_traits<ForwardIt>::value_type>,
                      "evbus::publisher: this event type is not in the publisher's list");
        return bus_->post_bulk(token_, first, last);
    }

    /// @brief The bus published to.
    [[nodiscard]] Bus &target() const noexcept { return *bus_; }

private:
    Bus *bus_;
    typename Bus::producer_token token_;
};

/// @brief A publisher on the thread-safe evbus::bus.
template<typename... Events>
using publisher = basic_publisher<bus, Events...>;

} // namespace evbus

#endif
