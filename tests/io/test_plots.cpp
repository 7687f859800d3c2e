// PNG plots: they are real images of the stated size with the data drawn in
// them, and bad input leaves no file behind.
#include <gtest/gtest.h>

#include <cairo.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/plot_png.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// Counts pixels within `tolerance` (0..255 per channel) of the colour (r, g, b).
int count_colour(const std::string& path, int r, int g, int b, int tolerance, int* width, int* height) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  EXPECT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS) << path;
  *width = cairo_image_surface_get_width(s);
  *height = cairo_image_surface_get_height(s);
  const int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  int n = 0;
  for (int y = 0; y < *height; ++y)
    for (int x = 0; x < *width; ++x) {
      const unsigned char* p = data + y * stride + 4 * x;  // B, G, R, X in memory (little endian)
      if (std::abs(p[2] - r) <= tolerance && std::abs(p[1] - g) <= tolerance && std::abs(p[0] - b) <= tolerance) ++n;
    }
  cairo_surface_destroy(s);
  return n;
}

TEST(Plots, RocCurvesAreDrawn) {
  const std::string dir = testing::scratch_dir("plots");
  RocSeries a{"network", {}, {}}, b{"baseline", {}, {}};
  for (int i = 0; i <= 100; ++i) {
    const double es = i / 100.0;
    a.signal_efficiency.push_back(es), a.background_efficiency.push_back(es * es * es);
    b.signal_efficiency.push_back(es), b.background_efficiency.push_back(es * es);
  }
  write_roc_png(dir + "/roc.png", {a, b}, "test");
  int w = 0, h = 0;
  // The first curve is orange (217, 84, 26), the second blue (0, 115, 189).
  const int orange = count_colour(dir + "/roc.png", 217, 84, 26, 30, &w, &h);
  const int blue = count_colour(dir + "/roc.png", 0, 115, 189, 30, &w, &h);
  EXPECT_EQ(w, 700);
  EXPECT_EQ(h, 560);
  EXPECT_GT(orange, 300);  // a line across the plot, not just the legend's short stroke
  EXPECT_GT(blue, 300);
  // Only the first curve: no blue beyond a stray anti-aliased pixel.
  write_roc_png(dir + "/one.png", {a}, "test");
  EXPECT_LT(count_colour(dir + "/one.png", 0, 115, 189, 30, &w, &h), 5);
}

TEST(Plots, BadInputLeavesNoFile) {
  const std::string dir = testing::scratch_dir("plots_bad");
  EXPECT_THROW(write_roc_png(dir + "/none.png", {}, "t"), Error);
  EXPECT_THROW(write_roc_png(dir + "/uneven.png", {RocSeries{"x", {0.1, 0.2}, {0.1}}}, "t"), Error);
  EXPECT_THROW(write_heatmap_png(dir + "/short.png", std::vector<double>(10, 1.0), HeatmapSpec{"t", "c", "x", "y", 4, 4}),
               Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(Plots, HeatmapShowsTheBrightPixel) {
  const std::string dir = testing::scratch_dir("plots_heat");
  std::vector<double> image(25 * 25, 1e-6);
  image[12 * 25 + 12] = 1.0;  // the centre pixel
  HeatmapSpec spec;
  spec.height = spec.width = 25;
  write_heatmap_png(dir + "/h.png", image, spec);
  int w = 0, h = 0;
  // The top of the sequential colour map is yellow (253, 231, 37): one cell of
  // the 440-pixel plot, about 17.6 x 17.6 screen pixels, plus the colour bar's top.
  const int yellow = count_colour(dir + "/h.png", 253, 231, 37, 12, &w, &h);
  EXPECT_GT(yellow, 250);
  EXPECT_LT(yellow, 700);
}

TEST(Plots, HistogramsAreOverlaid) {
  const std::string dir = testing::scratch_dir("plots_hist");
  HistogramSeries reference{"reference (built-in simulator)", {}}, generated{"generated (CaloGAN)", {}};
  for (int k = 0; k < 40; ++k) {
    reference.counts.push_back(std::exp(-0.5 * (k - 15) * (k - 15) / 16.0) * 1000);
    generated.counts.push_back(std::exp(-0.5 * (k - 22) * (k - 22) / 25.0) * 70);  // other sample size
  }
  HistogramSpec spec;
  spec.title = "lateral width in η, layer 1";
  spec.x_label = "lateral width in η, layer 1  (mm)";
  spec.lo = 0, spec.hi = 80;
  spec.notes = {"W1 = 5.3 mm", "χ²/ndf = 12.1"};
  write_histograms_png(dir + "/h.png", {reference, generated}, spec);
  int w = 0, h = 0;
  const int orange = count_colour(dir + "/h.png", 217, 84, 26, 30, &w, &h);
  const int blue = count_colour(dir + "/h.png", 0, 115, 189, 30, &w, &h);
  EXPECT_EQ(w, 700);
  EXPECT_EQ(h, 560);
  // Both normalised to the same area: step lines of similar length, far beyond the legend's strokes.
  EXPECT_GT(orange, 400);
  EXPECT_GT(blue, 400);
  spec.log_y = true;
  write_histograms_png(dir + "/log.png", {reference}, spec);
  EXPECT_GT(count_colour(dir + "/log.png", 217, 84, 26, 30, &w, &h), 400);
  EXPECT_LT(count_colour(dir + "/log.png", 0, 115, 189, 30, &w, &h), 5);

  const std::string bad = testing::scratch_dir("plots_hist_bad");
  EXPECT_THROW(write_histograms_png(bad + "/none.png", {}, spec), Error);
  EXPECT_THROW(write_histograms_png(bad + "/uneven.png", {reference, HistogramSeries{"x", {1, 2}}}, spec), Error);
  spec.hi = spec.lo;
  EXPECT_THROW(write_histograms_png(bad + "/range.png", {reference}, spec), Error);
  EXPECT_TRUE(std::filesystem::is_empty(bad));
}

}  // namespace
}  // namespace jetimg
