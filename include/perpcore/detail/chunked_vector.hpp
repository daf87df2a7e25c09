// -----------------------------------------------------------------------------
// File: perpcore/detail/chunked_vector.hpp
// -----------------------------------------------------------------------------
//
// Not API. A vector whose elements live in fixed-size chunks that never move:
// the pool the engine's accounts and the order book's orders, levels and
// account records grow in. Appending allocates at most one
// chunk (its elements are constructed one by one as they are appended) and
// never relocates an element, so no append costs time proportional to the
// size — std::vector's doubling moves every element in the append that
// crosses its capacity, which inside a command is a latency spike
// proportional to the state (DESIGN.md rule 5). Elements keep their
// addresses until clear().
//
// Indexing costs one more load than a vector (the chunk pointer; the table
// of chunk pointers is size / 2^kChunkBits entries, small and hot). That
// table itself grows by doubling, a copy of size / 2^kChunkBits pointers;
// reserve_chunk_table() sizes it up front for a known maximum.
//
// Complexity: push_back/emplace_back O(1) worst case apart from the chunk
// table; operator[] O(1). Thread safety: not thread-safe.
#ifndef PERPCORE_DETAIL_CHUNKED_VECTOR_HPP_
#define PERPCORE_DETAIL_CHUNKED_VECTOR_HPP_

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace detail {

template <class T, std::size_t kChunkBits = 10>
class ChunkedVector {
 public:
  static constexpr std::size_t kChunkSize = std::size_t{1} << kChunkBits;

  ChunkedVector() = default;
  // Delegates, so the destructor cleans up if an element's copy throws.
  ChunkedVector(const ChunkedVector& other) : ChunkedVector() {
    reserve(other.size_);
    for (std::size_t i = 0; i < other.size_; ++i) push_back(other[i]);
  }
  ChunkedVector& operator=(const ChunkedVector& other) {
    if (this != &other) {
      ChunkedVector copy(other);
      swap(copy);
    }
    return *this;
  }
  // A moved-from vector is empty and usable.
  ChunkedVector(ChunkedVector&& other) noexcept
      : chunks_(std::move(other.chunks_)), first_(other.first_), size_(other.size_) {
    other.chunks_.clear();
    other.first_ = nullptr;
    other.size_ = 0;
  }
  ChunkedVector& operator=(ChunkedVector&& other) noexcept {
    if (this != &other) {
      ChunkedVector taken(std::move(other));
      swap(taken);
    }
    return *this;
  }
  ~ChunkedVector() {
    clear();
    for (T* c : chunks_) Deallocate(c);
  }
  void swap(ChunkedVector& other) noexcept {
    chunks_.swap(other.chunks_);
    std::swap(first_, other.first_);
    std::swap(size_, other.size_);
  }
  friend void swap(ChunkedVector& a, ChunkedVector& b) noexcept { a.swap(b); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Elements the allocated chunks hold.
  std::size_t capacity() const { return chunks_.size() * kChunkSize; }

  // The first chunk is reached through first_: one load less, and for a
  // pool that fits one chunk the chunk table is never read.
  T& operator[](std::size_t i) {
    return i < kChunkSize ? first_[i] : chunks_[i >> kChunkBits][i & (kChunkSize - 1)];
  }
  const T& operator[](std::size_t i) const {
    return i < kChunkSize ? first_[i] : chunks_[i >> kChunkBits][i & (kChunkSize - 1)];
  }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity()) AddChunk();
    T* p = &(*this)[size_];
    ::new (static_cast<void*>(p)) T(std::forward<Args>(args)...);
    ++size_;
    return *p;
  }
  void push_back(const T& v) { emplace_back(v); }
  void push_back(T&& v) { emplace_back(std::move(v)); }

  // clear(): destroys the elements and keeps the chunks.
  void clear() {
    for (std::size_t i = size_; i > 0; --i) (*this)[i - 1].~T();
    size_ = 0;
  }

  // reserve(): allocates the chunks for n elements now (constructing none).
  void reserve(std::size_t n) {
    reserve_chunk_table(n);
    while (capacity() < n) AddChunk();
  }
  // reserve_chunk_table(): room in the chunk table for n elements, so that
  // appending up to n never copies the table.
  void reserve_chunk_table(std::size_t n) { chunks_.reserve((n + kChunkSize - 1) / kChunkSize); }

  // Iteration in index order.
  template <class V, class Owner>
  class Iter {
   public:
    Iter(Owner* v, std::size_t i) : v_(v), i_(i) {}
    V& operator*() const { return (*v_)[i_]; }
    V* operator->() const { return &(*v_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.i_ == b.i_; }

   private:
    Owner* v_;
    std::size_t i_;
  };
  using iterator = Iter<T, ChunkedVector>;
  using const_iterator = Iter<const T, const ChunkedVector>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  static T* Allocate() { return std::allocator<T>().allocate(kChunkSize); }
  static void Deallocate(T* c) { std::allocator<T>().deallocate(c, kChunkSize); }
  struct FreeChunk {
    void operator()(T* c) const { Deallocate(c); }
  };
  // Nothing leaks and nothing changes if either allocation throws.
  void AddChunk() {
    std::unique_ptr<T, FreeChunk> c(Allocate());
    chunks_.push_back(c.get());
    if (chunks_.size() == 1) first_ = c.get();
    static_cast<void>(c.release());
  }

  std::vector<T*> chunks_;
  T* first_ = nullptr;  // chunks_[0], if any
  std::size_t size_ = 0;
};

}  // namespace detail
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_DETAIL_CHUNKED_VECTOR_HPP_
