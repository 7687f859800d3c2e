// CaloGAN: shapes and config, central-difference gradients through the whole
// generator and discriminator, CUDA against the CPU, checkpoints, and a short
// training on the built-in simulator that moves the generated shower shapes
// towards the simulator's.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/ops.h"
#include "io/hdf5.h"
#include "models/calogan.h"
#include "io/datasets.h"
#include "io/showers_file.h"
#include "models/checkpoint.h"
#include "models/gan_training.h"
#include "physics/calorimeter.h"
#include "physics/shower_shapes.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

CaloGanConfig tiny() {
  CaloGanConfig c;
  c.latent = 8;
  c.dense_channels = 2;
  c.gen_conv_filters = 3;
  c.gen_lc_filters = 2;
  c.disc_conv_filters = 3;
  c.disc_lc_filters = {2, 2, 2};
  c.mbd_features = 3;
  c.mbd_dims = 2;
  return c;
}

TEST(CaloGan, GeneratorMakesNonNegativeShowersOfEachLayersGrid) {
  Context ctx(Device::cpu(), 1);
  CaloGanGenerator gen(ctx, tiny());
  Tensor z = Tensor::empty({5, 8}), e = Tensor::empty({5, 1});
  random_normal(ctx, z, 0, 1);
  random_uniform(ctx, e, 1, 100);
  const std::vector<Tensor>& images = gen.forward(ctx, z, e);
  ASSERT_EQ(images.size(), 3u);
  EXPECT_EQ(images[0].shape(), Shape({5, 1, 3, 96}));
  EXPECT_EQ(images[1].shape(), Shape({5, 1, 12, 12}));
  EXPECT_EQ(images[2].shape(), Shape({5, 1, 12, 6}));
  double total = 0;
  for (const Tensor& image : images)
    for (float v : image.to_vector()) {
      EXPECT_GE(v, 0.0f);
      total += v;
    }
  EXPECT_GT(total, 0.0);
}

TEST(CaloGan, PublishedSizes) {
  Context ctx(Device::cpu(), 1);
  const CaloGanConfig c;  // the published architecture
  CaloGanGenerator gen(ctx, c);
  int64_t params = 0;
  for (const NamedTensor& p : gen.parameters()) params += p.tensor->numel();
  // Dense layers alone: 1025 · 36 · (5·98 + 14·14 + 14·8) = 27 968 200; the
  // locally connected layers add about 1.8 million more.
  EXPECT_GT(params, 27968200);
  EXPECT_LT(params, 31000000);
  // About 63 MFLOP per shower (multiply-adds × 2), as the published model.
  EXPECT_NEAR(2 * gen.macs_per_shower() / 1e6, 63, 6);
}

TEST(CaloGan, ConfigRoundTripAndErrors) {
  const CaloGanConfig c = tiny();
  const CaloGanConfig back = CaloGanConfig::from_json(c.to_json(), "t.json");
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_NE(testing::error_message_of([] { CaloGanConfig::from_json({{"latnet", 3}}, "t.json"); }).find("latnet"),
            std::string::npos);
  EXPECT_NE(testing::error_message_of([] { CaloGanConfig::from_json({{"latent", 0}}, "t.json"); })
                .find("'model.latent' must be in [1, 65536], got 0"),
            std::string::npos);
  // An absurd size is refused by name before anything is allocated.
  EXPECT_NE(testing::error_message_of([] { CaloGanConfig::from_json({{"latent", 100000000}}, "t.json"); })
                .find("'model.latent' must be in [1, 65536], got 100000000"),
            std::string::npos);
  const std::string odd =
      testing::error_message_of([] { CaloGanConfig::from_json({{"geometry", {{3, 96}, {5, 12}}}}, "t.json"); });
  EXPECT_NE(odd.find("integer factors"), std::string::npos) << odd;
}

