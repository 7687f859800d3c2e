// ParticleNet: one EdgeConv block written out by hand with the model's own
// networks; padding and particle order do not matter; central differences
// for every parameter; CUDA against the CPU; configs round-trip and bad ones
// are refused by name.
#include <algorithm>
#include <cmath>
#include <map>

#include "core/ops.h"
#include "core/particle_ops.h"
#include "io/data_files.h"
#include "models/model.h"
#include "models/particle_net.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

const char* kSmall = R"({"type": "particlenet", "features": 7, "k": 3, "blocks": [[6, 5]], "fc": [4], "dropout": 0})";
const char* kTwoBlocks =
    R"({"type": "particlenet", "features": 7, "k": 3, "blocks": [[6, 5], [4]], "fc": [4], "dropout": 0})";

Tensor random_tensor(Context& rng, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  random_normal(rng, t, 0.0f, 1.0f);
  return t;
}

// Two jets of 6 particles: 6 and 4 real.
Tensor two_jets_mask() {
  return Tensor::from_vector(std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, {2, 6});
}

TensorMap inputs_of(Context& rng, int64_t n, int64_t m, const Tensor& mask) {
  Tensor coords = random_tensor(rng, {n, m, 2}), features = random_tensor(rng, {n, m, 7});
  Context cpu(Device::cpu(), 0);
  mask_particles(cpu, coords, mask, coords);
  mask_particles(cpu, features, mask, features);
  return {{"coords", coords}, {"features", features}, {"mask", mask}};
}

TEST(ParticleNet, PublishedSizes) {
  Context ctx(Device::cpu(), 1);
  auto full = load_model_config(ctx, data_file("configs/nets/particlenet.json"));
  auto lite = load_model_config(ctx, data_file("configs/nets/particlenet_lite.json"));
  // Counted here from the architecture: input batch norm 2·7; per block and
  // layer a dense without bias and a batch norm (2 per channel); the
  // shortcut the same; the head's dense layers with biases.
  const auto edge_conv = [](int64_t in, std::vector<int64_t> channels) {
    int64_t n = 0, c = 2 * in;
    for (int64_t out : channels) n += c * out + 2 * out, c = out;
    return n + in * channels.back() + 2 * channels.back();
  };
  const int64_t full_count = 14 + edge_conv(7, {64, 64, 64}) + edge_conv(64, {128, 128, 128}) +
                             edge_conv(128, {256, 256, 256}) + (256 * 256 + 256) + (256 + 1);
  const int64_t lite_count = 14 + edge_conv(7, {32, 32, 32}) + edge_conv(32, {64, 64, 64}) + (64 * 128 + 128) + 129;
  EXPECT_EQ(parameter_count(*full), full_count);
  EXPECT_EQ(parameter_count(*lite), lite_count);
  std::printf("ParticleNet %lld parameters, ParticleNet-Lite %lld\n", static_cast<long long>(full_count),
              static_cast<long long>(lite_count));
}

