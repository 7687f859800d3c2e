#include "models/predict.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/nn_ops.h"
#include "models/checkpoint.h"
#include "io/batches.h"
#include "io/images_file.h"
#include "models/tagger_feed.h"
#include "models/layer_registry.h"

namespace jetimg {

ScoreTransform score_transform_for_loss(const std::string& loss) {
  if (loss == "binary_crossentropy") return ScoreTransform::Sigmoid;
  if (loss == "categorical_crossentropy") return ScoreTransform::Softmax;
  return ScoreTransform::None;
}

namespace {

// The network's output as scores, on ctx's device.
Tensor transformed(Context& ctx, const Tensor& out, ScoreTransform transform) {
  if (transform == ScoreTransform::None) return out;
  Tensor probabilities = Tensor::empty(out.shape(), ctx.device());
  if (transform == ScoreTransform::Sigmoid)
    activation_forward(ctx, {ActivationKind::Sigmoid, 0.0f}, out, probabilities);
  else
    softmax_forward(ctx, out, probabilities);
  return probabilities;
}

// A particle-cloud model over the jets of a jets file, through the same feed
// as training (models/tagger_feed.h).
Predictions predict_particles(Context& ctx, Model& net, const std::string& jets_path, const PredictOptions& options) {
  const std::unique_ptr<LabelledDataset> data = open_tagger_dataset({jets_path}, {0}, true, "the network");
  const std::unique_ptr<TaggerFeed> feed = make_tagger_feed(net, *data, "the network");
  const TensorSpec out_spec = net.outputs()[0];
  int64_t outputs = 1;
  for (int64_t d : out_spec.shape) outputs *= d;
  Predictions result;
  result.images = data->size();
  result.outputs = outputs;
  result.scores.resize(static_cast<size_t>(data->size() * outputs));
  net.set_training(false);
  StreamOptions o;
  o.batch = options.batch_size;
  o.shuffle = false;
  o.pinned = !ctx.device().is_cpu();
  BatchStream stream(*data, o);
  TensorMap batch;
  std::vector<int64_t> rows;
  while (stream.next(batch, &rows)) {
    const int64_t count = static_cast<int64_t>(rows.size());
    const Tensor out = net.forward(ctx, feed->stage(ctx, batch, rows)).at(out_spec.name).view({count, outputs});
    const std::vector<float> host = transformed(ctx, out, options.transform).to_vector();
    for (int64_t i = 0; i < count; ++i)
      std::copy(host.begin() + i * outputs, host.begin() + (i + 1) * outputs,
                result.scores.begin() + rows[static_cast<size_t>(i)] * outputs);
    if (options.on_batch) options.on_batch(count);
  }
  return result;
}

}  // namespace

Predictions predict(Context& ctx, Model& net, const std::string& images_path, const PredictOptions& options) {
  if (options.batch_size < 1) fail("predict: batch size must be at least 1, got ", options.batch_size);
  if (net.outputs().size() == 1 && is_particle_model(net)) return predict_particles(ctx, net, images_path, options);
  if (net.inputs().size() != 1 || net.outputs().size() != 1)
    fail("predict: a tagger has one input and one output; this ", net.type(), " model has ", net.inputs().size(),
         " and ", net.outputs().size());
  const TensorSpec in = net.inputs()[0], out_spec = net.outputs()[0];
  const ImagesReader reader(images_path);
  // As in training: the shapes must agree, up to a leading channel of 1.
  SampleShape images{reader.height(), reader.width()}, input = in.shape;
  if (reader.channels() > 1) images.insert(images.begin(), reader.channels());
  if (input.size() == 3 && input[0] == 1) input.erase(input.begin());
  if (images != input)
    fail("the images in '", images_path, "' are ", shape_string(images), " but the network expects input_shape ",
         shape_string(in.shape));
  const int64_t input_floats = reader.image_floats();
  int64_t outputs = 1;
  for (int64_t d : out_spec.shape) outputs *= d;
  Predictions result;
  result.images = reader.size();
  result.outputs = outputs;
  result.scores.resize(static_cast<size_t>(reader.size() * outputs));
  net.set_training(false);
  std::vector<int64_t> dims{0};
  dims.insert(dims.end(), in.shape.begin(), in.shape.end());
  std::vector<float> buffer;
  const int64_t step = couples_samples(net.config()) && options.group > 0 ? options.group : options.batch_size;
  for (int64_t begin = 0; begin < reader.size(); begin += step) {
    const int64_t count = std::min(step, reader.size() - begin);
    buffer.resize(static_cast<size_t>(count * input_floats));
    reader.read_images(begin, count, buffer.data());
    dims[0] = count;
    const Tensor x = Tensor::from_vector(buffer, Shape(dims));
    const Tensor out =
        net.forward(ctx, {{in.name, ctx.device().is_cpu() ? x : x.to(ctx.device())}}).at(out_spec.name).view({count, outputs});
    const std::vector<float> host = transformed(ctx, out, options.transform).to_vector();
    std::copy(host.begin(), host.end(), result.scores.begin() + begin * outputs);
    if (options.on_batch) options.on_batch(count);
  }
  return result;
}

ScoreTransform checkpoint_score_transform(const std::string& checkpoint_path) {
  const Json config = CheckpointFile(checkpoint_path).training().settings;
  return score_transform_for_loss(config.is_object() ? config.value("loss", std::string("binary_crossentropy"))
                                                     : "binary_crossentropy");
}

Predictions predict(Context& ctx, const std::string& checkpoint_path, const std::string& images_path,
                    int64_t batch_size, const std::function<void(int64_t)>& on_batch) {
  std::unique_ptr<Model> net = load_tagger(ctx, checkpoint_path);
  PredictOptions options;
  options.batch_size = batch_size;
  options.on_batch = on_batch;
  options.transform = checkpoint_score_transform(checkpoint_path);
  const Json settings = CheckpointFile(checkpoint_path).training().settings;
  options.group = settings.is_object() ? settings.value("batch_size", int64_t{128}) : int64_t{128};
  return predict(ctx, *net, images_path, options);
}

std::unique_ptr<Model> load_tagger(Context& ctx, const std::string& checkpoint_path) {
  const CheckpointFile checkpoint(checkpoint_path);
  if (!checkpoint.has("model"))
    fail("'", checkpoint_path, "' is a ", checkpoint.kind(), " checkpoint, which holds no tagger to score images with");
  return checkpoint.load_model(ctx, "model");
}

}  // namespace jetimg
