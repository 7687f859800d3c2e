// Jet-image throughput, side by side in one run:
//   - jetimg on the CPU, 1 thread and all threads, fused path, for the top
//     (40×40) and W (25×25, constituent- and image-space) conventions;
//   - jetimg on the GPU (when there is one) from constituents already on the
//     device, batch sizes 1k..1M, and from host memory including the copies;
//   - numpy (bench/reference/numpy_images.py) on the same jets, same
//     convention, and the largest pixel difference between the two.
//
// usage: bench_images [--jets N] [--python PATH] [--quick]
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/preprocess.h"
#include "io/jet_batch.h"
#include "physics/generator.h"

using namespace jetimg;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Leading jets of built-in events, as a padded batch on the CPU.
JetBatch make_jets(Process process, int64_t count, ConstituentSet set) {
  JetConfig jets;
  jets.pt_min = process == Process::Top ? 550 : 250;
  jets.pt_max = process == Process::Top ? 650 : 300;
  std::vector<Jet> kept;
  for (uint64_t first = 0; static_cast<int64_t>(kept.size()) < count; first += 20000)
    for (auto& jet : leading_jets(generate_events(GeneratorConfig::defaults(process), 7, first, 20000), jets))
      if (jet && static_cast<int64_t>(kept.size()) < count) kept.push_back(std::move(*jet));
  return batch_from_jets(kept, set, 64, 4);
}

// `batch` repeated row by row up to `size` jets (for GPU batches larger than the sample).
JetBatch tile(const JetBatch& batch, int64_t size) {
  if (size <= batch.size()) return batch.slice(0, size);
  const auto grow = [&](const Tensor& t) {
    std::vector<int64_t> dims{size};
    for (int d = 1; d < t.ndim(); ++d) dims.push_back(t.dim(d));
    Tensor out = Tensor::empty(Shape(dims));
    for (int64_t first = 0; first < size; first += batch.size()) {
      const int64_t count = std::min(batch.size(), size - first);
      Tensor rows = out.slice(first, first + count);
      rows.copy_from(t.slice(0, count));
    }
    return out;
  };
  return {grow(batch.constituents), grow(batch.n_constituents), grow(batch.subjets), grow(batch.n_subjets),
          grow(batch.jets)};
}

