#include "io/plot_png.h"

#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "io/atomic_output.h"

namespace jetimg {
namespace {

struct Rgb {
  double r, g, b;
};

// Anchors of a perceptually uniform dark-blue -> green -> yellow map (viridis-like).
constexpr std::array<Rgb, 9> kSequential = {{{0.267, 0.005, 0.329}, {0.283, 0.141, 0.458}, {0.254, 0.265, 0.530},
                                             {0.207, 0.372, 0.553}, {0.164, 0.471, 0.558}, {0.128, 0.567, 0.551},
                                             {0.135, 0.659, 0.518}, {0.478, 0.821, 0.318}, {0.993, 0.906, 0.144}}};
constexpr std::array<Rgb, 5> kDiverging = {
    {{0.129, 0.400, 0.674}, {0.573, 0.773, 0.871}, {0.969, 0.969, 0.969}, {0.957, 0.647, 0.510}, {0.698, 0.094, 0.169}}};

// Line colours of the curves of one plot, in order: orange, blue, green, purple.
constexpr std::array<Rgb, 4> kLines = {{{0.85, 0.33, 0.10}, {0.00, 0.45, 0.74}, {0.47, 0.67, 0.19}, {0.49, 0.18, 0.56}}};

template <size_t N>
Rgb colour_at(const std::array<Rgb, N>& map, double t) {
  t = std::clamp(t, 0.0, 1.0) * (N - 1);
  const size_t i = std::min(static_cast<size_t>(t), N - 2);
  const double f = t - i;
  return {map[i].r + f * (map[i + 1].r - map[i].r), map[i].g + f * (map[i + 1].g - map[i].g),
          map[i].b + f * (map[i + 1].b - map[i].b)};
}

// A "nice" tick step for a range (1, 2 or 5 times a power of ten).
double nice_step(double range, int target_ticks) {
  const double raw = range / target_ticks, power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

void text(cairo_t* cr, double x, double y, const std::string& s, double align_x = 0.5, double size = 13,
          double angle = 0) {
  cairo_save(cr);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t ext;
  cairo_text_extents(cr, s.c_str(), &ext);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  cairo_move_to(cr, -align_x * ext.x_advance, ext.height / 2);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

std::string format(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  return buffer;
}

}  // namespace

void write_heatmap_png(const std::string& path, const std::vector<double>& image, const HeatmapSpec& spec) {
  if (spec.height < 1 || spec.width < 1 || image.size() != static_cast<size_t>(spec.height) * spec.width)
    fail("heat map '", path, "': ", image.size(), " values do not fill ", spec.height, "x", spec.width);
  AtomicOutput output(path);
  constexpr int kCanvasW = 700, kCanvasH = 600;
  constexpr double kPlotX = 90, kPlotY = 60, kPlotSize = 440, kBarX = 560, kBarW = 22;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, kCanvasW, kCanvasH);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

  // Colour scale.
  double lo, hi;
  const double vmax = *std::max_element(image.begin(), image.end());
  const double vmin = *std::min_element(image.begin(), image.end());
  if (spec.diverging) {
    hi = std::max({std::abs(vmax), std::abs(vmin), 1e-30});
    lo = -hi;
  } else if (spec.log_scale) {
    hi = std::log10(std::max(vmax, 1e-30));
    lo = hi + std::log10(spec.log_floor);
  } else {
    lo = std::min(vmin, 0.0);
    hi = std::max(vmax, lo + 1e-30);
  }
  const auto colour_of = [&](double v) {
    if (spec.diverging) return colour_at(kDiverging, (v - lo) / (hi - lo));
    const double t = spec.log_scale ? (v > 0 ? (std::log10(v) - lo) / (hi - lo) : 0.0) : (v - lo) / (hi - lo);
    return colour_at(kSequential, t);
  };

  // Pixels: the plot area keeps the image's aspect ratio in (η, φ).
  const double extent_x = spec.width * spec.pixel_eta, extent_y = spec.height * spec.pixel_phi;
  const double scale = kPlotSize / std::max(extent_x, extent_y);
  const double plot_w = extent_x * scale, plot_h = extent_y * scale;
  const double cell_w = plot_w / spec.width, cell_h = plot_h / spec.height;
  for (int r = 0; r < spec.height; ++r)
    for (int c = 0; c < spec.width; ++c) {
      const Rgb rgb = colour_of(image[static_cast<size_t>(r) * spec.width + c]);
      cairo_set_source_rgb(cr, rgb.r, rgb.g, rgb.b);
      cairo_rectangle(cr, kPlotX + c * cell_w, kPlotY + r * cell_h, cell_w + 0.5, cell_h + 0.5);
      cairo_fill(cr);
    }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, kPlotX, kPlotY, plot_w, plot_h);
  cairo_stroke(cr);

