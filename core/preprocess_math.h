// Per-jet and per-constituent math of the image preprocessing, written once
// for host/preprocess.cpp and cuda/preprocess.cu. The jet-level routines are
// templates over how the work is shared: the CPU calls them with one lane
// (lane 0, stride 1, reductions that return their input); the GPU with the 32
// lanes of a warp and shuffle reductions. The arithmetic is the same; only
// the order of the (double) sums differs.
//
// Rotations are built from vectors with +, ×, / and sqrt only (no atan2,
// sin, cos), and the transform runs in double from a frame rounded once to
// float, so CPU and GPU put every constituent in the same pixel.
#pragma once

#include <cmath>

#include "core/hd.h"

namespace jetimg {

enum class Centre : int { LeadingSubjet = 0, Centroid = 1, JetAxis = 2 };
enum class Rotation : int { Subjet = 0, PrincipalAxis = 1, None = 2 };
enum class Flip : int { Subjet = 0, BrighterHalf = 1, Quadrant = 2, None = 3 };
enum class Intensity : int { Pt = 0, Et = 1 };
enum class Normalisation : int { Sum = 0, L2 = 1, None = 2 };
// What one image channel sums per pixel: the intensity of every visible
// constituent, their number, or the intensity of the charged or of the
// neutral ones only (these two need each constituent's charge).
enum class ChannelKind : int { Intensity = 0, Count = 1, Charged = 2, Neutral = 3 };
constexpr int kMaxChannels = 4;
// Largest image side, in pixels, that configs and files may ask for.
constexpr int kMaxImageSide = 1024;

struct FrameSettings {
  Centre centre = Centre::LeadingSubjet;
  Rotation rotation = Rotation::Subjet;  // Subjet: second subjet straight down
  Flip flip = Flip::Subjet;              // Subjet: third subjet on the right
  bool zoom = false;                     // scale coordinates by max(R·pT/(2·m), zoom_min)
  float zoom_R = 1.0f;
  float zoom_mass = 80.4f;
  float zoom_min = 1.0f;                 // 1: never shrink (the study); below 1 lets the zoom shrink
};

// The zoom factor of a jet of transverse momentum `pt` (1 without zoom).
JI_HD double zoom_factor(const FrameSettings& fs, double pt) {
  if (!fs.zoom) return 1.0;
  const double factor = fs.zoom_R * pt / (2.0 * fs.zoom_mass);
  return factor > fs.zoom_min ? factor : static_cast<double>(fs.zoom_min);
}

struct PixelSettings {
  int height = 25, width = 25;
  float pixel_eta = 0.1f, pixel_phi = 0.1f;  // pixel size in η and φ
  float threshold = 0.0f;                    // GeV: constituents below this intensity are ignored
  Intensity intensity = Intensity::Pt;
  int channels = 1;                          // how many of `kinds` make the image
  ChannelKind kinds[kMaxChannels] = {ChannelKind::Intensity, ChannelKind::Count, ChannelKind::Charged,
                                     ChannelKind::Neutral};
  JI_HD bool needs_charge() const {
    for (int c = 0; c < channels; ++c)
      if (kinds[c] == ChannelKind::Charged || kinds[c] == ChannelKind::Neutral) return true;
    return false;
  }
};

// What a constituent of intensity `v` adds to a channel of `kind` (0: nothing).
JI_HD float channel_value(ChannelKind kind, double v, bool charged) {
  switch (kind) {
    case ChannelKind::Intensity: return static_cast<float>(v);
    case ChannelKind::Count: return 1.0f;
    case ChannelKind::Charged: return charged ? static_cast<float>(v) : 0.0f;
    case ChannelKind::Neutral: return charged ? 0.0f : static_cast<float>(v);
  }
  return 0.0f;
}

constexpr int kFrameFloats = 8;

// Maps (η, φ) to the image plane: translate to (eta0, phi0) with φ wrapped,
// rotate by (cos_a, sin_a), flip each axis, zoom.
struct JetFrame {
  float eta0 = 0, phi0 = 0, cos_a = 1, sin_a = 0, flip_x = 1, flip_y = 1, zoom = 1, unused = 0;
};
static_assert(sizeof(JetFrame) == kFrameFloats * sizeof(float), "JetFrame is stored as kFrameFloats floats");

constexpr double kPiD = 3.14159265358979323846;

// φ difference wrapped into (-π, π].
JI_HD double wrap_phi(double dphi) {
  while (dphi > kPiD) dphi -= 2 * kPiD;
  while (dphi <= -kPiD) dphi += 2 * kPiD;
  return dphi;
}

// The intensity a constituent deposits: pT, or ET = E / cosh η.
JI_HD double constituent_intensity(float pt, float eta, float energy, Intensity intensity) {
  return intensity == Intensity::Pt ? static_cast<double>(pt) : static_cast<double>(energy) / cosh(static_cast<double>(eta));
}

// Calls visit(intensity, η, φ, index) for this lane's share of the
// constituents at or above the intensity threshold.
template <typename Visit>
JI_HD void for_each_visible(const float* constituents, int n, const PixelSettings& ps, int lane, int stride,
                            Visit visit) {
  for (int i = lane; i < n; i += stride) {
    const float* k = constituents + 4 * i;
    const double v = constituent_intensity(k[0], k[1], k[3], ps.intensity);
    if (v >= ps.threshold) visit(v, k[1], k[2], i);
  }
}

// Translation only (the frame's centre), in double.
JI_HD void translate(const JetFrame& f, float eta, float phi, double* dx, double* dy) {
  *dx = static_cast<double>(eta) - f.eta0;
  *dy = wrap_phi(static_cast<double>(phi) - f.phi0);
}

// The full map to the image plane.
JI_HD void to_plane(const JetFrame& f, float eta, float phi, double* x, double* y) {
  double dx, dy;
  translate(f, eta, phi, &dx, &dy);
  const double rx = static_cast<double>(f.cos_a) * dx - static_cast<double>(f.sin_a) * dy;
  const double ry = static_cast<double>(f.sin_a) * dx + static_cast<double>(f.cos_a) * dy;
  *x = rx * f.flip_x * f.zoom;
  *y = ry * f.flip_y * f.zoom;
}

// Pixel index row * width + col of plane point (x, y); -1 outside the image
// (and for a NaN coordinate, which no comparison admits).
JI_HD int pixel_of(const PixelSettings& p, double x, double y) {
  const double col = floor(x / p.pixel_eta + 0.5 * p.width);
  const double row = floor(0.5 * p.height - y / p.pixel_phi);
  if (!(col >= 0 && col < p.width && row >= 0 && row < p.height)) return -1;
  return static_cast<int>(row) * p.width + static_cast<int>(col);
}

// Rotation (cos, sin) taking vector (vx, vy) onto the negative y axis
// (`down`) or the positive one; the identity for a zero vector.
JI_HD void rotation_onto_y(double vx, double vy, bool down, double* c, double* s) {
  const double r = sqrt(vx * vx + vy * vy);
  if (!(r > 0)) {
    *c = 1, *s = 0;
    return;
  }
  const double sign = down ? -1.0 : 1.0;
  *c = sign * vy / r;
  *s = sign * vx / r;
}

// The major axis of the intensity ellipse with second moments sxx, syy, sxy.
JI_HD void principal_axis(double sxx, double syy, double sxy, double* vx, double* vy) {
  const double half_diff = 0.5 * (sxx - syy);
  const double lambda = 0.5 * (sxx + syy) + sqrt(half_diff * half_diff + sxy * sxy);
  // Two forms of the eigenvector; take the better conditioned one.
  const double ax = sxy, ay = lambda - sxx, bx = lambda - syy, by = sxy;
  if (ax * ax + ay * ay >= bx * bx + by * by) {
    *vx = ax, *vy = ay;
  } else {
    *vx = bx, *vy = by;
  }
  if (*vx == 0 && *vy == 0) *vx = 0, *vy = 1;  // isotropic: any axis; keep vertical
}

// The jet-level frame. `constituents` (n, 4) pT η φ E; `subjets` (n_subjets, 3)
// pT η φ; `jet` pT η φ m. Lanes [lane, lane + stride, ...) of the constituents
// are this caller's share; `reduce` returns the sum over all lanes.
template <typename Reduce>
JI_HD JetFrame compute_frame(const float* constituents, int n, const float* subjets, int n_subjets, const float* jet,
                             const FrameSettings& fs, const PixelSettings& ps, int lane, int stride, Reduce reduce) {
  JetFrame f;
  // 1. Centre.
  const double phi_ref = jet[2];
  double centre_eta = jet[1], centre_phi = jet[2];
  if (fs.centre == Centre::LeadingSubjet && n_subjets >= 1) {
    centre_eta = subjets[1];
    centre_phi = subjets[2];
  } else if (fs.centre != Centre::JetAxis) {  // centroid (also the fallback without subjets)
    double w = 0, w_eta = 0, w_dphi = 0;
    for_each_visible(constituents, n, ps, lane, stride, [&](double v, float eta, float phi, int) {
      w += v, w_eta += v * eta, w_dphi += v * wrap_phi(phi - phi_ref);
    });
    w = reduce(w), w_eta = reduce(w_eta), w_dphi = reduce(w_dphi);
    if (w > 0) centre_eta = w_eta / w, centre_phi = wrap_phi(phi_ref + w_dphi / w);
  }
  f.eta0 = static_cast<float>(centre_eta);
  f.phi0 = static_cast<float>(centre_phi);

  // 2. Rotation.
  // (Every branch depends on jet-level data only, so all lanes take it together.)
  double c = 1, s = 0;
  bool rotated = false;
  if (fs.rotation == Rotation::Subjet && n_subjets >= 2) {
    double dx, dy;
    translate(f, subjets[4], subjets[5], &dx, &dy);
    if (dx * dx + dy * dy > 0) {
      rotation_onto_y(dx, dy, true, &c, &s);
      rotated = true;
    }
  }
  if (!rotated && fs.rotation != Rotation::None) {
    double sxx = 0, syy = 0, sxy = 0;
    for_each_visible(constituents, n, ps, lane, stride, [&](double v, float eta, float phi, int) {
      double dx, dy;
      translate(f, eta, phi, &dx, &dy);
      sxx += v * dx * dx, syy += v * dy * dy, sxy += v * dx * dy;
    });
    sxx = reduce(sxx), syy = reduce(syy), sxy = reduce(sxy);
    double vx, vy;
    principal_axis(sxx, syy, sxy, &vx, &vy);
    // W convention (subjet fallback): the axis points down; top convention: vertical.
    rotation_onto_y(vx, vy, fs.rotation == Rotation::Subjet, &c, &s);
  }
  f.cos_a = static_cast<float>(c);
  f.sin_a = static_cast<float>(s);

  // 3. Flips, decided in the rotated (unflipped, unzoomed) plane.
  if (fs.flip == Flip::Subjet && n_subjets >= 3) {
    double x, y;
    to_plane(f, subjets[7], subjets[8], &x, &y);
    if (x < 0) f.flip_x = -1;
  } else if (fs.flip != Flip::None) {
    double left = 0, right = 0, below = 0, above = 0;
    for_each_visible(constituents, n, ps, lane, stride, [&](double v, float eta, float phi, int) {
      double x, y;
      to_plane(f, eta, phi, &x, &y);
      if (x < 0) left += v;
      if (x > 0) right += v;
      if (y < 0) below += v;
      if (y > 0) above += v;
    });
    left = reduce(left), right = reduce(right), below = reduce(below), above = reduce(above);
    if (left > right) f.flip_x = -1;
    if (fs.flip == Flip::Quadrant && below > above) f.flip_y = -1;
  }

  // 4. Zoom.
  f.zoom = static_cast<float>(zoom_factor(fs, static_cast<double>(jet[0])));
  return f;
}

// Adds this lane's share of a jet's constituents into its image through
// `add(pixel_index_in_image_of_channel, channel, value)`. `charged` (one flag
// per constituent, nonzero for charged) may be null when no channel needs it.
template <typename Add>
JI_HD void pixelate_jet(const float* constituents, const float* charged, int n, const JetFrame& f,
                        const PixelSettings& ps, int lane, int stride, Add add) {
  for_each_visible(constituents, n, ps, lane, stride, [&](double v, float eta, float phi, int i) {
    double x, y;
    to_plane(f, eta, phi, &x, &y);
    const int pixel = pixel_of(ps, x, y);
    if (pixel < 0) return;
    const bool is_charged = charged != nullptr && charged[i] != 0.0f;
    for (int c = 0; c < ps.channels; ++c) {
      const float value = channel_value(ps.kinds[c], v, is_charged);
      if (value != 0.0f) add(pixel, c, value);
    }
  });
}

// What one pixel value adds to the total a normalisation divides by.
JI_HD double normalisation_term(double value, Normalisation normalisation) {
  return normalisation == Normalisation::Sum ? value : value * value;
}

// The normalising factor from a channel's sum (Sum) or sum of squares (L2)
// of its pixels; 1 for an empty channel.
JI_HD float factor_of_total(double total, Normalisation normalisation) {
  if (normalisation == Normalisation::L2) total = sqrt(total);
  return total > 0 ? static_cast<float>(1.0 / total) : 1.0f;
}

// The factor that normalises one channel image of `pixels` values.
template <typename Reduce>
JI_HD float normalisation_factor(const float* image, int pixels, Normalisation normalisation, int lane, int stride,
                                 Reduce reduce) {
  if (normalisation == Normalisation::None) return 1.0f;
  double total = 0;
  for (int i = lane; i < pixels; i += stride)
    total += normalisation_term(static_cast<double>(image[i]), normalisation);
  return factor_of_total(reduce(total), normalisation);
}

// Image space: the value of output pixel (row, col) resampled from `in`
// (in_h × in_w, same pixel size, pixelated with translation only) through the
// inverse of the frame's rotation, flips and zoom, by bilinear interpolation.
// Divided by zoom² so that zooming keeps the total intensity.
JI_HD float resample_pixel(const float* in, int in_h, int in_w, const JetFrame& f, const PixelSettings& out, int row,
                           int col) {
  const double x = (col + 0.5 - 0.5 * out.width) * out.pixel_eta;
  const double y = (0.5 * out.height - row - 0.5) * out.pixel_phi;
  const double ux = x / f.zoom * f.flip_x, uy = y / f.zoom * f.flip_y;
  const double c = f.cos_a, s = f.sin_a;
  const double dx = c * ux + s * uy, dy = -s * ux + c * uy;  // inverse rotation
  const double fc = dx / out.pixel_eta + 0.5 * in_w - 0.5;    // continuous pixel-centre coordinates
  const double fr = 0.5 * in_h - dy / out.pixel_phi - 0.5;
  const double c0 = floor(fc), r0 = floor(fr);
  const double tc = fc - c0, tr = fr - r0;
  double value = 0;
  for (int dr = 0; dr < 2; ++dr) {
    for (int dc = 0; dc < 2; ++dc) {
      const int rr = static_cast<int>(r0) + dr, cc = static_cast<int>(c0) + dc;
      if (rr < 0 || rr >= in_h || cc < 0 || cc >= in_w) continue;
      const double weight = (dr ? tr : 1 - tr) * (dc ? tc : 1 - tc);
      value += weight * in[rr * in_w + cc];
    }
  }
  return static_cast<float>(value / (static_cast<double>(f.zoom) * f.zoom));
}

}  // namespace jetimg
