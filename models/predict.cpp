#include "models/predict.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/nn_ops.h"
#include "models/checkpoint.h"
#include "io/images_file.h"

namespace jetimg {

ScoreTransform score_transform_for_loss(const std::string& loss) {
  if (loss == "binary_crossentropy") return ScoreTransform::Sigmoid;
  if (loss == "categorical_crossentropy") return ScoreTransform::Softmax;
  return ScoreTransform::None;
}

Predictions predict(Context& ctx, Sequential& net, const std::string& images_path, const PredictOptions& options) {
  if (options.batch_size < 1) fail("predict: batch size must be at least 1, got ", options.batch_size);
  const ImagesReader reader(images_path);
  // As in training: the shapes must agree, up to a leading channel of 1.
  SampleShape images{reader.height(), reader.width()}, input = net.input_shape();
  if (reader.channels() > 1) images.insert(images.begin(), reader.channels());
  if (input.size() == 3 && input[0] == 1) input.erase(input.begin());
  if (images != input)
    fail("the images in '", images_path, "' are ", shape_string(images), " but the network expects input_shape ",
         shape_string(net.input_shape()));
  const int64_t input_floats = reader.image_floats();
  int64_t outputs = 1;
  for (int64_t d : net.output_shape()) outputs *= d;
  Predictions result;
  result.images = reader.size();
  result.outputs = outputs;
  result.scores.resize(static_cast<size_t>(reader.size() * outputs));
  net.set_training(false);
  std::vector<int64_t> dims{0};
  dims.insert(dims.end(), net.input_shape().begin(), net.input_shape().end());
  std::vector<float> buffer;
  for (int64_t begin = 0; begin < reader.size(); begin += options.batch_size) {
    const int64_t count = std::min(options.batch_size, reader.size() - begin);
    buffer.resize(static_cast<size_t>(count * input_floats));
    reader.read_images(begin, count, buffer.data());
    dims[0] = count;
    const Tensor x = Tensor::from_vector(buffer, Shape(dims));
    Tensor out = net.forward(ctx, ctx.device().is_cpu() ? x : x.to(ctx.device())).view({count, outputs});
    if (options.transform != ScoreTransform::None) {
      Tensor probabilities = Tensor::empty(out.shape(), ctx.device());
      if (options.transform == ScoreTransform::Sigmoid)
        activation_forward(ctx, {ActivationKind::Sigmoid, 0.0f}, out, probabilities);
      else
        softmax_forward(ctx, out, probabilities);
      out = probabilities;
    }
    const std::vector<float> host = out.to_vector();
    std::copy(host.begin(), host.end(), result.scores.begin() + begin * outputs);
    if (options.on_batch) options.on_batch(count);
  }
  return result;
}

ScoreTransform checkpoint_score_transform(const std::string& checkpoint_path) {
  const Json config = read_training_state(checkpoint_path).train_config;
  return score_transform_for_loss(config.is_object() ? config.value("loss", std::string("binary_crossentropy"))
                                                     : "binary_crossentropy");
}

Predictions predict(Context& ctx, const std::string& checkpoint_path, const std::string& images_path,
                    int64_t batch_size, const std::function<void(int64_t)>& on_batch) {
  Sequential net = load_network(ctx, checkpoint_path);
  PredictOptions options;
  options.batch_size = batch_size;
  options.on_batch = on_batch;
  options.transform = checkpoint_score_transform(checkpoint_path);
  return predict(ctx, net, images_path, options);
}

}  // namespace jetimg
