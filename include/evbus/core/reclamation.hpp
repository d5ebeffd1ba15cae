#ifndef EVBUS_CORE_RECLAMATION_HPP
#define EVBUS_CORE_RECLAMATION_HPP

/// @file
/// @brief detail::rcu_reclamation and detail::local_reclamation: when a handler list frees the
/// snapshots and handlers it replaced, one type per threading policy.

#include <cstdint>
#include <mutex>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../sync/rcu.hpp"

namespace evbus::detail {

/// Snapshots and handlers that a list replaced or removed and that readers may still see,
/// linked through themselves (retired_next, retired_at): retiring allocates nothing.
template<typename Snapshot, typename Node>
class retired_memory {
public:
    retired_memory() = default;
    retired_memory(const retired_memory &) = delete;
    retired_memory &operator=(const retired_memory &) = delete;
    ~retired_memory() { free(snapshots_.take_all(), nodes_.take_all()); }

    /// Retires old (a replaced snapshot, or null) and removed (a node, or null).
    void retire(Snapshot *old, Node *removed) noexcept {
        const std::uint64_t at = next_sequence_++;
        snapshots_.push(old, at);
        nodes_.push(removed, at);
    }

    /// The sequence the next retire() gets: a grace period that starts now covers what came before.
    [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_sequence_; }

    /// Calls f(snapshot) for every retired snapshot.
    template<typename F>
    void for_each_snapshot(F &&f) const noexcept {
        for(Snapshot *s = snapshots_.head; s; s = s->retired_next) {
            f(s);
        }
    }

    /// What was retired before sequence `before`, detached for free().
    [[nodiscard]] std::pair<Snapshot *, Node *> take_older(std::uint64_t before) noexcept {
        return {snapshots_.take_older(before), nodes_.take_older(before)};
    }

    /// Everything retired, detached for free().
    [[nodiscard]] std::pair<Snapshot *, Node *> take_all() noexcept {
        return {snapshots_.take_all(), nodes_.take_all()};
    }

    /// Frees what take_older() or take_all() detached.
    static void free(std::pair<Snapshot *, Node *> taken) noexcept { free(taken.first, taken.second); }

    [[nodiscard]] bool empty() const noexcept { return !snapshots_.head && !nodes_.head; }

private:
    /// Newest first, so what a grace period frees is a tail.
    template<typename T>
    struct stack {
        T *head{nullptr};

        void push(T *item, std::uint64_t at) noexcept {
            if(item) {
                item->retired_next = head;
                item->retired_at = at;
                head = item;
            }
        }

        [[nodiscard]] T *take_older(std::uint64_t before) noexcept {
            T **link = &head;
            while(*link && (*link)->retired_at >= before) {
                link = &(*link)->retired_next;
            }
            return std::exchange(*link, nullptr);
        }

        [[nodiscard]] T *take_all() noexcept { return std::exchange(head, nullptr); }
    };

    static void free(Snapshot *snapshots, Node *nodes) noexcept {
        while(snapshots) {
            Snapshot::destroy(std::exchange(snapshots, snapshots->retired_next));
        }
        while(nodes) {
            Node *node = std::exchange(nodes, nodes->retired_next);
            node->destroy(node);
        }
    }

    stack<Snapshot> snapshots_;
    stack<Node> nodes_;
    std::uint64_t next_sequence_{0u};
};

/// multi_thread: readers are RCU read sections of the list's scope (its bus or channel);
/// memory is freed after a grace period of that scope.
template<typename Snapshot, typename Node>
class rcu_reclamation {
public:
    explicit rcu_reclamation(rcu_scope scope) noexcept: scope_{scope} {}

    /// A read section of this list's scope; one may cover several publishes.
    [[nodiscard]] EVBUS_ALWAYS_INLINE rcu_read_guard read_section() const { return rcu_read_guard{scope_}; }