  // Axes: ticks at nice values of η′ and φ′ (0 at the image centre).
  const double step_x = nice_step(extent_x, 5), step_y = nice_step(extent_y, 5);
  for (double v = std::ceil(-extent_x / 2 / step_x) * step_x; v <= extent_x / 2 + 1e-9; v += step_x) {
    const double x = kPlotX + (v + extent_x / 2) * scale;
    cairo_move_to(cr, x, kPlotY + plot_h);
    cairo_line_to(cr, x, kPlotY + plot_h + 5);
    cairo_stroke(cr);
    text(cr, x, kPlotY + plot_h + 16, format(v));
  }
  for (double v = std::ceil(-extent_y / 2 / step_y) * step_y; v <= extent_y / 2 + 1e-9; v += step_y) {
    const double y = kPlotY + (extent_y / 2 - v) * scale;
    cairo_move_to(cr, kPlotX - 5, y);
    cairo_line_to(cr, kPlotX, y);
    cairo_stroke(cr);
    text(cr, kPlotX - 8, y, format(v), 1.0);
  }
  text(cr, kPlotX + plot_w / 2, kPlotY + plot_h + 40, spec.x_label, 0.5, 14);
  text(cr, kPlotX - 55, kPlotY + plot_h / 2, spec.y_label, 0.5, 14, -M_PI / 2);
  text(cr, kCanvasW / 2.0, 28, spec.title, 0.5, 16);

  // Colour bar with labelled ticks.
  const int bar_steps = 200;
  for (int i = 0; i < bar_steps; ++i) {
    const double t = 1.0 - (i + 0.5) / bar_steps;
    const double v = lo + t * (hi - lo);
    const Rgb rgb = spec.diverging || !spec.log_scale ? colour_of(v) : colour_at(kSequential, t);
    cairo_set_source_rgb(cr, rgb.r, rgb.g, rgb.b);
    cairo_rectangle(cr, kBarX, kPlotY + i * plot_h / bar_steps, kBarW, plot_h / bar_steps + 0.5);
    cairo_fill(cr);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, kBarX, kPlotY, kBarW, plot_h);
  cairo_stroke(cr);
  const double bar_step = nice_step(hi - lo, 5);
  for (double v = std::ceil(lo / bar_step) * bar_step; v <= hi + 1e-12 * std::abs(hi); v += bar_step) {
    const double y = kPlotY + (hi - v) / (hi - lo) * plot_h;
    cairo_move_to(cr, kBarX + kBarW, y);
    cairo_line_to(cr, kBarX + kBarW + 4, y);
    cairo_stroke(cr);
    text(cr, kBarX + kBarW + 7, y, spec.log_scale && !spec.diverging ? "1e" + format(v) : format(v), 0.0, 11);
  }
  text(cr, kBarX + kBarW + 75, kPlotY + plot_h / 2, spec.colour_label, 0.5, 13, M_PI / 2);

  cairo_destroy(cr);
  const cairo_status_t status = cairo_surface_write_to_png(surface, output.temp_path().c_str());
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) fail("cannot write PNG '", path, "': ", cairo_status_to_string(status));
  output.commit();
}

