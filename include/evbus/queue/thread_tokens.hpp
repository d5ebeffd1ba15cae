#ifndef EVBUS_QUEUE_THREAD_TOKENS_HPP
#define EVBUS_QUEUE_THREAD_TOKENS_HPP

/// @file
/// @brief detail::thread_token_owner: a producer token per thread and queue, made on the thread's
/// first post and given back when the thread exits, so that a post without a token costs what a
/// post with one does.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../config.hpp"

namespace evbus::detail {

/// One of this thread's tokens: the id of the queue that owns it (ids are never reused) and the token.
struct thread_token_entry {
    std::uint64_t owner;
    void *token;
};

/// The queues that own thread tokens, by id: an exiting thread gives its tokens back only to the
/// queues still alive. Never destroyed, so that a thread exiting after static destruction finds it.
class thread_token_registry {
public:
    using release_fn = void (*)(void *owner, void *token) noexcept;

    [[nodiscard]] static thread_token_registry &instance() {
        static thread_token_registry *const registry = new thread_token_registry{};
        return *registry;
    }

    [[nodiscard]] static std::uint64_t next_id() noexcept {
        static std::atomic<std::uint64_t> last{0u};
        return last.fetch_add(1u, std::memory_order_relaxed) + 1u;
    }

    void add(std::uint64_t id, void *owner, release_fn give_back) {
        const std::lock_guard<std::mutex> lock{mutex_};
        live_.emplace(id, live_owner{owner, give_back});
    }

    void remove(std::uint64_t id) noexcept {
        const std::lock_guard<std::mutex> lock{mutex_};
        live_.erase(id);
    }

    /// Gives each token back to its queue if that is still alive.
    void release(const std::vector<thread_token_entry> &tokens) noexcept {
        const std::lock_guard<std::mutex> lock{mutex_};
        for(const thread_token_entry &entry: tokens) {
            const auto it = live_.find(entry.owner);
            if(it != live_.end()) {
                it->second.release(it->second.owner, entry.token);
            }
        }
    }

    /// Drops the entries of queues that are gone.
    void prune(std::vector<thread_token_entry> &tokens) {
        const std::lock_guard<std::mutex> lock{mutex_};
        std::size_t kept = 0;
        for(const thread_token_entry &entry: tokens) {
            if(live_.count(entry.owner) != 0u) {
                tokens[kept++] = entry;
            }
        }
        tokens.resize(kept);
    }

private:
    struct live_owner {
        void *owner;
        release_fn release;
    };

    thread_token_registry() = default;

    std::mutex mutex_;
    std::unordered_map<std::uint64_t, live_owner> live_;
};

/// This thread's tokens; its destructor (at thread exit) gives them back.
class thread_tokens {
public:
    thread_tokens() = default;
    thread_tokens(const thread_tokens &) = delete;
    thread_tokens &operator=(const thread_tokens &) = delete;
    ~thread_tokens() {
        last() = thread_token_entry{0u, nullptr};
        exited() = true;
        thread_token_registry::instance().release(entries_);
    }

    [[nodiscard]] static thread_tokens &local() {
        static thread_local thread_tokens tokens;
        return tokens;
    }

    /// The last token this thread used: a post to the same queue as the last one finds it here.
    /// Trivially destructible, so reading it needs no check that it was constructed.
    [[nodiscard]] static thread_token_entry &last() noexcept {
        static thread_local thread_token_entry entry{0u, nullptr};
        return entry;
    }

    /// Whether this thread's thread_tokens is gone (a post from a destructor of static storage,
    /// after the thread's own exit): such posts go without a token.
    [[nodiscard]] static bool &exited() noexcept {
        static thread_local bool gone{false};
        return gone;
    }

    [[nodiscard]] void *find(std::uint64_t owner) const noexcept {
        for(const thread_token_entry &entry: entries_) {
            if(entry.owner == owner) {
                return entry.token;
            }
        }
        return nullptr;
    }

    /// Adds a token, first dropping the entries of queues destroyed since (a thread that posts to
    /// many short-lived buses keeps only the entries of live ones).
    void add(std::uint64_t owner, void *token) {
        thread_token_registry::instance().prune(entries_);
        entries_.push_back(thread_token_entry{owner, token});
    }

    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

private:
    std::vector<thread_token_entry> entries_;
};

/// What a queue keeps to give each posting thread a token of its own (Token: the queue's
/// producer_token). The owner keeps the tokens, so that it can destroy them before the queue they
/// belong to; a thread keeps only pointers, which it uses while the queue lives (posting to a
/// destroyed queue is undefined anyway) and gives back when it exits. A thread's posts all go through
/// its one token, so they keep their order.
template<typename Token>
class thread_token_owner {
public:
    thread_token_owner(): id_{thread_token_registry::next_id()} {
        thread_token_registry::instance().add(id_, this, &release_token);
    }

    thread_token_owner(const thread_token_owner &) = delete;
    thread_token_owner &operator=(const thread_token_owner &) = delete;

    /// Unregisters first: from then on no exiting thread gives a token back, and the tokens go.
    ~thread_token_owner() { thread_token_registry::instance().remove(id_); }

    /// This thread's token, made by make() on its first post; null once the thread's tokens were
    /// given back (a post from a destructor that runs after them).
    template<typename Make>
    EVBUS_ALWAYS_INLINE Token *local(Make &&make) {
        const thread_token_entry &last = thread_tokens::last();
        if(EVBUS_LIKELY(last.owner == id_)) {
            return static_cast<Token *>(last.token);
        }
        return local_slow(make);
    }

    /// Number of tokens of live threads (for tests).
    [[nodiscard]] std::size_t size() const {
        const std::lock_guard<std::mutex> lock{mutex_};
        return tokens_.size();
    }

private:
    template<typename Make>
    [[gnu::noinline]] Token *local_slow(Make &make) {
        if(thread_tokens::exited()) {
            return nullptr;
        }
        thread_tokens &mine = thread_tokens::local();
        void *token = mine.find(id_);
        if(token == nullptr) {
            auto made = std::make_unique<Token>(make());
            token = made.get();
            {
                const std::lock_guard<std::mutex> lock{mutex_};
                tokens_.push_back(std::move(made));
            }
            mine.add(id_, token); // takes the registry's lock: never while holding mutex_
        }
        thread_tokens::last() = thread_token_entry{id_, token};
        return static_cast<Token *>(token);
    }

    static void release_token(void *owner, void *token) noexcept {
        auto &self = *static_cast<thread_token_owner *>(owner);
        std::unique_ptr<Token> released;
        const std::lock_guard<std::mutex> lock{self.mutex_};
        for(auto &held: self.tokens_) {
            if(held.get() == token) {
                released = std::move(held);
                held = std::move(self.tokens_.back());
                self.tokens_.pop_back();
                break;
            }
        }
    }

    std::uint64_t id_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<Token>> tokens_;
};

/// What a queue keeps when one thread posts (single_thread, spsc): nothing.
struct no_thread_tokens {};

} // namespace evbus::detail

#endif
