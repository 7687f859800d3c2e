// LAGAN: shapes, central-difference gradients through the class embedding,
// the generator and the two-headed discriminator, a checkpoint round trip,
// and a short training on two kinds of synthetic 25×25 images.
#include <algorithm>
#include <cmath>

#include "core/ops.h"
#include "io/hdf5.h"
#include "io/datasets.h"
#include "io/images_file.h"
#include "models/checkpoint.h"
#include "models/lagan.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

LaganConfig tiny() {
  LaganConfig c;
  c.latent = 6;
  c.dense_channels = 2;
  c.conv_filters = 2;
  c.lc_filters = 2;
  c.disc_conv_filters = 2;
  c.disc_lc_filters = 2;
  c.mbd_features = 3;
  c.mbd_dims = 2;
  return c;
}

// Leaky ReLUs of slope 1 and no dropout: smooth, for the gradient checks.
LaganConfig smooth() {
  LaganConfig c = tiny();
  c.leaky_slope = 1.0f;
  c.dropout = 0.0f;
  return c;
}

Tensor one_hot_of(const std::vector<int>& classes) {
  std::vector<float> v(classes.size() * 2, 0.0f);
  for (size_t i = 0; i < classes.size(); ++i) v[2 * i + size_t(classes[i])] = 1.0f;
  return Tensor::from_vector(v, {int64_t(classes.size()), 2});
}

TEST(Lagan, GeneratorMakesNonNegative25x25Images) {
  Context ctx(Device::cpu(), 1);
  LaganGenerator gen(ctx, tiny());
  Tensor z = Tensor::empty({3, 6});
  random_normal(ctx, z, 0, 1);
  const Tensor images = gen.forward(ctx, z, one_hot_of({0, 1, 1}));
  EXPECT_EQ(images.shape(), Shape({3, 1, 25, 25}));
  const std::vector<float> v = images.to_vector();
  EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](float x) { return x >= 0.0f; }));
  LaganDiscriminator disc(ctx, tiny());
  const LaganDiscriminator::Output out = disc.forward(ctx, images);
  EXPECT_EQ(out.real_logit.shape(), Shape({3, 1}));
  EXPECT_EQ(out.class_logit.shape(), Shape({3, 1}));
}

TEST(Lagan, ConfigErrorsNameTheKey) {
  EXPECT_NE(testing::error_message_of([] { LaganConfig::from_json({{"latnet", 3}}, "l.json"); }).find("latnet"),
            std::string::npos);
  EXPECT_NE(testing::error_message_of([] { LaganConfig::from_json({{"classes", 3}}, "l.json"); })
                .find("'classes' must be 2"),
            std::string::npos);
}

// The generator's images, with cells under `margin` at the first pass masked
// out for good (the output ReLU's kink), as a function of its parameters.
class GeneratorLayer : public Layer {
 public:
  GeneratorLayer(LaganGenerator& gen, Tensor z, Tensor classes) : gen_(gen), z_(std::move(z)), c_(std::move(classes)) {}
  std::string type() const override { return "lagan_generator"; }
  Tensor forward(Context& ctx, const Tensor&) override {
    Tensor y = gen_.forward(ctx, z_, c_).clone();
    if (!mask_.defined()) {
      mask_ = Tensor::empty(y.shape());
      for (int64_t i = 0; i < y.numel(); ++i) mask_.data()[i] = y.data()[i] > 0.05f ? 1.0f : 0.0f;
    }
    for (int64_t i = 0; i < y.numel(); ++i) y.data()[i] *= mask_.data()[i];
    return y;
  }
  Tensor backward(Context& ctx, const Tensor& dy) override {
    Tensor d = dy.clone();
    for (int64_t i = 0; i < d.numel(); ++i) d.data()[i] *= mask_.data()[i];
    gen_.backward(ctx, d);
    return Tensor::zeros({1});
  }
  std::vector<NamedTensor> parameters() override { return gen_.parameters(); }
  std::vector<NamedTensor> gradients() override { return gen_.gradients(); }
  Json config() const override { return {}; }

 private:
  LaganGenerator& gen_;
  Tensor z_, c_, mask_;
};

class DiscriminatorLayer : public Layer {
 public:
  explicit DiscriminatorLayer(LaganDiscriminator& disc) : disc_(disc) {}
  std::string type() const override { return "lagan_discriminator"; }
  Tensor forward(Context& ctx, const Tensor& x) override {
    const LaganDiscriminator::Output out = disc_.forward(ctx, x);
    Tensor y = Tensor::empty({x.dim(0), 2});
    for (int64_t i = 0; i < x.dim(0); ++i)
      y.data()[2 * i] = out.real_logit.data()[i], y.data()[2 * i + 1] = out.class_logit.data()[i];
    return y;
  }
  Tensor backward(Context& ctx, const Tensor& dy) override {
    const int64_t n = dy.dim(0);
    Tensor a = Tensor::empty({n, 1}), b = Tensor::empty({n, 1});
    for (int64_t i = 0; i < n; ++i) a.data()[i] = dy.data()[2 * i], b.data()[i] = dy.data()[2 * i + 1];
    return disc_.backward(ctx, a, b);
  }
  std::vector<NamedTensor> parameters() override { return disc_.parameters(); }
  std::vector<NamedTensor> gradients() override { return disc_.gradients(); }
  Json config() const override { return {}; }