// The generator as a function of one of its parameter tensors.
class GeneratorOfParameter : public Layer {
 public:
  GeneratorOfParameter(CaloGanGenerator& gen, Tensor z, Tensor e) : gen_(gen), z_(std::move(z)), e_(std::move(e)) {}
  std::string type() const override { return "calogan_generator"; }
  // The output ReLU has a kink at zero that a ±h step may cross; the cells
  // below `margin` at the first forward pass are masked out of the output for
  // good, so the function checked is smooth around the point.
  Tensor forward(Context& ctx, const Tensor&) override {
    Tensor y = flatten(gen_.forward(ctx, z_, e_));
    if (!mask_.defined()) {
      mask_ = Tensor::empty(y.shape());
      for (int64_t i = 0; i < y.numel(); ++i) mask_.data()[i] = y.data()[i] > 0.05f ? 1.0f : 0.0f;
    }
    for (int64_t i = 0; i < y.numel(); ++i) y.data()[i] *= mask_.data()[i];
    return y;
  }
  Tensor backward(Context& ctx, const Tensor& dy_unmasked) override {
    Tensor dy = dy_unmasked.clone();
    for (int64_t i = 0; i < dy.numel(); ++i) dy.data()[i] *= mask_.data()[i];
    std::vector<Tensor> d;
    int64_t offset = 0;
    const int64_t n = z_.dim(0);
    for (const Tensor& image : last_) {
      const int64_t cells = image.numel() / n;
      Tensor g = Tensor::empty(image.shape());
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < cells; ++c) g.data()[i * cells + c] = dy.data()[i * total_ + offset + c];
      offset += cells;
      d.push_back(g);
    }
    gen_.backward(ctx, d);
    return Tensor::zeros({1});
  }
  std::vector<NamedTensor> parameters() override { return gen_.parameters(); }
  std::vector<NamedTensor> gradients() override { return gen_.gradients(); }
  Json config() const override { return {}; }

 private:
  Tensor flatten(const std::vector<Tensor>& images) {
    last_ = images;
    const int64_t n = z_.dim(0);
    total_ = 0;
    for (const Tensor& image : images) total_ += image.numel() / n;
    Tensor out = Tensor::empty({n, total_});
    int64_t offset = 0;
    for (const Tensor& image : images) {
      const int64_t cells = image.numel() / n;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < cells; ++c) out.data()[i * total_ + offset + c] = image.data()[i * cells + c];
      offset += cells;
    }
    return out;
  }
  CaloGanGenerator& gen_;
  Tensor z_, e_, mask_;
  std::vector<Tensor> last_;
  int64_t total_ = 0;
};

// Leaky ReLUs of slope 1 (the identity) keep the check away from kinks; what
// is checked is how the streams, the attention blocks and the resizing are
// chained, forward and backward.
CaloGanConfig smooth() {
  CaloGanConfig c = tiny();
  c.leaky_slope = 1.0f;
  return c;
}

TEST(CaloGan, GeneratorGradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 2);
  CaloGanGenerator gen(ctx, smooth());
  // Give the attention blocks non-zero kernels, so their gradients are
  // exercised away from the initial point.
  for (const NamedTensor& p : gen.parameters())
    if (p.name.rfind("attention", 0) == 0 && p.name.find("weight") != std::string::npos)
      random_uniform(ctx, *p.tensor, -0.5f, 0.5f);
  Tensor z = Tensor::empty({4, 8}), e = Tensor::empty({4, 1});
  random_normal(ctx, z, 0, 1);
  random_uniform(ctx, e, 20, 100);
  GeneratorOfParameter layer(gen, z, e);
  testing::expect_network_gradients_match(testing::check_layer_gradients(layer, Tensor::zeros({1}), 5), 2e-2);
}

