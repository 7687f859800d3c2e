// Training end to end on toy images files: a separable problem is learned to
// near-perfect accuracy (counted here, from the scores of predict), a seed
// fixes the loss curve, a resumed run continues the same curve, and bad
// input stops with a message naming the file or the epoch and batch.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/ops.h"
#include "core/sampling.h"
#include "models/checkpoint.h"
#include "io/images_file.h"
#include "models/predict.h"
#include "models/sequential.h"
#include "models/trainer.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

struct ToyOptions {
  int64_t images = 300;
  int label = 1;            // the class of every image, or -1: alternate 1, 0, 1, ...
  int32_t stored_label = -1;  // what the label column says (default: the class)
  int size = 5;
  int64_t nan_at = -1;       // an image with a NaN pixel
  uint64_t seed = 1;
};

// Signal images light pixel (1, 2), background ones pixel (3, 2), both over
// uniform noise in [0, 0.3); jet pT uniform in [200, 400) GeV.
std::string write_toy_images(const std::string& dir, const std::string& name, const ToyOptions& o) {
  const std::string path = dir + "/" + name;
  Context rng(Device::cpu(), o.seed);
  const int64_t pixels = int64_t(o.size) * o.size;
  Tensor noise = Tensor::empty({std::max<int64_t>(o.images, 1), pixels}), pt = Tensor::empty({std::max<int64_t>(o.images, 1)});
  random_uniform(rng, noise, 0.0f, 0.3f);
  random_uniform(rng, pt, 200.0f, 400.0f);
  std::vector<float> images = noise.to_vector();
  ImageAux aux;
  for (int64_t i = 0; i < o.images; ++i) {
    const int label = o.label >= 0 ? o.label : static_cast<int>(1 - i % 2);
    images[static_cast<size_t>(i * pixels + (label == 1 ? 1 : 3) * o.size + o.size / 2)] += 1.0f;
    if (i == o.nan_at) images[static_cast<size_t>(i * pixels + 3)] = std::nanf("");
    aux.pt.push_back(pt.to_vector()[static_cast<size_t>(i)]);
    aux.eta.push_back(0), aux.phi.push_back(0), aux.mass.push_back(80), aux.trimmed_mass.push_back(80);
    aux.tau21.push_back(0.5), aux.tau32.push_back(0.5);
    aux.weight.push_back(1);
    aux.label.push_back(o.stored_label >= 0 ? o.stored_label : label);
  }
  ImagesWriter writer(path, 1, o.size, o.size, Json::object(), Json::object());
  writer.write(images.data(), aux);
  writer.finish();
  return path;
}

const char* kToyNetwork = R"({"input_shape": [5, 5], "layers": [{"type": "flatten"},
    {"type": "dense", "units": 8, "activation": "relu", "init": "he_uniform"},
    {"type": "dropout", "rate": 0.1}, {"type": "dense", "units": 1}]})";

TrainConfig toy_config(int64_t epochs = 6) {
  TrainConfig c = TrainConfig::from_json(
      Json::parse(R"({"batch_size": 32, "lr": 0.01, "optimiser": {"type": "adam"}, "validation_fraction": 0.25,
                      "patience": 0})"),
      "toy.json");
  c.epochs = epochs;
  return c;
}

LoopResult run_training(const ImagesDataset& data, const TrainConfig& config, const std::string& dir,
                        const std::string& resume = "", MathMode math = MathMode::fp32) {
  Context ctx(Device::cpu(), config.seed);
  ctx.set_math_mode(math);
  Sequential net = sequential_from_json(ctx, Json::parse(kToyNetwork), "toy_net.json");
  LoopOptions options;
  options.output_dir = dir;
  options.resume = resume;
  return train_tagger(ctx, net, data, config, options);
}

std::vector<double> losses(const LoopResult& r) {
  std::vector<double> out;
  for (const Json& e : r.state.history) out.push_back(e["train_loss"]), out.push_back(e["val_loss"]);
  return out;
}

ImagesDataset signal_background(const std::string& signal, const std::string& background) {
  return ImagesDataset({signal, background}, {1, 0});
}
ImagesDataset labelled(const std::string& path) { return ImagesDataset({path}, {-1}); }

