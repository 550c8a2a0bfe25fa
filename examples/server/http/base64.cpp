#include "base64.hpp"

#include <array>
#include <cstdint>

namespace server::http {

std::optional<std::string> base64_decode(std::string_view text) {
    static const auto table = [] {
        std::array<int8_t, 256> t{};
        t.fill(-1);
        const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 64; ++i) t[uint8_t(alphabet[i])] = int8_t(i);
        return t;
    }();
    size_t end = text.size();
    if (end % 4 == 0)  // padded: at most two '=' at the very end
        for (int i = 0; i < 2 && end > 0 && text[end - 1] == '='; ++i) --end;
    if (end % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(end / 4 * 3 + 2);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < end; ++i) {
        const int v = table[uint8_t(text[i])];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(char((acc >> bits) & 0xff));
        }
    }
    return out;
}

}  // namespace server::http