 private:
  LaganDiscriminator& disc_;
};

TEST(Lagan, GeneratorGradientsIncludingTheClassEmbedding) {
  Context ctx(Device::cpu(), 2);
  LaganGenerator gen(ctx, smooth());
  Tensor z = Tensor::empty({4, 6});
  random_normal(ctx, z, 0, 1);
  GeneratorLayer layer(gen, z, one_hot_of({0, 1, 0, 1}));
  const auto checks = testing::check_layer_gradients(layer, Tensor::zeros({1}), 3);
  ASSERT_EQ(checks[1].first, "embedding");
  testing::expect_network_gradients_match(checks, 2e-2);
}

TEST(Lagan, DiscriminatorGradients) {
  Context ctx(Device::cpu(), 4);
  LaganDiscriminator disc(ctx, smooth());
  Tensor x = Tensor::empty({4, 1, 25, 25});
  random_uniform(ctx, x, 0.0f, 1.0f);
  DiscriminatorLayer layer(disc);
  testing::expect_network_gradients_match(testing::check_layer_gradients(layer, x, 6), 1e-2);
}

// Two classes of synthetic jet images: one bright pixel at the centre
// (class 0), or two prongs (class 1), with random intensities; written as an
// images file (labels in its label column), as training reads them.
std::string synthetic(int64_t n, uint64_t seed) {
  Context ctx(Device::cpu(), seed);
  Tensor u = Tensor::empty({n, 2});
  random_uniform(ctx, u, 0.5f, 1.0f);
  std::vector<float> images(size_t(n * 625), 0.0f);
  ImageAux aux;
  for (int64_t i = 0; i < n; ++i) {
    const bool two = i % 2 == 1;
    float* image = images.data() + i * 625;
    image[12 * 25 + 12] = u.data()[2 * i];
    if (two) image[12 * 25 + 17] = u.data()[2 * i + 1];
    aux.label.push_back(two ? 1 : 0);
    aux.pt.push_back(300), aux.eta.push_back(0), aux.phi.push_back(0), aux.mass.push_back(80);
    aux.trimmed_mass.push_back(80), aux.tau21.push_back(0.5), aux.tau32.push_back(0.5), aux.weight.push_back(1);
  }
  const std::string path = testing::scratch_dir("lagan_data") + "/synthetic_" + std::to_string(seed) + ".h5";
  ImagesWriter writer(path, 1, 25, 25, Json::object(), Json::object());
  writer.write(images.data(), aux);
  writer.finish();
  return path;
}

TEST(Lagan, ShortTrainingLearnsTheClassesAndKeepsACheckpoint) {
  LaganConfig c = tiny();
  c.epochs = 3;
  c.batch_size = 32;
  c.lr = 2e-3;
  const ImagesDataset data({synthetic(512, 8)}, {-1});
  Context ctx(Device::cpu(), 1);
  LaganGenerator gen(ctx, c);
  LaganDiscriminator disc(ctx, c);
  LoopOptions options;
  options.output_dir = testing::scratch_dir("lagan_train");
  const LoopResult result = train_lagan(ctx, gen, disc, data, c, options);
  const Json& history = result.state.history;
  ASSERT_EQ(history.size(), 3u);
  for (const Json& r : history) {
    EXPECT_TRUE(r["d_loss"].is_number() && r["g_loss"].is_number()) << r.dump();
    EXPECT_GE(r["intensity_w1"].get<double>(), 0.0);
  }
  // The auxiliary head tells one prong from two on real images.
  EXPECT_GT(history.back()["aux_accuracy"].get<double>(), 0.9);
  // The checkpoint gives back the same generator.
  std::unique_ptr<LaganGenerator> back = load_lagan_generator(ctx, options.output_dir + "/last.h5");
  gen.set_training(false);
  Tensor z = Tensor::empty({2, c.latent});
  random_normal(ctx, z, 0, 1);
  EXPECT_TRUE(testing::all_close(back->forward(ctx, z, one_hot_of({0, 1})), gen.forward(ctx, z, one_hot_of({0, 1})),
                                 0, 0));
}