// The discriminator's two outputs side by side, as a function of the images
// (flattened and joined) and its parameters.
class DiscriminatorLayer : public Layer {
 public:
  DiscriminatorLayer(CaloGanDiscriminator& disc, std::vector<LayerGeometry> g, Tensor e)
      : disc_(disc), geometry_(std::move(g)), e_(std::move(e)) {}
  std::string type() const override { return "calogan_discriminator"; }
  Tensor forward(Context& ctx, const Tensor& x) override {
    const int64_t n = x.dim(0);
    std::vector<Tensor> images;
    int64_t offset = 0;
    for (const LayerGeometry& g : geometry_) {
      Tensor image = Tensor::empty({n, 1, g.rows, g.cols});
      for (int64_t i = 0; i < n; ++i)
        std::copy_n(x.data() + i * x.dim(1) + offset, g.cells(), image.data() + i * g.cells());
      offset += g.cells();
      images.push_back(image);
    }
    const CaloGanDiscriminator::Output out = disc_.forward(ctx, images, e_);
    Tensor y = Tensor::empty({n, 2});
    for (int64_t i = 0; i < n; ++i) {
      y.data()[2 * i] = out.logit.data()[i];
      y.data()[2 * i + 1] = out.total_energy.data()[i];
    }
    cols_ = x.dim(1);
    return y;
  }
  Tensor backward(Context& ctx, const Tensor& dy) override {
    const int64_t n = dy.dim(0);
    Tensor dlogit = Tensor::empty({n, 1}), dtotal = Tensor::empty({n, 1});
    for (int64_t i = 0; i < n; ++i) dlogit.data()[i] = dy.data()[2 * i], dtotal.data()[i] = dy.data()[2 * i + 1];
    const std::vector<Tensor>& d = disc_.backward(ctx, dlogit, dtotal);
    Tensor dx = Tensor::empty({n, cols_});
    int64_t offset = 0;
    for (size_t l = 0; l < d.size(); ++l) {
      const int64_t cells = geometry_[l].cells();
      for (int64_t i = 0; i < n; ++i) std::copy_n(d[l].data() + i * cells, cells, dx.data() + i * cols_ + offset);
      offset += cells;
    }
    return dx;
  }
  std::vector<NamedTensor> parameters() override { return disc_.parameters(); }
  std::vector<NamedTensor> gradients() override { return disc_.gradients(); }
  Json config() const override { return {}; }

 private:
  CaloGanDiscriminator& disc_;
  std::vector<LayerGeometry> geometry_;
  Tensor e_;
  int64_t cols_ = 0;
};

TEST(CaloGan, DiscriminatorGradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 3);
  const CaloGanConfig c = smooth();
  CaloGanDiscriminator disc(ctx, c);
  // Cells in (0.02, 0.1) GeV: every cell stays above zero under the ±h steps
  // (the sparsity feature is a step function), and the summed energies (about
  // 30 GeV) stay far from the incident energies (5 GeV) and the kink of
  // |E_tot - E|.
  Tensor x = Tensor::empty({4, 504}), e = Tensor::from_vector({5, 5, 5, 5}, {4, 1});
  random_uniform(ctx, x, 0.02f, 0.1f);
  DiscriminatorLayer layer(disc, c.geometry, e);
  testing::expect_network_gradients_match(testing::check_layer_gradients(layer, x, 7), 1e-2);
}

