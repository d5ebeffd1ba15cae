#include "alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> allocations{0};

void *counted_alloc(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if(void *p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
#if defined(__cpp_exceptions)
    throw std::bad_alloc{};
#else
    std::abort();
#endif
}

void *counted_aligned_alloc(std::size_t size, std::align_val_t al) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    const auto align = static_cast<std::size_t>(al);
    const std::size_t rounded = (size + align - 1) / align * align;
    if(void *p = std::aligned_alloc(align, rounded == 0 ? align : rounded)) {
        return p;
    }
#if defined(__cpp_exceptions)
    throw std::bad_alloc{};
#else
    std::abort();
#endif
}
} // namespace

std::size_t alloc_counter::count() noexcept { return allocations.load(std::memory_order_relaxed); }

void *operator new(std::size_t size) { return counted_alloc(size); }
void *operator new[](std::size_t size) { return counted_alloc(size); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept { return std::malloc(size == 0 ? 1 : size); }
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept { return std::malloc(size == 0 ? 1 : size); }
void *operator new(std::size_t size, std::align_val_t al) { return counted_aligned_alloc(size, al); }
void *operator new[](std::size_t size, std::align_val_t al) { return counted_aligned_alloc(size, al); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
