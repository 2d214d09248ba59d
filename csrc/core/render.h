// A small software renderer for the egocentric RGB view. At a receptacle the robot sees its surface
// (or its inside, when open) and the objects on it left to right, each with its category's
// silhouette, its color, its pattern and a size you can tell apart; elsewhere it sees the room.
// Rendering is a pure function of the world, so frames are identical on every run and thread.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "world.h"

namespace a2a {

struct RenderConfig {
  int width = 128, height = 128;  // 0 x 0 disables rendering
  bool set_of_marks = false;      // numbered marks over visible objects, for vision baselines
  bool enabled() const { return width > 0 && height > 0; }
};

// What a view shows and where, as fractions of the frame (x right, y down): in a room, its
// receptacles left to right; at a receptacle, the receptacle (the whole view) and, when it is open,
// the objects on it with their Set-of-Marks numbers; the held object in its inset. The renderer
// draws from the same geometry, so labels put over a frame line up with what is drawn.
struct ViewItem {
  enum class Kind { Receptacle, Object, Held };
  Kind kind = Kind::Receptacle;
  int index = 0;  // into World::receptacles (Receptacle) or World::objects (Object, Held)
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int mark = 0;   // Set-of-Marks number of a visible object (1, 2, ... left to right), else 0
};

class Renderer {
 public:
  explicit Renderer(const RenderConfig& cfg);
  // Writes height*width*3 bytes (row-major RGB).
  void render(const World& w, uint8_t* rgb) const;
  // The items of the view render() draws (laid out at 128 x 128 when rendering is disabled).
  std::vector<ViewItem> layout(const World& w) const;
  const RenderConfig& config() const { return cfg_; }

 private:
  struct Mask {
    int w = 0, h = 0;
    std::vector<uint8_t> px;  // 0 empty, 1 body, 2 detail (drawn darker)
  };
  const Mask& sprite(int shape, int box) const;
  void draw_object(uint8_t* rgb, const struct Object& o, int cx, int bottom, int box) const;
  void draw_receptacle_view(const World& w, int r, uint8_t* rgb) const;
  void draw_room_view(const World& w, uint8_t* rgb) const;
  void draw_held(const World& w, uint8_t* rgb) const;
  void draw_mark(uint8_t* rgb, int cx, int top, int number) const;

  RenderConfig cfg_;
  std::map<int, std::vector<Mask>> sprites_;  // box size in pixels -> one mask per ObjectShape
};

}  // namespace a2a
