#ifndef STEWARD_CONNXRUNTIME_SHIM_H
#define STEWARD_CONNXRUNTIME_SHIM_H
/* Headers from Debian 13's libonnxruntime-dev, installed by scripts/setup.sh. */
#include <onnxruntime/onnxruntime_c_api.h>

/* ORT_API_VERSION is a macro; the runtime library must serve at least this version. */
static inline const OrtApi *steward_ort_api(void) {
    return OrtGetApiBase()->GetApi(ORT_API_VERSION);
}
static inline uint32_t steward_ort_api_version(void) { return ORT_API_VERSION; }
#endif