// Best-of-`repeats` jets/s of the preprocessing alone.
double rate(const JetBatch& batch, const PreprocessConfig& config, Device device, int repeats, Tensor* keep = nullptr) {
  Context ctx(device, 1);
  Tensor images = Tensor::empty({batch.size(), config.channels(), config.pixels.height, config.pixels.width}, device);
  double best = 1e30;
  for (int r = 0; r < repeats + 1; ++r) {  // the first is a warm-up
    ctx.synchronize();
    const double start = now();
    preprocess(ctx, batch, config, images);
    ctx.synchronize();
    if (r > 0) best = std::min(best, now() - start);
  }
  if (keep) *keep = images;
  return batch.size() / best;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 100000;
  std::string python = std::string(JETIMG_SOURCE_DIR) + "/.venv/bin/python";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--jets" && i + 1 < argc) n = std::atoll(argv[++i]);
    else if (a == "--python" && i + 1 < argc) python = argv[++i];
    else if (a == "--quick") quick = true;
    else {
      std::fprintf(stderr, "usage: bench_images [--jets N] [--python PATH] [--quick]\n");
      return 2;
    }
  }
  if (std::system(("test -x " + python).c_str()) != 0) python = "python3";
  const int threads = omp_get_max_threads();
  std::printf("jet-image benchmark: %lld built-in jets per sample, %d CPU threads\n\n", static_cast<long long>(n), threads);

  const JetBatch top = make_jets(Process::Top, n, ConstituentSet::All);
  const JetBatch w = make_jets(Process::W, n, ConstituentSet::Trimmed);
  double mean_constituents = 0;
  for (int64_t j = 0; j < n; ++j) mean_constituents += top.n_constituents.data()[j] / n;

  struct Case {
    const char* name;
    const JetBatch* batch;
    PreprocessConfig config;
  };
  PreprocessConfig w_constituents = PreprocessConfig::w_tagging();
  w_constituents.rotation_space = RotationSpace::Constituents;
  const Case cases[] = {{"top 40x40", &top, PreprocessConfig::top_tagging()},
                        {"W 25x25, constituent space", &w, w_constituents},
                        {"W 25x25, image space", &w, PreprocessConfig::w_tagging()}};

  std::printf("%-30s %16s %16s %10s\n", "jetimg CPU (fused path)", "1 thread jets/s", "all jets/s", "speed-up");
  Tensor top_images;
  double top_one_thread = 0;
  for (const Case& c : cases) {
    omp_set_num_threads(1);
    const double one = rate(*c.batch, c.config, Device::cpu(), quick ? 1 : 3);
    omp_set_num_threads(threads);
    const double all = rate(*c.batch, c.config, Device::cpu(), quick ? 1 : 3, c.batch == &top ? &top_images : nullptr);
    if (c.batch == &top) top_one_thread = one;
    std::printf("%-30s %16.0f %16.0f %9.1fx\n", c.name, one, all, all / one);
  }

  // numpy on the same top jets.
  const std::string dir = "/tmp/jetimg_bench_" + std::to_string(::getpid());
  std::system(("mkdir -p " + dir).c_str());
  {
    std::ofstream out(dir + "/constituents.f32", std::ios::binary);
    out.write(reinterpret_cast<const char*>(top.constituents.data()), top.constituents.numel() * sizeof(float));
  }
  // One thread for numpy's BLAS too, so that the comparison is per core.
  const std::string command = "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 " + python + " " +
                              JETIMG_SOURCE_DIR + "/bench/reference/numpy_images.py " + dir +
                              "/constituents.f32 " + std::to_string(n) + " 64 " + dir + "/numpy.f32 " +
                              (quick ? "1" : "3") + " 2>&1";
  double numpy_rate = 0;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, pipe)) {
      if (std::sscanf(line, "numpy jets/s %lf", &numpy_rate) != 1) std::fputs(line, stdout);
    }
    ::pclose(pipe);
  }
  if (numpy_rate > 0) {
    std::vector<float> reference(static_cast<size_t>(n) * 1600);
    std::ifstream in(dir + "/numpy.f32", std::ios::binary);
    in.read(reinterpret_cast<char*>(reference.data()), reference.size() * sizeof(float));
    const std::vector<float> mine = top_images.to_vector();
    double max_diff = 0;
    int64_t differing_jets = 0, worst = 0;
    for (int64_t j = 0; j < n; ++j) {
      double jet_diff = 0;
      for (int64_t i = 0; i < 1600; ++i)
        jet_diff = std::max<double>(jet_diff, std::abs(mine[j * 1600 + i] - reference[j * 1600 + i]));
      differing_jets += jet_diff > 1e-5;
      if (jet_diff > max_diff) max_diff = jet_diff, worst = j;
    }
    std::printf("\n%-30s %16.0f   (same jets, same top convention; jetimg 1 thread is %.1fx numpy)\n", "numpy (vectorised, 1 thread)",
                numpy_rate, top_one_thread / numpy_rate);
    std::printf("%-30s %16lld of %lld jets differ by more than 1e-5 in a pixel (largest difference %.2g, jet %lld "
                "with %.0f constituents)\n",
                "agreement with numpy", static_cast<long long>(differing_jets), static_cast<long long>(n), max_diff,
                static_cast<long long>(worst), top.n_constituents.data()[worst]);
  } else {
    std::printf("\nnumpy reference: not run (no python with numpy at %s; ./run sets up .venv)\n", python.c_str());
  }
  std::system(("rm -rf " + dir).c_str());

  std::string reason;
  if (cuda_device_count(&reason) == 0) {
    std::printf("\nGPU: not measured (%s)\n", reason.c_str());
    return 0;
  }
  const Device gpu = Device::cuda(0);
  // The bus limit: pinned copies of 256 MB each way.
  double h2d = 0, d2h = 0;
  {
    Tensor pinned = Tensor::empty_pinned({64 << 20});
    Tensor on_gpu = Tensor::empty({64 << 20}, gpu);
    for (int r = 0; r < 3; ++r) {
      double start = now();
      on_gpu.copy_from(pinned);
      h2d = std::max(h2d, pinned.numel() * 4.0 / (now() - start));
      start = now();
      pinned.copy_from(on_gpu);
      d2h = std::max(d2h, pinned.numel() * 4.0 / (now() - start));
    }
  }
  std::printf("\nGPU %s: pinned copies %.1f GB/s to the device, %.1f GB/s back\n", gpu.str().c_str(), h2d / 1e9, d2h / 1e9);
  std::printf("%-12s %10s %22s %22s %22s\n", "GPU batch", "image", "on-device jets/s", "from host jets/s",
              "bus limit jets/s");
  for (const Case& c : {cases[0], cases[1]}) {
    for (int64_t size : {int64_t(1000), int64_t(10000), int64_t(100000), int64_t(1000000)}) {
      const JetBatch host = tile(*c.batch, size);
      const JetBatch device_batch = host.to(gpu);
      const double on_device = rate(device_batch, c.config, gpu, quick ? 2 : 5);
      // From host memory: pinned buffers, copies in and out overlapping the
      // kernels on two streams (chunks of 100k jets), all timed.
      const JetBatch pinned_batch = host.to_pinned();
      Tensor host_images = Tensor::empty_pinned({size, 1, c.config.pixels.height, c.config.pixels.width});
      Context ctx(gpu, 1);
      double best = 1e30;
      for (int r = 0; r < (quick ? 2 : 4); ++r) {
        const double start = now();
        preprocess_from_host(ctx, pinned_batch, c.config, host_images, 100000);
        if (r > 0) best = std::min(best, now() - start);
      }
      const double in_bytes = 64 * 4 * 4 + 4 * 3 * 4 + 3 * 4 * 4;  // padded constituents, subjets, counts, jet
      const double out_bytes = 4.0 * c.config.pixels.height * c.config.pixels.width;
      const double bus_limit = std::min(h2d / in_bytes, d2h / out_bytes);  // both directions overlap
      std::printf("%-12lld %10s %22.0f %22.0f %22.0f\n", static_cast<long long>(size),
                  c.config.pixels.height == 40 ? "40x40" : "25x25", on_device, size / best, bus_limit);
    }
  }
  std::printf("(from host: pinned memory, copies overlapped with kernels; mean %.1f constituents per top jet, padded to 64)\n",
              mean_constituents);
  return 0;
}