void write_roc_png(const std::string& path, const std::vector<RocSeries>& series, const std::string& title) {
  if (series.empty()) fail("ROC plot '", path, "': no curves to draw");
  // The y range: from 1 up to the next decade above the largest finite rejection.
  double top = 10;
  for (const RocSeries& s : series) {
    if (s.signal_efficiency.size() != s.background_efficiency.size())
      fail("ROC plot '", path, "': curve '", s.label, "' has unequal ε_S and ε_B lists");
    for (double eb : s.background_efficiency)
      if (eb > 0) top = std::max(top, 1 / eb);
  }
  const double decades = std::min(6.0, std::ceil(std::log10(top)));
  AtomicOutput output(path);
  constexpr int kCanvasW = 700, kCanvasH = 560;
  constexpr double kPlotX = 90, kPlotY = 60, kPlotW = 560, kPlotH = 420;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, kCanvasW, kCanvasH);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  const auto px = [&](double es) { return kPlotX + es * kPlotW; };
  const auto py = [&](double rejection) {
    return kPlotY + kPlotH * (1 - std::clamp(std::log10(rejection), 0.0, decades) / decades);
  };
  // Grid and axes.
  cairo_set_line_width(cr, 1);
  for (int d = 0; d <= decades; ++d) {
    for (int m = 1; m < 10 && d + std::log10(m) <= decades; ++m) {
      const double y = py(m * std::pow(10.0, d));
      cairo_set_source_rgb(cr, m == 1 ? 0.8 : 0.93, m == 1 ? 0.8 : 0.93, m == 1 ? 0.8 : 0.93);
      cairo_move_to(cr, kPlotX, y);
      cairo_line_to(cr, kPlotX + kPlotW, y);
      cairo_stroke(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, kPlotX - 10, py(std::pow(10.0, d)), format(std::pow(10.0, d)), 1.0);
  }
  for (int i = 0; i <= 10; ++i) {
    const double x = px(i / 10.0);
    cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
    cairo_move_to(cr, x, kPlotY);
    cairo_line_to(cr, x, kPlotY + kPlotH);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (i % 2 == 0) text(cr, x, kPlotY + kPlotH + 16, format(i / 10.0));
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, kPlotX, kPlotY, kPlotW, kPlotH);
  cairo_stroke(cr);
  text(cr, kPlotX + kPlotW / 2, 30, title, 0.5, 15);
  text(cr, kPlotX + kPlotW / 2, kPlotY + kPlotH + 42, "signal efficiency  ε_S");
  text(cr, 28, kPlotY + kPlotH / 2, "background rejection  1/ε_B", 0.5, 13, -M_PI / 2);

  cairo_save(cr);
  cairo_rectangle(cr, kPlotX, kPlotY, kPlotW, kPlotH);
  cairo_clip(cr);
  // A random tagger: ε_B = ε_S.
  const double dash[] = {6, 4};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
  for (int i = 1; i <= 100; ++i) {
    const double es = i / 100.0;
    if (i == 1)
      cairo_move_to(cr, px(es), py(1 / es));
    else
      cairo_line_to(cr, px(es), py(1 / es));
  }
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
  cairo_set_line_width(cr, 2.2);
  for (size_t k = 0; k < series.size(); ++k) {
    const Rgb c = kLines[k % kLines.size()];
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    bool drawing = false;
    for (size_t i = 0; i < series[k].signal_efficiency.size(); ++i) {
      const double es = series[k].signal_efficiency[i], eb = series[k].background_efficiency[i];
      if (!(eb > 0) || !(es > 0)) continue;
      if (drawing)
        cairo_line_to(cr, px(es), py(1 / eb));
      else
        cairo_move_to(cr, px(es), py(1 / eb));
      drawing = true;
    }
    cairo_stroke(cr);
  }
  cairo_restore(cr);
  // Legend, top right.
  for (size_t k = 0; k < series.size(); ++k) {
    const Rgb c = kLines[k % kLines.size()];
    const double y = kPlotY + 20 + 20 * k;
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, 2.2);
    cairo_move_to(cr, kPlotX + kPlotW - 300, y);
    cairo_line_to(cr, kPlotX + kPlotW - 270, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, kPlotX + kPlotW - 262, y, series[k].label, 0.0, 12);
  }
  cairo_destroy(cr);
  const cairo_status_t status = cairo_surface_write_to_png(surface, output.temp_path().c_str());
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) fail("cannot write PNG '", path, "': ", cairo_status_to_string(status));
  output.commit();
}

