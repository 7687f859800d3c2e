// `jetimg export`: a checkpoint's network as ONNX, and `jetimg predict`: a
// checkpoint's scores for an images file, as HDF5 (score and the jets' label,
// weight, pT, trimmed mass, tau21 in file order).
#include <cstdio>

#include "app/commands.h"
#include "app/progress.h"
#include "core/context.h"
#include "core/device.h"
#include "io/datasets.h"
#include "io/images_file.h"
#include "io/jets_reader.h"
#include "io/outputs.h"
#include "io/scores_file.h"
#include "models/checkpoint.h"
#include "models/graph.h"
#include "models/onnx_export.h"
#include "models/predict.h"

namespace jetimg::app {
namespace {

struct ExportOptions {
  std::string checkpoint, onnx;
};

void run_export(const ExportOptions& o) {
  refuse_outputs_over_inputs({o.checkpoint}, {o.onnx});
  Context ctx(Device::cpu(), 0);
  std::unique_ptr<Model> net = load_tagger(ctx, o.checkpoint);
  const ScoreTransform transform = checkpoint_score_transform(o.checkpoint);
  export_onnx(*net, transform, o.onnx, "exported by jetimg from " + o.checkpoint);
  // The inputs as the ONNX file names them: "images" for a sequential
  // network, the model's own names otherwise; M is any number of particles.
  std::string inputs;
  const bool sequential = net->type() == "sequential";
  for (const TensorSpec& t : net->inputs()) {
    std::string dims = "N";
    for (int64_t d : t.shape) dims += ", " + (d < 0 ? std::string("M") : std::to_string(d));
    inputs += (inputs.empty() ? "" : ", ") + std::string("'") + (sequential ? "images" : t.name) + "' (" + dims + ")";
  }
  std::printf("exported %s -> %s (input %s, output 'score'%s)\n", o.checkpoint.c_str(), o.onnx.c_str(),
              inputs.c_str(),
              transform == ScoreTransform::Sigmoid   ? ", sigmoid of the logit"
              : transform == ScoreTransform::Softmax ? ", softmax"
                                                     : "");
}

struct PredictCommandOptions {
  std::string checkpoint, images, output, device = "auto", math = "fp32";
  int64_t batch = 1024;
  int threads = 0;
};

void run_predict(const PredictCommandOptions& o) {
  apply_threads(o.threads);
  refuse_outputs_over_inputs({o.checkpoint, o.images}, {o.output});
  Context ctx(resolve_device(o.device), 0);
  apply_math(ctx, o.math);
  // An images file, or a jets file for a particle-cloud tagger.
  const bool jets = stored_format(o.images) == "jetimg-jets";
  const ImageAux aux = jets ? [&] { const JetsReader r(o.images); return r.read_aux(0, r.size()); }()
                            : [&] { const ImagesReader r(o.images); return r.read_aux(0, r.size()); }();
  Progress progress("predict", static_cast<int64_t>(aux.size()), jets ? "jets" : "images");
  const Predictions p = predict(ctx, o.checkpoint, o.images, o.batch, [&](int64_t n) { progress.advance(n); });
  progress.done();
  write_scores_file(o.output, p.scores, p.outputs, aux, o.checkpoint, o.images);
  std::printf("scored %lld %s (%lld outputs each) on %s -> %s\n", static_cast<long long>(p.images), jets ? "jets" : "images",
              static_cast<long long>(p.outputs), ctx.device().str().c_str(), o.output.c_str());
}

}  // namespace

void add_export_command(CLI::App& app) {
  static ExportOptions o;
  auto* command = app.add_subcommand("export", "Write a checkpoint's network as ONNX (for ONNX Runtime, CMSSW, Athena)");
  auto* model = command->add_option("--model", o.checkpoint, "checkpoint written by jetimg train")
                    ->required()
                    ->check(CLI::ExistingFile);
  add_old_spelling(*command, model, "checkpoint");
  auto* output = command->add_option("-o,--output", o.onnx, "ONNX file to write")->required();
  add_old_spelling(*command, output, "--onnx");
  command->callback([] { run_export(o); });
}

void add_predict_command(CLI::App& app) {
  static PredictCommandOptions o;
  auto* command = app.add_subcommand("predict", "Score an images file (a jets file for a particle-cloud tagger) with a checkpoint, into an HDF5 scores file");
  auto* model = command->add_option("--model", o.checkpoint, "checkpoint written by jetimg train")
                    ->required()
                    ->check(CLI::ExistingFile);
  command->add_option("images", o.images, "images file")->required()->check(CLI::ExistingFile);
  // The old spelling `predict CHECKPOINT IMAGES`: the first argument went to
  // `images` above, and the second comes here.
  hide_as_old_spelling(command->add_option_function<std::string>(
      "images-after-checkpoint",
      [model](const std::string& images) {
        if (model->count() > 0) throw CLI::ExtrasError({images});
        model->add_result(o.images);
        model->run_callback();
        std::string path = images;
        const std::string problem = CLI::ExistingFile(path);
        if (!problem.empty()) throw CLI::ValidationError("images", problem);
        o.images = images;
      },
      "images file, after the checkpoint"));
  command->add_option("-o,--output", o.output, "scores file to write (HDF5)")->required();
  command->add_option("--batch", o.batch, "images per batch")->check(kPositiveCount)->capture_default_str();
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  add_math_option(*command, o.math, false);
  command->callback([] { run_predict(o); });
}

}  // namespace jetimg::app
