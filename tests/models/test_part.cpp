// ParT: central differences for every parameter and the features; padding
// and particle order do not matter; CUDA against the CPU; configs round-trip
// and bad ones are refused by name.
#include <algorithm>

#include "core/ops.h"
#include "core/particle_ops.h"
#include "io/data_files.h"
#include "models/model.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

const char* kTiny = R"({"type": "part", "features": 7, "embed": [8], "pair_embed": [4], "heads": 2, "blocks": 1,
                        "class_blocks": 1, "ffn_ratio": 2})";

struct Cloud {
  Tensor features, pairs, mask;
  TensorMap map() const { return {{"features", features}, {"pairs", pairs}, {"mask", mask}}; }
};

// N jets of M particles, jet i with `real[i]` real ones; padding is zero.
Cloud random_cloud(uint64_t seed, int64_t n, int64_t m, const std::vector<int64_t>& real) {
  Context rng(Device::cpu(), seed);
  Cloud c;
  c.features = Tensor::empty({n, m, 7});
  c.pairs = Tensor::empty({n, m, m, 4});
  random_normal(rng, c.features, 0.0f, 1.0f);
  random_normal(rng, c.pairs, 0.0f, 1.0f);
  std::vector<uint8_t> mask(static_cast<size_t>(n * m));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      const bool on = j < real[static_cast<size_t>(i)];
      mask[static_cast<size_t>(i * m + j)] = on;
      if (!on)
        for (int64_t k = 0; k < 7; ++k) c.features.data()[(i * m + j) * 7 + k] = 0.0f;
      for (int64_t l = 0; l < m; ++l)
        if (!on || l >= real[static_cast<size_t>(i)] || l == j)
          for (int64_t k = 0; k < 4; ++k) c.pairs.data()[((i * m + j) * m + l) * 4 + k] = 0.0f;
    }
  c.mask = Tensor::from_vector(mask, {n, m});
  return c;
}

TEST(ParticleTransformer, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 2);
  auto model = make_model(ctx, Json::parse(kTiny), "part.json");
  // The class token starts tiny (std 0.02, as ParT's); a step of the check
  // would then be as large as the token itself, where the layer norm after it
  // is far from linear. Checked at a token of unit scale.
  for (const NamedTensor& p : model->parameters())
    if (p.name == "cls_token") random_normal(ctx, *p.tensor, 0.0f, 1.0f);
  EXPECT_GT(model->parameters().size(), 30u);  // the embedding, pair embedding, both blocks, class token and head
  testing::expect_model_gradients_match(*model, random_cloud(3, 2, 4, {4, 2}).map(), "score", "features", 4, 3e-3);
}

TEST(ParticleTransformer, PaddingAndParticleOrderDoNotMatter) {
  Context ctx(Device::cpu(), 6);
  auto model = make_model(ctx, Json::parse(kTiny), "part.json");
  const Cloud c = random_cloud(7, 2, 5, {5, 3});
  const std::vector<float> before = model->forward(ctx, c.map()).at("score").to_vector();
  // Jet 1's three particles in reverse order (with their pairs), garbage in its padding.
  Cloud p{c.features.clone(), c.pairs.clone(), c.mask};
  const int64_t m = 5;
  const auto perm = [](int64_t j) { return j < 3 ? 2 - j : j; };
  for (int64_t j = 0; j < m; ++j) {
    for (int64_t k = 0; k < 7; ++k)
      p.features.data()[(m + j) * 7 + k] = j < 3 ? c.features.data()[(m + perm(j)) * 7 + k] : 77.0f;
    for (int64_t l = 0; l < m; ++l)
      for (int64_t k = 0; k < 4; ++k)
        p.pairs.data()[((m + j) * m + l) * 4 + k] =
            j < 3 && l < 3 ? c.pairs.data()[((m + perm(j)) * m + perm(l)) * 4 + k] : -33.0f;
  }
  const std::vector<float> after = model->forward(ctx, p.map()).at("score").to_vector();
  EXPECT_TRUE(testing::all_close(after, before, 1e-5, 1e-4));
}

TEST(ParticleTransformer, ConfigsRoundTripAndBadOnesAreRefusedByName) {
  Context ctx(Device::cpu(), 8);
  auto small = load_model_config(ctx, data_file("configs/nets/part_small.json"));
  EXPECT_EQ(make_model(ctx, small->config(), "again.json")->config(), small->config());
  auto full = load_model_config(ctx, data_file("configs/nets/part.json"));
  std::printf("ParT %lld parameters, ParT-small %lld\n", static_cast<long long>(parameter_count(*full)),
              static_cast<long long>(parameter_count(*small)));
  const auto message = [&](const char* key, const Json& value) {
    Json config = Json::parse(kTiny);
    config[key] = value;
    return testing::error_message_of([&] { make_model(ctx, config, "part.json"); });
  };
  EXPECT_NE(message("heads", 3).find("3 heads do not divide the embedding's 8 channels"), std::string::npos);
  EXPECT_NE(message("embed", Json::array()).find("'embed' must list at least one width"), std::string::npos);
  EXPECT_NE(message("class_blocks", 0).find("part.json: 'class_blocks'"), std::string::npos);
  EXPECT_NE(message("features", 9).find("'features' is 9"), std::string::npos);
  EXPECT_NE(message("dropout", 0.1).find("dropout"), std::string::npos);  // not a key of this model
}

template <typename DeviceT>
class ParticleTransformerDevice : public testing::DeviceTest<DeviceT> {};
TYPED_TEST_SUITE(ParticleTransformerDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(ParticleTransformerDevice, ForwardAndBackwardMatchTheCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 9), dev(device, 9);
  const Json config = Json::parse(R"({"type": "part", "embed": [16, 16], "pair_embed": [8], "heads": 4, "blocks": 2,
                                      "class_blocks": 1, "ffn_ratio": 2})");
  auto ref = make_model(cpu, config, "part.json");
  auto got = make_model(dev, config, "part.json");
  std::vector<int64_t> real;
  for (int64_t i = 0; i < 11; ++i) real.push_back(1 + (i * 5) % 9);
  Context rng(Device::cpu(), 11);
  Tensor dy = Tensor::empty({11, 1});
  random_normal(rng, dy, 0.0f, 1.0f);
  testing::expect_model_matches_cpu(*ref, cpu, *got, dev, random_cloud(10, 11, 9, real).map(), "score", "features", dy,
                                    1e-4, 1e-3);
}

}  // namespace
}  // namespace jetimg