TEST(ParticleNet, OneBlockIsTheEdgeConvWrittenOut) {
  Context ctx(Device::cpu(), 2);
  auto model = make_model(ctx, Json::parse(kSmall), "pn.json");
  model->set_training(false);  // batch norm with its running statistics: per particle, not per batch
  // Every parameter and running statistic random, so that none is a no-op.
  for (const NamedTensor& t : model->parameters()) random_normal(ctx, *t.tensor, 0.0f, 0.5f);
  for (const NamedTensor& t : model->buffers()) {
    const bool variance = t.name.find("running_var") != std::string::npos;
    if (variance) random_uniform(ctx, *t.tensor, 0.5f, 2.0f);
    else random_normal(ctx, *t.tensor, 0.0f, 0.3f);
  }
  const Tensor mask = two_jets_mask();
  const TensorMap in = inputs_of(ctx, 2, 6, mask);
  const std::vector<float> got = model->forward(ctx, in).at("score").to_vector();
  // By hand: the model's own networks, one particle and one edge at a time.
  std::map<std::string, Tensor*> p;
  for (const NamedTensor& t : model->parameters()) p[t.name] = t.tensor;
  for (const NamedTensor& t : model->buffers()) p[t.name] = t.tensor;
  const auto bn = [&](const std::string& prefix, std::vector<float> v) {
    const std::vector<float> g = p[prefix + ".weight"]->to_vector(), b = p[prefix + ".bias"]->to_vector(),
                             mean = p[prefix + ".running_mean"]->to_vector(), var = p[prefix + ".running_var"]->to_vector();
    for (size_t c = 0; c < v.size(); ++c) v[c] = g[c] * (v[c] - mean[c]) / std::sqrt(var[c] + 1e-5f) + b[c];
    return v;
  };
  const auto dense = [&](const std::string& prefix, const std::vector<float>& v) {
    const Tensor& w = *p[prefix + ".weight"];
    std::vector<float> out(static_cast<size_t>(w.dim(1)), 0.0f);
    const std::vector<float> wv = w.to_vector();
    for (size_t o = 0; o < out.size(); ++o)
      for (size_t i = 0; i < v.size(); ++i) out[o] += v[i] * wv[i * out.size() + o];
    if (p.count(prefix + ".bias"))
      for (size_t o = 0; o < out.size(); ++o) out[o] += p[prefix + ".bias"]->to_vector()[o];
    return out;
  };
  const auto relu = [](std::vector<float> v) {
    for (float& x : v) x = std::max(x, 0.0f);
    return v;
  };
  const std::vector<float> coords = in.at("coords").to_vector(), feats = in.at("features").to_vector();
  const std::vector<uint8_t> m = mask.to_vector_as<uint8_t>();
  for (int64_t jet = 0; jet < 2; ++jet) {
    std::vector<std::vector<float>> h(6);
    for (int64_t i = 0; i < 6; ++i) {
      const std::vector<float> f(feats.begin() + (jet * 6 + i) * 7, feats.begin() + (jet * 6 + i + 1) * 7);
      h[static_cast<size_t>(i)] = m[static_cast<size_t>(jet * 6 + i)] ? bn("input_bn.0", f) : std::vector<float>(7, 0.0f);
    }
    std::vector<float> sum(5, 0.0f);
    int real = 0;
    for (int64_t i = 0; i < 6; ++i) {
      if (!m[static_cast<size_t>(jet * 6 + i)]) continue;
      ++real;
      // Three nearest real particles in (Δη, Δφ), by brute force.
      std::vector<std::pair<float, int64_t>> d;
      for (int64_t j = 0; j < 6; ++j)
        if (j != i && m[static_cast<size_t>(jet * 6 + j)]) {
          const float de = coords[(jet * 6 + j) * 2] - coords[(jet * 6 + i) * 2];
          const float dp = coords[(jet * 6 + j) * 2 + 1] - coords[(jet * 6 + i) * 2 + 1];
          d.push_back({de * de + dp * dp, j});
        }
      std::sort(d.begin(), d.end());
      std::vector<float> a(5, 0.0f);
      for (int s = 0; s < 3; ++s) {
        const std::vector<float>& hi = h[static_cast<size_t>(i)];
        const std::vector<float>& hj = h[static_cast<size_t>(d[static_cast<size_t>(s)].second)];
        std::vector<float> e(hi);
        for (size_t c = 0; c < 7; ++c) e.push_back(hj[c] - hi[c]);
        e = relu(bn("block0.edge.1", dense("block0.edge.0", e)));
        e = relu(bn("block0.edge.4", dense("block0.edge.3", e)));
        for (size_t c = 0; c < 5; ++c) a[c] += e[c] / 3;
      }
      const std::vector<float> s = bn("block0.shortcut.1", dense("block0.shortcut.0", h[static_cast<size_t>(i)]));
      for (size_t c = 0; c < 5; ++c) sum[c] += std::max(a[c] + s[c], 0.0f);
    }
    for (float& v : sum) v /= static_cast<float>(real);
    const float expected = dense("head.1", relu(dense("head.0", sum)))[0];
    EXPECT_NEAR(got[static_cast<size_t>(jet)], expected, 1e-4) << "jet " << jet;
  }
}

