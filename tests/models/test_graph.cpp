// The model layer: Graph (a DAG of layers with concatenation, addition and
// skip connections) against the same computation written out by hand with
// its own layers, a finite-difference check of its gradients through a
// skip connection, its config round trip, errors that name the node; and the
// Model interface of Sequential and of the GAN networks (names, shapes,
// parameter lists from ModelParts).
#include <gtest/gtest.h>

#include "core/conv_ops.h"
#include "core/ops.h"
#include "models/calogan.h"
#include "models/graph.h"
#include "models/lagan.h"
#include "models/model.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// Two inputs; a dense branch concatenated with the second input; a skip
// connection adds a dense map of the first input to the head's input.
const char* kGraph = R"({"type": "graph",
  "inputs": {"a": [4], "b": [3]},
  "nodes": [
    {"name": "d1", "inputs": ["a"], "layer": {"type": "dense", "units": 5, "activation": "tanh"}},
    {"name": "cat", "inputs": ["d1", "b"], "merge": "concatenate"},
    {"name": "d2", "inputs": ["cat"], "layer": {"type": "dense", "units": 6, "activation": "tanh"}},
    {"name": "skip", "inputs": ["a"], "layer": {"type": "dense", "units": 6}},
    {"name": "sum", "inputs": ["d2", "skip"], "merge": "add"},
    {"name": "head", "inputs": ["sum"], "layer": {"type": "dense", "units": 2}}],
  "outputs": {"score": "head", "hidden": "d1"}})";

Tensor random_tensor(Context& ctx, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  random_normal(ctx, t, 0.0f, 1.0f);
  return t;
}

Tensor& param(Model& m, const std::string& name) {
  for (const NamedTensor& p : m.parameters())
    if (p.name == name) return *p.tensor;
  ADD_FAILURE() << "no parameter " << name;
  static Tensor none;
  return none;
}

TEST(Graph, ForwardIsTheComputationWrittenOut) {
  Context ctx(Device::cpu(), 7);
  Graph g(ctx, Json::parse(kGraph), "g.json");
  EXPECT_EQ(g.inputs().size(), 2u);
  EXPECT_EQ(g.output("score").shape, SampleShape{2});
  EXPECT_EQ(g.output("hidden").shape, SampleShape{5});
  // Parameters named by node, in node order.
  std::vector<std::string> names;
  for (const NamedTensor& p : g.parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"d1.weight", "d1.bias", "d2.weight", "d2.bias", "skip.weight",
                                             "skip.bias", "head.weight", "head.bias"}));
  for (const NamedTensor& p : g.parameters()) random_normal(ctx, *p.tensor, 0.0f, 0.5f);

  const Tensor a = random_tensor(ctx, {3, 4}), b = random_tensor(ctx, {3, 3});
  const TensorMap out = g.forward(ctx, {{"a", a}, {"b", b}});

  // By hand: h1 = tanh(a W1 + b1); c = [h1, b]; h2 = tanh(c W2 + b2);
  // s = a Ws + bs; y = (h2 + s) Wh + bh.
  const auto dense = [](const std::vector<float>& x, int64_t n, int64_t in, const Tensor& w, const Tensor& bias,
                        bool tanh_act) {
    const std::vector<float> wv = w.to_vector(), bv = bias.to_vector();
    const int64_t out = static_cast<int64_t>(bv.size());
    std::vector<double> y(static_cast<size_t>(n * out));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t o = 0; o < out; ++o) {
        double acc = bv[static_cast<size_t>(o)];
        for (int64_t k = 0; k < in; ++k) acc += double(x[size_t(i * in + k)]) * wv[size_t(k * out + o)];
        y[size_t(i * out + o)] = tanh_act ? std::tanh(acc) : acc;
      }
    return std::vector<float>(y.begin(), y.end());
  };
  const std::vector<float> h1 = dense(a.to_vector(), 3, 4, param(g, "d1.weight"), param(g, "d1.bias"), true);
  std::vector<float> c;
  const std::vector<float> bv = b.to_vector();
  for (int i = 0; i < 3; ++i) {
    c.insert(c.end(), h1.begin() + i * 5, h1.begin() + (i + 1) * 5);
    c.insert(c.end(), bv.begin() + i * 3, bv.begin() + (i + 1) * 3);
  }
  const std::vector<float> h2 = dense(c, 3, 8, param(g, "d2.weight"), param(g, "d2.bias"), true);
  const std::vector<float> s = dense(a.to_vector(), 3, 4, param(g, "skip.weight"), param(g, "skip.bias"), false);
  std::vector<float> sum(h2.size());
  for (size_t i = 0; i < sum.size(); ++i) sum[i] = h2[i] + s[i];
  const std::vector<float> y = dense(sum, 3, 6, param(g, "head.weight"), param(g, "head.bias"), false);
  EXPECT_TRUE(testing::all_close(out.at("score").to_vector(), y, 1e-5, 1e-5));
  EXPECT_TRUE(testing::all_close(out.at("hidden").to_vector(), h1, 1e-6, 1e-6));
}

