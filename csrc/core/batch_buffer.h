// Output batches of the batched manager: struct-of-arrays, preallocated, handed to the caller
// without copies. A batch returns to its pool only when its last user (e.g. a numpy view held in
// Python) lets go, so an observation that was handed out is never overwritten.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "reward.h"

namespace a2a {

constexpr int kInstructionChars = 256;
constexpr int kActionChars = 256;
constexpr int kAnswerChars = 128;

struct BatchLayout {
  int batch = 1;
  int history = 1;  // frames per row, oldest first, current last
  int height = 0, width = 0;
  size_t frame_bytes() const { return static_cast<size_t>(height) * width * 3; }
  size_t row_frame_bytes() const { return frame_bytes() * history; }
};

struct BatchBuffer {
  explicit BatchBuffer(const BatchLayout& layout);

  BatchLayout layout;
  int rows = 0;  // rows filled (sync: == batch)
  std::vector<int32_t> env_id, episode, step, frame_count, invalid_reason, question_type, questions,
      useful_questions, invalid_actions, K, budget;
  std::vector<int32_t> targets, delivered;  // objects the user wants moved (1 for fetch); of them, on their goals now
  std::vector<float> reward, reward_terms;  // reward_terms: [batch, kNumRewardTerms]
  // bool arrays (one byte each, numpy bool layout)
  std::vector<uint8_t> first, terminated, truncated, success, failure, invalid, asked, useful;
  std::vector<uint8_t> frame_storage;  // [batch, history, height, width, 3] unless frames go elsewhere
  uint8_t* frames = nullptr;           // where frames are written (frame_storage or a caller buffer)
  bool frames_by_env_id = false;       // caller buffer: rows indexed by env id, not by row
  std::vector<char> instruction, last_action, answer;  // NUL-padded fixed-width text

  std::atomic<int> written{0};  // async mode: rows completed
  void* cuda_event = nullptr;   // pending upload of this batch (see cuda_upload.h)
};

// Writes `text` into row `row` of a fixed-width, NUL-padded text field (instruction, last_action,
// answer) as printable ASCII, the observation space's charset: each other character (a UTF-8
// sequence, a control or stray byte) becomes one '?', so an echoed action is never cut inside a
// character and always lies in the space.
void put_text(std::vector<char>& field, int width, int row, std::string_view text);

// A pool of batches of one layout. acquire() reuses a released batch or allocates a new one.
class BufferPool {
 public:
  explicit BufferPool(const BatchLayout& layout);
  ~BufferPool();
  std::shared_ptr<BatchBuffer> acquire();
  int allocated() const;  // batches ever allocated (tests: reuse means this stays small)
  const BatchLayout& layout() const { return layout_; }

 private:
  struct State {
    std::mutex mu;
    std::vector<std::unique_ptr<BatchBuffer>> free;
    int allocated = 0;
  };
  BatchLayout layout_;
  std::shared_ptr<State> state_;
};

}  // namespace a2a
