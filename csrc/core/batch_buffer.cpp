#include "batch_buffer.h"

namespace a2a {

BatchBuffer::BatchBuffer(const BatchLayout& l) : layout(l) {
  const size_t b = static_cast<size_t>(l.batch);
  for (auto* v : {&env_id, &episode, &step, &frame_count, &invalid_reason, &question_type, &questions,
                  &useful_questions, &invalid_actions, &K, &budget, &targets, &delivered})
    v->assign(b, 0);
  reward.assign(b, 0.f);
  reward_terms.assign(b * kNumRewardTerms, 0.f);
  for (auto* v : {&first, &terminated, &truncated, &success, &failure, &invalid, &asked, &useful}) v->assign(b, 0);
  frame_storage.assign(b * l.row_frame_bytes(), 0);
  frames = frame_storage.data();
  instruction.assign(b * kInstructionChars, 0);
  last_action.assign(b * kActionChars, 0);
  answer.assign(b * kAnswerChars, 0);
}

BufferPool::BufferPool(const BatchLayout& layout) : layout_(layout), state_(std::make_shared<State>()) {}

BufferPool::~BufferPool() = default;

std::shared_ptr<BatchBuffer> BufferPool::acquire() {
  std::unique_ptr<BatchBuffer> buf;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->free.empty()) {
      buf = std::move(state_->free.back());
      state_->free.pop_back();
    } else {
      ++state_->allocated;
    }
  }
  if (!buf) buf = std::make_unique<BatchBuffer>(layout_);
  buf->rows = 0;
  buf->written.store(0, std::memory_order_relaxed);
  buf->frames = buf->frame_storage.data();
  buf->frames_by_env_id = false;
  std::weak_ptr<State> weak = state_;
  return std::shared_ptr<BatchBuffer>(buf.release(), [weak](BatchBuffer* p) {
    if (auto state = weak.lock()) {
      std::lock_guard<std::mutex> lock(state->mu);
      state->free.emplace_back(p);
    } else {
      delete p;
    }
  });
}

int BufferPool::allocated() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->allocated;
}

}  // namespace a2a