    /// read_section() where the caller knows the scope (it is the list's owner): no load of it.
    [[nodiscard]] EVBUS_ALWAYS_INLINE static rcu_read_guard read_section(rcu_scope scope) {
        return rcu_read_guard{scope};
    }

    /// Called with the writer's lock held, after a new snapshot was swapped in and the old one
    /// retired. An unsubscribe waits so that, once it returns, no thread can begin a call to the
    /// removed handler; a subscribe waits only to free memory, and not from inside a handler.
    /// Never throws and allocates nothing.
    template<typename Lock>
    void after_swap(Lock &lock, bool unsubscribing) noexcept {
        const bool nested = in_read_section();
        if(nested && !unsubscribing) {
            return; // memory is freed by a later writer
        }
        const std::uint64_t before = retired_.next_sequence();
        lock.unlock();
        if(rcu_synchronize(scope_) && !nested) {
            lock.lock();
            const auto done = retired_.take_older(before);
            lock.unlock();
            retired_memory<Snapshot, Node>::free(done); // outside the lock: a destructor may use the list
        }
    }

    [[nodiscard]] retired_memory<Snapshot, Node> &retired() noexcept { return retired_; }

private:
    rcu_scope scope_;
    retired_memory<Snapshot, Node> retired_;
};

/// single_thread: a read is a flag on the list; memory is freed when no read runs, else when
/// the outermost read ends.
template<typename Snapshot, typename Node>
class local_reclamation {
public:
    explicit local_reclamation(rcu_scope) noexcept {}

    /// A read of the list as a scope; one may span several publishes.
    class guard {
    public:
        explicit guard(local_reclamation &owner) noexcept: owner_{owner}, outermost_{!owner.reading_} {
            owner.reading_ = true;
        }
        guard(const guard &) = delete;
        guard &operator=(const guard &) = delete;
        ~guard() {
            if(EVBUS_LIKELY(outermost_)) {
                owner_.reading_ = false;
                if(EVBUS_UNLIKELY(owner_.waiting_)) {
                    owner_.free_all();
                }
            }
        }

    private:
        local_reclamation &owner_;
        bool outermost_;
    };

    [[nodiscard]] EVBUS_ALWAYS_INLINE guard read_section() noexcept { return guard{*this}; }

    /// read_section(); the scope is unused.
    [[nodiscard]] EVBUS_ALWAYS_INLINE guard read_section(rcu_scope) noexcept { return guard{*this}; }

    /// Frees what was retired unless a read is running (then its end does).
    template<typename Lock>
    void after_swap(Lock &, bool) noexcept {
        if(!reading_) {
            free_all();
        } else {
            waiting_ = true;
        }
    }

    [[nodiscard]] retired_memory<Snapshot, Node> &retired() noexcept { return retired_; }

private:
    EVBUS_COLD void free_all() noexcept {
        waiting_ = false;
        retired_memory<Snapshot, Node>::free(retired_.take_all());
    }

    bool reading_{false}; // a read of the list is running
    bool waiting_{false}; // retired memory waits for the outermost read to end
    retired_memory<Snapshot, Node> retired_;
};

/// Readies the calling thread to read Threading's lists (multi_thread: a thread's first read
/// section allocates its record once). A dispatch calls it before it takes events from the queue,
/// so that running out of memory there (std::bad_alloc) loses nothing.
template<typename Threading>
void prepare_to_read() {
    if constexpr(Threading::concurrent) {
        register_this_thread();
    }
}

/// prepare_to_read() for destructors: false when memory ran out.
template<typename Threading>
[[nodiscard]] bool try_prepare_to_read() noexcept {
    EVBUS_TRY {
        prepare_to_read<Threading>();
        return true;
    }
    EVBUS_CATCH { return false; }
    return false;
}

/// The reclamation of a threading policy.
template<typename Threading, typename Snapshot, typename Node>
using reclamation_for =
    std::conditional_t<Threading::concurrent, rcu_reclamation<Snapshot, Node>, local_reclamation<Snapshot, Node>>;

} // namespace evbus::detail

#endif
