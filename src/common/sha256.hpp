// SHA-256 (FIPS 180-4), portable C++: the compiled-model cache names its
// entries by the digest of the model file, and no crypto library is among the
// dependencies. Not constant-time, and not meant for secrets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace digitinfer::core {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
public:
    Sha256();
    // Feeds `size` more bytes; any split of the input gives the same digest.
    void update(const void *data, std::size_t size);
    // The digest of everything fed so far; the object must not be updated afterwards.
    Sha256Digest finish();

private:
    void compress(const uint8_t *block);
    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_{};
    std::size_t buffered_ = 0;
    uint64_t length_ = 0;  // bytes fed so far
};

Sha256Digest sha256(const void *data, std::size_t size);
inline Sha256Digest sha256(const std::string &bytes) { return sha256(bytes.data(), bytes.size()); }

// Lowercase hexadecimal, 64 characters, as `sha256sum` prints it.
std::string to_hex(const Sha256Digest &digest);

}  // namespace digitinfer::core
