// A debugging mode for CUDA: with JETIMG_CUDA_SYNC=1 in the environment every
// checked kernel launch (JI_CUDA_CHECK_LAUNCH, core/cuda_check.h) waits for
// the device and checks it, so that a fault inside a kernel (an illegal
// address, a trap) is reported by the op that launched it instead of by
// whichever CUDA call happens to come next. Slow; for finding bugs only.
#pragma once

namespace jetimg {

// Whether the environment asks for synchronous launches now: JETIMG_CUDA_SYNC
// set to 1, true, yes or on (any case). Read anew on every call.
bool cuda_sync_requested();

// What cuda_sync_requested() said the first time this was called in the
// process; the launch checks read this one, so they pay for no getenv.
bool cuda_sync_launches();

}  // namespace jetimg
