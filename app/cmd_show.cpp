// `jetimg show`: the average image of an images file as a PNG, or the
// difference of two files' averages.
#include <cstdio>

#include "app/commands.h"
#include "core/device.h"
#include "core/error.h"
#include "io/images_file.h"
#include "io/imaging.h"
#include "io/outputs.h"
#include "io/plot_png.h"

namespace jetimg::app {
namespace {

struct ShowOptions {
  std::vector<std::string> inputs;
  std::string output, title, device = "auto";
  bool linear = false;
  int64_t chunk = 20000;
  int threads = 0;
};

HeatmapSpec spec_for(const ImagesReader& reader) {
  HeatmapSpec spec;
  spec.height = reader.height();
  spec.width = reader.width();
  const Json& p = reader.preprocessing();
  if (p.contains("pixel_size") && p["pixel_size"].is_array() && p["pixel_size"].size() == 2) {
    spec.pixel_eta = p["pixel_size"][0].get<float>();
    spec.pixel_phi = p["pixel_size"][1].get<float>();
  }
  return spec;
}

void run_show(const ShowOptions& o) {
  apply_threads(o.threads);
  refuse_outputs_over_inputs(o.inputs, {o.output});
  const Device device = resolve_device(o.device);
  const ImagesReader first(o.inputs[0]);
  HeatmapSpec spec = spec_for(first);
  std::vector<double> image = mean_image(o.inputs[0], device, o.chunk);
  if (o.inputs.size() == 2) {
    const ImagesReader second(o.inputs[1]);
    if (second.height() != first.height() || second.width() != first.width())
      fail("'", o.inputs[1], "' has ", second.height(), "x", second.width(), " images but '", o.inputs[0], "' has ",
           first.height(), "x", first.width());
    const std::vector<double> other = mean_image(o.inputs[1], device, o.chunk);
    for (size_t i = 0; i < image.size(); ++i) image[i] -= other[i];
    spec.diverging = true;
    spec.log_scale = false;
    spec.colour_label = "difference of mean intensities";
    spec.title = o.title.empty() ? "mean(" + o.inputs[0] + ") - mean(" + o.inputs[1] + ")" : o.title;
  } else {
    spec.log_scale = !o.linear;
    spec.title = o.title.empty() ? "mean of " + std::to_string(first.size()) + " images: " + o.inputs[0] : o.title;
  }
  write_heatmap_png(o.output, image, spec);
  std::printf("wrote %s\n", o.output.c_str());
}

}  // namespace

void add_show_command(CLI::App& app) {
  static ShowOptions o;
  auto* command = app.add_subcommand("show", "Draw the average image of an images file (or the difference of two) as PNG");
  command->add_option("inputs", o.inputs, "one images file, or two to draw the difference of their averages")
      ->required()
      ->expected(1, 2);
  command->add_option("-o,--output", o.output, "PNG file to write")->required();
  command->add_option("--title", o.title, "title of the plot");
  command->add_flag("--linear", o.linear, "linear colour scale (default: logarithmic)");
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([] { run_show(o); });
}

}  // namespace jetimg::app
