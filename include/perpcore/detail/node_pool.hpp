// -----------------------------------------------------------------------------
// File: perpcore/detail/node_pool.hpp
// -----------------------------------------------------------------------------
//
// Not API. A recycling allocator for node-based containers (the order book's
// price ladders): freed nodes go to a free list per block size and are handed
// out again, so a container whose size oscillates stops allocating once it
// has reached its high-water mark.
//
// A default-constructed PoolAllocator brings a pool of its own, so each
// container has one. Copy-constructing a container gives the copy a new pool
// and copy-assignment keeps the target's, so copies of a book never share
// hidden state. A move-constructed container shares the source's pool (the
// nodes moved with it); the moved-from container, empty, keeps using it. The
// memory returns to the system when the last container using it is destroyed.
//
// Thread safety: not thread-safe, like its owner.
#ifndef PERPCORE_DETAIL_NODE_POOL_HPP_
#define PERPCORE_DETAIL_NODE_POOL_HPP_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace detail {

class NodePool {
 public:
  NodePool() = default;
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;
  ~NodePool() {
    for (const FreeList& list : lists_) {
      for (Block* b = list.head; b != nullptr;) {
        Block* next = b->next;
        ::operator delete(b, std::align_val_t(kAlign));
        b = next;
      }
    }
  }

  void* Allocate(std::size_t bytes) {
    FreeList& list = ListFor(bytes);
    if (list.head != nullptr) {
      Block* b = list.head;
      list.head = b->next;
      return b;
    }
    return ::operator new(std::max(bytes, sizeof(Block)), std::align_val_t(kAlign));
  }

  void Deallocate(void* p, std::size_t bytes) {
    FreeList& list = ListFor(bytes);
    Block* b = static_cast<Block*>(p);
    b->next = list.head;
    list.head = b;
  }

  // Every block is aligned to this; containers asking for more are refused
  // at compile time by PoolAllocator.
  static constexpr std::size_t kAlign = 64;

 private:
  struct Block {
    Block* next;
  };
  struct FreeList {
    std::size_t bytes;
    Block* head;
  };

  // A container uses a handful of node sizes: a linear search is fastest.
  FreeList& ListFor(std::size_t bytes) {
    for (FreeList& list : lists_) {
      if (list.bytes == bytes) return list;
    }
    lists_.push_back(FreeList{bytes, nullptr});
    return lists_.back();
  }

  std::vector<FreeList> lists_;
};

// PoolAllocator
//
// A standard allocator over a shared NodePool.
template <class T>
class PoolAllocator {
 public:
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using propagate_on_container_copy_assignment = std::false_type;

  PoolAllocator() : pool_(std::make_shared<NodePool>()) {}
  // Moving an allocator copies it: a moved-from container keeps a pool.
  PoolAllocator(const PoolAllocator&) = default;
  PoolAllocator(PoolAllocator&& other) noexcept : pool_(other.pool_) {}
  PoolAllocator& operator=(const PoolAllocator&) = default;
  PoolAllocator& operator=(PoolAllocator&& other) noexcept {
    pool_ = other.pool_;
    return *this;
  }
  template <class U>
  PoolAllocator(const PoolAllocator<U>& other) : pool_(other.pool_) {}  // NOLINT: rebind

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= NodePool::kAlign, "node over-aligned for NodePool");
    return static_cast<T*>(pool_->Allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) { pool_->Deallocate(p, n * sizeof(T)); }

  PoolAllocator select_on_container_copy_construction() const { return PoolAllocator(); }

  template <class U>
  friend bool operator==(const PoolAllocator& a, const PoolAllocator<U>& b) {
    return a.pool_ == b.pool_;
  }

 private:
  template <class U>
  friend class PoolAllocator;
  std::shared_ptr<NodePool> pool_;
};

}  // namespace detail
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_DETAIL_NODE_POOL_HPP_