TEST(Trainer, LearnsASeparableProblemToNearPerfectAccuracy) {
  const std::string dir = testing::scratch_dir("toy");
  const ImagesDataset data = signal_background(write_toy_images(dir, "sig.h5", {400, 1}),
                                               write_toy_images(dir, "bkg.h5", {400, 0, -1, 5, -1, 2}));
  EXPECT_EQ(data.size(), 800);
  const LoopResult run = run_training(data, toy_config(8), dir + "/out");
  ASSERT_EQ(run.state.history.size(), 8u);
  EXPECT_LT(run.state.history.back()["train_loss"].get<double>(),
            0.5 * run.state.history.front()["train_loss"].get<double>());
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/best.h5"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/out/last.h5"));

  // Fresh images of both classes, scored from the best checkpoint.
  const std::string test_path = write_toy_images(dir, "test.h5", {500, -1, -1, 5, -1, 99});
  Context ctx(Device::cpu(), 0);
  const Predictions p = predict(ctx, run.best_checkpoint, test_path, 64);
  ASSERT_EQ(p.images, 500);
  ASSERT_EQ(p.outputs, 1);
  int64_t correct = 0, pairs = 0, ordered = 0;
  for (int64_t i = 0; i < 500; ++i) {
    const int label = static_cast<int>(1 - i % 2);
    EXPECT_TRUE(p.score(i) >= 0 && p.score(i) <= 1);
    correct += (p.score(i) > 0.5f) == (label == 1);
    if (label == 1)  // AUC by counting signal-background pairs in the right order
      for (int64_t j = 1; j < 500; j += 2) ++pairs, ordered += p.score(i) > p.score(j);
  }
  EXPECT_GE(correct / 500.0, 0.99);
  EXPECT_GE(ordered / double(pairs), 0.999);

  // The log has one line per epoch with the documented columns.
  std::ifstream log(dir + "/out/log.csv");
  std::string header, line;
  std::getline(log, header);
  EXPECT_EQ(header, "epoch,train_loss,val_loss,lr,seconds,images_per_s");
  int lines = 0;
  while (std::getline(log, line)) ++lines;
  EXPECT_EQ(lines, 8);
}

TEST(Trainer, SameSeedSameLossCurveAndResumeContinuesIt) {
  const std::string dir = testing::scratch_dir("seed");
  const ImagesDataset data = labelled(write_toy_images(dir, "mixed.h5", {300, -1}));
  TrainConfig config = toy_config(4);
  config.schedule = LrSchedule::from_json(Json::parse(R"({"type": "step", "gamma": 0.5, "step_size": 1})"), "t", "s");
  config.weights = "flat_pt";
  config.clip = 1.0;
  const LoopResult a = run_training(data, config, dir + "/a"), b = run_training(data, config, dir + "/b");
  EXPECT_EQ(losses(a), losses(b));  // bit for bit
  EXPECT_EQ(a.state.history[2]["lr"], 0.0025);
  config.seed = 2;
  const LoopResult c = run_training(data, config, dir + "/c");
  EXPECT_NE(losses(a), losses(c));

  // Two epochs, then resume from the last checkpoint to four: the same curve.
  config.seed = 1;
  TrainConfig two = config;
  two.epochs = 2;
  run_training(data, two, dir + "/d");
  const LoopResult resumed = run_training(data, config, dir + "/d", dir + "/d/last.h5");
  EXPECT_EQ(losses(resumed), losses(a));
  EXPECT_EQ(CheckpointFile(dir + "/d/last.h5").training().epoch, 4);
  // The weights are the same too, bit for bit.
  Context ctx(Device::cpu(), 0);
  EXPECT_EQ(load_tagger(ctx, dir + "/d/last.h5")->parameters()[0].tensor->to_vector(),
            load_tagger(ctx, dir + "/a/last.h5")->parameters()[0].tensor->to_vector());
}