template <typename T>
using CaloGanDevice = testing::DeviceTest<T>;
TYPED_TEST_SUITE(CaloGanDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(CaloGanDevice, GeneratorAndDiscriminatorMatchCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 4), dev(device, 4);
  CaloGanGenerator gen_cpu(cpu, tiny()), gen_dev(dev, tiny());
  CaloGanDiscriminator disc_cpu(cpu, tiny()), disc_dev(dev, tiny());
  // Same weights on both devices.
  const auto copy = [](std::vector<NamedTensor> from, std::vector<NamedTensor> to) {
    for (size_t i = 0; i < from.size(); ++i) to[i].tensor->copy_from(*from[i].tensor);
  };
  copy(gen_cpu.parameters(), gen_dev.parameters());
  copy(disc_cpu.parameters(), disc_dev.parameters());
  Tensor z = Tensor::empty({16, 8}), e = Tensor::empty({16, 1});
  random_normal(cpu, z, 0, 1);
  random_uniform(cpu, e, 1, 100);
  const std::vector<Tensor>& a = gen_cpu.forward(cpu, z, e);
  const std::vector<Tensor>& b = gen_dev.forward(dev, z.to(device), e.to(device));
  for (size_t l = 0; l < a.size(); ++l) EXPECT_TRUE(testing::all_close(b[l].to(Device::cpu()), a[l], 1e-4, 1e-3));
  const auto out_cpu = disc_cpu.forward(cpu, a, e);
  const auto out_dev = disc_dev.forward(dev, b, e.to(device));
  EXPECT_TRUE(testing::all_close(out_dev.logit.to(Device::cpu()), out_cpu.logit, 1e-3, 1e-3));
  EXPECT_TRUE(testing::all_close(out_dev.total_energy.to(Device::cpu()), out_cpu.total_energy, 1e-3, 1e-4));
  Tensor ones = Tensor::from_vector(std::vector<float>(16, 1.0f), {16, 1});
  const std::vector<Tensor>& da = disc_cpu.backward(cpu, ones, ones);
  const std::vector<Tensor>& db = disc_dev.backward(dev, ones.to(device), ones.to(device));
  for (size_t l = 0; l < da.size(); ++l) EXPECT_TRUE(testing::all_close(db[l].to(Device::cpu()), da[l], 1e-3, 1e-3));
}

TEST(CaloGan, CheckpointRestoresTheGenerator) {
  const std::string dir = testing::scratch_dir("calogan_ckpt");
  Context ctx(Device::cpu(), 5);
  CaloGanGenerator gen(ctx, tiny());
  CaloGanDiscriminator disc(ctx, tiny());
  gen.set_training(false);
  Tensor z = Tensor::empty({3, 8}), e = Tensor::from_vector({10, 50, 90}, {3, 1});
  random_normal(ctx, z, 0, 1);
  const std::vector<Tensor> before = {gen.forward(ctx, z, e)[1].clone()};
  save_checkpoint(dir + "/g.h5", "calogan", {{"generator", &gen, nullptr}, {"discriminator", &disc, nullptr}},
                  TrainState{});
  std::unique_ptr<CaloGanGenerator> back = load_calogan_generator(ctx, dir + "/g.h5");
  EXPECT_TRUE(testing::all_close(back->forward(ctx, z, e)[1], before[0], 0, 0));
  EXPECT_NE(testing::error_message_of([&] { load_calogan_generator(ctx, dir + "/missing.h5"); }).find("missing.h5"),
            std::string::npos);
}

// Showers written to a file, as training reads them.
std::string showers_file(const ShowerBatch& showers, const std::string& name) {
  const std::string path = testing::scratch_dir("calogan_data") + "/" + name;
  ShowersWriter writer(path, calogan_geometry(), Json::object());
  writer.write(showers);
  writer.finish();
  return path;
}

