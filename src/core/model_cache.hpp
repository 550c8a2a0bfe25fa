// The compiled-model cache: the .dimodel of a TorchScript file that the native
// engine runs, kept in a per-user directory under the SHA-256 of the file's
// bytes, so that the next process loading the same bytes needs no libtorch.
// Nothing here throws: a cache that cannot be used only means a slower load,
// never a failed one, so every problem comes back as a note.
//
// Entry layout (little-endian): "DICACHE\0", u32 cache format (kCacheFormat),
// u32 size + the library version (DI_VERSION_STRING), the 32-byte SHA-256 of
// the source file, u64 size + the .dimodel bytes (which carry their own
// checksum, checked by read_native_model).
#pragma once

#include <optional>
#include <string>

#include "common/sha256.hpp"
#include "digitinfer/digitinfer.h"

namespace digitinfer::core {

// What the cache did for one load, as di_model_info reports it.
struct CacheReport {
    di_cache_use use = DI_CACHE_NOT_USED;
    std::string path;  // the entry read or written
    std::string note;  // why not used or not stored, or what a store replaced
};

// The entry for `dimodel`, compiled from a file whose SHA-256 is `source`.
std::string encode_cache_entry(const Sha256Digest &source, const std::string &dimodel);

// The .dimodel bytes of `entry` when it is one of this cache format and
// library version, for `source`; else nullopt and `why` ("was made by
// DigitInfer 1.0.0", ...). The .dimodel itself is not parsed here.
std::optional<std::string> decode_cache_entry(const std::string &entry, const Sha256Digest &source, std::string &why);

class ModelCache {
public:
    // The directory `setting` names (nullopt: the environment, see
    // di_load_options.cache_dir; "": no cache), created if missing. The cache
    // is disabled, with off_reason() saying why, when it is turned off or the
    // directory cannot be created or is not safe (another owner, writable by
    // group or others).
    explicit ModelCache(const std::optional<std::string> &setting);

    bool enabled() const { return !dir_.empty(); }
    const std::string &off_reason() const { return off_reason_; }
    std::string entry_path(const Sha256Digest &source) const;

    // The .dimodel bytes cached for `source`, or nullopt; `why` is "" when
    // there is no entry, else what is wrong with it ("is truncated", ...).
    std::optional<std::string> find(const Sha256Digest &source, std::size_t source_size, std::string &why) const;

    // Writes the entry atomically (a temporary file in the directory, then a
    // rename), replacing any old one; false and `why` when it cannot.
    bool store(const Sha256Digest &source, const std::string &dimodel, std::string &why) const;

private:
    std::string dir_;
    std::string off_reason_;
};

}  // namespace digitinfer::core
