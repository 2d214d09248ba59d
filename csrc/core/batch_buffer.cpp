#include "batch_buffer.h"

#include <algorithm>
#include <cstring>

namespace a2a {

void put_text(std::vector<char>& field, int width, int row, std::string_view text) {
  char* dst = field.data() + static_cast<size_t>(row) * static_cast<size_t>(width);
  // The usual case, printable ASCII throughout, is a plain copy (a check the compiler vectorises, then memcpy).
  const size_t fits = std::min(text.size(), static_cast<size_t>(width));
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  unsigned char unprintable = 0;
  for (size_t i = 0; i < fits; ++i) unprintable |= static_cast<unsigned char>(bytes[i] - 0x20) >= 0x5F;
  if (!unprintable) {
    if (fits > 0) std::memcpy(dst, text.data(), fits);  // an empty view's data() may be null
    if (fits < static_cast<size_t>(width)) std::memset(dst + fits, 0, static_cast<size_t>(width) - fits);
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < text.size() && n < static_cast<size_t>(width);) {
    const unsigned char c = static_cast<unsigned char>(text[i++]);
    if (c >= 0x20 && c < 0x7F) {
      dst[n++] = static_cast<char>(c);
      continue;
    }
    dst[n++] = '?';
    if (c >= 0xC0)  // a UTF-8 lead byte: skip its continuation bytes
      while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  if (n < static_cast<size_t>(width)) std::memset(dst + n, 0, static_cast<size_t>(width) - n);
}

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
