#include "alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> allocations{0};
thread_local bool failing = false;
thread_local std::size_t allowance = 0; // allocations that still succeed while failing

// Whether this allocation fails (it uses up one of the allowance first).
bool fails_now() noexcept {
    if(!failing) {
        return false;
    }
    if(allowance != 0u) {
        --allowance;
        return false;
    }
    return true;
}

void *counted_alloc(std::size_t size, std::size_t align = 0) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    void *p = nullptr;
    if(fails_now()) {
#if defined(__cpp_exceptions)
        throw std::bad_alloc{};
#else
        std::abort();
#endif
    }
    if(align == 0) {
        p = std::malloc(size == 0 ? 1 : size);
    } else {
        const std::size_t rounded = (size + align - 1) / align * align;
        p = std::aligned_alloc(align, rounded == 0 ? align : rounded);
    }
    if(p) {
        return p;
    }
#if defined(__cpp_exceptions)
    throw std::bad_alloc{};
#else
    std::abort();
#endif
}
void *counted_nothrow_alloc(std::size_t size) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return fails_now() ? nullptr : std::malloc(size == 0 ? 1 : size);
}
} // namespace

std::size_t alloc_counter::count() noexcept { return allocations.load(std::memory_order_relaxed); }

alloc_counter::scoped_failure::scoped_failure() noexcept: scoped_failure{0u} {}
alloc_counter::scoped_failure::scoped_failure(std::size_t allowed) noexcept {
    failing = true;
    allowance = allowed;
}
alloc_counter::scoped_failure::~scoped_failure() {
    failing = false;
    allowance = 0u;
}

void *operator new(std::size_t size) { return counted_alloc(size); }
void *operator new[](std::size_t size) { return counted_alloc(size); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept { return counted_nothrow_alloc(size); }
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept { return counted_nothrow_alloc(size); }
void *operator new(std::size_t size, std::align_val_t al) { return counted_alloc(size, static_cast<std::size_t>(al)); }
void *operator new[](std::size_t size, std::align_val_t al) {
    return counted_alloc(size, static_cast<std::size_t>(al));
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
