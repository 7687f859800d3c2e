// Turns jets (from the jets file or straight from clustering) into the padded
// constituent batches the image kernels take: (pT, η, φ, E) per constituent,
// (pT, η, φ) per subjet, and (pT, η, φ, m) of the jet, on the CPU.
#pragma once

#include <vector>

#include "core/preprocess.h"
#include "io/jets_file.h"
#include "physics/jets.h"

namespace jetimg {

enum class ConstituentSet { All, Trimmed };

// Jets [begin, end) of a jets file. With ConstituentSet::Trimmed only the
// constituents that survive trimming are kept (pT order is preserved). The
// jet row is the trimmed jet. With `charges`, the batch also carries each
// constituent's charge (JetBatch::charged) from its PDG code; a file without
// PDG codes, or a constituent whose code is 0, is an Error naming the file,
// the jet and the constituent.
JetBatch batch_from_table(const JetsTable& table, int64_t begin, int64_t end, ConstituentSet set,
                          bool charges = false);

// The same from jets in memory, padded to `max_constituents` and `max_subjets`.
JetBatch batch_from_jets(const std::vector<Jet>& jets, ConstituentSet set, int max_constituents, int max_subjets,
                         bool charges = false);

}  // namespace jetimg
