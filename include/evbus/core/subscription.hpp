#ifndef EVBUS_CORE_SUBSCRIPTION_HPP
#define EVBUS_CORE_SUBSCRIPTION_HPP

/// @file
/// @brief evbus::subscription, the move-only RAII handle every subscribe() returns.

#include <memory>
#include <utility>

namespace evbus {

namespace detail {

/// What a subscription points back to: a handler list, a responder slot.
class connection_owner {
public:
    virtual void disconnect(void *token) noexcept = 0;

protected:
    connection_owner() = default;
    connection_owner(const connection_owner &) = default;
    connection_owner &operator=(const connection_owner &) = default;
    ~connection_owner() = default;
};

} // namespace detail

/// @brief Move-only handle to a subscribed handler; destroying or resetting it unsubscribes.
///
/// It holds a weak reference to its bus or channel, so it may outlive them:
/// once they are gone, active() is false and reset() does nothing.
class subscription {
public:
    /// @brief An empty handle.
    subscription() noexcept = default;

    /// @brief Used by buses and channels; users get handles from subscribe().
    subscription(std::weak_ptr<detail::connection_owner> owner, void *token) noexcept
        : owner_{std::move(owner)}, token_{token} {}

    subscription(const subscription &) = delete;
    subscription &operator=(const subscription &) = delete;

    /// @brief Takes over other's handler; other becomes empty.
    subscription(subscription &&other) noexcept
        : owner_{std::move(other.owner_)}, token_{std::exchange(other.token_, nullptr)} {}

    /// @brief Unsubscribes this handle's handler, then takes over other's.
    subscription &operator=(subscription &&other) noexcept {
        if(this != &other) {
            reset();
            owner_ = std::move(other.owner_);
            token_ = std::exchange(other.token_, nullptr);
        }
        return *this;
    }

    /// @brief Unsubscribes.
    ~subscription() { reset(); }

    /// @brief True while the handler is subscribed and its bus or channel is alive.
    [[nodiscard]] bool active() const noexcept { return token_ && !owner_.expired(); }

    /// @brief Same as active().
    [[nodiscard]] explicit operator bool() const noexcept { return active(); }

    /// @brief Unsubscribes now; see docs/bus.md for what this guarantees under threads.
    void reset() noexcept {
        if(void *token = std::exchange(token_, nullptr)) {
            if(auto owner = owner_.lock()) {
                owner->disconnect(token);
            }
        }
        owner_.reset();
    }

private:
    std::weak_ptr<detail::connection_owner> owner_{};
    void *token_{nullptr};
};

} // namespace evbus

#endif
