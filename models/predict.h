// Inference over an images file (image models) or a jets file
// (particle-cloud models, models/tagger_feed.h): a trained network (from a
// checkpoint, or in memory) run in batches on the context's device. The evaluation command
// (ROC, AUC, rejection) is built on this.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/model.h"

namespace jetimg {

// What the network's outputs are turned into: probabilities for the losses
// that train on logits, the outputs themselves otherwise.
enum class ScoreTransform { None, Sigmoid, Softmax };
// binary_crossentropy -> Sigmoid, categorical_crossentropy -> Softmax, else None.
ScoreTransform score_transform_for_loss(const std::string& loss);

struct Predictions {
  std::vector<float> scores;  // (images, outputs), row-major
  int64_t images = 0, outputs = 0;
  // For one output: the score of each image; for several, column `c`.
  float score(int64_t image, int64_t c = 0) const { return scores[static_cast<size_t>(image * outputs + c)]; }
};

struct PredictOptions {
  // Images per forward pass. A model with layers that couple the samples of
  // a batch (minibatch discrimination) scores each image with those beside
  // it in the file: it runs on consecutive groups of `group` images instead
  // (the batch size it was trained with), whatever batch_size says, so that
  // its scores do not depend on the batch size asked for.
  int64_t batch_size = 1024;
  int64_t group = 0;  // set by predict() from the checkpoint for such models
  ScoreTransform transform = ScoreTransform::Sigmoid;
  std::function<void(int64_t)> on_batch;  // images done in the batch just run
};

// Runs `net` (one output) in inference mode over every image of
// `images_path` (read in chunks), or every jet of a jets file for a
// particle-cloud model (`images` in the result then counts jets). Error if the images do not fit the
// network's input or hold a non-finite pixel (naming the file and image).
Predictions predict(Context& ctx, Model& net, const std::string& images_path, const PredictOptions& options);

// The transform for a checkpoint's network: from the loss it was trained
// with (sigmoid if unknown).
ScoreTransform checkpoint_score_transform(const std::string& checkpoint_path);
// A tagger checkpoint's model (role "model") on ctx's device, in inference
// mode; an Error naming the file if it holds another kind of model.
std::unique_ptr<Model> load_tagger(Context& ctx, const std::string& checkpoint_path);

// The same from a checkpoint: builds its network on ctx's device and takes
// the transform from the loss it was trained with (sigmoid if unknown).
Predictions predict(Context& ctx, const std::string& checkpoint_path, const std::string& images_path,
                    int64_t batch_size = 1024, const std::function<void(int64_t)>& on_batch = {});

}  // namespace jetimg
