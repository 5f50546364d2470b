// The one way configuration reaches lcores: an immutable snapshot behind an
// atomic pointer. The control side builds a new T, publishes it (release);
// lcores read the current one (acquire) once per loop iteration and never
// write it. The previous snapshot comes back from publish() and must outlive
// every reader that may still hold it: the caller frees it after its grace
// period (a dispatcher's adoption handshake, a worker's quiescent counter),
// or, when a reader stopped answering, keeps it forever (release()).
#pragma once

#include <atomic>
#include <memory>

namespace steer {

template <class T>
class Published {
 public:
  // Readers (lcores).
  const T* get() const { return cur_.load(std::memory_order_acquire); }

  // Writer (one control thread). Returns the snapshot readers may still hold.
  [[nodiscard]] std::unique_ptr<T> publish(std::unique_ptr<T> next) {
    std::unique_ptr<T> old = std::move(owned_);
    owned_ = std::move(next);
    cur_.store(owned_.get(), std::memory_order_release);
    return old;
  }
  // The writer's own view of what it published (for fields it still sets
  // after publishing, which must themselves be atomics).
  T* writer_view() const { return owned_.get(); }

 private:
  std::atomic<const T*> cur_{nullptr};  // controlplane: rw (release), dataplane: ro (acquire)
  std::unique_ptr<T> owned_;            // controlplane only
};

}  // namespace steer