TEST(Predict, ScoresEveryImageInBatchesAndChecksItsInput) {
  const std::string dir = testing::scratch_dir("predict");
  const std::string images = write_toy_images(dir, "mixed.h5", {70, -1});
  Context ctx(Device::cpu(), 3);
  Sequential net = sequential_from_json(ctx, Json::parse(kToyNetwork), "toy_net.json");
  PredictOptions raw;
  raw.transform = ScoreTransform::None;
  raw.batch_size = 16;  // 70 images: four full batches and one of 6
  const Predictions logits = predict(ctx, net, images, raw);
  PredictOptions sigmoid = raw;
  sigmoid.transform = ScoreTransform::Sigmoid;
  sigmoid.batch_size = 1000;
  const Predictions p = predict(ctx, net, images, sigmoid);
  ASSERT_EQ(logits.images, 70);
  for (int64_t i = 0; i < 70; ++i)
    EXPECT_NEAR(p.score(i), 1 / (1 + std::exp(-double(logits.score(i)))), 1e-6) << i;
  // The same images through forward directly, all at once.
  const ImagesReader reader(images);
  std::vector<float> all(static_cast<size_t>(70 * 25));
  reader.read_images(0, 70, all.data());
  const std::vector<float> direct = net.forward(ctx, Tensor::from_vector(all, {70, 5, 5})).to_vector();
  EXPECT_TRUE(testing::all_close(logits.scores, direct, 1e-6, 1e-5));
  EXPECT_EQ(score_transform_for_loss("categorical_crossentropy"), ScoreTransform::Softmax);
  EXPECT_EQ(score_transform_for_loss("mse"), ScoreTransform::None);

  const std::string big = write_toy_images(dir, "big.h5", {10, 1, -1, 7});
  EXPECT_NE(testing::error_message_of([&] { predict(ctx, net, big, raw); })
                .find("big.h5' are (7, 7) but the network expects input_shape (5, 5)"),
            std::string::npos);
  const std::string nan = write_toy_images(dir, "nan.h5", {10, 1, -1, 5, 4});
  EXPECT_NE(testing::error_message_of([&] { predict(ctx, net, nan, raw); })
                .find("nan.h5': image 4 has a non-finite pixel"),
            std::string::npos);
}