// A short training of a small CaloGAN on the built-in simulator's positrons:
// the generated shower shapes move towards the simulator's (mean normalised
// Wasserstein-1 distance over all shapes falls from the untrained generator
// to the trained one).
TEST(CaloGan, ShortTrainingMovesShowerShapesTowardsTheReference) {
  CaloSimSettings settings;
  const std::vector<float> energies = uniform_energies(1, 100, 2048, 11, 0);
  const ShowersDataset data(showers_file(simulate_showers(settings, CaloParticle::Positron, energies, 11, 0), "e.h5"));
  const std::vector<float> ref_energies = uniform_energies(1, 100, 512, 12, 0);
  const ShowerBatch reference = simulate_showers(settings, CaloParticle::Positron, ref_energies, 12, 0);

  CaloGanFile file = load_calogan_config(std::string(JETIMG_SOURCE_DIR) + "/configs/calogan_small.json");
  file.training.epochs = 4;
  Context ctx(Device::cpu(), file.training.seed);
  CaloGanGenerator gen(ctx, file.model);
  CaloGanDiscriminator disc(ctx, file.model);
  const auto distance = [&](Context& c, CaloGanGenerator& g, int64_t) {
    Context sampling(c.device(), 99);  // the same noise at every epoch
    return mean_normalised_w1(compare_shower_shapes(reference, generate_showers(sampling, g, reference.energy, 256)));
  };
  gen.set_training(false);
  const double untrained = distance(ctx, gen, 0);
  LoopOptions options;
  options.output_dir = testing::scratch_dir("calogan_train");
  const LoopResult result = train_calogan(ctx, gen, disc, data, file.training, options, distance);
  ASSERT_EQ(result.state.history.size(), 4u);
  const double trained = result.state.history.back()["shape_distance"].get<double>();
  std::printf("mean normalised W1 of shower shapes: untrained %.3f, after each epoch", untrained);
  for (const Json& r : result.state.history) std::printf(" %.3f", r["shape_distance"].get<double>());
  std::printf("\n");
  EXPECT_LT(trained, 0.7 * untrained);
  EXPECT_TRUE(std::filesystem::exists(options.output_dir + "/last.h5"));
  EXPECT_TRUE(std::filesystem::exists(options.output_dir + "/generator_epoch_004.h5"));
}

// 64 built-in positron showers in a file and a training of `epochs` epochs
// of two steps of 16: enough to exercise the training loop in a moment.
std::string few_showers(uint64_t seed) {
  return showers_file(
      simulate_showers(CaloSimSettings(), CaloParticle::Positron, uniform_energies(1, 100, 64, seed, 0), seed, 0),
      "few_" + std::to_string(seed) + ".h5");
}

GanTrainConfig short_training(int64_t epochs) {
  GanTrainConfig config;
  config.epochs = epochs;
  config.batch_size = 16;
  config.steps_per_epoch = 2;
  config.label_flip = 0.1;  // the flips' random numbers are exercised too
  return config;
}

// Every parameter of both networks, in order.
std::vector<std::vector<float>> weights(CaloGanGenerator& gen, CaloGanDiscriminator& disc) {
  std::vector<std::vector<float>> all;
  for (Model* m : std::vector<Model*>{&gen, &disc})
    for (const NamedTensor& t : m->parameters()) all.push_back(t.tensor->to_vector());
  return all;
}