// The graph as one scalar function of its parameters and both inputs:
// central differences against backward, through the concatenation, the
// skip connection (input a feeds two nodes) and both outputs.
TEST(Graph, GradientsThroughSkipConnectionsAndMerges) {
  Context ctx(Device::cpu(), 11);
  Graph g(ctx, Json::parse(kGraph), "g.json");
  Tensor a = random_tensor(ctx, {4, 4}), b = random_tensor(ctx, {4, 3});
  const TensorMap out = g.forward(ctx, {{"a", a}, {"b", b}});
  const Tensor r_score = random_tensor(ctx, out.at("score").shape()), r_hidden = random_tensor(ctx, out.at("hidden").shape());
  const TensorMap din = g.backward(ctx, {{"score", r_score}, {"hidden", r_hidden}});
  const Tensor da = din.at("a").clone(), db = din.at("b").clone();
  std::vector<Tensor> grads;
  for (const NamedTensor& t : g.gradients()) grads.push_back(t.tensor->clone());
  const auto loss = [&] {
    const TensorMap o = g.forward(ctx, {{"a", a}, {"b", b}});
    return testing::project(o.at("score"), r_score) + testing::project(o.at("hidden"), r_hidden);
  };
  std::vector<std::pair<std::string, testing::GradCheck>> checks;
  checks.emplace_back("a", testing::directional_check(loss, a, da, 21));
  checks.emplace_back("b", testing::directional_check(loss, b, db, 22));
  const std::vector<NamedTensor> params = g.parameters();
  for (size_t i = 0; i < params.size(); ++i)
    checks.emplace_back(params[i].name, testing::directional_check(loss, *params[i].tensor, grads[i], 30 + i));
  testing::expect_network_gradients_match(checks, 2e-3);
}