// The CPU computes float32 in every math mode: a tf32 run is the fp32 run, bit
// for bit. Checkpoints record the mode; bf16 (inference only) cannot train.
TEST(Trainer, MathModeIsRecordedAndTf32OnTheCpuIsFp32) {
  const std::string dir = testing::scratch_dir("math");
  const ImagesDataset data = labelled(write_toy_images(dir, "mixed.h5", {200, -1}));
  const LoopResult fp32 = run_training(data, toy_config(2), dir + "/fp32");
  const LoopResult tf32 = run_training(data, toy_config(2), dir + "/tf32", "", MathMode::tf32);
  EXPECT_EQ(losses(tf32), losses(fp32));
  EXPECT_EQ(CheckpointFile(dir + "/fp32/last.h5").provenance().value("math", ""), "fp32");
  EXPECT_EQ(CheckpointFile(dir + "/tf32/last.h5").provenance().value("math", ""), "tf32");
  EXPECT_EQ(CheckpointFile(dir + "/tf32/best.h5").provenance().value("math", ""), "tf32");
  Context ctx(Device::cpu(), 0);
  const Predictions a = predict(ctx, fp32.last_checkpoint, dir + "/mixed.h5", 64);
  const Predictions b = predict(ctx, tf32.last_checkpoint, dir + "/mixed.h5", 64);
  EXPECT_EQ(a.scores, b.scores);

  const std::string message = testing::error_message_of(
      [&] { run_training(data, toy_config(1), dir + "/bf16", "", MathMode::bf16); });
  EXPECT_NE(message.find("--math bf16"), std::string::npos) << message;
  EXPECT_NE(message.find("inference"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(dir + "/bf16/last.h5"));
}

TEST(Trainer, FlatPtWeightsByHand) {
  // Signal pT: 1, 1, 1, 9 (bins [1, 5) and [5, 9] of 2): 3 in the first bin, 1 in the last.
  // Background pT: 1, 9: one in each.
  const std::vector<double> pt{1, 1, 1, 9, 1, 9};
  const std::vector<float> labels{1, 1, 1, 1, 0, 0};
  const std::vector<float> w = flat_pt_weights(pt, labels, 2);
  // Each class keeps its total (4 and 2) spread equally over its filled bins.
  EXPECT_TRUE(testing::all_close(w, {2 / 3.f, 2 / 3.f, 2 / 3.f, 2, 1, 1}, 1e-7, 1e-6));
}

TEST(Trainer, SeededPermutationIsAPermutationThatDependsOnlyOnSeedAndStream) {
  const std::vector<int64_t> p = seeded_permutation(1000, 3, 7);
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_EQ(p, seeded_permutation(1000, 3, 7));
  EXPECT_NE(p, seeded_permutation(1000, 3, 8));
  EXPECT_NE(p, seeded_permutation(1000, 4, 7));
}

TEST(Trainer, BadInputStopsWithAMessageNamingWhatIsWrong) {
  const std::string dir = testing::scratch_dir("bad");
  const std::string sig = write_toy_images(dir, "sig.h5", {100, 1});
  const std::string bkg = write_toy_images(dir, "bkg.h5", {100, 0});
  const auto message = [&](const std::function<void()>& f) { return testing::error_message_of(f); };

  // Image shape not matching the network.
  const std::string big = write_toy_images(dir, "big.h5", {100, 0, -1, 7});
  EXPECT_NE(message([&] { signal_background(sig, big); }).find("big.h5' are (7, 7) but those in"), std::string::npos);
  const ImagesDataset big_data = labelled(write_toy_images(dir, "big_mixed.h5", {100, -1, -1, 7}));
  EXPECT_NE(message([&] { run_training(big_data, toy_config(1), dir + "/o1"); })
                .find("are (7, 7) but the network expects input_shape (5, 5)"),
            std::string::npos);
  // Labels not 0/1; one class only; an empty file.
  EXPECT_NE(message([&] { labelled(write_toy_images(dir, "labels.h5", {50, 1, 2})); })
                .find("labels.h5': image 0 has label 2, expected 0 (background) or 1 (signal)"),
            std::string::npos);
  EXPECT_NE(message([&] { labelled(sig).require_both_classes(); }).find("holds only signal (label 1) images"),
            std::string::npos);
  EXPECT_NE(message([&] { signal_background(sig, write_toy_images(dir, "empty.h5", {0, 0})); })
                .find("empty.h5' holds no images"),
            std::string::npos);
  // A NaN pixel: named by file and image as the file is read, before any
  // training step can use it.
  const std::string nan_file = write_toy_images(dir, "nan.h5", {100, 0, -1, 5, 42});
  const std::string nan_message = message([&] { run_training(signal_background(sig, nan_file), toy_config(1), dir + "/o2"); });
  EXPECT_NE(nan_message.find("nan.h5': image 42 has a non-finite pixel"), std::string::npos) << nan_message;
  // A loss that fits not the network's output.
  TrainConfig categorical = toy_config(1);
  categorical.loss = "categorical_crossentropy";
  EXPECT_NE(message([&] { run_training(signal_background(sig, bkg), categorical, dir + "/o3"); })
                .find("needs one logit per class"),
            std::string::npos);

  // A diverging run keeps the last good checkpoint untouched.
  const ImagesDataset data = signal_background(sig, bkg);
  run_training(data, toy_config(1), dir + "/o4");
  const auto read_bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const std::string before = read_bytes(dir + "/o4/best.h5");
  TrainConfig wild = toy_config(3);
  wild.lr = 1e30;
  const std::string diverged = message([&] { run_training(data, wild, dir + "/o4", dir + "/o4/last.h5"); });
  EXPECT_NE(diverged.find("epoch 2, step "), std::string::npos) << diverged;
  EXPECT_NE(diverged.find("not finite"), std::string::npos) << diverged;
  EXPECT_NE(diverged.find("the best checkpoint so far (epoch 1) is kept in"), std::string::npos) << diverged;
  EXPECT_EQ(read_bytes(dir + "/o4/best.h5"), before);
  EXPECT_EQ(CheckpointFile(dir + "/o4/best.h5").training().epoch, 1);
  // Resuming with another optimiser has no state to continue from.
  TrainConfig sgd = toy_config(3);
  sgd.optimiser = Json::parse(R"({"type": "sgd"})");
  EXPECT_NE(message([&] { run_training(data, sgd, dir + "/o4", dir + "/o4/last.h5"); })
                .find("was trained with optimiser 'adam' but the training config asks for 'sgd'"),
            std::string::npos);
}

TEST(Trainer, ConfigsAreReadStrictlyAndWrittenBackComplete) {
  const Json complete = TrainConfig().to_json();
  EXPECT_EQ(complete["optimiser"]["beta1"], 0.9);
  EXPECT_EQ(complete["schedule"]["type"], "constant");
  EXPECT_EQ(TrainConfig::from_json(complete, "c.json").to_json(), complete);
  const auto error = [](const char* json) {
    return testing::error_message_of([&] { TrainConfig::from_json(Json::parse(json), "train.json"); });
  };
  EXPECT_NE(error(R"({"epoch": 3})").find("train.json: unknown key 'epoch'"), std::string::npos);
  EXPECT_NE(error(R"({"weights": "flat"})").find("'weights' is 'flat', expected none or flat_pt"), std::string::npos);
  EXPECT_NE(error(R"({"optimiser": {"type": "adam", "momentum": 0.9}})").find("unknown key 'optimiser.momentum'"),
            std::string::npos);
  EXPECT_NE(error(R"({"validation_fraction": 1})").find("'validation_fraction' must be in (0, 1)"),
            std::string::npos);
  EXPECT_NE(error(R"({"loss": "hinge"})").find("'loss' is 'hinge', not a loss"), std::string::npos);
}

}  // namespace
}  // namespace jetimg