// The same seed gives the same run, and a run resumed from last.h5 goes on
// exactly as the uninterrupted one: weights, both optimisers' state (their
// step counts continue), the epoch count, the history and the log.
TEST(CaloGan, SameSeedSameRunAndResumeContinuesIt) {
  const ShowersDataset data(few_showers(4));
  GanTrainConfig config = short_training(3);
  config.checkpoint_every = 1;
  const auto run = [&](const std::string& dir, const std::string& resume, int64_t epochs,
                       std::vector<std::vector<float>>* out) {
    Context ctx(Device::cpu(), 1);
    CaloGanGenerator gen(ctx, tiny());
    CaloGanDiscriminator disc(ctx, tiny());
    GanTrainConfig c = config;
    c.epochs = epochs;
    LoopOptions options;
    options.output_dir = dir;
    options.resume = resume;
    const LoopResult r = train_calogan(ctx, gen, disc, data, c, options);
    if (out) *out = weights(gen, disc);
    return r;
  };
  std::vector<std::vector<float>> straight, again, resumed;
  const std::string a = testing::scratch_dir("calogan_a"), b = testing::scratch_dir("calogan_b"),
                    r = testing::scratch_dir("calogan_r");
  const LoopResult first = run(a, "", 3, &straight);
  run(b, "", 3, &again);
  EXPECT_EQ(straight, again);
  EXPECT_EQ(first.epochs_run, 3);
  // One epoch, then resumed for two more.
  run(r, "", 1, nullptr);
  const LoopResult rest = run(r, r + "/last.h5", 3, &resumed);
  EXPECT_EQ(rest.epochs_run, 2);
  EXPECT_EQ(resumed, straight);
  const CheckpointFile last(r + "/last.h5");
  EXPECT_EQ(last.training().epoch, 3);
  EXPECT_EQ(last.training().history.size(), 3u);
  EXPECT_EQ(last.optimiser_record("generator")["steps"], 3 * 2 * config.generator_steps);
  EXPECT_EQ(last.optimiser_record("discriminator")["steps"], 3 * 2 * 2);  // a real and a generated batch per step
  std::ifstream log(r + "/log.csv"), log_straight(a + "/log.csv");
  std::vector<std::string> lines, lines_straight;
  for (std::string line; std::getline(log, line);) lines.push_back(line.substr(0, line.find(",", line.find(",", line.find(",") + 1) + 1)));
  for (std::string line; std::getline(log_straight, line);) lines_straight.push_back(line.substr(0, line.find(",", line.find(",", line.find(",") + 1) + 1)));
  EXPECT_EQ(lines.size(), 1u + 3u);  // header and one row per epoch
  EXPECT_EQ(lines, lines_straight);  // epoch, d_loss, d_real of every epoch

  // A generator-only file, or another model, cannot be resumed from.
  Context ctx(Device::cpu(), 2);
  CaloGanGenerator gen(ctx, tiny());
  CaloGanDiscriminator disc(ctx, tiny());
  LoopOptions options;
  options.output_dir = r;
  options.resume = r + "/generator_epoch_001.h5";
  EXPECT_NE(testing::error_message_of([&] { train_calogan(ctx, gen, disc, data, config, options); })
                .find("holds no discriminator or optimiser state"),
            std::string::npos);
  CaloGanConfig other = tiny();
  other.latent += 1;
  CaloGanGenerator gen2(ctx, other);
  CaloGanDiscriminator disc2(ctx, other);
  options.resume = r + "/last.h5";
  EXPECT_NE(testing::error_message_of([&] { train_calogan(ctx, gen2, disc2, data, config, options); })
                .find("was written for a different model"),
            std::string::npos);
}

// Weights that turn NaN stop training with a message naming the epoch, the
// weights and the last good checkpoint, which stays loadable and finite. (A
// loss that turns NaN is caught at its step; NaN weights may not make one,
// since the output ReLU maps NaN to 0.)
TEST(CaloGan, NanWeightsStopTrainingAndKeepTheLastGoodCheckpoint) {
  const ShowersDataset data(few_showers(3));
  const GanTrainConfig config = short_training(3);
  Context ctx(Device::cpu(), 1);
  CaloGanGenerator gen(ctx, tiny());
  CaloGanDiscriminator disc(ctx, tiny());
  LoopOptions options;
  options.output_dir = testing::scratch_dir("calogan_nan");
  // After epoch 1 has been saved, a weight goes bad (as a diverging run's would).
  options.on_epoch = [&](int64_t epoch, const EpochValues&, bool) {
    if (epoch == 1) fill(ctx, *gen.parameters()[0].tensor, std::nanf(""));
  };
  const std::string message = testing::error_message_of([&] { train_calogan(ctx, gen, disc, data, config, options); });
  EXPECT_NE(message.find("epoch 2: the generator's 'stream0.0.weight' holds nan"), std::string::npos) << message;
  EXPECT_NE(message.find("last good checkpoint is '" + options.output_dir + "/last.h5'"), std::string::npos) << message;
  std::unique_ptr<CaloGanGenerator> good = load_calogan_generator(ctx, options.output_dir + "/last.h5");
  for (float v : good->parameters()[0].tensor->to_vector()) ASSERT_TRUE(std::isfinite(v));
}