// The same seed gives the same run, and a run resumed from last.h5 goes on
// exactly as the uninterrupted one, with the saved networks and optimisers
// (whose step counts continue) and history.
TEST(Lagan, SameSeedSameRunAndResumeContinuesIt) {
  LaganConfig c = tiny();
  c.batch_size = 32;
  c.steps_per_epoch = 2;
  const ImagesDataset data({synthetic(128, 9)}, {-1});
  const auto run = [&](const std::string& dir, const std::string& resume, int64_t epochs) {
    Context ctx(Device::cpu(), 1);
    LaganGenerator gen(ctx, c);
    LaganDiscriminator disc(ctx, c);
    LaganConfig config = c;
    config.epochs = epochs;
    LoopOptions options;
    options.output_dir = dir;
    options.resume = resume;
    train_lagan(ctx, gen, disc, data, config, options);
    std::vector<std::vector<float>> all;
    for (Model* m : std::vector<Model*>{&gen, &disc})
      for (const NamedTensor& t : m->parameters()) all.push_back(t.tensor->to_vector());
    return all;
  };
  const std::string a = testing::scratch_dir("lagan_a"), b = testing::scratch_dir("lagan_b"),
                    r = testing::scratch_dir("lagan_r");
  const auto straight = run(a, "", 3);
  EXPECT_EQ(run(b, "", 3), straight);
  run(r, "", 1);
  EXPECT_EQ(run(r, r + "/last.h5", 3), straight);
  const CheckpointFile last(r + "/last.h5");
  EXPECT_EQ(last.training().history.size(), 3u);
  // Three epochs of two steps: a real and a generated discriminator update
  // and generator_steps generator updates per step, counted across the resume.
  EXPECT_EQ(last.optimiser_record("discriminator")["steps"], 3 * 2 * 2);
  EXPECT_EQ(last.optimiser_record("generator")["steps"], 3 * 2 * c.generator_steps);
  LaganConfig other = c;
  other.latent += 1;
  Context ctx(Device::cpu(), 2);
  LaganGenerator gen2(ctx, other);
  LaganDiscriminator disc2(ctx, other);
  LoopOptions options;
  options.output_dir = r;
  options.resume = r + "/last.h5";
  EXPECT_NE(testing::error_message_of([&] { train_lagan(ctx, gen2, disc2, data, other, options); })
                .find("was written for a different model"),
            std::string::npos);
}

template <typename T>
using LaganDevice = testing::DeviceTest<T>;
TYPED_TEST_SUITE(LaganDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(LaganDevice, GeneratorAndDiscriminatorMatchCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 4), dev(device, 4);
  LaganConfig c = tiny();
  c.dropout = 0.0f;  // the same masks on both devices anyway, but none is simpler to compare
  LaganGenerator gen_cpu(cpu, c), gen_dev(dev, c);
  LaganDiscriminator disc_cpu(cpu, c), disc_dev(dev, c);
  const auto copy = [](std::vector<NamedTensor> from, std::vector<NamedTensor> to) {
    for (size_t i = 0; i < from.size(); ++i) to[i].tensor->copy_from(*from[i].tensor);
  };
  copy(gen_cpu.parameters(), gen_dev.parameters());
  copy(disc_cpu.parameters(), disc_dev.parameters());
  Tensor z = Tensor::empty({8, 6});
  random_normal(cpu, z, 0, 1);
  const Tensor classes = one_hot_of({0, 1, 1, 0, 1, 0, 0, 1});
  const Tensor a = gen_cpu.forward(cpu, z, classes);
  const Tensor b = gen_dev.forward(dev, z.to(device), classes.to(device));
  EXPECT_TRUE(testing::all_close(b.to(Device::cpu()), a, 1e-4, 1e-3));
  const auto out_cpu = disc_cpu.forward(cpu, a);
  const auto out_dev = disc_dev.forward(dev, b);
  EXPECT_TRUE(testing::all_close(out_dev.real_logit.to(Device::cpu()), out_cpu.real_logit, 1e-3, 1e-3));
  EXPECT_TRUE(testing::all_close(out_dev.class_logit.to(Device::cpu()), out_cpu.class_logit, 1e-3, 1e-3));
  const Tensor ones = Tensor::from_vector(std::vector<float>(8, 1.0f), {8, 1});
  const Tensor da = disc_cpu.backward(cpu, ones, ones);
  const Tensor db = disc_dev.backward(dev, ones.to(device), ones.to(device));
  EXPECT_TRUE(testing::all_close(db.to(Device::cpu()), da, 1e-3, 1e-3));
  gen_cpu.backward(cpu, da);
  gen_dev.backward(dev, db);
  EXPECT_TRUE(testing::all_close(gen_dev.gradients()[0].tensor->to(Device::cpu()), *gen_cpu.gradients()[0].tensor,
                                 1e-3, 1e-2));
}

}  // namespace
}  // namespace jetimg
