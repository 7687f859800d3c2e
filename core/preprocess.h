// Jet-image preprocessing ops: constituents in, finished images out.
//
// Inputs are a batch of jets as padded tensors on one device:
//   constituents  (N, M, 4)  pT, η, φ, E per constituent (zero-padded)
//   n_constituents (N)       how many of the M are real (as float)
//   subjets       (N, S, 3)  pT, η, φ per subjet, pT-ordered (zero-padded)
//   n_subjets     (N)
//   jets          (N, 4)     jet pT, η, φ, mass (the zoom uses the pT; the
//                            centroid is measured in φ relative to the jet)
//   charged       (N, M)     1 for a charged constituent, 0 for a neutral one;
//                            needed only by the charged and neutral channels
//
// Each jet gets a frame (core/preprocess_math.h): a centre, a rotation, flips
// and a zoom, mapping (η, φ) to image-plane coordinates (x, y). Images are
// (N, C, H, W) with row 0 at the top (largest y) and column 0 at the left
// (smallest x); pixel (row, col) covers x in [(col - W/2)·Δη, ...) and
// y in ((H/2 - row - 1)·Δφ, (H/2 - row)·Δφ]: an odd-sized image has the origin
// at the centre of its middle pixel, an even-sized one at the corner between
// the four middle pixels.
//
// `preprocess` is the fused path (one kernel per batch on CUDA: frames,
// pixelation and normalisation); the single steps below it compute the same
// thing piece by piece and exist for tests and for the image-space variant
// (rotation and zoom by interpolation of the pixelated image, as the W-tagging
// study did).
#pragma once

#include <string>
#include <vector>

#include "core/context.h"
#include "core/preprocess_math.h"
#include "core/tensor.h"

namespace jetimg {

struct JetBatch {
  Tensor constituents;    // (N, M, 4): pT, η, φ, E
  Tensor n_constituents;  // (N)
  Tensor subjets;         // (N, S, 3): pT, η, φ
  Tensor n_subjets;       // (N)
  Tensor jets;            // (N, 4): pT, η, φ, mass
  Tensor charged;         // (N, M): 1 charged, 0 neutral; undefined unless a channel needs it

  int64_t size() const { return constituents.defined() ? constituents.dim(0) : 0; }
  JetBatch to(Device device) const;
  JetBatch to_pinned() const;  // page-locked host copies, for preprocess_from_host
  JetBatch slice(int64_t begin, int64_t end) const;
};

enum class RotationSpace { Constituents, Image };

struct PreprocessConfig {
  FrameSettings frame;      // centre, rotation, flip, zoom rules
  PixelSettings pixels;     // grid, threshold, intensity, channels
  Normalisation normalisation = Normalisation::Sum;
  RotationSpace rotation_space = RotationSpace::Constituents;
  // Image-space path: the canvas the translated jet is pixelated onto before
  // it is rotated and zoomed by bilinear interpolation (pixels of the same size).
  int canvas_size = 0;      // 0: twice the larger image side

  // The two conventions physicists use.
  static PreprocessConfig w_tagging();   // deepjets: 25×25, 0.1×0.1, subjet frame, zoom
  static PreprocessConfig top_tagging(); // 40×40, centroid, principal axis, unit sum
  int channels() const { return pixels.channels; }
  void validate() const;
};

// Images of a batch in one pass. images: (N, C, H, W) on the batch's device.
void preprocess(Context& ctx, const JetBatch& batch, const PreprocessConfig& config, Tensor& images);

// Host memory in, host memory out, through the context's device. On CUDA the
// batch is cut into chunks whose copy in, kernel and copy out overlap on two
// streams; pin `host_batch` and `host_images` (Tensor::empty_pinned) so the
// copies run asynchronously. Constituent-space rotation only. On the CPU it
// is `preprocess`.
void preprocess_from_host(Context& ctx, const JetBatch& host_batch, const PreprocessConfig& config,
                          Tensor& host_images, int64_t chunk);

// --- single steps -------------------------------------------------------------
// frames: (N, kFrameFloats), one JetFrame per jet.
void compute_frames(Context& ctx, const JetBatch& batch, const FrameSettings& settings,
                    const PixelSettings& pixels, Tensor& frames);
// Sums each constituent's intensity into its pixel in the jet's frame (with
// `translation_only`, only the frame's centre is applied).
void pixelate(Context& ctx, const JetBatch& batch, const Tensor& frames, const PixelSettings& pixels,
              Tensor& images, bool translation_only = false);
// Scales each (jet, channel) image to unit sum or unit L2 norm (all-zero images stay zero).
void normalise_images(Context& ctx, Tensor& images, Normalisation normalisation);
// Image space: out(x, y) = in(frame⁻¹(x, y)) by bilinear interpolation, where
// `in` was pixelated with only the frame's translation (same pixel size).
void resample_images(Context& ctx, const Tensor& in, const Tensor& frames, const PixelSettings& out_pixels,
                     Tensor& out);

namespace host {
void compute_frames(Context&, const JetBatch&, const FrameSettings&, const PixelSettings&, Tensor&);
void pixelate(Context&, const JetBatch&, const Tensor&, const PixelSettings&, Tensor&, bool translation_only);
void normalise_images(Context&, Tensor&, Normalisation);
void resample_images(Context&, const Tensor&, const Tensor&, const PixelSettings&, Tensor&);
void preprocess_fused(Context&, const JetBatch&, const PreprocessConfig&, Tensor&);
void preprocess_from_host(Context&, const JetBatch&, const PreprocessConfig&, Tensor&, int64_t chunk);
}  // namespace host
namespace cuda {
void compute_frames(Context&, const JetBatch&, const FrameSettings&, const PixelSettings&, Tensor&);
void pixelate(Context&, const JetBatch&, const Tensor&, const PixelSettings&, Tensor&, bool translation_only);
void normalise_images(Context&, Tensor&, Normalisation);
void resample_images(Context&, const Tensor&, const Tensor&, const PixelSettings&, Tensor&);
void preprocess_fused(Context&, const JetBatch&, const PreprocessConfig&, Tensor&);
void preprocess_from_host(Context&, const JetBatch&, const PreprocessConfig&, Tensor&, int64_t chunk);
}  // namespace cuda

}  // namespace jetimg