namespace jetimg {
namespace {

// A final sigmoid before a loss that takes logits (or a softmax before
// categorical cross-entropy) would squash twice: refused, naming the network.
TEST(Trainer, RefusesASquashBeforeALossThatTakesLogits) {
  const auto error = [](const char* net, const std::string& loss) {
    return testing::error_message_of(
        [&] { check_final_activation(Json::parse(net), loss, "'net.json'"); });
  };
  const char* sigmoid_layer = R"({"input_shape": [4], "layers": [{"type": "dense", "units": 1}, {"type": "sigmoid"}]})";
  const char* sigmoid_dense = R"({"input_shape": [4], "layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]})";
  const char* softmax = R"({"input_shape": [4], "layers": [{"type": "dense", "units": 3}, {"type": "softmax"}]})";
  const char* logit = R"({"input_shape": [4], "layers": [{"type": "dense", "units": 1}]})";
  EXPECT_NE(error(sigmoid_layer, "binary_crossentropy").find("'net.json' ends in a sigmoid"), std::string::npos);
  EXPECT_NE(error(sigmoid_dense, "binary_crossentropy").find("remove the final sigmoid"), std::string::npos);
  EXPECT_NE(error(softmax, "categorical_crossentropy").find("ends in a softmax"), std::string::npos);
  EXPECT_EQ(error(logit, "binary_crossentropy"), "");
  EXPECT_EQ(error(sigmoid_layer, "mse"), "");  // a regression may end where it likes
  const char* graph = R"({"type": "graph", "inputs": {"x": [4]}, "nodes": [
      {"name": "d", "inputs": ["x"], "layer": {"type": "dense", "units": 1, "activation": "sigmoid"}}],
      "outputs": {"score": "d"}})";
  EXPECT_NE(error(graph, "binary_crossentropy").find("ends in a sigmoid"), std::string::npos);
}

// A tagger with minibatch discrimination scores each image with the images
// beside it: predict runs it on groups of the training batch size, so that
// --batch 16 and --batch 1024 give the same scores.
TEST(Predict, ModelsThatCoupleSamplesScoreTheSameForAnyBatchSize) {
  const std::string dir = testing::scratch_dir("predict_mbd");
  const std::string images = write_toy_images(dir, "mixed.h5", {70, -1});
  Context ctx(Device::cpu(), 3);
  Sequential net = sequential_from_json(ctx, Json::parse(R"({"input_shape": [5, 5], "layers": [
      {"type": "flatten"}, {"type": "minibatch_discrimination", "features": 3, "dims": 2},
      {"type": "dense", "units": 1}]})"), "mbd.json");
  TrainState state;
  state.settings = {{"batch_size", 32}};
  save_checkpoint(dir + "/mbd.h5", "tagger", {{"model", &net, nullptr}}, state);
  const Predictions small = predict(ctx, dir + "/mbd.h5", images, 16), large = predict(ctx, dir + "/mbd.h5", images, 1024);
  ASSERT_EQ(small.images, 70);
  EXPECT_EQ(small.scores, large.scores);
  // The groups are of 32: the same as scoring with batches of 32 by hand.
  PredictOptions by_hand;
  by_hand.batch_size = 32;
  const Predictions reference = predict(ctx, net, images, by_hand);
  EXPECT_EQ(small.scores, reference.scores);
  // And they do differ from other groupings (the layer does couple images).
  PredictOptions other;
  other.batch_size = 7;
  EXPECT_NE(predict(ctx, net, images, other).scores, reference.scores);
}

