#ifndef EVBUS_CORE_SUBSCRIBER_HPP
#define EVBUS_CORE_SUBSCRIBER_HPP

/// @file
/// @brief evbus::subscriber: CRTP base that subscribes Derived::on for each event type.

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "subscription.hpp"

namespace evbus {

/// @brief CRTP base: subscribes `Derived::on(const E&)` for every E in Events on
/// construction and unsubscribes on destruction.
///
/// With other threads publishing, on() may run before Derived's constructor
/// finishes or after its destructor starts; call unsubscribe() first thing in
/// Derived's destructor when that matters (see docs/bus.md).
template<typename Derived, typename... Events>
class subscriber {
    static_assert(sizeof...(Events) > 0u, "evbus::subscriber: name at least one event type");

public:
    /// @brief Subscribes every on() overload to source (any evbus bus type).
    template<typename Bus>
    explicit subscriber(Bus &source, int priority = 0)
        : subscriptions_{
              {source.template subscribe<Events>([this](const Events &event) { deliver(event); }, priority)...}} {}

    subscriber(const subscriber &) = delete;
    subscriber &operator=(const subscriber &) = delete;

    /// @brief Unsubscribes every handler now: when it returns, no call to them begins on any thread.
    /// @details Called outside these handlers, it also waits for calls running on other threads, so
    /// none of them is running anywhere once it returns. Called from inside one of them, the
    /// running call finishes, and calls on other threads may still be finishing (docs/bus.md).
    void unsubscribe() noexcept {
        for(subscription &s: subscriptions_) {
            s.reset();
        }
    }

    /// @brief True while every handler is subscribed.
    [[nodiscard]] bool subscribed() const noexcept {
        for(const subscription &s: subscriptions_) {
            if(!s.active()) {
                return false;
            }
        }
        return true;
    }

protected:
    /// @brief Unsubscribes.
    ~subscriber() = default;

private:
    /// Whether Derived has an on() that takes a `const Event&`, as this class sees it (a Derived
    /// that befriends its subscriber base may keep on() private). Asked where Derived is complete.
    template<typename Event, typename Self = Derived>
    static constexpr auto has_on(int) noexcept
        -> decltype(void(std::declval<Self &>().on(std::declval<const Event &>())), true) {
        return true;
    }

    template<typename Event>
    static constexpr bool has_on(long) noexcept {
        return false;
    }

    /// Calls Derived::on(event), or (without one for Event) reports only that.
    template<typename Event>
    void deliver(const Event &event) {
        constexpr bool declared = has_on<Event>(0);
        static_assert(declared,
                      "evbus::subscriber<Derived, Events...>: Derived must declare `void on(const E&)` for each event "
                      "type E it names (public, or befriend the subscriber base); the instantiation notes name the "
                      "Event that has none");
        if constexpr(declared) {
            static_cast<Derived *>(this)->on(event);
        }
    }

    std::array<subscription, sizeof...(Events)> subscriptions_;
};

} // namespace evbus

#endif