TEST(Graph, ImagesConcatenateAlongChannelsAndConfigRoundTrips) {
  Context ctx(Device::cpu(), 3);
  const Json config = Json::parse(R"({"type": "graph", "inputs": {"images": [1, 6, 6]},
    "nodes": [{"name": "c1", "inputs": ["images"], "layer": {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same"}},
              {"name": "both", "inputs": ["images", "c1"], "merge": "concatenate"},
              {"name": "flat", "inputs": ["both"], "layer": {"type": "flatten"}},
              {"name": "out", "inputs": ["flat"], "layer": {"type": "dense", "units": 1}}],
    "outputs": {"score": "out"}})");
  std::unique_ptr<Model> g = make_model(ctx, config, "img.json");
  EXPECT_EQ(g->type(), "graph");
  const Json written = g->config();
  EXPECT_EQ(written["nodes"][0]["layer"]["padding"], "same");
  EXPECT_EQ(written["nodes"][3]["layer"]["activation"], "linear");  // defaults written back
  std::unique_ptr<Model> again = make_model(ctx, written, "again.json");
  EXPECT_EQ(again->config(), written);
  const Tensor x = random_tensor(ctx, {2, 1, 6, 6});
  // The first image channel of "both" is the input itself.
  Graph& graph = dynamic_cast<Graph&>(*g);
  graph.forward(ctx, {{"images", x}});
  EXPECT_EQ(graph.output("score").shape, SampleShape{1});
  EXPECT_EQ(parameter_count(*g), 2 * 9 + 2 + 3 * 36 + 1);
}

TEST(Graph, BadGraphsNameTheNode) {
  Context ctx(Device::cpu(), 3);
  const auto error = [&](const std::string& text) {
    return testing::error_message_of([&] { Graph(ctx, Json::parse(text), "g.json"); });
  };
  const std::string head = R"({"type": "graph", "inputs": {"a": [4], "b": [3, 2]}, "nodes": [)";
  EXPECT_NE(error(head + R"({"name": "x", "inputs": ["c"], "layer": {"type": "relu"}}], "outputs": {"y": "x"}})")
                .find("g.json: 'nodes[0].inputs' names 'c', which is neither a graph input nor an earlier node"),
            std::string::npos);
  EXPECT_NE(error(head + R"({"name": "x", "inputs": ["a", "b"], "merge": "add"}], "outputs": {"y": "x"}})")
                .find("g.json: 'nodes[0]' cannot add (4) and (3, 2) (the shapes must be equal)"),
            std::string::npos);
  EXPECT_NE(error(head + R"({"name": "x", "inputs": ["a"], "layer": {"type": "dense", "units": 0}}], "outputs": {"y": "x"}})")
                .find("g.json: 'nodes[0].layer.units' must be in [1, 65536]"),
            std::string::npos);
  EXPECT_NE(error(head + R"({"name": "x", "inputs": ["a"], "layer": {"type": "relu"}}], "outputs": {"y": "z"}})")
                .find("g.json: 'outputs.y' names 'z', which is not a node"),
            std::string::npos);
  EXPECT_NE(error(head + R"({"name": "a", "inputs": ["a"], "layer": {"type": "relu"}}], "outputs": {"y": "a"}})")
                .find("'a' is used twice"),
            std::string::npos);
  EXPECT_NE(testing::error_message_of([&] { make_model(ctx, Json::parse(R"({"type": "trees"})"), "m.json"); })
                .find("m.json: 'type' is 'trees', not a model type (known: sequential, graph, calogan_generator"),
            std::string::npos);
}

TEST(Models, SequentialAndGanNetworksAreModels) {
  Context ctx(Device::cpu(), 5);
  std::unique_ptr<Model> net = make_model(
      ctx, Json::parse(R"({"input_shape": [3], "layers": [{"type": "dense", "units": 2}]})"), "net.json");
  EXPECT_EQ(net->type(), "sequential");
  EXPECT_EQ(net->config()["type"], "sequential");
  EXPECT_EQ(net->input("x").shape, SampleShape{3});
  const TensorMap y = net->forward(ctx, {{"x", random_tensor(ctx, {4, 3})}});
  EXPECT_EQ(y.at("y").shape(), (Shape{4, 2}));

  CaloGanConfig calo;
  calo.latent = 4, calo.dense_channels = 2, calo.gen_conv_filters = 2, calo.gen_lc_filters = 2;
  calo.disc_conv_filters = 2, calo.disc_lc_filters = {2, 2, 2}, calo.mbd_features = 2, calo.mbd_dims = 2;
  CaloGanGenerator gen(ctx, calo);
  CaloGanDiscriminator disc(ctx, calo);
  EXPECT_EQ(gen.outputs().size(), 3u);
  EXPECT_EQ(gen.output("layer_0").shape, (SampleShape{1, 3, 96}));
  EXPECT_EQ(disc.input("layer_2").shape, (SampleShape{1, 12, 6}));
  // Parameter names are the checkpoint names of today's files.
  EXPECT_EQ(gen.parameters().front().name, "stream0.0.weight");
  EXPECT_EQ(disc.parameters().back().name, "head.0.bias");
  // The config rebuilds the same model.
  std::unique_ptr<Model> again = make_model(ctx, gen.config(), "gen");
  EXPECT_EQ(again->config(), gen.config());
  EXPECT_EQ(parameter_count(*again), parameter_count(gen));
  // Through the Model interface: generated layers feed the discriminator.
  TensorMap in = {{"z", random_tensor(ctx, {2, 4})}, {"energy", Tensor::from_vector({10.0f, 20.0f}, {2, 1})}};
  TensorMap showers = gen.forward(ctx, in);
  showers["energy"] = in["energy"];
  const TensorMap verdict = disc.forward(ctx, showers);
  EXPECT_EQ(verdict.at("logit").shape(), (Shape{2, 1}));
  const TensorMap dimages = disc.backward(ctx, {{"logit", Tensor::from_vector({1.0f, -1.0f}, {2, 1})}});
  EXPECT_EQ(dimages.at("layer_1").shape(), (Shape{2, 1, 12, 12}));

  LaganConfig lc;
  lc.latent = 6, lc.dense_channels = 2, lc.conv_filters = 2, lc.lc_filters = 2, lc.disc_conv_filters = 2;
  lc.disc_lc_filters = 2, lc.mbd_features = 2, lc.mbd_dims = 2;
  LaganGenerator lg(ctx, lc);
  EXPECT_EQ(lg.parameters().front().name, "embedding");
  EXPECT_EQ(lg.inputs()[1].name, "class");
}

}  // namespace
}  // namespace jetimg