// After a warm-up, a training step (forward, loss, backward, clipping, Adam,
// the next batch staged) asks the system for no memory and waits for the
// device nowhere: the pool serves every tensor, and the loss and gradient
// norm stay on the device until the loop reads them. Counted on the CPU,
// where the same code paths run, and on a GPU where there is one.
template <typename T>
class TaggerStepDevice : public testing::DeviceTest<T> {};
TYPED_TEST_SUITE(TaggerStepDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(TaggerStepDevice, MakesNoAllocationAndNoSynchronisationAfterWarmUp) {
  const std::string dir = testing::scratch_dir("quiet_steps");
  const ImagesDataset data = signal_background(write_toy_images(dir, "sig.h5", {400, 1}),
                                               write_toy_images(dir, "bkg.h5", {400, 0, -1, 5, -1, 2}));
  Context ctx(this->device(), 1);
  Sequential net = sequential_from_json(ctx, Json::parse(kToyNetwork), "toy_net.json");
  TrainConfig config = toy_config(1);
  config.clip = 0.5;
  config.weights = "flat_pt";
  TaggerTask task(ctx, net, data, config);
  net.set_training(true);
  const int64_t steps = task.begin_epoch(ctx, 0);
  ASSERT_GE(steps, 12);
  const std::vector<std::string> names = task.device_values();
  ASSERT_EQ(names, (std::vector<std::string>{"train_loss", "grad_norm"}));
  Tensor slots = Tensor::zeros({steps, 2}, ctx.device());
  const auto run = [&](int64_t s) {
    StepValues values(&slots, s, &names);
    task.step(ctx, 0, s, values);
  };
  for (int64_t s = 0; s < 3; ++s) run(s);
  const MemoryStats before = ctx.memory_stats();
  for (int64_t s = 3; s < 10; ++s) run(s);
  const MemoryStats after = ctx.memory_stats();
  EXPECT_EQ(after.allocations, before.allocations);
  EXPECT_EQ(after.synchronizations, before.synchronizations);
  EXPECT_GT(after.reuses, before.reuses + 7);  // the steps did ask for memory
  // The values were kept: a positive loss and gradient norm for every step run.
  const std::vector<float> values = slots.to_vector();
  for (int64_t s = 0; s < 10; ++s) {
    EXPECT_GT(values[size_t(2 * s)], 0.0f) << "step " << s;
    EXPECT_GT(values[size_t(2 * s + 1)], 0.0f) << "step " << s;
  }
}

// The loop reads the device values every read_every steps: the run and its
// loss curve do not depend on how often.
TEST(Trainer, TheLossCurveDoesNotDependOnHowOftenValuesAreRead) {
  const std::string dir = testing::scratch_dir("read_every");
  const ImagesDataset data = signal_background(write_toy_images(dir, "sig.h5", {200, 1}),
                                               write_toy_images(dir, "bkg.h5", {200, 0, -1, 5, -1, 2}));
  std::vector<std::vector<double>> curves;
  std::vector<int64_t> reported;
  for (int64_t every : {1, 4, 100}) {
    Context ctx(Device::cpu(), 1);
    Sequential net = sequential_from_json(ctx, Json::parse(kToyNetwork), "toy_net.json");
    LoopOptions options;
    options.read_every = every;
    int64_t calls = 0, last = 0;
    options.on_step = [&](int64_t, int64_t step, int64_t steps, const EpochValues&) {
      // Steps 1, 2, ..., steps in order in each epoch.
      EXPECT_EQ(step, last % steps + 1);
      last = step;
      ++calls;
    };
    curves.push_back(losses(train_tagger(ctx, net, data, toy_config(2), options)));
    reported.push_back(calls);
  }
  EXPECT_EQ(curves[0], curves[1]);
  EXPECT_EQ(curves[0], curves[2]);
  // Every step is reported once, whenever it is read.
  EXPECT_EQ(reported[0], reported[1]);
  EXPECT_EQ(reported[0], reported[2]);
}

}  // namespace
}  // namespace jetimg
