#include "render.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "catalog.h"

namespace a2a {
namespace {

// ---- drawing primitives over an RGB image ----------------------------------------------------

struct Canvas {
  uint8_t* px;
  int w, h;
  void put(int x, int y, Rgb c) {
    uint8_t* p = px + (static_cast<size_t>(y) * w + x) * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  void rect(int x0, int y0, int x1, int y1, Rgb c) {  // [x0, x1) x [y0, y1), clipped
    x0 = std::max(x0, 0), y0 = std::max(y0, 0), x1 = std::min(x1, w), y1 = std::min(y1, h);
    if (x0 >= x1 || y0 >= y1) return;
    // One row pixel by pixel, the others copied from it (rects cover most of every frame).
    const size_t row_bytes = static_cast<size_t>(x1 - x0) * 3;
    uint8_t* first = px + (static_cast<size_t>(y0) * w + x0) * 3;
    for (uint8_t *p = first, *end = first + row_bytes; p < end; p += 3) p[0] = c.r, p[1] = c.g, p[2] = c.b;
    for (int y = y0 + 1; y < y1; ++y) std::memcpy(px + (static_cast<size_t>(y) * w + x0) * 3, first, row_bytes);
  }
  void frect(double x0, double y0, double x1, double y1, Rgb c) {
    rect(static_cast<int>(std::lround(x0 * w)), static_cast<int>(std::lround(y0 * h)),
         static_cast<int>(std::lround(x1 * w)), static_cast<int>(std::lround(y1 * h)), c);
  }
};

Rgb scale(Rgb c, double f) {
  auto s = [f](uint8_t v) { return static_cast<uint8_t>(std::min(255.0, v * f)); };
  return {s(c.r), s(c.g), s(c.b)};
}
int luminance(Rgb c) { return (c.r * 3 + c.g * 6 + c.b) / 10; }
// A second tone that stands out against c: darker for light colors, lighter for dark ones.
Rgb contrast(Rgb c, double amount) {
  if (luminance(c) < 70) {
    auto l = [amount](uint8_t v) { return static_cast<uint8_t>(std::min(255.0, v + 255.0 * amount * 0.6)); };
    return {l(c.r), l(c.g), l(c.b)};
  }
  return scale(c, 1.0 - amount);
}

// ---- silhouettes in a unit box (x right, y down, objects stand on y = 1) ---------------------

enum PrimKind { kRect, kEllipse, kTri };
struct Prim {
  PrimKind kind;
  double a, b, c, d, e, f;
  uint8_t value;  // 0 erase, 1 body, 2 detail
};

std::vector<Prim> shape_prims(ObjectShape s) {
  auto R = [](double x0, double y0, double x1, double y1, uint8_t v = 1) { return Prim{kRect, x0, y0, x1, y1, 0, 0, v}; };
  auto E = [](double cx, double cy, double rx, double ry, uint8_t v = 1) { return Prim{kEllipse, cx, cy, rx, ry, 0, 0, v}; };
  auto T = [](double x0, double y0, double x1, double y1, double x2, double y2, uint8_t v = 1) {
    return Prim{kTri, x0, y0, x1, y1, x2, y2, v};
  };
  switch (s) {
    case ObjectShape::Cup: return {T(0.18, 0.3, 0.78, 0.3, 0.66, 1), T(0.18, 0.3, 0.66, 1, 0.3, 1), E(0.8, 0.6, 0.13, 0.18), E(0.8, 0.6, 0.06, 0.1, 0), R(0.18, 0.3, 0.78, 0.36, 2)};
    case ObjectShape::Mug: return {R(0.2, 0.3, 0.7, 1), E(0.76, 0.62, 0.16, 0.2), E(0.76, 0.62, 0.08, 0.11, 0), R(0.2, 0.3, 0.7, 0.36, 2)};
    case ObjectShape::Bowl: return {E(0.5, 0.55, 0.46, 0.45), R(0, 0, 1, 0.55, 0), R(0.04, 0.55, 0.96, 0.62, 2)};
    case ObjectShape::Plate: return {E(0.5, 0.84, 0.48, 0.16), E(0.5, 0.82, 0.3, 0.08, 2)};
    case ObjectShape::Bottle: return {R(0.32, 0.42, 0.68, 1), E(0.5, 0.43, 0.18, 0.1), R(0.43, 0.12, 0.57, 0.42), R(0.41, 0.05, 0.59, 0.14, 2)};
    case ObjectShape::Can: return {R(0.3, 0.35, 0.7, 1), R(0.3, 0.35, 0.7, 0.41, 2), R(0.3, 0.94, 0.7, 1, 2)};
    case ObjectShape::Jar: return {R(0.25, 0.32, 0.75, 1), R(0.22, 0.2, 0.78, 0.32, 2)};
    case ObjectShape::Vase: return {E(0.5, 0.7, 0.3, 0.3), R(0.4, 0.15, 0.6, 0.5), R(0.32, 0.08, 0.68, 0.17, 2)};
    case ObjectShape::Apple: return {E(0.5, 0.66, 0.34, 0.33), R(0.47, 0.2, 0.53, 0.36, 2), E(0.62, 0.27, 0.1, 0.05, 2)};
    case ObjectShape::Banana: return {E(0.5, 0.45, 0.47, 0.5), E(0.5, 0.25, 0.47, 0.5, 0), R(0, 0, 1, 0.45, 0), E(0.07, 0.6, 0.05, 0.05, 2)};
    case ObjectShape::Lemon: return {E(0.5, 0.72, 0.36, 0.26), E(0.12, 0.72, 0.06, 0.05, 2), E(0.88, 0.72, 0.06, 0.05, 2)};
    case ObjectShape::Book: return {R(0.3, 0.08, 0.7, 1), R(0.3, 0.08, 0.39, 1, 2)};
    case ObjectShape::Box: return {R(0.14, 0.36, 0.86, 1), R(0.14, 0.36, 0.86, 0.44, 2)};
    case ObjectShape::ToyCar: return {R(0.08, 0.6, 0.92, 0.86), R(0.28, 0.4, 0.7, 0.6), E(0.28, 0.88, 0.1, 0.11, 2), E(0.72, 0.88, 0.1, 0.11, 2)};
    case ObjectShape::TeddyBear: return {E(0.5, 0.75, 0.3, 0.25), E(0.5, 0.38, 0.2, 0.18), E(0.33, 0.22, 0.08, 0.08), E(0.67, 0.22, 0.08, 0.08), E(0.5, 0.44, 0.07, 0.05, 2)};
    case ObjectShape::Ball: return {E(0.5, 0.62, 0.38, 0.38), R(0.12, 0.6, 0.88, 0.64, 2)};
    case ObjectShape::Shoe: return {R(0.08, 0.62, 0.92, 0.88), R(0.08, 0.36, 0.45, 0.62), R(0.06, 0.88, 0.94, 1, 2)};
    case ObjectShape::Hat: return {R(0.25, 0.4, 0.75, 0.86), R(0.04, 0.86, 0.96, 0.97), R(0.25, 0.7, 0.75, 0.78, 2)};
    case ObjectShape::Phone: return {R(0.32, 0.3, 0.68, 1), R(0.37, 0.36, 0.63, 0.92, 2)};
    case ObjectShape::Remote: return {R(0.38, 0.14, 0.62, 1), R(0.46, 0.22, 0.54, 0.28, 2), R(0.46, 0.4, 0.54, 0.44, 2), R(0.46, 0.52, 0.54, 0.56, 2)};
    case ObjectShape::Laptop: return {R(0.18, 0.36, 0.82, 0.9), R(0.22, 0.41, 0.78, 0.85, 2), R(0.08, 0.9, 0.92, 1)};
    case ObjectShape::Candle: return {R(0.34, 0.36, 0.66, 1), R(0.48, 0.26, 0.52, 0.36, 2), E(0.5, 0.2, 0.08, 0.12, 2)};
    case ObjectShape::Clock: return {E(0.5, 0.56, 0.4, 0.4), R(0.48, 0.28, 0.52, 0.58, 2), R(0.5, 0.54, 0.72, 0.58, 2)};
    case ObjectShape::Plant: return {T(0.5, 0.02, 0.16, 0.66, 0.84, 0.66), T(0.22, 0.2, 0.5, 0.66, 0.1, 0.62), T(0.3, 0.66, 0.7, 0.66, 0.62, 1, 2), T(0.3, 0.66, 0.62, 1, 0.38, 1, 2)};
    case ObjectShape::Kettle: return {E(0.5, 0.68, 0.32, 0.31), T(0.76, 0.56, 0.98, 0.38, 0.8, 0.74), E(0.5, 0.38, 0.22, 0.14), E(0.5, 0.38, 0.15, 0.08, 0), R(0.4, 0.34, 0.6, 0.4, 2)};
    case ObjectShape::Towel: return {R(0.14, 0.55, 0.86, 1), R(0.14, 0.7, 0.86, 0.76, 2)};
    case ObjectShape::Pillow: return {E(0.5, 0.78, 0.47, 0.22), E(0.5, 0.78, 0.3, 0.12, 2)};
    case ObjectShape::Spoon: return {R(0.44, 0.1, 0.56, 0.68), E(0.5, 0.82, 0.2, 0.18)};
  }
  return {R(0.2, 0.2, 0.8, 1)};
}

bool inside(const Prim& p, double x, double y) {
  switch (p.kind) {
    case kRect: return x >= p.a && x < p.c && y >= p.b && y < p.d;
    case kEllipse: {
      double dx = (x - p.a) / p.c, dy = (y - p.b) / p.d;
      return dx * dx + dy * dy <= 1.0;
    }
    case kTri: {
      auto cross = [](double ax, double ay, double bx, double by, double cx, double cy) {
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
      };
      double d1 = cross(p.a, p.b, p.c, p.d, x, y), d2 = cross(p.c, p.d, p.e, p.f, x, y), d3 = cross(p.e, p.f, p.a, p.b, x, y);
      bool neg = d1 < 0 || d2 < 0 || d3 < 0, pos = d1 > 0 || d2 > 0 || d3 > 0;
      return !(neg && pos);
    }
  }
  return false;
}

constexpr double kSizeScale[kNumSizes] = {0.6, 0.8, 1.0};
constexpr int kNumShapes = static_cast<int>(ObjectShape::Spoon) + 1;

// 3x5 digits for Set-of-Marks labels.
const char* kDigits[10] = {"111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001",
                           "111100111001111", "111100111101111", "111001001001001", "111101111101111", "111101111001111"};

int sprite_box(const RenderConfig& cfg, int num_slots) {
  int slot_w = cfg.width * 9 / 10 / std::max(1, num_slots);
  return std::max(3, std::min(slot_w * 19 / 20, std::min(cfg.width / 3, cfg.height / 2)));
}

constexpr double kRoomFloorLine = 0.8;  // where the furniture blocks of a room view stand

// Where an object stands in a view, in pixels: centre, bottom and sprite box; its Set-of-Marks number.
struct Placed {
  int object, cx, bottom, box, mark;
};

// The objects on an open receptacle, left to right by slot, as its view shows them.
std::vector<Placed> placed_objects(const World& w, int r, const RenderConfig& cfg) {
  std::vector<Placed> out;
  const Receptacle& rec = w.receptacles[r];
  if (!rec.open) return out;
  const double surface = receptacle_types()[rec.type].prep == "in" ? 0.86 : 0.7;  // fraction of the height
  const int box = sprite_box(cfg, rec.num_slots);
  const int bottom = static_cast<int>(std::lround(surface * cfg.height));
  const double left = 0.05 * cfg.width, span = 0.9 * cfg.width;
  int mark = 0;
  for (int s = 0; s < rec.num_slots; ++s) {
    int o = rec.slot_object[s];
    if (o < 0) continue;
    int cx = static_cast<int>(left + (s + 0.5) * span / rec.num_slots);
    int size_box = std::max(2, static_cast<int>(std::lround(box * kSizeScale[w.objects[o].size])));
    out.push_back({o, cx, bottom, size_box, ++mark});
  }
  return out;
}

// The robot's room as a row of blocks, one per receptacle (tall for cupboards and fridges).
std::vector<ViewItem> room_blocks(const World& w) {
  std::vector<int> here;
  for (int r = 0; r < static_cast<int>(w.receptacles.size()); ++r)
    if (w.receptacles[r].room == w.robot_room) here.push_back(r);
  const int n = std::max<int>(1, static_cast<int>(here.size()));
  std::vector<ViewItem> out;
  for (int k = 0; k < static_cast<int>(here.size()); ++k) {
    const ReceptacleType& type = receptacle_types()[w.receptacles[here[k]].type];
    bool tall = type.prep == "in" && type.articulated;
    out.push_back({ViewItem::Kind::Receptacle, here[k], 0.04 + 0.92 * k / n, tall ? 0.3 : 0.5,
                   0.04 + 0.92 * (k + 1) / n - 0.02, kRoomFloorLine, 0});
  }
  return out;
}

// The gripper inset in the bottom-right corner (pixels, [x0, x1) x [y0, y1)) and the held object in it.
struct Inset {
  int x0, y0, x1, y1;
  Placed object;
};
Inset held_inset(const World& w, const RenderConfig& cfg) {
  int box = std::max(3, cfg.width / 6);
  int x1 = cfg.width - 1, y1 = cfg.height - 1;
  int size_box = std::max(2, static_cast<int>(std::lround(box * kSizeScale[w.objects[w.held].size])));
  return {x1 - box - 2, y1 - box - 2, x1 + 1, y1 + 1, {w.held, x1 - box / 2 - 1, y1, size_box, 0}};
}

}  // namespace

Renderer::Renderer(const RenderConfig& cfg) : cfg_(cfg) {
  if (!cfg_.enabled()) return;
  // Masks for every sprite box the views use: per slot count, per size.
  for (int n = 1; n <= kMaxSlots; ++n)
    for (int s = 0; s < kNumSizes; ++s) {
      int box = std::max(2, static_cast<int>(std::lround(sprite_box(cfg_, n) * kSizeScale[s])));
      if (sprites_.count(box)) continue;
      std::vector<Mask> masks(kNumShapes);
      for (int shape = 0; shape < kNumShapes; ++shape) {
        Mask& m = masks[shape];
        m.w = m.h = box;
        m.px.assign(static_cast<size_t>(box) * box, 0);
        std::vector<Prim> prims = shape_prims(static_cast<ObjectShape>(shape));
        for (int y = 0; y < box; ++y)
          for (int x = 0; x < box; ++x) {
            double fx = (x + 0.5) / box, fy = (y + 0.5) / box;
            uint8_t v = 0;
            for (const Prim& p : prims)
              if (inside(p, fx, fy)) v = p.value;
            m.px[static_cast<size_t>(y) * box + x] = v;
          }
      }
      sprites_[box] = std::move(masks);
    }
}

const Renderer::Mask& Renderer::sprite(int shape, int box) const {
  auto it = sprites_.lower_bound(box);
  if (it == sprites_.end()) --it;
  return it->second[static_cast<size_t>(shape)];
}

void Renderer::draw_object(uint8_t* rgb, const Object& o, int cx, int bottom, int box) const {
  const Mask& m = sprite(static_cast<int>(object_categories()[o.category].shape), box);
  const Rgb body = color_values()[o.color];
  const Rgb accent = contrast(body, 0.45);
  const Rgb detail = contrast(body, 0.6);
  const int period = std::max(2, m.w / 6);
  const int x0 = cx - m.w / 2, y0 = bottom - m.h;
  // The sprite's part inside the frame.
  const int xa = std::max(0, -x0), xb = std::min(m.w, cfg_.width - x0);
  const int ya = std::max(0, -y0), yb = std::min(m.h, cfg_.height - y0);
  if (xa >= xb || ya >= yb) return;
  // Pattern phase of each column (x / period and whether x falls in a dot), computed once, not per pixel.
  thread_local std::vector<uint8_t> col;  // renderers are shared by the threads that step envs
  col.resize(static_cast<size_t>(m.w));
  for (int x = 0; x < m.w; ++x) col[static_cast<size_t>(x)] = static_cast<uint8_t>(((x / period) & 1) | ((x % (2 * period)) < period ? 2 : 0));
  for (int y = ya; y < yb; ++y) {
    const uint8_t* mask = m.px.data() + static_cast<size_t>(y) * m.w;
    uint8_t* row = rgb + (static_cast<size_t>(y0 + y) * cfg_.width + x0) * 3;
    const int row_phase = (y / period) & 1;
    const bool dot_row = (y % (2 * period)) < period;
    for (int x = xa; x < xb; ++x) {
      const uint8_t v = mask[x];
      if (!v) continue;
      const uint8_t c = col[static_cast<size_t>(x)];
      bool accented = false;
      switch (o.pattern) {
        case 1: accented = row_phase; break;                         // striped
        case 2: accented = dot_row && (c & 2); break;                // dotted
        case 3: accented = ((c & 1) ^ row_phase) != 0; break;        // checkered
        default: break;
      }
      const Rgb px = v == 2 ? detail : accented ? accent : body;
      uint8_t* p = row + static_cast<size_t>(x) * 3;
      p[0] = px.r, p[1] = px.g, p[2] = px.b;
    }
  }
}

void Renderer::draw_mark(uint8_t* rgb, int cx, int top, int number) const {
  Canvas c{rgb, cfg_.width, cfg_.height};
  int s = std::max(1, cfg_.height / 64);  // pixel size of a font dot
  std::string digits = std::to_string(number);
  int w = static_cast<int>(digits.size()) * 4 * s + s, h = 7 * s;
  int x0 = cx - w / 2, y0 = std::max(0, top - h - s);
  c.rect(x0, y0, x0 + w, y0 + h, Rgb{255, 255, 255});
  for (size_t k = 0; k < digits.size(); ++k) {
    const char* g = kDigits[digits[k] - '0'];
    for (int gy = 0; gy < 5; ++gy)
      for (int gx = 0; gx < 3; ++gx)
        if (g[gy * 3 + gx] == '1') {
          int px = x0 + s + static_cast<int>(k) * 4 * s + gx * s, py = y0 + s + gy * s;
          c.rect(px, py, px + s, py + s, Rgb{0, 0, 0});
        }
  }
}

void Renderer::draw_receptacle_view(const World& w, int r, uint8_t* rgb) const {
  const Receptacle& rec = w.receptacles[r];
  const ReceptacleType& type = receptacle_types()[rec.type];
  const Rgb fin = finishes()[rec.finish].color;
  const Rgb dark = scale(fin, 0.6), inner = scale(fin, 0.35);
  Canvas c{rgb, cfg_.width, cfg_.height};
  const bool container = type.prep == "in";
  const bool closed = !rec.open;

  using S = ReceptacleShape;
  if (!container) {
    switch (type.shape) {
      case S::Shelf:
        c.frect(0.04, 0.12, 0.96, 0.74, dark);
        c.frect(0.04, 0.7, 0.96, 0.76, fin);
        c.frect(0.04, 0.76, 0.08, 1.0, fin), c.frect(0.92, 0.76, 0.96, 1.0, fin);
        break;
      case S::Seat:
        c.frect(0.03, 0.5, 0.97, 0.7, dark);  // backrest
        c.frect(0.03, 0.7, 0.97, 0.86, fin);
        c.frect(0.06, 0.86, 0.12, 1.0, dark), c.frect(0.88, 0.86, 0.94, 1.0, dark);
        break;
      case S::Bed:
        c.frect(0.02, 0.45, 0.1, 0.95, dark);  // headboard
        c.frect(0.02, 0.7, 0.98, 0.9, fin);
        c.frect(0.05, 0.66, 0.98, 0.72, Rgb{240, 240, 236});
        break;
      case S::Counter:
        c.frect(0.02, 0.7, 0.98, 0.75, fin);
        c.frect(0.04, 0.75, 0.96, 1.0, dark);
        c.frect(0.3, 0.82, 0.32, 0.95, fin), c.frect(0.68, 0.82, 0.7, 0.95, fin);
        break;
      default:  // tables, desks, nightstands
        c.frect(0.03, 0.7, 0.97, 0.76, fin);
        c.frect(0.07, 0.76, 0.12, 1.0, dark), c.frect(0.88, 0.76, 0.93, 1.0, dark);
        break;
    }
  } else {
    // A box seen from the front: doors when closed, its inside when open.
    double top = type.shape == S::Drawer || type.shape == S::Sink || type.shape == S::Basket ? 0.45 : 0.22;
    c.frect(0.05, top, 0.95, 0.98, fin);
    if (closed) {
      if (type.shape == S::Drawer) {
        c.frect(0.08, top + 0.05, 0.92, 0.93, dark);
        c.frect(0.4, 0.6, 0.6, 0.64, Rgb{200, 200, 200});
      } else {
        c.frect(0.08, top + 0.03, 0.49, 0.95, dark), c.frect(0.51, top + 0.03, 0.92, 0.95, dark);
        c.frect(0.44, 0.5, 0.47, 0.62, Rgb{210, 210, 210}), c.frect(0.53, 0.5, 0.56, 0.62, Rgb{210, 210, 210});
      }
    } else {
      c.frect(0.09, top + 0.03, 0.91, 0.9, inner);
      if (type.articulated && type.shape != S::Drawer)
        c.frect(0.0, top, 0.05, 0.98, dark), c.frect(0.95, top, 1.0, 0.98, dark);  // open doors
      if (type.shape == S::Fridge) c.frect(0.09, top + 0.03, 0.91, top + 0.06, Rgb{240, 250, 255});  // light
    }
  }
  // Objects on their slots, left to right (none when closed).
  for (const Placed& p : placed_objects(w, r, cfg_)) {
    draw_object(rgb, w.objects[p.object], p.cx, p.bottom, p.box);
    if (cfg_.set_of_marks) draw_mark(rgb, p.cx, p.bottom - p.box, p.mark);
  }
}

void Renderer::draw_room_view(const World& w, uint8_t* rgb) const {
  // Standing in a room: its furniture as a row of blocks in their finishes.
  Canvas c{rgb, cfg_.width, cfg_.height};
  for (const ViewItem& b : room_blocks(w)) {
    const Rgb fin = finishes()[w.receptacles[b.index].finish].color;
    c.frect(b.x0, b.y0, b.x1, b.y1, fin);
    c.frect(b.x0, kRoomFloorLine, b.x1, 0.83, scale(fin, 0.6));
  }
}

void Renderer::draw_held(const World& w, uint8_t* rgb) const {
  if (w.held < 0) return;
  Canvas c{rgb, cfg_.width, cfg_.height};
  const Inset in = held_inset(w, cfg_);
  c.rect(in.x0, in.y0, in.x1, in.y1, Rgb{90, 90, 96});  // gripper inset
  draw_object(rgb, w.objects[w.held], in.object.cx, in.object.bottom, in.object.box);
}

std::vector<ViewItem> Renderer::layout(const World& w) const {
  const RenderConfig cfg = cfg_.enabled() ? cfg_ : RenderConfig{};
  const double W = cfg.width, H = cfg.height;
  std::vector<ViewItem> items;
  if (w.robot_at < 0) {
    items = room_blocks(w);
  } else {
    items.push_back({ViewItem::Kind::Receptacle, w.robot_at, 0, 0, 1, 1, 0});
    for (const Placed& p : placed_objects(w, w.robot_at, cfg)) {
      const int x0 = p.cx - p.box / 2;
      items.push_back({ViewItem::Kind::Object, p.object, x0 / W, (p.bottom - p.box) / H, (x0 + p.box) / W, p.bottom / H, p.mark});
    }
  }
  if (w.held >= 0) {
    const Inset in = held_inset(w, cfg);
    items.push_back({ViewItem::Kind::Held, w.held, in.x0 / W, in.y0 / H, in.x1 / W, in.y1 / H, 0});
  }
  return items;
}

void Renderer::render(const World& w, uint8_t* rgb) const {
  if (!cfg_.enabled()) return;
  const RoomType& room = room_types()[w.rooms[w.robot_room].type];
  Canvas c{rgb, cfg_.width, cfg_.height};
  const int horizon = cfg_.height * 55 / 100;
  c.rect(0, 0, cfg_.width, horizon, room.wall);
  c.rect(0, horizon, cfg_.width, cfg_.height, room.floor);
  c.rect(0, horizon - std::max(1, cfg_.height / 40), cfg_.width, horizon, scale(room.wall, 0.8));  // baseboard
  if (w.robot_at >= 0) draw_receptacle_view(w, w.robot_at, rgb);
  else draw_room_view(w, rgb);
  draw_held(w, rgb);
}

}  // namespace a2a