void write_histograms_png(const std::string& path, const std::vector<HistogramSeries>& series,
                          const HistogramSpec& spec) {
  if (series.empty() || series[0].counts.empty()) fail("histogram plot '", path, "': no histograms to draw");
  if (!(spec.hi > spec.lo) || !std::isfinite(spec.lo) || !std::isfinite(spec.hi))
    fail("histogram plot '", path, "': the range [", spec.lo, ", ", spec.hi, "] is empty or not finite");
  const size_t bins = series[0].counts.size();
  // Bin heights as drawn, and the y range that holds them all.
  std::vector<std::vector<double>> heights;
  double top = 0, smallest = INFINITY;
  for (const HistogramSeries& s : series) {
    if (s.counts.size() != bins)
      fail("histogram plot '", path, "': '", s.label, "' has ", s.counts.size(), " bins, expected ", bins);
    double total = 0;
    for (double c : s.counts) {
      if (!(c >= 0) || !std::isfinite(c)) fail("histogram plot '", path, "': '", s.label, "' has a negative or non-finite bin");
      total += c;
    }
    heights.push_back(s.counts);
    for (double& h : heights.back()) {
      if (spec.normalise && total > 0) h /= total;
      top = std::max(top, h);
      if (h > 0) smallest = std::min(smallest, h);
    }
  }
  if (!(top > 0)) top = 1, smallest = 0.1;
  // Headroom above the tallest bin for the legend: a third of the height.
  const double y_hi = spec.log_y ? std::ceil(std::log10(top) + 0.5) : top * 1.35;
  const double y_lo = spec.log_y ? std::floor(std::log10(smallest)) : 0.0;

  AtomicOutput output(path);
  constexpr int kCanvasW = 700, kCanvasH = 560;
  constexpr double kPlotX = 90, kPlotY = 64, kPlotW = 560, kPlotH = 416;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, kCanvasW, kCanvasH);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  const auto px = [&](double x) { return kPlotX + (x - spec.lo) / (spec.hi - spec.lo) * kPlotW; };
  const auto py = [&](double h) {
    const double v = spec.log_y ? (h > 0 ? std::log10(h) : y_lo) : h;
    return kPlotY + kPlotH * (1 - std::clamp((v - y_lo) / (y_hi - y_lo), 0.0, 1.0));
  };

  // Grid, ticks and labels.
  cairo_set_line_width(cr, 1);
  const double step_x = nice_step(spec.hi - spec.lo, 6);
  for (double v = std::ceil(spec.lo / step_x) * step_x; v <= spec.hi + 1e-9 * step_x; v += step_x) {
    cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
    cairo_move_to(cr, px(v), kPlotY);
    cairo_line_to(cr, px(v), kPlotY + kPlotH);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, px(v), kPlotY + kPlotH + 16, format(v));
  }
  if (spec.log_y) {
    for (int d = static_cast<int>(y_lo); d <= y_hi; ++d) {
      cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
      cairo_move_to(cr, kPlotX, py(std::pow(10.0, d)));
      cairo_line_to(cr, kPlotX + kPlotW, py(std::pow(10.0, d)));
      cairo_stroke(cr);
      cairo_set_source_rgb(cr, 0, 0, 0);
      text(cr, kPlotX - 8, py(std::pow(10.0, d)), "1e" + format(d), 1.0, 12);
    }
  } else {
    const double step_y = nice_step(y_hi, 5);
    for (double v = 0; v <= y_hi + 1e-9 * step_y; v += step_y) {
      cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
      cairo_move_to(cr, kPlotX, py(v));
      cairo_line_to(cr, kPlotX + kPlotW, py(v));
      cairo_stroke(cr);
      cairo_set_source_rgb(cr, 0, 0, 0);
      text(cr, kPlotX - 8, py(v), format(v), 1.0, 12);
    }
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, kPlotX, kPlotY, kPlotW, kPlotH);
  cairo_stroke(cr);
  text(cr, kPlotX + kPlotW / 2, 22, spec.title, 0.5, 15);
  std::string notes;
  for (const std::string& note : spec.notes) notes += (notes.empty() ? "" : "     ") + note;
  text(cr, kPlotX + kPlotW / 2, 46, notes, 0.5, 12);
  text(cr, kPlotX + kPlotW / 2, kPlotY + kPlotH + 42, spec.x_label, 0.5, 14);
  text(cr, 24, kPlotY + kPlotH / 2, spec.y_label, 0.5, 13, -M_PI / 2);

  // Step lines: along each bin's top, down to zero at both ends.
  cairo_save(cr);
  cairo_rectangle(cr, kPlotX, kPlotY, kPlotW, kPlotH);
  cairo_clip(cr);
  cairo_set_line_width(cr, 2);
  const double bin_width = (spec.hi - spec.lo) / bins;
  for (size_t k = 0; k < heights.size(); ++k) {
    const Rgb c = kLines[k % kLines.size()];
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_move_to(cr, px(spec.lo), py(0));
    for (size_t b = 0; b < bins; ++b) {
      cairo_line_to(cr, px(spec.lo + b * bin_width), py(heights[k][b]));
      cairo_line_to(cr, px(spec.lo + (b + 1) * bin_width), py(heights[k][b]));
    }
    cairo_line_to(cr, px(spec.hi), py(0));
    cairo_stroke(cr);
  }
  cairo_restore(cr);
  // Legend, top right.
  for (size_t k = 0; k < series.size(); ++k) {
    const Rgb c = kLines[k % kLines.size()];
    const double y = kPlotY + 20 + 20 * k;
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, 2);
    cairo_move_to(cr, kPlotX + kPlotW - 250, y);
    cairo_line_to(cr, kPlotX + kPlotW - 220, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, kPlotX + kPlotW - 212, y, series[k].label, 0.0, 12);
  }
  cairo_destroy(cr);
  const cairo_status_t status = cairo_surface_write_to_png(surface, output.temp_path().c_str());
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) fail("cannot write PNG '", path, "': ", cairo_status_to_string(status));
  output.commit();
}

}  // namespace jetimg