TEST(ParticleNet, PaddingAndParticleOrderDoNotMatter) {
  Context ctx(Device::cpu(), 3);
  auto model = make_model(ctx, Json::parse(kTwoBlocks), "pn.json");
  model->set_training(false);
  const Tensor mask = two_jets_mask();
  const TensorMap in = inputs_of(ctx, 2, 6, mask);
  const std::vector<float> before = model->forward(ctx, in).at("score").to_vector();
  // Jet 1's real particles reversed, garbage in its padding.
  TensorMap changed = {{"coords", in.at("coords").clone()}, {"features", in.at("features").clone()}, {"mask", mask}};
  for (const char* name : {"coords", "features"}) {
    Tensor& t = changed.at(name);
    const int64_t c = t.dim(2);
    const std::vector<float> orig = in.at(name).to_vector();
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t k = 0; k < c; ++k) t.data()[(6 + i) * c + k] = orig[static_cast<size_t>((6 + 3 - i) * c + k)];
    for (int64_t i = 4; i < 6; ++i)
      for (int64_t k = 0; k < c; ++k) t.data()[(6 + i) * c + k] = 50.0f;
  }
  const std::vector<float> after = model->forward(ctx, changed).at("score").to_vector();
  EXPECT_TRUE(testing::all_close(after, before, 1e-5, 1e-5));
}

TEST(ParticleNet, GradientsMatchCentralDifferences) {
  // One block: its graph comes from the coordinates (data), so no step of
  // the check can change which particles are neighbours.
  Context ctx(Device::cpu(), 4);
  auto model = make_model(ctx, Json::parse(kSmall), "pn.json");
  // A step of 3e-4: the edge MLPs' many ReLUs leave little room between
  // kinks, and a step of 1e-3 crosses one for some directions.
  testing::expect_model_gradients_match(*model, inputs_of(ctx, 2, 6, two_jets_mask()), "score", "features", 50, 3e-3,
                                        3e-4f);
}

TEST(ParticleNet, ConfigsRoundTripAndBadOnesAreRefusedByName) {
  Context ctx(Device::cpu(), 5);
  auto model = make_model(ctx, Json::parse(kTwoBlocks), "pn.json");
  EXPECT_EQ(make_model(ctx, model->config(), "again.json")->config(), model->config());
  const auto message = [&](const char* key, const Json& value) {
    Json config = Json::parse(kSmall);
    config[key] = value;
    return testing::error_message_of([&] { make_model(ctx, config, "pn.json"); });
  };
  EXPECT_NE(message("k", 0).find("pn.json: 'k'"), std::string::npos);
  EXPECT_NE(message("k", 65).find("pn.json: 'k'"), std::string::npos);
  EXPECT_NE(message("blocks", Json::array()).find("at least one EdgeConv block"), std::string::npos);
  EXPECT_NE(message("blocks", Json::parse("[[8, 0]]")).find("0 channels"), std::string::npos);
  EXPECT_NE(message("blocks", Json::parse("[8]")).find("a list of lists of integers"), std::string::npos);
  EXPECT_NE(message("dropout", 1.5).find("'dropout' must be in [0, 1)"), std::string::npos);
  EXPECT_NE(message("features", 4).find("'features' is 4"), std::string::npos);
  EXPECT_NE(message("neighbours", 4).find("neighbours"), std::string::npos);
}

template <typename DeviceT>
class ParticleNetDevice : public testing::DeviceTest<DeviceT> {};
TYPED_TEST_SUITE(ParticleNetDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(ParticleNetDevice, ForwardAndBackwardMatchTheCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 6), dev(device, 6), rng(Device::cpu(), 7);
  const Json config = Json::parse(R"({"type": "particlenet", "k": 5, "blocks": [[16, 16], [24]], "fc": [8], "dropout": 0})");
  auto ref = make_model(cpu, config, "pn.json");
  auto got = make_model(dev, config, "pn.json");
  const int64_t n = 23, m = 17;
  std::vector<uint8_t> mask(static_cast<size_t>(n * m));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) mask[static_cast<size_t>(i * m + j)] = j < 2 + i % (m - 1) ? 1 : 0;
  const TensorMap in = inputs_of(rng, n, m, Tensor::from_vector(mask, {n, m}));
  testing::expect_model_matches_cpu(*ref, cpu, *got, dev, in, "score", "features", random_tensor(rng, {n, 1}), 1e-4,
                                    1e-3);
}

}  // namespace
}  // namespace jetimg