// After a warm-up, a CaloGAN training step (real batch staged, flipped labels
// drawn, discriminator and generator steps) and a generation batch ask the
// system for no memory and wait for the device nowhere (core/memory.h).
template <typename T>
class CaloGanStepDevice : public testing::DeviceTest<T> {};
TYPED_TEST_SUITE(CaloGanStepDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(CaloGanStepDevice, MakesNoAllocationAndNoSynchronisationAfterWarmUp) {
  CaloSimSettings settings;
  const ShowersDataset data(showers_file(
      simulate_showers(settings, CaloParticle::Positron, uniform_energies(1, 100, 256, 21, 0), 21, 0), "quiet.h5"));
  Context ctx(this->device(), 5);
  CaloGanGenerator gen(ctx, tiny());
  CaloGanDiscriminator disc(ctx, tiny());
  GanTrainConfig config;
  config.batch_size = 16;
  config.label_flip = 0.1;
  CaloGanTask task(ctx, gen, disc, data, config, nullptr);
  gen.set_training(true), disc.set_training(true);
  const int64_t steps = task.begin_epoch(ctx, 0);
  ASSERT_GE(steps, 10);
  const std::vector<std::string> names = task.device_values();
  Tensor slots = Tensor::zeros({steps, int64_t(names.size())}, ctx.device());
  const auto run = [&](int64_t s) {
    StepValues values(&slots, s, &names);
    task.step(ctx, 0, s, values);
  };
  for (int64_t s = 0; s < 3; ++s) run(s);
  const MemoryStats before = ctx.memory_stats();
  for (int64_t s = 3; s < 9; ++s) run(s);
  const MemoryStats after = ctx.memory_stats();
  EXPECT_EQ(after.allocations, before.allocations);
  EXPECT_EQ(after.synchronizations, before.synchronizations);
  EXPECT_GT(after.reuses, before.reuses);
  const std::vector<float> values = slots.to_vector();
  for (int64_t s = 0; s < 9; ++s)
    for (size_t k = 0; k < names.size(); ++k)
      EXPECT_GT(values[size_t(s) * names.size() + k], 0.0f) << names[k] << " of step " << s;
}

TYPED_TEST(CaloGanStepDevice, AGenerationBatchMakesNoAllocationAndNoSynchronisation) {
  Context ctx(this->device(), 6);
  CaloGanGenerator gen(ctx, tiny());
  gen.set_training(false);
  const int64_t b = 32;
  Tensor energy = Tensor::empty_pinned({b, 1});
  for (int64_t i = 0; i < b; ++i) energy.data()[i] = 10.0f + float(i);
  std::vector<Tensor> layers;
  for (const LayerGeometry& g : gen.settings().geometry) layers.push_back(Tensor::empty_pinned({b, g.rows, g.cols}));
  ShowerSampler sampler(gen);
  for (int i = 0; i < 2; ++i) sampler.generate(ctx, energy, layers);
  const MemoryStats before = ctx.memory_stats();
  for (int i = 0; i < 5; ++i) sampler.generate(ctx, energy, layers);
  const MemoryStats after = ctx.memory_stats();
  EXPECT_EQ(after.allocations, before.allocations);
  EXPECT_EQ(after.synchronizations, before.synchronizations);
  ctx.synchronize();
  // The showers are the generator's for the same noise (a context of the same seed), in MeV.
  Context sampling(this->device(), 77), by_hand(this->device(), 77);
  ShowerSampler(gen).generate(sampling, energy, layers);
  sampling.synchronize();
  Tensor z = Tensor::empty({b, gen.settings().latent}, by_hand.device());
  random_normal(by_hand, z, 0.0f, 1.0f);
  const std::vector<Tensor>& images = gen.forward(by_hand, z, energy.to(by_hand.device()));
  for (size_t l = 0; l < layers.size(); ++l) {
    std::vector<float> mev = images[l].to_vector();
    for (float& v : mev) v *= 1e3f;
    EXPECT_TRUE(testing::all_close(layers[l].to_vector(), mev, 0, 0)) << "layer " << l;
  }
}

}  // namespace
}  // namespace jetimg
